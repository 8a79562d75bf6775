import {
  KerongFrameParser,
  encodeRequest,
  type KerongReply,
  type KerongRequest,
} from '../../shared/board/kerong-cu16.js';
import { toHex } from '../../shared/board/frame-error.js';
import { EventHub, nullLog, realTimers, sleep, type DriverLog, type Timers } from '../support.js';
import {
  BoardError,
  BoardWatch,
  checkTarget,
  emptyStats,
  statusFromBits,
  type BoardSpec,
  type BoardStats,
  type BoardStatus,
  type LockerBoard,
  type LockerBoardEvents,
  type UnlockResult,
} from './locker-board.js';
import { openSerialLink, type OpenSerialLink, type SerialLink } from './serial-link.js';

/** Settings of a KerongBoard bus. */
export interface KerongBoardOptions {
  /** Serial device, e.g. /dev/ttyUSB0 or a pty. */
  path: string;
  boards: readonly BoardSpec[];
  /** Default 19200 (factory setting). */
  baudRate?: number;
  /** Wait this long for a reply before retrying (default 300). */
  replyTimeoutMs?: number;
  /** Retries after a failed transaction, 0-3 (default 3). */
  retries?: number;
  /** First back-off before a retry; doubles each retry (default 50). */
  backoffMs?: number;
  /** After an unlock, wait this long before each status read (default 150). */
  verifyDelayMs?: number;
  /** Status reads after an unlock before concluding "did not open" (default 3). */
  verifyReads?: number;
  log?: DriverLog;
  timers?: Timers;
  /** Opens the port; the default uses the `serialport` package. */
  openLink?: OpenSerialLink;
}

interface Waiter {
  match: (reply: KerongReply) => boolean;
  resolve: (reply: KerongReply | BoardError | undefined) => void;
}

/**
 * Kerong CU16 boards on one RS-485 bus, over `serialport`. See LockerBoard for the behaviour.
 *
 * Field practice from locker-board.md: clear the input buffer before each command, one
 * transaction at a time, a reply timeout, up to 3 retries with back-off, and after every
 * unlock read the status back.
 */
export class KerongBoard implements LockerBoard {
  readonly boards: readonly BoardSpec[];
  readonly #events: EventHub<LockerBoardEvents>;
  readonly #watch: BoardWatch;
  readonly #log: DriverLog;
  readonly #timers: Timers;
  readonly #replyTimeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #verifyDelayMs: number;
  readonly #verifyReads: number;
  #stats: BoardStats = emptyStats();
  #link: SerialLink | undefined;
  #lostError: Error | undefined;
  #waiter: Waiter | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #parser: KerongFrameParser<'reply'>;

