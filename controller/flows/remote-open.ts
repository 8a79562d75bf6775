/**
 * Remote open from the back office (a signed, verified command): a door pulse through the
 * door controller, or a compartment unlock through the actuator, both recorded before acting.
 */
import type { CommandResult, RemoteOpenBody } from '../../shared/mqtt/commands.js';
import type { Actor } from '../domain/model.js';
import type { CompartmentActuator } from './actuator.js';
import type { DoorController } from './door-access.js';
import type { Ledger } from './ledger/ledger.js';
import type { RecoveryFlow } from './recovery.js';

/** See the module comment. */
export class RemoteOpenFlow {
  constructor(
    private readonly ledger: Ledger,
    private readonly actuator: CompartmentActuator,
    private readonly doors: DoorController | undefined,
    private readonly recovery?: RecoveryFlow,
  ) {}

  async run(body: RemoteOpenBody, actor: Actor): Promise<CommandResult> {
    this.ledger.attempts.record({
      kind: 'operator',
      action: 'remote.open',
      actor,
      target: body.door ? `door:${body.door}` : `compartment:${body.compartment ?? ''}`,
      outcome: 'requested',
      reason: body.reason.slice(0, 200),
    });
    if (body.door) {
      if (!this.doors?.has(body.door)) return { accepted: false, reason: 'unknown_door' };
      const ok = await this.doors.remoteOpen(body.door, actor);
      return ok ? { accepted: true } : { accepted: false, reason: 'hardware_fault' };
    }
    if (!body.compartment || !this.ledger.compartments.get(body.compartment))
      return { accepted: false, reason: 'unknown_compartment' };
    if (body.disposition) {
      if (!this.recovery) return { accepted: false, reason: 'not_supported' };
      return this.recovery.openWithDisposition(body.compartment, body.disposition, actor);
    }
    const [r] = await this.actuator.unlockAll([body.compartment], 'remote', actor);
    if (r?.opened) return { accepted: true };
    // Commanded and did not open: the compartment is out of use until a check clears it.
    this.ledger.compartments.markFault(body.compartment, r?.reason ?? 'did_not_open', 'remote');
    return { accepted: false, reason: 'hardware_fault' };
  }
}
