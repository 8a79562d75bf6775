import {
  LOCKS_PER_BOARD,
  encodeReply,
  type KerongRequest,
} from '../../shared/board/kerong-cu16.js';

/** How an emulated board misbehaves. */
export type EmulatedFault =
  | { kind: 'none' }
  /** Reads requests but never answers. */
  | { kind: 'silent'; times?: number }
  /** Answers with the SUM byte wrong. */
  | { kind: 'bad_checksum'; times?: number }
  /** Answers after `delayMs`. */
  | { kind: 'slow'; delayMs: number; times?: number };

/** What the raw latch bit is for a latched lock on this board. */
export type EmulatedLatchPolarity = 'one-is-latched' | 'zero-is-latched';

interface EmulatedLock {
  /** The hook is released (door free / open). */
  released: boolean;
  occupied: boolean;
  stuck: boolean;
}

/** One emulated board. */
export interface EmulatedBoard {
  address: number;
  latchPolarity: EmulatedLatchPolarity;
  pulseMs: number;
  locks: EmulatedLock[];
  fault: EmulatedFault;
}

/** A reply to send: bytes and an optional delay. */
export interface EmulatedReply {
  board: number;
  bytes: Uint8Array;
  delayMs: number;
}

/**
 * The firmware of Kerong CU16 boards on one bus, without I/O: requests in, replies out.
 * Only the addressed board answers; an address with no board stays silent, as on a real bus.
 * Unlock is not answered (as on many real boards): the host reads the status back.
 */
export class KerongBusModel {
  readonly boards = new Map<number, EmulatedBoard>();

  constructor(
    addresses: readonly number[],
    options: { latchPolarity?: EmulatedLatchPolarity; pulseMs?: number } = {},
  ) {
    for (const address of addresses)
      this.boards.set(address, {
        address,
        latchPolarity: options.latchPolarity ?? 'one-is-latched',
        pulseMs: options.pulseMs ?? 500,
        locks: Array.from({ length: LOCKS_PER_BOARD }, () => ({
          released: false,
          occupied: false,
          stuck: false,
        })),
        fault: { kind: 'none' },
      });
  }

  /** The board at `address`. @throws RangeError when there is none. */
  board(address: number): EmulatedBoard {
    const b = this.boards.get(address);
    if (!b) throw new RangeError(`no emulated board at address ${address}`);
    return b;
  }

  /** A lock (numbered from 1). @throws RangeError. */
  lock(address: number, lock: number): EmulatedLock {
    const l = this.board(address).locks[lock - 1];
    if (!l) throw new RangeError(`no lock ${lock} on board ${address}`);
    return l;
  }

  /** Handles one decoded request; returns the reply to send, if any. */
  handle(req: KerongRequest): EmulatedReply | undefined {
    if (req.type === 'status-all') return undefined; // 36 replies are not emulated
    const b = this.boards.get(req.board);
    if (!b) return undefined;
    // The board acts on commands even when its replies are lost or late.
    let reply: Uint8Array | undefined;
    switch (req.type) {
      case 'status':
        reply = this.#statusReply(b);
        break;
      case 'unlock':
        this.#release(b, req.lock);
        break;
      case 'unlock-all':
        for (let lock = 1; lock <= b.locks.length; lock++) this.#release(b, lock);
        break;
      case 'delayed-unlock':
        // Accepted; the delay is not emulated (released at once).
        this.#release(b, req.lock);
        break;
      case 'set-pulse':
        b.pulseMs = req.pulseMs;
        reply = encodeReply({ type: 'pulse-reply', board: b.address, pulseMs: b.pulseMs });
        break;
      case 'get-pulse':
        reply = encodeReply({ type: 'pulse-reply', board: b.address, pulseMs: b.pulseMs });
        break;
    }
    if (!reply) return undefined;
    return this.#applyFault(b, reply);
  }

  #release(b: EmulatedBoard, lock: number): void {
    const l = b.locks[lock - 1];
    if (l && !l.stuck) l.released = true;
  }

  #statusReply(b: EmulatedBoard): Uint8Array {
    let latch = 0;
    let occ = 0;
    b.locks.forEach((l, i) => {
      const latched = !l.released || l.stuck;
      const bit = b.latchPolarity === 'one-is-latched' ? latched : !latched;
      if (bit) latch |= 1 << i;
      if (l.occupied) occ |= 1 << i;
    });
    return encodeReply({
      type: 'status-reply',
      board: b.address,
      latchBits: latch,
      occupancyBits: occ,
    });
  }

  #applyFault(b: EmulatedBoard, bytes: Uint8Array): EmulatedReply | undefined {
    const f = b.fault;
    if (f.kind === 'none') return { board: b.address, bytes, delayMs: 0 };
    if (f.times !== undefined) {
      if (f.times <= 0) {
        b.fault = { kind: 'none' };
        return { board: b.address, bytes, delayMs: 0 };
      }
      f.times -= 1;
      if (f.times === 0) b.fault = { kind: 'none' };
    }
    switch (f.kind) {
      case 'silent':
        return undefined;
      case 'bad_checksum': {
        const bad = bytes.slice();
        bad[bad.length - 1] = (bad[bad.length - 1]! + 1) & 0xff;
        return { board: b.address, bytes: bad, delayMs: 0 };
      }
      case 'slow':
        return { board: b.address, bytes, delayMs: f.delayMs };
    }
  }
}
