import { JpkiLockerError } from '../../shared/errors.js';
import type { FrameErrorKind } from '../../shared/board/frame-error.js';

/** What a 1 in a board's latch bits means; boards differ, so it is set per board. */
export type LatchPolarity = 'one-is-latched' | 'zero-is-latched';

/** One board on the bus, as configured. */
export interface BoardSpec {
  /** Bus address 0-15. */
  address: number;
  /** Locks fitted, numbered 1..locks (max 16). */
  locks: number;
  latchPolarity: LatchPolarity;
  /** Unlock pulse the board should use (10-2550 ms, 10 ms steps). */
  pulseMs: number;
}

/** One lock as last read: `latched` = the hook is engaged (door shut and locked). */
export interface LockStatus {
  /** Lock number from 1, as on the board's label. */
  lock: number;
  latched: boolean;
  /** Item present (infrared occupancy sensor); false where no sensor is fitted. */
  occupied: boolean;
}

/** A board's status, latch polarity already applied. */
export interface BoardStatus {
  board: number;
  locks: LockStatus[];
}

/**
 * Why a board transaction failed:
 * - `no_reply`: nothing valid came back within the reply timeout, after every retry;
 * - `bad_reply`: only corrupt frames came back (wrong checksum, no ETX), after every retry;
 * - `port_closed`: the serial port is not open or went away;
 * - `port_error`: the port refused a write or flush.
 */
export type BoardFaultKind = 'no_reply' | 'bad_reply' | 'port_closed' | 'port_error';

/** A failed transaction with one board. */
export interface BoardFault {
  board: number;
  kind: BoardFaultKind;
  /** Requests sent (1 + retries). */
  attempts: number;
  message: string;
}

/** A board transaction that failed, or a request that is not valid for the configured bus. */
export class BoardError extends JpkiLockerError {
  constructor(
    readonly kind: BoardFaultKind | 'bad_request',
    readonly board: number,
    message: string,
    readonly attempts = 0,
    options?: { cause?: unknown },
  ) {
    super(`board_${kind}`, message, options);
  }

  /** The fault this error stands for (not for `bad_request`). */
  toFault(): BoardFault {
    return {
      board: this.board,
      kind: this.kind === 'bad_request' ? 'port_error' : this.kind,
      attempts: this.attempts,
      message: this.message,
    };
  }
}

/**
 * The outcome of an unlock, checked by reading the status afterwards:
 * - `opened`: the latch reads released;
 * - `did_not_open`: commanded, but the latch still reads latched (jammed, unpowered, wiring);
 * - `fault`: the board could not be reached; `commanded` says whether the unlock frame went
 *   out (then the lock MAY have opened: nobody knows).
 */
export type UnlockResult =
  | { outcome: 'opened'; board: number; lock: number; status: LockStatus }
  | { outcome: 'did_not_open'; board: number; lock: number; status: LockStatus }
  | { outcome: 'fault'; board: number; lock: number; commanded: boolean; fault: BoardFault };

/** A lock whose latch or occupancy differs from the previous reading. */
export interface LockChange {
  board: number;
  lock: number;
  latched: boolean;
  occupied: boolean;
  previous: { latched: boolean; occupied: boolean };
}

/** Counters since open(). */
export interface BoardStats {
  transactions: number;
  retries: number;
  timeouts: number;
  /** Good frames received. */
  frames: number;
  /** Corrupt candidate frames dropped (wrong checksum, no ETX). */
  badFrames: number;
  /** Bytes thrown away (garbage, corrupt frames, leftovers flushed before a command). */
  droppedBytes: number;
  /** Good frames that answered nothing we asked (late replies, other boards). */
  unexpectedFrames: number;
  faults: number;
}

/** Events of a LockerBoard. */
export interface LockerBoardEvents {
  /** A lock's latch or occupancy changed (seen by any status read, or by the simulation). */
  change: LockChange;
  /** A board that answered (or was never heard) stopped answering: once per outage. */
  fault: BoardFault;
  /** A faulted board answers again. */
  recovered: { board: number };
  /** A corrupt frame was dropped; `badFrames` is the running count. */
  badFrame: { kind: FrameErrorKind; badFrames: number };
}

/**
 * Lock-control boards on one bus.
 *
 * Behaviour every implementation keeps (test/board/contract.ts checks it):
 * - Locks are numbered from 1 as on the board's label; boards by bus address. A board not
 *   configured, or a lock beyond the board's `locks`, rejects with BoardError{kind:'bad_request'}.
 * - One transaction at a time: overlapping calls are queued in call order, never interleaved.
 * - `unlock()` never rejects for a board fault: it resolves with an UnlockResult, after reading
 *   the status back ("verify after acting"). It never retries the unlock itself (a second
 *   pulse is not harmless); it retries only the status read.
 * - `status()` resolves with the polarity applied, or rejects with BoardError{kind} after the
 *   reply timeout and every retry: never hangs.
 * - A fault on one board does not affect the others.
 * - Calls before `open()` or after `close()` reject with BoardError{kind:'port_closed'}
 *   (`unlock` resolves with a `fault` outcome, `commanded: false`).
 * - `close()` is idempotent and fails what is queued with `port_closed`.
 */
