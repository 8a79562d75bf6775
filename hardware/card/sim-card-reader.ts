/**
 * A simulated card reader for unit tests and the demo. Instance-scoped (no module registry):
 * every `SimCardReader` has its own readers and cards. It keeps the `CardReader` contract
 * (queued transmits, `CardRemovedError` after removal, T=0 GET RESPONSE handling) and adds
 * test controls: `insert()`, `remove()`, `addReader()`, `removeReader()`, `loseService()`,
 * `restoreService()`, and a log of the commands each card received (`sent`).
 *
 * The card itself is any responder `(command) => response` the caller injects (hardware must
 * not import firmware-host): the demo and the tests plug in the virtual JPKI card from
 * firmware-host/jpki-card.
 */
import { transmitWithGetResponse } from '../../shared/apdu/apdu.js';
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

/** A simulated card: its ATR and a responder for command APDUs. */
export interface SimCard {
  atr: Uint8Array;
  /** Answers one command APDU with the full response (data + SW). May be async (slow card). */
  respond(command: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Called on a warm reset or power-up (session start and `reset`/`unpower` close). */
  reset?(): void;
  /** Default `T=1`. A `T=0` card may answer `61 XX` and rely on GET RESPONSE. */
  protocol?: CardProtocol;
}

export interface SimCardReaderOptions {
  /** Reader names present from the start (default one: `Sim Reader 0`). */
  readers?: string[];
  /** Per-command timeout (default 10 000 ms). */
  transmitTimeoutMs?: number;
  timers?: Timers;
}

interface Slot {
  card: SimCard | undefined;
  session: SimSession | undefined;
  /** Commands received by the card now in this slot (cleared on insert). */
  sent: Uint8Array[];
}

/** See the module comment. */
export class SimCardReader implements CardReader {
  readonly name = 'sim';
  readonly #hub = new ReaderHub(() => undefined);
  readonly #slots = new Map<string, Slot>();
  readonly #timers: Timers;
  readonly #transmitTimeoutMs: number;
  #started = false;
  #serviceUp = true;

  constructor(options: SimCardReaderOptions = {}) {
    this.#timers = options.timers ?? defaultTimers;
    this.#transmitTimeoutMs = options.transmitTimeoutMs ?? 10_000;
    for (const r of options.readers ?? ['Sim Reader 0'])
      this.#slots.set(r, { card: undefined, session: undefined, sent: [] });
  }

