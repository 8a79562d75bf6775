/**
 * Kerong CU16 ("CU" 5-byte protocol) lock-control boards on an RS-485 bus: frame codec and a
 * streaming parser. Pure functions, no I/O. Source: ../shared/reference/locker-board.md (five
 * open implementations agree on these bytes).
 *
 *   Request:   STX(02) ADDR CMD ETX(03) SUM            five bytes
 *              STX(02) ADDR CMD D ETX(03) SUM          with one data byte
 *   ADDR     = (board << 4) | lockIndex                board 0-15, lock index 0-15
 *              (a board-level request uses board << 4)
 *   SUM      = low byte of the sum of every byte from STX through ETX
 *
 *   CMD  30 status of one board          35 reply: single-board status (9 bytes)
 *        31 unlock one lock              (not reliably answered)
 *        32 status of every board        36 reply: all boards (not decoded here)
 *        33 unlock every lock of a board
 *        37 get (no data) / set (D = pulse in 10 ms units) the unlock pulse
 *                                        38 reply: pulse length, D in 10 ms units
 *        39 delayed unlock, D = 0-250 s
 *
 *   Status reply: 02 ADDR 35 L1-8 L9-16 S1-8 S9-16 03 SUM
 *     bit i (LSB first) of L = latch (hook) sensor of lock i+1; of S = occupancy, 1 = item.
 *     Which latch level means "latched" differs between boards: the driver decides.
 *
 *   Worked frames: unlock board 0 lock 1  = 02 00 31 03 36
 *                  unlock board 0 lock 16 = 02 0F 31 03 45
 *                  status of board 0      = 02 00 30 03 35
 *                  status of board 1      = 02 10 30 03 45
 */
import { FrameError, type FrameParserStats } from './frame-error.js';

export const STX = 0x02;
export const ETX = 0x03;

/** Command and reply codes. */
export const KerongCommand = {
  Status: 0x30,
  Unlock: 0x31,
  StatusAll: 0x32,
  UnlockAll: 0x33,
  StatusReply: 0x35,
  StatusAllReply: 0x36,
  Pulse: 0x37,
  PulseReply: 0x38,
  DelayedUnlock: 0x39,
} as const;

/** Highest board address on one bus. */
export const MAX_BOARD = 15;
/** Locks on one CU16 board, numbered 1-16 as on the board's label. */
export const LOCKS_PER_BOARD = 16;
/** Unlock pulse limits: one data byte in 10 ms units. */
export const MIN_PULSE_MS = 10;
export const MAX_PULSE_MS = 2550;
/** Longest frame the parser knows (the status reply). */
export const MAX_FRAME_BYTES = 9;

/** A request from the host to a board. Locks are numbered from 1. */
export type KerongRequest =
  | { type: 'status'; board: number }
  | { type: 'status-all' }
  | { type: 'unlock'; board: number; lock: number }
  | { type: 'unlock-all'; board: number }
  | { type: 'get-pulse'; board: number }
  | { type: 'set-pulse'; board: number; pulseMs: number }
  | { type: 'delayed-unlock'; board: number; lock: number; delaySec: number };

/** A reply from a board. The bit masks are raw: bit 0 = lock 1. */
export type KerongReply =
  | { type: 'status-reply'; board: number; latchBits: number; occupancyBits: number }
  | { type: 'pulse-reply'; board: number; pulseMs: number };

/** Which way frames travel: `request` (the board/emulator reads), `reply` (the host reads). */
export type FrameDirection = 'request' | 'reply';

/** Low byte of the sum of `bytes[from..to)`. */
export function checksum(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += bytes[i]!;
  return sum & 0xff;
}

function checkBoard(board: number): void {
  if (!Number.isInteger(board) || board < 0 || board > MAX_BOARD)
    throw new FrameError('out_of_range', `board ${board} is not 0-${MAX_BOARD}`);
}
function checkLock(lock: number): void {
  if (!Number.isInteger(lock) || lock < 1 || lock > LOCKS_PER_BOARD)
    throw new FrameError('out_of_range', `lock ${lock} is not 1-${LOCKS_PER_BOARD}`);
}
function checkByte(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new FrameError('out_of_range', `${what} ${value} does not fit in a byte`);
}

/** `STX ADDR CMD [data...] ETX SUM`. */
export function encodeFrame(addr: number, cmd: number, data: readonly number[] = []): Uint8Array {
  checkByte(addr, 'address');
  checkByte(cmd, 'command');
  data.forEach((d) => checkByte(d, 'data byte'));
  const out = new Uint8Array(5 + data.length);
  out[0] = STX;
  out[1] = addr;
  out[2] = cmd;
  out.set(data, 3);
  out[3 + data.length] = ETX;
  out[4 + data.length] = checksum(out, 0, 4 + data.length);
  return out;
}

