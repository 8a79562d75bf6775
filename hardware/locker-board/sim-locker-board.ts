import { EventHub, nullLog, type DriverLog } from '../support.js';
import {
  BoardError,
  BoardWatch,
  checkTarget,
  emptyStats,
  type BoardSpec,
  type BoardStats,
  type BoardStatus,
  type LockStatus,
  type LockerBoard,
  type LockerBoardEvents,
  type UnlockResult,
} from './locker-board.js';

interface SimLock {
  doorOpen: boolean;
  occupied: boolean;
  jammed: boolean;
}

/** One compartment as the simulation sees it (for the demo's simulator page). */
export interface SimCompartment extends LockStatus {
  board: number;
  doorOpen: boolean;
  jammed: boolean;
}

/** Settings of a SimLockerBoard. */
export interface SimLockerBoardOptions {
  boards: readonly BoardSpec[];
  /** Attempts a silent board "takes" (reported in faults), like retries + 1 (default 4). */
  attempts?: number;
  log?: DriverLog;
}

/**
 * A simulated bus of lock-control boards, instance-scoped, keeping the LockerBoard contract.
 * Every door starts shut (latched), every compartment empty.
 *
 * The physical model: a latch is engaged exactly when its door is shut; an unlock releases it
 * and the door springs open, unless the latch is jammed. Test and demo controls change the
 * world and emit `change` at once (a real bus shows changes only on the next status read).
 */
export class SimLockerBoard implements LockerBoard {
  readonly boards: readonly BoardSpec[];
  readonly #events: EventHub<LockerBoardEvents>;
  readonly #watch: BoardWatch;
  readonly #locks = new Map<number, SimLock[]>();
  readonly #silent = new Set<number>();
  readonly #attempts: number;
  #open = false;
  #stats: BoardStats = emptyStats();
  #queue: Promise<unknown> = Promise.resolve();
  /** Every unlock the boards received, in order (for tests: "commanded" means it is here). */
  readonly unlockLog: Array<{ board: number; lock: number }> = [];