  /** Makes the readers (and any inserted cards) visible; emits their events. */
  start(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#started) return Promise.resolve();
    this.#started = true;
    if (this.#serviceUp) this.#publishAll();
    return Promise.resolve();
  }

  /** Ends every session (pending calls reject with `closed`) and hides the readers. Idempotent. */
  stop(): Promise<void> {
    if (!this.#started) return Promise.resolve();
    this.#started = false;
    for (const slot of this.#slots.values())
      slot.session?.kill(new CardReaderError('closed', 'reader stopped'));
    this.#hub.clear();
    return Promise.resolve();
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

  connect(options: ConnectOptions = {}): Promise<CardSession> {
    if (!this.#started || !this.#serviceUp)
      return Promise.reject(
        new CardReaderError('service_unavailable', 'simulated service is down'),
      );
    const name = options.reader ?? this.#hub.findCard()?.name;
    if (name === undefined)
      return Promise.reject(new CardReaderError('no_card', 'no card in any reader'));
    const slot = this.#slots.get(name);
    if (!slot) return Promise.reject(new CardReaderError('no_reader', `no reader ${name}`));
    if (!slot.card) return Promise.reject(new CardReaderError('no_card', `no card in ${name}`));
    if (slot.session?.open) return Promise.reject(new CardReaderError('busy', `${name} is in use`));
    slot.card.reset?.();
    const session = new SimSession(name, slot, slot.card, this.#timers, this.#transmitTimeoutMs);
    slot.session = session;
    return Promise.resolve(session);
  }

  // ---- test controls ----

  /** Puts a card into a reader (default: the first reader). Replaces a card already there. */
  insert(card: SimCard, reader?: string): void {
    const name = reader ?? this.#firstReader();
    const slot = this.#slot(name);
    if (slot.card) this.remove(name);
    slot.card = card;
    slot.sent = [];
    card.reset?.();
    if (this.#started && this.#serviceUp) this.#hub.setCard(name, card.atr);
  }

  /** Pulls the card out: its session dies, a pending call rejects with `CardRemovedError`. */
  remove(reader?: string): void {
    const name = reader ?? this.#firstReader();
    const slot = this.#slot(name);
    slot.session?.kill(new CardRemovedError(name));
    slot.session = undefined;
    slot.card = undefined;
    this.#hub.setCard(name, undefined);
  }

  /** Plugs in a reader. */
  addReader(name: string): void {
    if (!this.#slots.has(name))
      this.#slots.set(name, { card: undefined, session: undefined, sent: [] });
    if (this.#started && this.#serviceUp) this.#hub.addReader(name);
  }

  /** Unplugs a reader (its card counts as removed). */
  removeReader(name: string): void {
    const slot = this.#slots.get(name);
    if (!slot) return;
    slot.session?.kill(new CardRemovedError(name));
    this.#slots.delete(name);
    this.#hub.removeReader(name);
  }

  /** Simulates the PC/SC service dying: sessions fail, readers vanish, `service-lost` fires. */
  loseService(): void {
    if (!this.#serviceUp) return;
    this.#serviceUp = false;
    for (const slot of this.#slots.values())
      slot.session?.kill(new CardReaderError('service_unavailable', 'simulated service lost'));
    this.#hub.clear();
    this.#hub.emit({ type: 'service-lost', cause: 'simulated' });
  }

  /** Brings the simulated service back: `service-restored`, then the readers and cards again. */
  restoreService(): void {
    if (this.#serviceUp) return;
    this.#serviceUp = true;
    this.#hub.emit({ type: 'service-restored' });
    if (this.#started) this.#publishAll();
  }

  /** Commands the card in `reader` received since it was inserted (copies). */
  sent(reader?: string): Uint8Array[] {
    return this.#slot(reader ?? this.#firstReader()).sent.map((c) => Uint8Array.from(c));
  }

  #publishAll(): void {
    for (const [name, slot] of this.#slots) {
      this.#hub.addReader(name);
      if (slot.card) this.#hub.setCard(name, slot.card.atr);
    }
  }

  #firstReader(): string {
    const first = [...this.#slots.keys()].sort()[0];
    if (first === undefined) throw new CardReaderError('no_reader', 'no simulated reader');
    return first;
  }

  #slot(name: string): Slot {
    const slot = this.#slots.get(name);
    if (!slot) throw new CardReaderError('no_reader', `no reader ${name}`);
    return slot;
  }
}

class SimSession implements CardSession {
  readonly atr: Uint8Array;
  readonly protocol: CardProtocol;
  #open = true;
  #dead: Error | undefined;
  readonly #queue = new SerialQueue();
  readonly #pending = new Set<(err: Error) => void>();

  constructor(
    readonly reader: string,
    private readonly slot: Slot,
    private readonly card: SimCard,
    private readonly timers: Timers,
    private readonly timeoutMs: number,
  ) {
    this.atr = Uint8Array.from(card.atr);
    this.protocol = card.protocol ?? 'T=1';
  }

  get open(): boolean {
    return this.#open;
  }

  transmit = (command: Uint8Array): Promise<Uint8Array> =>
    this.#queue.run(() => transmitWithGetResponse((c) => this.#raw(c), command));

  #raw(command: Uint8Array): Promise<Uint8Array> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise<Uint8Array>((resolve, reject) => {
      const fail = (err: Error): void => {
        this.#pending.delete(fail);
        this.timers.clearTimeout(timer);
        reject(err);
      };
      this.#pending.add(fail);
      const timer = this.timers.setTimeout(() => {
        this.kill(new CardReaderError('timeout', `no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.slot.sent.push(Uint8Array.from(command));
      Promise.resolve()
        .then(() => this.card.respond(Uint8Array.from(command)))
        .then(
          (resp) => {
            if (!this.#pending.has(fail)) return;
            this.#pending.delete(fail);
            this.timers.clearTimeout(timer);
            resolve(Uint8Array.from(resp));
          },
          (err: unknown) =>
            fail(new CardReaderError('transport', 'simulated card failed', { cause: err })),
        );
    });
  }

  /** Ends the session with `err`: pending and later calls reject with it. */
  kill(err: Error): void {
    if (this.#dead) return;
    this.#dead = err;
    this.#open = false;
    for (const f of [...this.#pending]) f(err);
  }

  close(disposition: CardDisposition = 'reset'): Promise<void> {
    if (this.#open && disposition !== 'leave') this.card.reset?.();
    this.kill(new CardReaderError('closed', 'session closed'));
    if (this.slot.session === this) this.slot.session = undefined;
    return Promise.resolve();
  }
}