/** Pulse length in ms -> the board's 10 ms units (rounded, clamped to 1-255). */
export function pulseUnits(pulseMs: number): number {
  if (!Number.isFinite(pulseMs) || pulseMs < MIN_PULSE_MS || pulseMs > MAX_PULSE_MS)
    throw new FrameError(
      'out_of_range',
      `pulse ${pulseMs} ms is not ${MIN_PULSE_MS}-${MAX_PULSE_MS}`,
    );
  return Math.min(255, Math.max(1, Math.round(pulseMs / 10)));
}

/** Encodes a request. @throws FrameError{kind:'out_of_range'} for a bad board, lock or value. */
export function encodeRequest(req: KerongRequest): Uint8Array {
  switch (req.type) {
    case 'status':
      checkBoard(req.board);
      return encodeFrame(req.board << 4, KerongCommand.Status);
    case 'status-all':
      return encodeFrame(0x00, KerongCommand.StatusAll);
    case 'unlock':
      checkBoard(req.board);
      checkLock(req.lock);
      return encodeFrame((req.board << 4) | (req.lock - 1), KerongCommand.Unlock);
    case 'unlock-all':
      checkBoard(req.board);
      return encodeFrame(req.board << 4, KerongCommand.UnlockAll);
    case 'get-pulse':
      checkBoard(req.board);
      return encodeFrame(req.board << 4, KerongCommand.Pulse);
    case 'set-pulse':
      checkBoard(req.board);
      return encodeFrame(req.board << 4, KerongCommand.Pulse, [pulseUnits(req.pulseMs)]);
    case 'delayed-unlock':
      checkBoard(req.board);
      checkLock(req.lock);
      if (!Number.isInteger(req.delaySec) || req.delaySec < 0 || req.delaySec > 250)
        throw new FrameError('out_of_range', `delay ${req.delaySec} s is not 0-250`);
      return encodeFrame((req.board << 4) | (req.lock - 1), KerongCommand.DelayedUnlock, [
        req.delaySec,
      ]);
  }
}

/** Encodes a reply (the emulator's side). */
export function encodeReply(reply: KerongReply): Uint8Array {
  checkBoard(reply.board);
  switch (reply.type) {
    case 'status-reply':
      return encodeFrame(reply.board << 4, KerongCommand.StatusReply, [
        reply.latchBits & 0xff,
        (reply.latchBits >> 8) & 0xff,
        reply.occupancyBits & 0xff,
        (reply.occupancyBits >> 8) & 0xff,
      ]);
    case 'pulse-reply':
      return encodeFrame(reply.board << 4, KerongCommand.PulseReply, [pulseUnits(reply.pulseMs)]);
  }
}

/** Frame lengths each command code may have, per direction (shortest first). */
const LENGTHS: Record<FrameDirection, ReadonlyMap<number, readonly number[]>> = {
  request: new Map([
    [KerongCommand.Status, [5]],
    [KerongCommand.Unlock, [5]],
    [KerongCommand.StatusAll, [5]],
    [KerongCommand.UnlockAll, [5]],
    [KerongCommand.Pulse, [5, 6]],
    [KerongCommand.DelayedUnlock, [6]],
  ]),
  reply: new Map([
    [KerongCommand.StatusReply, [9]],
    [KerongCommand.PulseReply, [6]],
  ]),
};

/** Checks STX, length, ETX and SUM of one whole frame. @throws FrameError. */
function checkEnvelope(bytes: Uint8Array, direction: FrameDirection): void {
  if (bytes.length < 5) throw new FrameError('too_short', `${bytes.length} bytes, need 5`);
  if (bytes[0] !== STX) throw new FrameError('no_stx', 'frame does not start with STX');
  const lengths = LENGTHS[direction].get(bytes[2]!);
  if (!lengths) throw new FrameError('unknown_command', `unknown ${direction} command`);
  if (!lengths.includes(bytes.length))
    throw new FrameError('bad_length', `${bytes.length} bytes for this command`);
  if (bytes[bytes.length - 2] !== ETX) throw new FrameError('no_etx', 'no ETX before SUM');
  if (checksum(bytes, 0, bytes.length - 1) !== bytes[bytes.length - 1])
    throw new FrameError('bad_checksum', 'checksum mismatch');
}

/** Decodes one whole request frame. @throws FrameError for anything malformed. */
export function decodeRequest(bytes: Uint8Array): KerongRequest {
  checkEnvelope(bytes, 'request');
  const addr = bytes[1]!;
  const board = addr >> 4;
  const lock = (addr & 0x0f) + 1;
  switch (bytes[2]) {
    case KerongCommand.Status:
      return { type: 'status', board };
    case KerongCommand.StatusAll:
      return { type: 'status-all' };
    case KerongCommand.Unlock:
      return { type: 'unlock', board, lock };
    case KerongCommand.UnlockAll:
      return { type: 'unlock-all', board };
    case KerongCommand.Pulse:
      return bytes.length === 5
        ? { type: 'get-pulse', board }
        : { type: 'set-pulse', board, pulseMs: bytes[3]! * 10 };
    default:
      return { type: 'delayed-unlock', board, lock, delaySec: bytes[3]! };
  }
}