  constructor(options: SimLockerBoardOptions) {
    this.boards = options.boards.map((b) => ({ ...b }));
    this.#attempts = options.attempts ?? 4;
    this.#events = new EventHub(options.log ?? nullLog);
    this.#watch = new BoardWatch((e, p) => this.#events.emit(e, p));
    for (const b of this.boards)
      this.#locks.set(
        b.address,
        Array.from({ length: b.locks }, () => ({
          doorOpen: false,
          occupied: false,
          jammed: false,
        })),
      );
  }

  on<E extends keyof LockerBoardEvents>(
    event: E,
    listener: (payload: LockerBoardEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  async open(): Promise<void> {
    this.#open = true;
    this.#stats = emptyStats();
  }

  async close(): Promise<void> {
    this.#open = false;
    this.#watch.reset();
  }

  stats(): BoardStats {
    return { ...this.#stats };
  }

  status(board: number): Promise<BoardStatus> {
    try {
      checkTarget(this.boards, board);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#enqueue(async () => this.#readStatus(board));
  }

  setPulse(board: number, pulseMs: number): Promise<void> {
    try {
      const spec = checkTarget(this.boards, board);
      if (!Number.isFinite(pulseMs) || pulseMs < 10 || pulseMs > 2550)
        throw new BoardError('bad_request', board, `pulse ${pulseMs} ms is not 10-2550`);
      return this.#enqueue(async () => {
        this.#transaction(board);
        (spec as { pulseMs: number }).pulseMs = Math.round(pulseMs / 10) * 10;
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  unlock(board: number, lock: number): Promise<UnlockResult> {
    try {
      checkTarget(this.boards, board, lock);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#enqueue(async (): Promise<UnlockResult> => {
      this.#stats.transactions += 1;
      if (!this.#open)
        return {
          outcome: 'fault',
          board,
          lock,
          commanded: false,
          fault: { board, kind: 'port_closed', attempts: 0, message: 'bus is not open' },
        };
      this.unlockLog.push({ board, lock });
      if (!this.#silent.has(board)) {
        const l = this.#lock(board, lock);
        if (!l.jammed && !l.doorOpen) {
          l.doorOpen = true;
          this.#emitChange(board, lock, { latched: true, occupied: l.occupied });
        }
      }
      try {
        const status = this.#readStatus(board);
        const ls = status.locks[lock - 1]!;
        return ls.latched
          ? { outcome: 'did_not_open', board, lock, status: ls }
          : { outcome: 'opened', board, lock, status: ls };
      } catch (err) {
        const e = err as BoardError;
        return { outcome: 'fault', board, lock, commanded: true, fault: e.toFault() };
      }
    });
  }

  // ---- test and demo controls -------------------------------------------------------------

  /** Opens a door by hand (forced, or after an unlock): the latch reads released. */
  openDoor(board: number, lock: number): void {
    this.#set(board, lock, (l) => (l.doorOpen = true));
  }
  /** Shuts a door: the latch engages (a jammed latch still reads latched). */
  closeDoor(board: number, lock: number): void {
    this.#set(board, lock, (l) => (l.doorOpen = false));
  }
  /** Puts an item in: the occupancy sensor reads 1. */
  putItem(board: number, lock: number): void {
    this.#set(board, lock, (l) => (l.occupied = true));
  }
  /** Takes the item out. */
  takeItem(board: number, lock: number): void {
    this.#set(board, lock, (l) => (l.occupied = false));
  }
  /** Jams a latch: unlocks no longer release it ("commanded but did not open"). */
  jamLatch(board: number, lock: number, jammed = true): void {
    this.#set(board, lock, (l) => (l.jammed = jammed));
  }
  /** Makes a board stop answering (or answer again). */
  setSilent(board: number, silent = true): void {
    checkTarget(this.boards, board);
    if (silent) this.#silent.add(board);
    else this.#silent.delete(board);
  }
  /** Every compartment, for the simulator page. */
  snapshot(): SimCompartment[] {
    const out: SimCompartment[] = [];
    for (const b of this.boards)
      this.#locks.get(b.address)!.forEach((l, i) =>
        out.push({
          board: b.address,
          lock: i + 1,
          latched: this.#latched(l),
          occupied: l.occupied,
          doorOpen: l.doorOpen,
          jammed: l.jammed,
        }),
      );
    return out;
  }

  // ---- internals ---------------------------------------------------------------------------

  #latched(l: SimLock): boolean {
    return !l.doorOpen || l.jammed;
  }

  #lock(board: number, lock: number): SimLock {
    checkTarget(this.boards, board, lock);
    return this.#locks.get(board)![lock - 1]!;
  }

  #set(board: number, lock: number, mutate: (l: SimLock) => void): void {
    const l = this.#lock(board, lock);
    const before = { latched: this.#latched(l), occupied: l.occupied };
    mutate(l);
    this.#emitChange(board, lock, before);
  }

  #emitChange(board: number, lock: number, before: { latched: boolean; occupied: boolean }): void {
    const l = this.#lock(board, lock);
    const now = { latched: this.#latched(l), occupied: l.occupied };
    if (now.latched !== before.latched || now.occupied !== before.occupied)
      this.#events.emit('change', { board, lock, ...now, previous: before });
  }

  #transaction(board: number): void {
    if (!this.#open) throw new BoardError('port_closed', board, 'bus is not open');
    if (this.#silent.has(board)) {
      this.#stats.timeouts += this.#attempts;
      this.#stats.retries += this.#attempts - 1;
      this.#stats.faults += 1;
      const err = new BoardError(
        'no_reply',
        board,
        `board ${board} did not answer (${this.#attempts} attempts)`,
        this.#attempts,
      );
      this.#watch.fault(err.toFault());
      throw err;
    }
  }

  #readStatus(board: number): BoardStatus {
    this.#stats.transactions += 1;
    this.#transaction(board);
    const status: BoardStatus = {
      board,
      locks: this.#locks.get(board)!.map((l, i) => ({
        lock: i + 1,
        latched: this.#latched(l),
        occupied: l.occupied,
      })),
    };
    this.#stats.frames += 1;
    // Changes were already emitted by the controls; record health and the reading only.
    this.#watch.ok(status, false);
    return status;
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
