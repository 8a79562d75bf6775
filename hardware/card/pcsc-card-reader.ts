/**
 * `CardReader` over PC/SC (pcsc-lite's pcscd) through the `pcsclite` npm binding.
 *
 * The binding's own wrapper emits `error` on the context and on every reader when pcscd dies;
 * unhandled, that kills the process. So this driver drives the native objects itself, with
 * callbacks only (no EventEmitter 'error' path): the wrapper module is loaded once for its
 * prototype patches, then `PCSCLite.start(cb)` gives the raw reader list every time it changes
 * (including the empty list), and each native `CardReader.get_status(cb)` gives card events.
 *
 * Recovery: any context-level failure (pcscd killed, restarted, socket gone) turns into a
 * `service-lost` event; every session dies with `CardReaderError('service_unavailable')`, the
 * old native objects are closed, and a new context is tried with exponential backoff until it
 * works (`service-restored`, then `reader-added` / `card-inserted` again).
 *
 * PC/SC return codes come only inside the binding's error messages (`...(0x80100069)`); this
 * driver extracts the code there, once, and maps it to typed errors (`pcscCodeOf`).
 * Source: pcsc-lite `pcsclite.h` (SCARD_* codes), MSDN "Smart Card Return Values".
 */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { commandForLog, responseForLog, transmitWithGetResponse } from '../../shared/apdu/apdu.js';
import { CardReaderError, CardRemovedError } from '../../shared/apdu/errors.js';
import type {
  CardDisposition,
  CardProtocol,
  CardReader,
  CardReaderEvent,
  CardSession,
  ConnectOptions,
  ReaderState,
} from './card-reader.js';
import { ReaderHub, SerialQueue, defaultTimers, type Timers } from './reader-hub.js';

/** PC/SC return codes this driver tells apart. */
export const PcscCode = {
  cancelled: 0x80100002,
  invalidHandle: 0x80100003,
  unknownReader: 0x80100009,
  timeout: 0x8010000a,
  sharingViolation: 0x8010000b,
  noSmartcard: 0x8010000c,
  commError: 0x80100013,
  readerUnavailable: 0x80100017,
  noService: 0x8010001d,
  serviceStopped: 0x8010001e,
  noReadersAvailable: 0x8010002e,
  unsupportedCard: 0x80100065,
  unresponsiveCard: 0x80100066,
  unpoweredCard: 0x80100067,
  resetCard: 0x80100068,
  removedCard: 0x80100069,
} as const;

/** The PC/SC code inside a binding error message, or undefined. */
export function pcscCodeOf(err: unknown): number | undefined {
  const m = /\(0x([0-9a-fA-F]{8})\)/.exec(String((err as Error | undefined)?.message ?? err));
  return m ? parseInt(m[1]!, 16) : undefined;
}

const SERVICE_CODES = new Set<number>([
  PcscCode.noService,
  PcscCode.serviceStopped,
  PcscCode.commError,
]);
const REMOVED_CODES = new Set<number>([
  PcscCode.removedCard,
  PcscCode.noSmartcard,
  PcscCode.resetCard,
  PcscCode.readerUnavailable,
  PcscCode.unknownReader,
  PcscCode.unpoweredCard,
]);

// SCARD_STATE_* bits (pcsclite.h).
const STATE_PRESENT = 0x20;
const STATE_MUTE = 0x200;
// SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0/T1, dispositions.
const SHARE_EXCLUSIVE = 1;
const PROTOCOL_T0 = 1;
const PROTOCOL_T1 = 2;
const DISPOSITION: Record<CardDisposition, number> = { leave: 0, reset: 1, unpower: 2 };

interface NativeContext {
  start(cb: (err: Error | undefined, data?: Buffer) => void): void;
  close(): number;
}
interface NativeReader {
  get_status(cb: (err: Error | undefined, state?: number, atr?: Buffer) => void): void;
  _connect(
    share: number,
    protocol: number,
    cb: (err: Error | null, protocol?: number) => void,
  ): void;
  _transmit(
    data: Buffer,
    resLen: number,
    protocol: number,
    cb: (err: Error | null, resp?: Buffer) => void,
  ): void;
  _disconnect(disposition: number, cb: (err: Error | null) => void): void;
  close(): number;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  connected: boolean;
}
interface NativeBinding {
  PCSCLite: new () => NativeContext;
  CardReader: new (name: string) => NativeReader;
}

