/**
 * Plugs a virtual card into a real pcscd through the vsmartcard `vpcd` driver.
 *
 * Wire protocol (both directions): a 2-byte big-endian length, then the payload.
 * ```
 * vpcd -> card: 1 byte  = control: 00 power off, 01 power on, 02 reset, 04 get ATR
 *               n bytes = a command APDU
 * card -> vpcd: the ATR (answer to 04 only), or the response APDU (data + SW1 SW2)
 * ```
 * The card is "inserted" while the TCP connection is open and "removed" when it closes.
 * Source: vsmartcard `virtualsmartcard/src/vpcd/vpcd.c` and `vpicc/virtualsmartcard/
 * VirtualSmartcard.py` (`VPCD_CTRL_*`); /work/shared/reference/platform-notes.md.
 *
 * Fault injection for tests: slow answers (`delayMs`), garbage instead of an answer, and
 * removal in the middle of an APDU (the connection closes after a command arrives, before
 * any answer).
 */
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { commandForLog, responseForLog } from '../../shared/apdu/apdu.js';

/** What the connector needs from a card. */
export interface VpcdCard {
  readonly atr: Uint8Array;
  process(command: Uint8Array): Uint8Array;
  reset(): void;
}

/** Faults to inject; each predicate sees the command APDU. */
export interface VpcdFaults {
  /** Delay every answer by this many ms. */
  delayMs?: number;
  /** Answer with random bytes instead of the card's answer when this returns true. */
  garbageWhen?: (command: Uint8Array) => boolean;
  /** Drop the connection (card pulled out) when this returns true, before answering. */
  removeWhen?: (command: Uint8Array) => boolean;
}

export interface VpcdConnectorOptions {
  host?: string;
  /** vpcd port (default 35963, the first virtual reader). */
  port?: number;
  log?: Logger;
  /**
   * When the link drops without `remove()` (pcscd restarted), connect again every this many ms
   * until it works. 0 (default) = do not reconnect.
   */
  reconnectMs?: number;
  /** Random source for garbage answers. */
  random?: (n: number) => Uint8Array;
}

/** vpcd control codes. */
export const VpcdControl = { powerOff: 0x00, powerOn: 0x01, reset: 0x02, getAtr: 0x04 } as const;

/** See the module comment. */
export class VpcdConnector {
  readonly host: string;
  readonly port: number;
  #socket: Socket | undefined;
  #wanted = false;
  #faults: VpcdFaults = {};
  #buffer = Buffer.alloc(0);
  #chain: Promise<void> = Promise.resolve();
  #retry: ReturnType<typeof setTimeout> | undefined;
  readonly #listeners = new Set<(e: 'connected' | 'disconnected') => void>();

  constructor(
    private readonly card: VpcdCard,
    private readonly options: VpcdConnectorOptions = {},
  ) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 35963;
  }

  /** True while the TCP link to vpcd is open (the card is in the reader). */
  get inserted(): boolean {
    return this.#socket !== undefined;
  }

  /** Replaces the active faults (`{}` clears them). */
  setFaults(faults: VpcdFaults): void {
    this.#faults = { ...faults };
  }

  /** Subscribes to link changes; returns the unsubscribe function. */
  onLink(listener: (e: 'connected' | 'disconnected') => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Inserts the card: connects to vpcd. Rejects when vpcd does not accept (unless reconnecting). */
  insert(): Promise<void> {
    this.#wanted = true;
    if (this.#socket) return Promise.resolve();
    return this.#connect();
  }

  /** Pulls the card out: closes the link, stops reconnecting. Resolves when closed. */
  remove(): Promise<void> {
    this.#wanted = false;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    const s = this.#socket;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      s.destroy();
    });
  }

  #connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const s = new Socket();
      s.setNoDelay(true);
      let connected = false;
      s.once('connect', () => {
        connected = true;
        this.#socket = s;
        this.#buffer = Buffer.alloc(0);
        this.card.reset();
        this.options.log?.info({ host: this.host, port: this.port }, 'card inserted into vpcd');
        this.#emit('connected');
        resolve();
      });
      s.on('data', (chunk: Buffer) => this.#onData(s, chunk));
      s.on('error', (err) => {
        if (!connected) {
          if (this.#wanted && (this.options.reconnectMs ?? 0) > 0) {
            this.#scheduleReconnect();
            resolve();
          } else reject(err);
        }
      });
      s.on('close', () => {
        if (this.#socket === s) {
          this.#socket = undefined;
          this.card.reset();
          this.options.log?.info('card removed from vpcd');
          this.#emit('disconnected');
          if (this.#wanted) this.#scheduleReconnect();
        }
      });
      s.connect(this.port, this.host);
    });
  }

  #scheduleReconnect(): void {
    const ms = this.options.reconnectMs ?? 0;
    if (ms <= 0 || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#wanted && !this.#socket)
        void this.#connect().catch(() => this.#scheduleReconnect());
    }, ms);
  }

  #emit(e: 'connected' | 'disconnected'): void {
    for (const l of [...this.#listeners]) {
      try {
        l(e);
      } catch {
        // listeners must not break the link
      }
    }
  }

  #onData(s: Socket, chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 2) {
      const len = this.#buffer.readUInt16BE(0);
      if (this.#buffer.length < 2 + len) break;
      const msg = new Uint8Array(this.#buffer.subarray(2, 2 + len));
      this.#buffer = this.#buffer.subarray(2 + len);
      this.#chain = this.#chain.then(() => this.#handle(s, msg));
    }
  }

  async #handle(s: Socket, msg: Uint8Array): Promise<void> {
    if (s.destroyed) return;
    if (msg.length === 1) {
      switch (msg[0]) {
        case VpcdControl.powerOff:
        case VpcdControl.powerOn:
        case VpcdControl.reset:
          this.card.reset();
          return;
        case VpcdControl.getAtr:
          this.#send(s, this.card.atr);
          return;
        default:
          return;
      }
    }
    const f = this.#faults;
    if (f.removeWhen?.(msg)) {
      this.options.log?.info('fault: card pulled out mid-APDU');
      this.#wanted = false;
      s.destroy();
      return;
    }
    if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
    if (s.destroyed) return;
    let resp: Uint8Array;
    if (f.garbageWhen?.(msg)) {
      const n = 1 + Math.floor(Math.random() * 40);
      resp =
        this.options.random?.(n) ??
        Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256));
    } else resp = this.card.process(msg);
    if (this.options.log?.isLevelEnabled('debug'))
      this.options.log.debug(
        { command: commandForLog(msg), response: responseForLog(resp) },
        'vpcd apdu',
      );
    this.#send(s, resp);
  }

  #send(s: Socket, payload: Uint8Array): void {
    const head = Buffer.alloc(2);
    head.writeUInt16BE(payload.length, 0);
    s.write(Buffer.concat([head, Buffer.from(payload)]));
  }
}