export interface LockerBoard {
  /** The boards on the bus, as configured. */
  readonly boards: readonly BoardSpec[];
  /** Opens the bus. @throws HardwareLostError when the port cannot be opened. */
  open(): Promise<void>;
  /** Closes the bus; idempotent. */
  close(): Promise<void>;
  /** Pulses one lock, then reads the status back and says what happened. */
  unlock(board: number, lock: number): Promise<UnlockResult>;
  /** Reads one board's latch and occupancy sensors. */
  status(board: number): Promise<BoardStatus>;
  /** Sets the board's unlock pulse (10-2550 ms, rounded to 10 ms). */
  setPulse(board: number, pulseMs: number): Promise<void>;
  /** Counters since open(). */
  stats(): BoardStats;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof LockerBoardEvents>(
    event: E,
    listener: (payload: LockerBoardEvents[E]) => void,
  ): () => void;
}

/** Applies latch polarity to raw bits: bit i = lock i+1. */
export function statusFromBits(
  spec: BoardSpec,
  latchBits: number,
  occupancyBits: number,
): BoardStatus {
  const locks: LockStatus[] = [];
  for (let lock = 1; lock <= spec.locks; lock++) {
    const bit = (latchBits >> (lock - 1)) & 1;
    locks.push({
      lock,
      latched: spec.latchPolarity === 'one-is-latched' ? bit === 1 : bit === 0,
      occupied: ((occupancyBits >> (lock - 1)) & 1) === 1,
    });
  }
  return { board: spec.address, locks };
}

/** Validates (board, lock) against the configured bus. @throws BoardError{kind:'bad_request'}. */
export function checkTarget(boards: readonly BoardSpec[], board: number, lock?: number): BoardSpec {
  const spec = boards.find((b) => b.address === board);
  if (!spec) throw new BoardError('bad_request', board, `board ${board} is not configured`);
  if (lock !== undefined && (!Number.isInteger(lock) || lock < 1 || lock > spec.locks))
    throw new BoardError(
      'bad_request',
      board,
      `lock ${lock} is not 1-${spec.locks} on board ${board}`,
    );
  return spec;
}

/** Zeroed counters. */
export function emptyStats(): BoardStats {
  return {
    transactions: 0,
    retries: 0,
    timeouts: 0,
    frames: 0,
    badFrames: 0,
    droppedBytes: 0,
    unexpectedFrames: 0,
    faults: 0,
  };
}

/**
 * Tracks per-board health and last readings, and turns them into events: `fault` once per
 * outage, `recovered` when it ends, `change` per lock that differs from the last reading.
 */
export class BoardWatch {
  readonly #health = new Map<number, 'ok' | 'fault'>();
  readonly #last = new Map<number, BoardStatus>();
  constructor(
    private readonly emit: <E extends keyof LockerBoardEvents>(
      event: E,
      payload: LockerBoardEvents[E],
    ) => void,
  ) {}

  /** Records a good reading and (unless told not to) emits what changed since the last one. */
  ok(status: BoardStatus, emitChanges = true): void {
    if (this.#health.get(status.board) === 'fault') this.emit('recovered', { board: status.board });
    this.#health.set(status.board, 'ok');
    const prev = this.#last.get(status.board);
    this.#last.set(status.board, status);
    if (!prev || !emitChanges) return;
    for (const l of status.locks) {
      const p = prev.locks.find((x) => x.lock === l.lock);
      if (p && (p.latched !== l.latched || p.occupied !== l.occupied))
        this.emit('change', {
          board: status.board,
          lock: l.lock,
          latched: l.latched,
          occupied: l.occupied,
          previous: { latched: p.latched, occupied: p.occupied },
        });
    }
  }

  /** Records a board fault; emits `fault` only at the start of an outage. @returns true if emitted. */
  fault(f: BoardFault): boolean {
    if (this.#health.get(f.board) === 'fault') return false;
    this.#health.set(f.board, 'fault');
    this.emit('fault', f);
    return true;
  }

  /** `ok`, `fault`, or undefined when never heard. */
  health(board: number): 'ok' | 'fault' | undefined {
    return this.#health.get(board);
  }

  /** Forgets readings and health (after close). */
  reset(): void {
    this.#health.clear();
    this.#last.clear();
  }
}