  constructor(private readonly options: KerongBoardOptions) {
    this.boards = options.boards.map((b) => ({ ...b }));
    this.#log = options.log ?? nullLog;
    this.#timers = options.timers ?? realTimers;
    this.#events = new EventHub(this.#log);
    this.#watch = new BoardWatch((e, p) => this.#events.emit(e, p));
    this.#replyTimeoutMs = options.replyTimeoutMs ?? 300;
    this.#retries = Math.max(0, Math.min(3, options.retries ?? 3));
    this.#backoffMs = options.backoffMs ?? 50;
    this.#verifyDelayMs = options.verifyDelayMs ?? 150;
    this.#verifyReads = Math.max(1, options.verifyReads ?? 3);
    this.#parser = new KerongFrameParser('reply', {
      onFrame: (reply, bytes) => this.#onReply(reply, bytes),
      onBadFrame: (err, bytes) => {
        this.#log.debug({ rx: toHex(bytes), kind: err.kind }, 'bad frame dropped');
        this.#events.emit('badFrame', { kind: err.kind, badFrames: this.#parser.stats.badFrames });
      },
    });
  }

  on<E extends keyof LockerBoardEvents>(
    event: E,
    listener: (payload: LockerBoardEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  async open(): Promise<void> {
    if (this.#link) return;
    const link = await (this.options.openLink ?? openSerialLink)(
      this.options.path,
      this.options.baudRate ?? 19200,
    );
    this.#link = link;
    this.#lostError = undefined;
    this.#stats = emptyStats();
    link.onData((chunk) => {
      this.#log.debug({ rx: toHex(chunk) }, 'rx');
      this.#parser.push(chunk);
    });
    link.onClose((err) => {
      if (this.#link !== link) return;
      this.#link = undefined;
      this.#lostError = err ?? new Error('port closed');
      this.#log.error({ err, path: this.options.path }, 'serial port lost');
      this.#waiter?.resolve(new BoardError('port_closed', -1, 'serial port lost'));
      for (const b of this.boards)
        this.#reportFault(new BoardError('port_closed', b.address, 'serial port lost', 0));
    });
  }

  async close(): Promise<void> {
    const link = this.#link;
    this.#link = undefined;
    this.#waiter?.resolve(new BoardError('port_closed', -1, 'port closed'));
    this.#watch.reset();
    if (link) await this.#guard(link.close(), 'close', -1).catch(() => undefined);
  }

  stats(): BoardStats {
    const p = this.#parser.stats;
    return {
      ...this.#stats,
      frames: p.frames,
      badFrames: p.badFrames,
      droppedBytes: p.droppedBytes,
    };
  }

  status(board: number): Promise<BoardStatus> {
    let spec: BoardSpec;
    try {
      spec = checkTarget(this.boards, board);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#enqueue(() => this.#readStatus(spec));
  }

  setPulse(board: number, pulseMs: number): Promise<void> {
    let req: KerongRequest;
    try {
      checkTarget(this.boards, board);
      req = { type: 'set-pulse', board, pulseMs };
      encodeRequest(req);
    } catch (err) {
      return Promise.reject(
        err instanceof BoardError
          ? err
          : new BoardError('bad_request', board, (err as Error).message),
      );
    }
    return this.#enqueue(async () => {
      await this.#transact(req, (r) => r.type === 'pulse-reply' && r.board === board);
    });
  }

  unlock(board: number, lock: number): Promise<UnlockResult> {
    let spec: BoardSpec;
    try {
      spec = checkTarget(this.boards, board, lock);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#enqueue(async (): Promise<UnlockResult> => {
      this.#stats.transactions += 1;
      try {
        const link = this.#requireLink(board);
        await this.#flush(link);
        const bytes = encodeRequest({ type: 'unlock', board, lock });
        this.#log.debug({ tx: toHex(bytes) }, 'tx');
        await this.#guard(link.write(bytes), 'write', board);
      } catch (err) {
        const e = this.#asBoardError(err, board);
        this.#reportFault(e);
        return { outcome: 'fault', board, lock, commanded: false, fault: e.toFault() };
      }
      // Verify after acting: the unlock is not reliably answered, so read the latch back.
      for (let read = 1; ; read++) {
        await sleep(this.#timers, this.#verifyDelayMs);
        let status: BoardStatus;
        try {
          // No OS flush here: on a pty (and some USB adapters) drain() can return before the
          // unlock bytes have left, and a TCIOFLUSH would then throw the unlock away.
          status = await this.#readStatus(spec, false);
        } catch (err) {
          const e = this.#asBoardError(err, board);
          return { outcome: 'fault', board, lock, commanded: true, fault: e.toFault() };
        }
        const ls = status.locks[lock - 1]!;
        if (!ls.latched) return { outcome: 'opened', board, lock, status: ls };
        if (read >= this.#verifyReads) {
          this.#log.warn({ board, lock }, 'unlock commanded but the latch did not release');
          return { outcome: 'did_not_open', board, lock, status: ls };
        }
      }
    });
  }

  /** Runs `fn` after everything queued before it, whatever their outcome. */
  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #readStatus(spec: BoardSpec, osFlush = true): Promise<BoardStatus> {
    const reply = await this.#transact(
      { type: 'status', board: spec.address },
      (r) => r.type === 'status-reply' && r.board === spec.address,
      osFlush,
    );
    if (reply.type !== 'status-reply') throw new Error('unreachable');
    const status = statusFromBits(spec, reply.latchBits, reply.occupancyBits);
    this.#watch.ok(status);
    return status;
  }

  /**
   * One request/reply with retries: flush, send, wait for a matching reply up to the reply
   * timeout; on silence or corruption back off (backoffMs, doubling) and resend, at most
   * `retries` times. `osFlush` false keeps the OS buffers (the parser is still reset).
   * @throws BoardError{no_reply|bad_reply|port_closed|port_error}.
   */
  async #transact(
    req: KerongRequest,
    match: (r: KerongReply) => boolean,
    osFlush = true,
  ): Promise<KerongReply> {
    const board = 'board' in req ? req.board : -1;
    const bytes = encodeRequest(req);
    this.#stats.transactions += 1;
    let kind: 'no_reply' | 'bad_reply' = 'no_reply';
    const attempts = this.#retries + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        this.#stats.retries += 1;
        await sleep(this.#timers, this.#backoffMs * 2 ** (attempt - 2));
      }
      let reply: KerongReply | BoardError | undefined;
      const badBefore = this.#parser.stats.badFrames;
      try {
        const link = this.#requireLink(board);
        await this.#flush(link, osFlush);
        const waiting = this.#awaitReply(match);
        this.#log.debug({ tx: toHex(bytes), attempt }, 'tx');
        await this.#guard(link.write(bytes), 'write', board).catch((err: unknown) => {
          this.#waiter?.resolve(undefined);
          throw err;
        });
        reply = await waiting;
      } catch (err) {
        throw this.#reportFault(this.#asBoardError(err, board));
      }
      if (reply instanceof BoardError)
        throw this.#reportFault(new BoardError(reply.kind, board, reply.message, attempt));
      if (reply) return reply;
      this.#stats.timeouts += 1;
      kind = this.#parser.stats.badFrames > badBefore ? 'bad_reply' : 'no_reply';
      this.#log.debug({ board, attempt, kind }, 'no valid reply');
    }
    throw this.#reportFault(
      new BoardError(
        kind,
        board,
        kind === 'no_reply'
          ? `board ${board} did not answer (${attempts} attempts)`
          : `board ${board} answered only corrupt frames (${attempts} attempts)`,
        attempts,
      ),
    );
  }

  #awaitReply(match: (r: KerongReply) => boolean): Promise<KerongReply | BoardError | undefined> {
    return new Promise((resolve) => {
      const timer = this.#timers.setTimeout(() => done(undefined), this.#replyTimeoutMs);
      const waiter: Waiter = { match, resolve: (r) => done(r) };
      const done = (r: KerongReply | BoardError | undefined) => {
        if (this.#waiter !== waiter) return;
        this.#waiter = undefined;
        this.#timers.clearTimeout(timer);
        resolve(r);
      };
      this.#waiter = waiter;
    });
  }

  #onReply(reply: KerongReply, bytes: Uint8Array): void {
    this.#log.debug({ rx: toHex(bytes), type: reply.type, board: reply.board }, 'frame');
    const w = this.#waiter;
    if (w && w.match(reply)) w.resolve(reply);
    else this.#stats.unexpectedFrames += 1;
  }

  /** Drops a partial frame, and (unless `os` is false) the OS's unread and unsent bytes. */
  async #flush(link: SerialLink, os = true): Promise<void> {
    this.#parser.reset();
    if (!os) return;
    try {
      await this.#guard(link.flush(), 'flush', -1);
    } catch (err) {
      this.#log.debug({ err }, 'flush failed; continuing');
    }
  }

  /**
   * Bounds a port operation: a pty whose other end vanished, or a wedged USB adapter, can leave
   * a write or drain pending for ever. @throws BoardError{port_error} after the limit.
   */
  #guard<T>(p: Promise<T>, what: string, board: number): Promise<T> {
    const limitMs = Math.max(1000, this.#replyTimeoutMs * 2);
    return new Promise<T>((resolve, reject) => {
      const timer = this.#timers.setTimeout(
        () =>
          reject(
            new BoardError(
              'port_error',
              board,
              `serial ${what} did not complete in ${limitMs} ms`,
              1,
            ),
          ),
        limitMs,
      );
      p.then(
        (v) => {
          this.#timers.clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          this.#timers.clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  #requireLink(board: number): SerialLink {
    if (!this.#link)
      throw new BoardError(
        'port_closed',
        board,
        this.#lostError ? `serial port lost: ${this.#lostError.message}` : 'bus is not open',
      );
    return this.#link;
  }

  #asBoardError(err: unknown, board: number): BoardError {
    if (err instanceof BoardError) return err;
    return new BoardError('port_error', board, `serial port error: ${(err as Error).message}`, 1, {
      cause: err,
    });
  }

  #reportFault(err: BoardError): BoardError {
    if (err.kind === 'bad_request' || err.board < 0) return err;
    this.#stats.faults += 1;
    if (this.#watch.fault(err.toFault()))
      this.#log.warn({ board: err.board, kind: err.kind, attempts: err.attempts }, 'board fault');
    return err;
  }
}
