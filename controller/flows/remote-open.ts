/**
 * Remote open from the back office (a signed, verified command): a door pulse through the
 * door controller, or a compartment unlock through the actuator, both recorded before acting.
 */
import type { CommandResult, RemoteOpenBody } from '../../shared/mqtt/commands.js';
import type { Actor } from '../domain/model.js';
import type { CompartmentActuator } from './actuator.js';
import type { DoorController } from './door-access.js';
import type { Ledger } from './ledger/ledger.js';

/** See the module comment. */
export class RemoteOpenFlow {
  constructor(
    private readonly ledger: Ledger,
    private readonly actuator: CompartmentActuator,
    private readonly doors: DoorController | undefined,
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
    const [r] = await this.actuator.unlockAll([body.compartment], 'remote', actor);
    return r?.opened ? { accepted: true } : { accepted: false, reason: 'hardware_fault' };
  }
}
