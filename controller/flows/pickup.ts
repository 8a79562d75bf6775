/**
 * Pickup: a proven resident's deliveries (by SPKI hash) open together; a lock that does not
 * open puts its compartment in `fault` and offers "try again"; the doors are watched until
 * each is closed: taken -> `collected`, shut on the document or never opened -> `loaded`.
 */
import { pickupPlan } from '../domain/decisions.js';
import { Actors } from '../domain/model.js';
import type { CompartmentActuator } from './actuator.js';
import type { Ledger } from './ledger/ledger.js';
import { observeDoors, type DoorWatchSettings } from './observe-doors.js';
import { FlowEnd, type FlowUi } from './screens.js';
import type { Timers } from '../domain/ports.js';
import type { Receipt } from '../../shared/mqtt/receipt.js';

/** See the module comment. */
export class PickupFlow {
  constructor(
    private readonly ledger: Ledger,
    private readonly actuator: CompartmentActuator,
    private readonly timers: Timers,
    private readonly settings: DoorWatchSettings,
  ) {}

  /** True when the holder has something to collect or an expired delivery here. */
  hasBusiness(spki: string): boolean {
    return this.ledger.deliveries.forHolder(spki).length > 0;
  }

  /** The deliveries a pickup would hand over now (what the receipt names). */
  readyDeliveryIds(spki: string): string[] {
    const { ledger } = this;
    return pickupPlan(
      ledger.deliveries.forHolder(spki),
      (id) => ledger.compartments.get(id)?.state,
    ).ready.map((d) => d.id);
  }

  /** Opens the holder's compartments; `receipt` (signed at the proof) goes with each collection. */
  async run(spki: string, ui: FlowUi, signal: AbortSignal, receipt?: Receipt): Promise<void> {
    const { ledger } = this;
    ledger.deliveries.expireDue();
    const plan = pickupPlan(
      ledger.deliveries.forHolder(spki),
      (id) => ledger.compartments.get(id)?.state,
    );
    if (plan.ready.length === 0) {
      if (plan.expired.length > 0) throw new FlowEnd('deadline_passed');
      throw new FlowEnd('nothing_to_collect');
    }
    const lockers = this.actuator.hardware;
    if (!lockers) throw new FlowEnd('lock_failed', 'no_board');
    ui.pastPointOfNoReturn();
    let pending = plan.ready.map((d) => ({ id: d.compartment, deliveryId: d.id }));
    const opened: string[] = [];
    for (;;) {
      ui.show({
        screen: 'opening',
        compartments: pending.map((p) => ({ id: p.id, state: 'opening' as const })),
      });
      const results = await this.actuator.unlockAll(
        pending.map((p) => p.id),
        'pickup',
        Actors.holder(spki),
        () => ui.unlocksSent(),
      );
      for (const [i, p] of pending.entries()) {
        const r = results[i]!;
        if (r.opened) {
          ledger.compartments.markOpenedForPickup(p.id);
          ledger.attempts.recordPickupAttempt('granted', 'ok', spki, {
            deliveryId: p.deliveryId,
            compartment: p.id,
          });
          opened.push(p.id);
        } else {
          ledger.compartments.markFault(p.id, r.reason, 'pickup');
        }
      }
      pending = pending.filter((_, i) => !results[i]!.opened);
      if (pending.length === 0) break;
      // Some did not open: offer to try again or to go to the counter.
      ui.show({
        screen: 'error',
        error: 'lock_failed',
        canRetry: true,
        compartments: [
          ...opened.map((id) => ({ id, state: 'open' as const })),
          ...pending.map((p) => ({ id: p.id, state: 'failed' as const })),
        ],
      });
      if (!(await ui.waitRetry(signal))) {
        ledger.attempts.recordPickupAttempt('denied', 'lock_failed', spki, {
          compartment: pending[0]!.id,
          safety: true,
        });
        if (opened.length === 0) {
          ui.show({
            screen: 'error',
            error: 'lock_failed',
            compartments: pending.map((p) => ({ id: p.id, state: 'failed' as const })),
          });
          return;
        }
        break;
      }
      // clearFault puts them back to `loaded`; unlock again.
      for (const p of pending) ledger.compartments.clearFault(p.id);
    }
    await observeDoors(
      { lockers, ledger, timers: this.timers, settings: this.settings },
      ui,
      opened,
      {
        onClosedAfterOpen: (id) => {
          // Closed on the document still inside (item sensor): nothing was collected.
          if (lockers.occupied(id) === true) {
            ledger.compartments.markNotOpened(id);
            return 'not_collected';
          }
          ledger.compartments.markCollected(id, spki, receipt);
          return 'closed';
        },
        onNeverOpened: (id) => ledger.compartments.markNotOpened(id),
        openScreen: 'open',
      },
    );
  }
}
