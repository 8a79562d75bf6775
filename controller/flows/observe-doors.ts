/**
 * Watches opened compartments' doors until each is done: never opened within
 * `doorOpenTimeoutSec` -> `onNeverOpened` (the latch re-locked); opened and left open longer
 * than `doorLeftOpenSec` -> alarm and a "please close" screen; opened then closed ->
 * `onClosedAfterOpen`. Ends with the final screen (or nothing when the station stops).
 */
import type { CompartmentHardware, Timers } from '../domain/ports.js';
import type { Ledger } from './ledger/ledger.js';
import type { FlowUi, KioskScreenName } from './screens.js';

export interface DoorWatchSettings {
  doorOpenTimeoutSec: number;
  doorLeftOpenSec: number;
}

export interface DoorWatchHandlers {
  /** Returns 'not_collected' when the door closed on the item still inside (nothing taken). */
  onClosedAfterOpen: (id: string) => 'closed' | 'not_collected' | void;
  onNeverOpened: (id: string) => void;
  openScreen: 'open' | 'loading' | 'retrieval';
}

type Watch = 'waiting' | 'open' | 'closed' | 'not_opened' | 'not_collected' | 'left_open';

/** A compartment whose watch is over. */
const over = (s: Watch) => s === 'closed' || s === 'not_opened' || s === 'not_collected';

const FINAL: Record<DoorWatchHandlers['openScreen'], KioskScreenName> = {
  open: 'collected',
  loading: 'loaded',
  retrieval: 'retrieval',
};

/** See the module comment. */
export async function observeDoors(
  parts: {
    lockers: CompartmentHardware;
    ledger: Ledger;
    timers: Timers;
    settings: DoorWatchSettings;
  },
  ui: FlowUi,
  ids: readonly string[],
  handlers: DoorWatchHandlers,
): Promise<void> {
  const { lockers, ledger, timers: clock, settings } = parts;
  const st = new Map<string, Watch>(ids.map((id) => [id, 'waiting']));
  const timers: unknown[] = [];
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const render = () => {
    const leftOpen = [...st.values()].includes('left_open');
    ui.show({
      screen: leftOpen ? 'error' : handlers.openScreen,
      ...(leftOpen ? { error: 'door_left_open' as const } : {}),
      compartments: ids.map((id) => {
        const s = st.get(id)!;
        return { id, state: s === 'waiting' ? 'open' : s };
      }),
    });
  };
  const check = () => {
    if ([...st.values()].every(over)) finish();
  };
  const onOpen = (id: string) => {
    if (st.get(id) !== 'waiting') return;
    st.set(id, 'open');
    ledger.compartments.setDoorSensor(id, 'open');
    timers.push(
      clock.setTimeout(() => {
        if (st.get(id) !== 'open') return;
        st.set(id, 'left_open');
        ledger.alarms.raiseAlarm(
          'door_held_open',
          'warning',
          `compartment:${id}`,
          'door_left_open',
        );
        render();
      }, settings.doorLeftOpenSec * 1000),
    );
    render();
  };
  const onClosed = (id: string) => {
    const s = st.get(id);
    if (s !== 'open' && s !== 'left_open') return;
    ledger.compartments.setDoorSensor(id, 'closed');
    if (s === 'left_open') ledger.alarms.clearAlarm('door_held_open', `compartment:${id}`);
    st.set(id, handlers.onClosedAfterOpen(id) === 'not_collected' ? 'not_collected' : 'closed');
    render();
    check();
  };
  const guarded = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      fail(err);
    }
  };
  let failure: unknown;
  const fail = (err: unknown) => {
    failure ??= err;
    finish();
  };
  const stopping = ui.stopping;
  const onStop = () => finish();
  stopping.addEventListener('abort', onStop, { once: true });
  if (stopping.aborted) finish();
  const unsubscribe = lockers.onDoorChange((id, open) => {
    if (!st.has(id)) return;
    guarded(() => (open ? onOpen(id) : onClosed(id)));
  });
  try {
    // A door may already be open by the time we subscribed.
    for (const id of ids) if (lockers.doorState(id) === 'open') onOpen(id);
    timers.push(
      clock.setTimeout(
        () =>
          guarded(() => {
            for (const id of ids) {
              if (st.get(id) === 'waiting') {
                st.set(id, 'not_opened');
                handlers.onNeverOpened(id);
              }
            }
            render();
            check();
          }),
        settings.doorOpenTimeoutSec * 1000,
      ),
    );
    render();
    await done;
  } finally {
    unsubscribe();
    stopping.removeEventListener('abort', onStop);
    for (const t of timers) clock.clearTimeout(t);
  }
  if (failure !== undefined) throw failure;
  if (stopping.aborted) return;
  const states = [...st.values()];
  if (states.every((s) => s === 'not_opened')) {
    ui.show({
      screen: 'error',
      error: 'door_not_opened',
      compartments: ids.map((id) => ({ id, state: 'not_opened' as const })),
    });
    return;
  }
  const final = (id: string) => {
    const s = st.get(id);
    return s === 'not_opened' || s === 'not_collected' ? s : ('closed' as const);
  };
  // Opened, then closed on the document still inside (and none collected): say so, not
  // "the door could not be opened".
  if (states.every((s) => s !== 'closed')) {
    ui.show({
      screen: 'error',
      error: 'not_collected',
      compartments: ids.map((id) => ({ id, state: final(id) })),
    });
    return;
  }
  ui.show({
    screen: FINAL[handlers.openScreen],
    compartments: ids.map((id) => ({ id, state: final(id) })),
  });
}
