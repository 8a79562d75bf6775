/**
 * Loading: staff with the `loader` role open every reserved compartment; closed with the
 * item inside (item sensor, when the board has one) -> `loaded`.
 */
import { Actors } from '../domain/model.js';
import type { StaffGrant } from '../domain/model.js';
import type { Timers } from '../domain/ports.js';
import type { CompartmentActuator } from './actuator.js';
import type { Ledger } from './ledger/ledger.js';
import { observeDoors, type DoorWatchSettings } from './observe-doors.js';
import { FlowEnd, type FlowUi } from './screens.js';

/** See the module comment. */
export class LoadingFlow {
  constructor(
    private readonly ledger: Ledger,
    private readonly actuator: CompartmentActuator,
    private readonly timers: Timers,
    private readonly settings: DoorWatchSettings,
  ) {}

  /** True when this staff member can load something now. */
  applies(staff: StaffGrant | undefined): boolean {
    return !!staff?.roles.includes('loader') && this.ledger.compartments.reserved().length > 0;
  }

  async run(staffSpki: string, ui: FlowUi): Promise<void> {
    const { ledger } = this;
    const lockers = this.actuator.hardware;
    if (!lockers) throw new FlowEnd('lock_failed', 'no_board');
    ui.pastPointOfNoReturn();
    const ids = ledger.compartments.reserved().map((c) => c.id);
    const actor = Actors.staff(staffSpki);
    const results = await this.actuator.unlockAll(ids, 'load', actor);
    ids.forEach((id, i) => {
      const r = results[i]!;
      if (!r.opened) ledger.compartments.markFault(id, r.reason, 'load');
    });
    const opened = ids.filter((_, i) => results[i]!.opened);
    if (opened.length === 0) throw new FlowEnd('lock_failed');
    await observeDoors(
      { lockers, ledger, timers: this.timers, settings: this.settings },
      ui,
      opened,
      {
        onClosedAfterOpen: (id) => {
          // Occupancy confirmed by the item sensor when the board has one.
          if (lockers.occupied(id) === false) {
            ledger.attempts.record({
              kind: 'denial',
              action: 'delivery.load',
              actor,
              target: `compartment:${id}`,
              outcome: 'denied',
              reason: 'not_occupied',
            });
            return;
          }
          ledger.compartments.markLoaded(id, staffSpki);
        },
        onNeverOpened: (id) =>
          ledger.attempts.record({
            kind: 'actuation',
            action: 'compartment.relock',
            actor,
            target: `compartment:${id}`,
            outcome: 'ok',
            reason: 'door_not_opened',
          }),
        openScreen: 'loading',
      },
    );
  }
}
