import type { SerialPort } from 'serialport';
import { KerongFrameParser, type KerongRequest } from '../../shared/board/kerong-cu16.js';
import type { FrameParserStats } from '../../shared/board/frame-error.js';
import {
  KerongBusModel,
  type EmulatedFault,
  type EmulatedLatchPolarity,
} from './kerong-bus-model.js';

/** Settings of a board emulator. */
export interface BoardEmulatorOptions {
  /** Board addresses on the emulated bus (default [0]). */
  addresses?: readonly number[];
  latchPolarity?: EmulatedLatchPolarity;
  baudRate?: number;
}

/** A request the emulator received, for tests that count retries. */
export interface ReceivedRequest {
  request: KerongRequest;
  /** Whether a reply was (or will be) sent. */
  answered: boolean;
}

/**
 * Kerong CU16 boards emulated on a serial device (one end of a socat pty pair): reads
 * requests, keeps each board's latches and occupancy, answers like the firmware would, and
 * misbehaves on demand. Controlled in-process by tests and the demo, or run by
 * `jpki-locker board emulate --port PATH`.
 */
export class BoardEmulator {
  readonly model: KerongBusModel;
  readonly received: ReceivedRequest[] = [];
  #port: SerialPort | undefined;
  #garbage: Uint8Array | undefined;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #listeners = new Set<(r: ReceivedRequest) => void>();
  readonly #parser: KerongFrameParser<'request'>;

  constructor(private readonly options: BoardEmulatorOptions = {}) {
    this.model = new KerongBusModel(options.addresses ?? [0], {
      latchPolarity: options.latchPolarity,
    });
    this.#parser = new KerongFrameParser('request', {
      onFrame: (req) => this.#onRequest(req),
    });
  }

  /** Opens the device and starts answering. */
  async attach(path: string): Promise<void> {
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({
      path,
      baudRate: this.options.baudRate ?? 19200,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    port.on('data', (chunk: Buffer) => this.#parser.push(new Uint8Array(chunk)));
    port.on('error', () => undefined);
    this.#port = port;
  }

  /** Stops answering, cancels delayed replies, closes the device; idempotent. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const port = this.#port;
    this.#port = undefined;
    if (port?.isOpen)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        port.close(() => {
          clearTimeout(t);
          resolve();
        });
      });
  }

  /** Parser counters of the emulator's receive side. */
  get parserStats(): FrameParserStats {
    return this.#parser.stats;
  }

  /** Calls `listener` for each request received; returns the unsubscribe function. */
  onRequest(listener: (r: ReceivedRequest) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Requests received for `board` (of `type`, if given). */
  count(board: number, type?: KerongRequest['type']): number {
    return this.received.filter(
      (r) =>
        'board' in r.request && r.request.board === board && (!type || r.request.type === type),
    ).length;
  }

  // ---- controls ----------------------------------------------------------------------------

  /** Makes a board misbehave (`{kind:'none'}` to heal it). */
  setFault(board: number, fault: EmulatedFault): void {
    this.model.board(board).fault = { ...fault };
  }
  /** Sends these bytes before and after every reply (undefined to stop). */
  setGarbage(bytes: Uint8Array | undefined): void {
    this.#garbage = bytes;
  }
  /** A stuck latch stays latched whatever the host commands. */
  jamLatch(board: number, lock: number, stuck = true): void {
    this.model.lock(board, lock).stuck = stuck;
  }
  /** The door is pushed shut: the latch engages. */
  closeDoor(board: number, lock: number): void {
    this.model.lock(board, lock).released = false;
  }
  /** The door is open (the latch reads released). */
  openDoor(board: number, lock: number): void {
    this.model.lock(board, lock).released = true;
  }
  putItem(board: number, lock: number): void {
    this.model.lock(board, lock).occupied = true;
  }
  takeItem(board: number, lock: number): void {
    this.model.lock(board, lock).occupied = false;
  }

  // ---- internals ---------------------------------------------------------------------------

  #onRequest(request: KerongRequest): void {
    const reply = this.model.handle(request);
    const rec: ReceivedRequest = { request, answered: reply !== undefined };
    this.received.push(rec);
    if (this.received.length > 10_000) this.received.splice(0, 5_000);
    for (const l of this.#listeners) l(rec);
    if (!reply) return;
    const send = () => {
      const port = this.#port;
      if (!port?.isOpen) return;
      const g = this.#garbage;
      const bytes = g ? Buffer.concat([g, reply.bytes, g]) : Buffer.from(reply.bytes);
      port.write(bytes);
    };
    if (reply.delayMs <= 0) send();
    else {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        send();
      }, reply.delayMs);
      this.#timers.add(t);
    }
  }
}