let binding: NativeBinding | undefined;
function loadBinding(): NativeBinding {
  if (binding) return binding;
  const require = createRequire(import.meta.url);
  // Loading the wrapper patches EventEmitter methods onto the native prototypes (the native
  // status thread calls `emit('_end')`); then take the native constructors themselves.
  require('pcsclite');
  const pkg = require.resolve('pcsclite/package.json');
  binding = createRequire(pkg)('./build/Release/pcsclite.node') as NativeBinding;
  return binding;
}

export interface PcscCardReaderOptions {
  log?: Logger | undefined;
  /** Per-command timeout (default 10 000 ms). */
  transmitTimeoutMs?: number;
  /** Backoff between attempts to reach pcscd again (default 200 ms .. 5 000 ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  timers?: Timers;
}

interface ReaderEntry {
  native: NativeReader;
  session: PcscSession | undefined;
}

/** See the module comment. */
export class PcscCardReader implements CardReader {
  readonly name = 'pcsc';
  readonly #hub: ReaderHub;
  readonly #log: Logger | undefined;
  readonly #timers: Timers;
  readonly #transmitTimeoutMs: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  #context: NativeContext | undefined;
  /** Bumped for every new context: callbacks from an older one are ignored. */
  #generation = 0;
  readonly #entries = new Map<string, ReaderEntry>();
  #running = false;
  #serviceUp = false;
  #lastCause: unknown;
  #retryTimer: unknown;
  #retryMs: number;
  #firstList: (() => void) | undefined;

  constructor(options: PcscCardReaderOptions = {}) {
    this.#log = options.log;
    this.#timers = options.timers ?? defaultTimers;
    this.#transmitTimeoutMs = options.transmitTimeoutMs ?? 10_000;
    this.#minMs = options.reconnectMinMs ?? 200;
    this.#maxMs = options.reconnectMaxMs ?? 5_000;
    this.#retryMs = this.#minMs;
    this.#hub = new ReaderHub((err) => this.#log?.error({ err }, 'card reader listener threw'));
  }

  /** True while a context to pcscd works. */
  get serviceAvailable(): boolean {
    return this.#serviceUp;
  }

  /** Why the last context to pcscd failed (pcscd not running, Access denied), if it did. */
  get lastServiceError(): unknown {
    return this.#lastCause;
  }

