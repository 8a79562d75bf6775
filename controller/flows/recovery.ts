/**
 * Recovery without a technician (issue 17), for the back office (`compartment.maintenance`,
 * `compartment.clear`, `remote.open` with a disposition) and for staff with the
 * `maintenance` role at the kiosk:
 * - out of service and back: no pickup or loading while out, its delivery kept;
 * - clear a fault only after the board reports the latch closed (fail closed: an open or
 *   unreadable latch keeps the fault);
 * - open a compartment with a disposition: the unlock is recorded first, the delivery moves
 *   to its disposition's state once the lock opened, and the compartment is free when its
 *   door closes again (followed by the compartment watch like every opening).
 */
import type { CommandResult, RemoteOpenDisposition } from '../../shared/mqtt/commands.js';
import type { Actor } from '../domain/model.js';
import type { CompartmentActuator } from './actuator.js';
import type { CompartmentWatch } from './compartment-watch.js';
import type { Ledger } from './ledger/ledger.js';

/** See the module comment. */
export class RecoveryFlow {
  constructor(
    private readonly ledger: Ledger,
    private readonly actuator: CompartmentActuator,
    private readonly watch: CompartmentWatch,
  ) {}

  /** `compartment.maintenance`. */
  setOutOfService(id: string, enabled: boolean, actor: Actor, reason = ''): CommandResult {
    return this.ledger.recovery.setOutOfService(id, enabled, actor, reason);
  }

  /** `compartment.clear`: asks the board first; the fault stays unless the latch is closed. */
  async clearFault(id: string, actor: Actor, reason = ''): Promise<CommandResult> {
    const row = this.ledger.compartments.get(id);
    if (!row) return { accepted: false, reason: 'unknown_compartment' };
    if (row.state !== 'fault')
      return { accepted: false, reason: 'invalid_state', detail: { state: row.state } };
    const hw = this.actuator.hardware;
    const latch = hw?.readLatch ? await hw.readLatch(id) : 'unknown';
    if (latch !== 'closed') {
      this.ledger.attempts.record({
        kind: 'operator',
        action: 'compartment.clear',
        actor,
        target: `compartment:${id}`,
        outcome: 'refused',
        reason: latch === 'open' ? 'latch_open' : 'hardware_fault',
      });
      return latch === 'open'
        ? { accepted: false, reason: 'latch_open' }
        : { accepted: false, reason: 'hardware_fault', detail: { latch } };
    }
    return this.ledger.recovery.clearFault(id, actor, reason);
  }

  /** `remote.open` of a compartment with a disposition. */
  async openWithDisposition(
    id: string,
    disposition: RemoteOpenDisposition,
    actor: Actor,
  ): Promise<CommandResult> {
    const row = this.ledger.compartments.get(id);
    if (!row) return { accepted: false, reason: 'unknown_compartment' };
    const delivery = row.delivery_id ? this.ledger.deliveries.get(row.delivery_id) : undefined;
    if (!delivery || !['loaded', 'expired', 'cancelled'].includes(delivery.state))
      return { accepted: false, reason: 'unknown_delivery' };
    if (row.state === 'opened_for_pickup' || row.state === 'retrieval')
      return { accepted: false, reason: 'compartment_busy' };
    const [r] = await this.actuator.unlockAll([id], 'remote', actor);
    if (!r?.opened) {
      this.ledger.compartments.markFault(id, r?.reason ?? 'did_not_open', 'remote');
      return { accepted: false, reason: 'hardware_fault' };
    }
    const result = this.ledger.recovery.dispose(id, disposition, actor);
    if (result.accepted) {
      if (this.watch.isOpen(id) || this.actuator.hardware?.doorState(id) === 'open')
        this.watch.whenClosed(id, () => this.ledger.recovery.finishDisposal(id));
      else this.ledger.recovery.finishDisposal(id);
    }
    return result;
  }
}