/** Decodes one whole reply frame. @throws FrameError for anything malformed. */
export function decodeReply(bytes: Uint8Array): KerongReply {
  checkEnvelope(bytes, 'reply');
  const board = bytes[1]! >> 4;
  if (bytes[2] === KerongCommand.PulseReply)
    return { type: 'pulse-reply', board, pulseMs: bytes[3]! * 10 };
  return {
    type: 'status-reply',
    board,
    latchBits: bytes[3]! | (bytes[4]! << 8),
    occupancyBits: bytes[5]! | (bytes[6]! << 8),
  };
}

/** What the parser hands to its owner for each frame, by direction. */
export type ParsedFrame<D extends FrameDirection> = D extends 'request'
  ? KerongRequest
  : KerongReply;

/** Callbacks of a {@link KerongFrameParser}. */
export interface KerongParserHandlers<D extends FrameDirection> {
  /** A well-formed frame, decoded, with its bytes. */
  onFrame(frame: ParsedFrame<D>, bytes: Uint8Array): void;
  /** A candidate frame (STX + known command) that failed its ETX or checksum check. */
  onBadFrame?(error: FrameError, bytes: Uint8Array): void;
}

/**
 * Streaming parser: feed it chunks as they arrive (any split, any garbage); it resynchronises
 * on STX, delivers whole frames, and counts what it drops. It keeps at most
 * MAX_FRAME_BYTES - 1 bytes between calls, whatever it is fed.
 *
 * A candidate is STX, an address byte, and a command code known for the direction; its
 * length follows from the command. A candidate whose ETX or SUM is wrong costs only its STX:
 * scanning resumes at the next byte, so a real frame hidden inside garbage is still found.
 */
export class KerongFrameParser<D extends FrameDirection> {
  #pending: Uint8Array = new Uint8Array(0);
  #frames = 0;
  #badFrames = 0;
  #droppedBytes = 0;
  readonly #lengths: ReadonlyMap<number, readonly number[]>;

  constructor(
    readonly direction: D,
    private readonly handlers: KerongParserHandlers<D>,
  ) {
    this.#lengths = LENGTHS[direction];
  }

  /** Bytes held back waiting for the rest of a frame (never more than MAX_FRAME_BYTES - 1). */
  get bufferedBytes(): number {
    return this.#pending.length;
  }

  /** Counters since construction. */
  get stats(): FrameParserStats {
    return { frames: this.#frames, badFrames: this.#badFrames, droppedBytes: this.#droppedBytes };
  }

  /** Discards a partial frame (counted as dropped), e.g. before a new transaction. */
  reset(): void {
    this.#droppedBytes += this.#pending.length;
    this.#pending = new Uint8Array(0);
  }

  /** Feeds received bytes. Handlers run after the parser's state is updated. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    let buf: Uint8Array;
    if (this.#pending.length === 0) buf = chunk;
    else {
      buf = new Uint8Array(this.#pending.length + chunk.length);
      buf.set(this.#pending, 0);
      buf.set(chunk, this.#pending.length);
    }
    const good: Array<[ParsedFrame<D>, Uint8Array]> = [];
    const bad: Array<[FrameError, Uint8Array]> = [];
    const n = buf.length;
    let i = 0;
    scan: while (i < n) {
      if (buf[i] !== STX) {
        const next = buf.indexOf(STX, i);
        const skip = (next === -1 ? n : next) - i;
        this.#droppedBytes += skip;
        i += skip;
        continue;
      }
      if (n - i < 3) break;
      const lengths = this.#lengths.get(buf[i + 2]!);
      if (!lengths) {
        this.#droppedBytes += 1;
        i += 1;
        continue;
      }
      let sawEtx = false;
      for (const len of lengths) {
        if (n - i < len) break scan; // wait for more bytes
        if (buf[i + len - 2] !== ETX) continue;
        sawEtx = true;
        if (checksum(buf, i, i + len - 1) !== buf[i + len - 1]) continue;
        const bytes = buf.slice(i, i + len);
        good.push([this.#decode(bytes), bytes]);
        this.#frames += 1;
        i += len;
        continue scan;
      }
      const maxLen = lengths[lengths.length - 1]!;
      bad.push([
        new FrameError(sawEtx ? 'bad_checksum' : 'no_etx', 'bad frame dropped'),
        buf.slice(i, i + maxLen),
      ]);
      this.#badFrames += 1;
      this.#droppedBytes += 1;
      i += 1;
    }
    this.#pending = buf.slice(i);
    for (const [err, bytes] of bad) this.handlers.onBadFrame?.(err, bytes);
    for (const [frame, bytes] of good) this.handlers.onFrame(frame, bytes);
  }

  #decode(bytes: Uint8Array): ParsedFrame<D> {
    return (
      this.direction === 'request' ? decodeRequest(bytes) : decodeReply(bytes)
    ) as ParsedFrame<D>;
  }
}