  /**
   * Connects to pcscd and resolves once the first reader list is known. When pcscd is not
   * running it resolves too (after emitting `service-lost`) and keeps retrying in the background:
   * check `serviceAvailable`.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    if (this.#running) return;
    this.#running = true;
    await new Promise<void>((resolve) => {
      this.#firstList = resolve;
      if (!this.#open()) {
        this.#firstList = undefined;
        resolve();
      }
    });
  }

  /** Closes sessions and native objects and stops retrying. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#retryTimer !== undefined) this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const closing = [...this.#entries.values()].map((e) => e.session?.close('reset'));
    await Promise.all(closing);
    this.#teardown(new CardReaderError('closed', 'reader stopped'));
    this.#hub.clear();
  }

  readers(): ReaderState[] {
    return this.#hub.list();
  }

  onEvent(listener: (event: CardReaderEvent) => void): () => void {
    return this.#hub.subscribe(listener);
  }

  waitForCard(options?: {
    reader?: string;
    timeoutMs?: number;
    signal?: AbortSignal;
  }): Promise<ReaderState> {
    return this.#hub.waitForCard(options, this.#timers);
  }

  /** Opens an exclusive T=0/T=1 session. See `CardReader.connect`. */
  connect(options: ConnectOptions = {}): Promise<CardSession> {
    if (!this.#running || !this.#serviceUp)
      return Promise.reject(new CardReaderError('service_unavailable', 'pcscd is not reachable'));
    const name = options.reader ?? this.#hub.findCard()?.name;
    if (name === undefined)
      return Promise.reject(new CardReaderError('no_card', 'no card in any reader'));
    const entry = this.#entries.get(name);
    const state = this.#hub.get(name);
    if (!entry || !state)
      return Promise.reject(new CardReaderError('no_reader', `no reader ${name}`));
    if (!state.cardPresent)
      return Promise.reject(new CardReaderError('no_card', `no card in ${name}`));
    if (entry.session?.open)
      return Promise.reject(new CardReaderError('busy', `${name} is in use by this station`));
    const generation = this.#generation;
    return new Promise<CardSession>((resolve, reject) => {
      entry.native._connect(SHARE_EXCLUSIVE, PROTOCOL_T0 | PROTOCOL_T1, (err, proto) => {
        if (generation !== this.#generation || !this.#running) {
          reject(new CardReaderError('service_unavailable', 'context replaced during connect'));
          return;
        }
        if (err) {
          reject(mapError(err, name));
          return;
        }
        entry.native.connected = true;
        const atr = this.#hub.get(name)?.atr ?? new Uint8Array(0);
        const session = new PcscSession(
          name,
          entry.native,
          atr,
          proto ?? PROTOCOL_T1,
          this.#timers,
          this.#transmitTimeoutMs,
          this.#log,
        );
        entry.session = session;
        resolve(session);
      });
    });
  }

  /** Tries to establish a context; false when pcscd is not reachable (a retry is scheduled). */
  #open(): boolean {
    const { PCSCLite } = loadBinding();
    let ctx: NativeContext;
    try {
      ctx = new PCSCLite();
    } catch (err) {
      this.#lost(err);
      return false;
    }
    const generation = ++this.#generation;
    this.#context = ctx;
    ctx.start((err, data) => {
      if (generation !== this.#generation) return;
      if (err) {
        this.#lost(err);
        return;
      }
      if (!this.#serviceUp) {
        this.#serviceUp = true;
        this.#retryMs = this.#minMs;
        this.#log?.info('pcscd reachable');
        this.#hub.emit({ type: 'service-restored' });
      }
      this.#updateReaders(parseReaderNames(data), generation);
      const first = this.#firstList;
      this.#firstList = undefined;
      first?.();
    });
    return true;
  }

  #updateReaders(names: string[], generation: number): void {
    const { CardReader: NativeCardReader } = loadBinding();
    for (const [name, entry] of this.#entries) {
      if (names.includes(name)) continue;
      entry.session?.kill(new CardRemovedError(name));
      this.#entries.delete(name);
      closeLater(entry.native);
      this.#hub.removeReader(name);
    }
    for (const name of names) {
      if (this.#entries.has(name)) continue;
      const native = new NativeCardReader(name);
      const entry: ReaderEntry = { native, session: undefined };
      this.#entries.set(name, entry);
      native.on('_end', () => undefined);
      this.#hub.addReader(name);
      native.get_status((err, state, atr) => {
        if (generation !== this.#generation || this.#entries.get(name) !== entry) return;
        if (err) {
          const code = pcscCodeOf(err);
          if (code !== undefined && SERVICE_CODES.has(code)) this.#lost(err);
          else {
            this.#log?.warn({ reader: name, err }, 'reader status failed: reader dropped');
            entry.session?.kill(new CardRemovedError(name));
            this.#entries.delete(name);
            closeLater(native);
            this.#hub.removeReader(name);
          }
          return;
        }
        const present = ((state ?? 0) & STATE_PRESENT) !== 0 && ((state ?? 0) & STATE_MUTE) === 0;
        if (present && atr && atr.length > 0) {
          this.#hub.setCard(name, new Uint8Array(atr));
        } else if (!present) {
          entry.session?.kill(new CardRemovedError(name));
          this.#hub.setCard(name, undefined);
        }
      });
    }
  }

  /** The context failed: tell listeners once, drop everything, schedule a new context. */
  #lost(cause: unknown): void {
    const wasUp = this.#serviceUp;
    this.#serviceUp = false;
    this.#lastCause = cause;
    this.#generation++;
    this.#teardown(
      new CardReaderError('service_unavailable', 'pcscd went away', {
        cause,
        pcscCode: pcscCodeOf(cause),
      }),
    );
    this.#hub.clear();
    if (wasUp || this.#retryMs === this.#minMs) {
      this.#log?.warn({ err: cause }, 'pcscd not reachable; retrying');
      this.#hub.emit({ type: 'service-lost', cause });
    }
    const first = this.#firstList;
    this.#firstList = undefined;
    first?.();
    if (!this.#running || this.#retryTimer !== undefined) return;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, this.#maxMs);
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#running) this.#open();
    }, delay);
  }

  #teardown(err: Error): void {
    for (const entry of this.#entries.values()) {
      entry.session?.kill(err);
      closeLater(entry.native);
    }
    this.#entries.clear();
    const ctx = this.#context;
    this.#context = undefined;
    if (ctx) setImmediate(() => safeClose(ctx));
  }
}

/** Native close() joins a thread: never inside one of its own callbacks. */
function closeLater(native: { close(): number }): void {
  setImmediate(() => safeClose(native));
}

function safeClose(native: { close(): number }): void {
  try {
    native.close();
  } catch {
    // already closed
  }
}

