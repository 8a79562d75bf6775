/**
 * Loading, one item at a time (issue 17): staff with the `loader` role prove their card once,
 * then scan envelopes one by one (the code printed by the back office, `envelopeCode` of
 * `delivery.assign`; a keyboard-wedge scanner on the kiosk page) or pick a delivery on the
 * screen. Only that delivery's compartment opens; the screen shows which delivery goes where;
 * closed with the item inside (item sensor, when the board has one) -> `loaded`; then the
 * next. While a compartment is open any other envelope is refused on screen
 * (`wrong_envelope`), as is an envelope of no delivery waiting here (`unknown_envelope`) or
 * one already loaded. "Done" or no scan for `pinTimeoutSec` ends the session; when nothing was
 * loaded because every compartment tried failed to open, it ends with `lock_failed`.
 */
import { Actors, type StaffGrant } from '../domain/model.js';
import type { CompartmentActuator } from './actuator.js';
import type { Ledger } from './ledger/ledger.js';
import { observeDoors, type DoorWatchSettings } from './observe-doors.js';
import {
  FlowEnd,
  type FlowUi,
  type LoadingItem,
  type ScanInput,
  type ScanRefusal,
  type Screen,
} from './screens.js';

/** What the loading screen says besides the list. */
interface LoadingView {
  /** The delivery whose compartment is open. */
  current?: string;
  /** Why the last scan was refused. */
  refused?: ScanRefusal;
}

/** See the module comment. */
export class LoadingFlow {
  constructor(
    private readonly ledger: Ledger,
    private readonly actuator: CompartmentActuator,
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
    const actor = Actors.staff(staffSpki);
    const items: LoadingItem[] = ledger.compartments
      .reserved()
      .filter((c) => c.delivery_id)
      .map((c) => ({ deliveryId: c.delivery_id!, compartment: c.id, state: 'waiting' }));
    const view: LoadingView = {};
    const decorate = (s: Screen): Screen => ({
      ...s,
      loading: {
        items: items.map((i) => ({ ...i })),
        ...(view.current ? { current: view.current } : {}),
        ...(view.refused ? { refused: view.refused } : {}),
      },
    });
    const screen: FlowUi = withScreen(ui, decorate);
    const refuse = (why: ScanRefusal, input: ScanInput) => {
      view.refused = why;
      ledger.attempts.record({
        kind: 'denial',
        action: 'delivery.load',
        actor,
        outcome: 'denied',
        reason: why,
        ...(input.kind === 'pick' ? { target: `delivery:${input.deliveryId}` } : {}),
      });
    };
    while (items.some((i) => i.state === 'waiting')) {
      screen.show({ screen: 'loading' });
      const input = await ui.waitScan(ui.stopping);
      if (input.kind === 'done') break;
      const item = this.#find(items, input);
      if (!item) refuse('unknown_envelope', input);
      else if (item.state !== 'waiting') refuse('already_loaded', input);
      else {
        view.refused = undefined;
        view.current = item.deliveryId;
        await this.#loadOne(item, items, staffSpki, screen, refuse);
        view.current = undefined;
      }
    }
    view.current = undefined;
    // Nothing loaded because every compartment tried failed to open: say why (issue 12).
    if (items.some((i) => i.state === 'failed') && !items.some((i) => i.state === 'loaded'))
      throw new FlowEnd('lock_failed');
    screen.show({ screen: 'loaded' });
  }

  /** The delivery an input names, among those of this session. */
  #find(items: LoadingItem[], input: ScanInput): LoadingItem | undefined {
    if (input.kind === 'pick') return items.find((i) => i.deliveryId === input.deliveryId);
    if (input.kind !== 'code') return undefined;
    const d = this.ledger.deliveries.byEnvelope(input.code);
    return d ? items.find((i) => i.deliveryId === d.id) : undefined;
  }

  /** Opens one delivery's compartment and follows it until it is closed again. */
  async #loadOne(
    item: LoadingItem,
    items: LoadingItem[],
    staffSpki: string,
    screen: FlowUi,
    refuse: (why: ScanRefusal, input: ScanInput) => void,
  ): Promise<void> {
    const { ledger } = this;
    const lockers = this.actuator.hardware!;
    const actor = Actors.staff(staffSpki);
    const [r] = await this.actuator.unlockAll([item.compartment], 'load', actor);
    if (!r?.opened) {
      ledger.compartments.markFault(item.compartment, r?.reason ?? 'did_not_open', 'load');
      item.state = 'failed';
      return;
    }
    item.state = 'open';
    // While it is open, any other envelope is refused on screen.
    const scans = new AbortController();
    const others = (async () => {
      for (;;) {
        let input: ScanInput;
        try {
          input = await screen.waitScan(scans.signal);
        } catch {
          return;
        }
        if (input.kind === 'done') continue;
        const other = this.#find(items, input);
        if (other === item) continue;
        refuse(other ? 'wrong_envelope' : 'unknown_envelope', input);
        screen.show({
          screen: 'loading',
          compartments: [{ id: item.compartment, state: 'open' }],
        });
      }
    })();
    try {
      await observeDoors({ lockers, ledger, settings: this.settings }, screen, [item.compartment], {
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
            item.state = 'waiting';
            return;
          }
          ledger.compartments.markLoaded(id, staffSpki);
          item.state = 'loaded';
        },
        onNeverOpened: (id) => {
          item.state = 'waiting';
          ledger.attempts.record({
            kind: 'actuation',
            action: 'compartment.relock',
            actor,
            target: `compartment:${id}`,
            outcome: 'ok',
            reason: 'door_not_opened',
          });
        },
        openScreen: 'loading',
      });
    } finally {
      scans.abort(new FlowEnd('cancelled'));
      await others;
    }
  }
}

/** `ui` with every screen passed through `decorate` (the loading list added). */
function withScreen(ui: FlowUi, decorate: (s: Screen) => Screen): FlowUi {
  return {
    show: (s) => ui.show(decorate(s)),
    waitPin: (signal) => ui.waitPin(signal),
    waitRetry: (signal) => ui.waitRetry(signal),
    waitScan: (signal) => ui.waitScan(signal),
    deadline: (timeoutSec, door, expired) => ui.deadline(timeoutSec, door, expired),
    pastPointOfNoReturn: () => ui.pastPointOfNoReturn(),
    get stopping() {
      return ui.stopping;
    },
    pinArrivedAt: () => ui.pinArrivedAt(),
    unlocksSent: () => ui.unlocksSent(),
  };
}