/** `A\0B\0\0` → `['A','B']`. */
function parseReaderNames(data: Buffer | undefined): string[] {
  if (!data || data.length === 0) return [];
  return data
    .toString('utf8')
    .split('\u0000')
    .filter((n) => n.length > 0);
}

function mapError(err: unknown, reader: string): Error {
  const code = pcscCodeOf(err);
  if (code !== undefined && REMOVED_CODES.has(code))
    return new CardRemovedError(reader, { cause: err });
  if (code === PcscCode.sharingViolation)
    return new CardReaderError('busy', `${reader} is used by another application`, {
      cause: err,
      pcscCode: code,
    });
  if (code !== undefined && SERVICE_CODES.has(code))
    return new CardReaderError('service_unavailable', 'pcscd went away', {
      cause: err,
      pcscCode: code,
    });
  if (code === PcscCode.unresponsiveCard || code === PcscCode.unsupportedCard)
    return new CardReaderError('transport', `card in ${reader} does not answer`, {
      cause: err,
      pcscCode: code,
    });
  return new CardReaderError('transport', `PC/SC failure on ${reader}`, {
    cause: err,
    pcscCode: code,
  });
}

class PcscSession implements CardSession {
  readonly protocol: CardProtocol;
  #dead: Error | undefined;
  readonly #queue = new SerialQueue();
  readonly #pending = new Set<(err: Error) => void>();

  constructor(
    readonly reader: string,
    private readonly native: NativeReader,
    readonly atr: Uint8Array,
    private readonly nativeProtocol: number,
    private readonly timers: Timers,
    private readonly timeoutMs: number,
    private readonly log: Logger | undefined,
  ) {
    this.protocol =
      nativeProtocol === PROTOCOL_T0 ? 'T=0' : nativeProtocol === PROTOCOL_T1 ? 'T=1' : 'raw';
  }

  get open(): boolean {
    return this.#dead === undefined;
  }

  transmit = (command: Uint8Array): Promise<Uint8Array> =>
    this.#queue.run(() => transmitWithGetResponse((c) => this.#raw(c), command));

  #raw(command: Uint8Array): Promise<Uint8Array> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        this.#pending.delete(fail);
        this.timers.clearTimeout(timer);
        reject(err);
      };
      this.#pending.add(fail);
      const timer = this.timers.setTimeout(() => {
        this.kill(
          new CardReaderError(
            'timeout',
            `no answer from ${this.reader} within ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
      if (this.log?.isLevelEnabled('debug'))
        this.log.debug({ reader: this.reader, apdu: commandForLog(command) }, 'apdu >');
      this.native._transmit(Buffer.from(command), 258, this.nativeProtocol, (err, resp) => {
        if (settled) return;
        if (err || !resp) {
          const mapped = mapError(err, this.reader);
          if (
            mapped instanceof CardRemovedError ||
            (mapped as CardReaderError).kind === 'service_unavailable'
          )
            this.kill(mapped);
          else fail(mapped);
          return;
        }
        if (resp.length === 0) {
          // A card always answers at least SW1 SW2. An empty answer is what the IFD handler
          // gives when the link to the card broke mid-command (vpcd: the card's connection
          // closed): the card is gone as far as this session is concerned.
          this.kill(new CardRemovedError(this.reader));
          return;
        }
        settled = true;
        this.#pending.delete(fail);
        this.timers.clearTimeout(timer);
        const out = new Uint8Array(resp);
        if (this.log?.isLevelEnabled('debug'))
          this.log.debug({ reader: this.reader, apdu: responseForLog(out) }, 'apdu <');
        resolve(out);
      });
    });
  }

  /** Ends the session with `err`: pending and later calls reject with it. */
  kill(err: Error): void {
    if (this.#dead) return;
    this.#dead = err;
    for (const f of [...this.#pending]) f(err);
    this.#disconnect(DISPOSITION.leave);
  }

  close(disposition: CardDisposition = 'reset'): Promise<void> {
    if (this.#dead) return Promise.resolve();
    this.#dead = new CardReaderError('closed', 'session closed');
    for (const f of [...this.#pending]) f(this.#dead);
    return this.#disconnect(DISPOSITION[disposition]);
  }

  #disconnecting: Promise<void> | undefined;
  #disconnect(disposition: number): Promise<void> {
    this.#disconnecting ??= new Promise<void>((resolve) => {
      try {
        this.native._disconnect(disposition, () => {
          // Whatever pcscd says (a removed card answers an error), this session is over.
          this.native.connected = false;
          resolve();
        });
      } catch {
        this.native.connected = false;
        resolve();
      }
    });
    return this.#disconnecting;
  }
}
