/**
 * A whole core on a private database with the simulated board and a hand-driven card,
 * built through the composition root: what the unit tests, the demo scripts and the
 * benchmark build on.
 */
import { silentLogger, type Logger } from '../../log.js';
import { AuditLog } from '../../audit/audit-log.js';
import { Outbox } from '../../outbox/outbox.js';
import { openDatabase, type Db } from '../../storage/db.js';
import { SimLockerBoard } from '../../../hardware/locker-board/sim-locker-board.js';
import { BoardCompartments } from '../../adapters/board-compartments.js';
import { spkiSha256 } from '../../domain/identity.js';
import type { CertificateChecker, EventOutbox, Timers } from '../../domain/ports.js';
import { GpioDoorHardware } from '../../adapters/gpio-doors.js';
import { SimGpio } from '../../../hardware/gpio/sim-gpio.js';
import type { DoorSettings } from '../../flows/door-access.js';
import type { Ledger } from '../../flows/ledger/ledger.js';
import type { KioskState } from '../../flows/screens.js';
import type { KioskSession } from '../../kiosk/kiosk-session.js';
import { composeCore, type Core } from '../compose.js';
import {
  FixedCertificateChecker,
  ManualCardSource,
  FRONT_DOOR_GPIO,
  ManualTimers,
  type FakeJpkiCard,
} from './fakes.js';

export interface HarnessOptions {
  file?: string;
  compartments?: number;
  now?: () => Date;
  timers?: Timers;
  log?: Logger;
  hours?: { open: string; close: string };
  /** Also send every screen here (e.g. a WebServer's kiosk channel). */
  publish?: (s: KioskState) => void;
  /** Also send every door reader's screen here (e.g. a WebServer's door channels). */
  publishDoor?: (door: string, s: KioskState) => void;
  /** A real checker instead of the fixed one (benchmark). */
  checker?: CertificateChecker;
  /** Outbox bound (default 10,000,000). */
  outboxMaxEvents?: number;
  /** The outbox the core appends to (default: the real one); e.g. a fault-injecting wrapper. */
  wrapOutbox?: (outbox: Outbox) => EventOutbox;
  /** Station mode (default `locker`). */
  mode?: 'locker' | 'door' | 'both';
  /** pickup.refuseLastTry (default true). */
  refuseLastTry?: boolean;
  /** Adds door `front` on a simulated GPIO (relay, contact, exit button). */
  door?: boolean;
  /** Doors (default: door `front` with `door: true`, else none). */
  doors?: DoorSettings[];
  /** Each door with a `reader` gets its own hand-driven card source and PIN surface. */
  doorReaders?: boolean;
}

/**
 * A lockers-and-doors station whose door `front` (simulated GPIO) has its own reader `Front`,
 * with its own hand-driven card source and PIN surface beside the kiosk's.
 */
export const FRONT_DOOR_READER: HarnessOptions = {
  mode: 'both',
  door: true,
  doors: [{ id: 'front', unlockMs: 2000, heldOpenSec: 30, reader: 'Front' }],
  doorReaders: true,
};

/** Core + sim board + manual card, wired by {@link composeCore}. */
export class CoreHarness {
  readonly db: Db;
  readonly outbox: Outbox;
  readonly audit: AuditLog;
  readonly core: Core;
  readonly board: SimLockerBoard;
  readonly lockers: BoardCompartments;
  /** The simulated GPIO of door `front` (with `door: true`). */
  readonly gpio: SimGpio | undefined;
  readonly cards = new ManualCardSource();
  /** The doors' own readers (with `doorReaders`), by door id. */
  readonly doorCards = new Map<string, ManualCardSource>();
  /** Screens published on each door reader's own surface, by door id. */
  readonly doorScreens = new Map<string, KioskState[]>();
  readonly checker = new FixedCertificateChecker();
  readonly timers: Timers;
  readonly screens: KioskState[] = [];
  readonly #screenWaiters: {
    pred: (s: KioskState) => boolean;
    resolve: (s: KioskState) => void;
    /** The door reader's surface it waits on (undefined: the kiosk's). */
    door: string | undefined;
  }[] = [];
  readonly #screenListeners = new Set<(s: KioskState) => void>();
  now: () => Date;

  /** Calls `listener` with every published screen; returns the unsubscribe function. */
  onScreen(listener: (s: KioskState) => void): () => void {
    this.#screenListeners.add(listener);
    return () => this.#screenListeners.delete(listener);
  }

  constructor(options: HarnessOptions = {}) {
    const n = options.compartments ?? 4;
    this.now = options.now ?? (() => new Date());
    const now = () => this.now();
    this.timers = options.timers ?? new ManualTimers();
    this.db = openDatabase(options.file ?? ':memory:');
    this.outbox = new Outbox(this.db, {
      stationId: 'test-station',
      maxEvents: options.outboxMaxEvents ?? 10_000_000,
      now,
    });
    this.audit = new AuditLog(this.db, now);
    const wiring = Array.from({ length: n }, (_, i) => ({
      id: `A${String(i + 1).padStart(2, '0')}`,
      board: Math.floor(i / 16),
      lock: (i % 16) + 1,
    }));
    const boards = [...new Set(wiring.map((w) => w.board))].map((address) => ({
      address,
      locks: 16,
      latchPolarity: 'one-is-latched' as const,
      pulseMs: 500,
    }));
    this.board = new SimLockerBoard({ boards });
    this.lockers = new BoardCompartments(this.board, wiring, 50, this.timers);
    const manual = this.timers instanceof ManualTimers ? this.timers : undefined;
    this.gpio = options.door
      ? new SimGpio(FRONT_DOOR_GPIO, manual ? { timers: manual } : {})
      : undefined;
    const doors =
      options.doors ?? (this.gpio ? [{ id: 'front', unlockMs: 2000, heldOpenSec: 30 }] : []);
    if (options.doorReaders)
      for (const d of doors.filter((x) => x.reader)) {
        this.doorCards.set(d.id, new ManualCardSource());
        this.doorScreens.set(d.id, []);
      }
    this.core = composeCore({
      db: this.db,
      outbox: options.wrapOutbox?.(this.outbox) ?? this.outbox,
      audit: this.audit,
      station: {
        id: 'test-station',
        name: 'Test station',
        timezone: 'Asia/Tokyo',
        hours: options.hours ?? { open: '00:00', close: '00:00' },
        mode: options.mode ?? 'locker',
      },
      compartments: wiring.map((w) => ({ id: w.id, size: 'M' })),
      doors,
      doorCards: this.doorCards,
      publishDoor: (door, s) => {
        options.publishDoor?.(door, s);
        this.doorScreens.get(door)?.push(s);
        this.#publish(s, door);
      },
      doorHardware: this.gpio
        ? new GpioDoorHardware(this.gpio, [
            { id: 'front', relay: 'front-relay', contact: 'front-contact', rex: 'front-exit' },
          ])
        : undefined,
      pickup: {
        pinTimeoutSec: 60,
        doorOpenTimeoutSec: 30,
        doorLeftOpenSec: 120,
        refuseLastTry: options.refuseLastTry ?? true,
      },
      lockers: this.lockers,
      cards: this.cards,
      checker: options.checker ?? this.checker,
      publish: (s) => {
        options.publish?.(s);
        this.screens.push(s);
        for (const l of [...this.#screenListeners]) l(s);
        this.#publish(s, undefined);
      },
      now,
      timers: this.timers,
      log: options.log ?? silentLogger(),
    });
  }

  /** The ledger (every record service). */
  get ledger(): Ledger {
    return this.core.ledger;
  }

  /** The kiosk session. */
  get session(): KioskSession {
    return this.core.session!;
  }

  async start(): Promise<void> {
    await this.board.open();
    await this.lockers.start();
    await this.gpio?.start();
    this.core.doors.start();
    this.core.watch.start();
    this.session.start();
    for (const s of this.core.doorSessions.values()) s.start();
  }

  async stop(): Promise<void> {
    for (const s of [this.session, ...this.core.doorSessions.values()]) s.stop();
    await Promise.all([this.session, ...this.core.doorSessions.values()].map((s) => s.settled));
    this.core.watch.stop();
    this.core.doors.stop();
    await this.gpio?.stop();
    this.lockers.stop();
    await this.board.close();
    this.db.close();
  }

  /**
   * Resolves with the next screen matching `pred` (or `screen` name / error code) on the
   * kiosk, or on door `door`'s own surface.
   */
  next(pred: string | ((s: KioskState) => boolean), door?: string): Promise<KioskState> {
    const p =
      typeof pred === 'string' ? (s: KioskState) => s.screen === pred || s.error === pred : pred;
    return new Promise((resolve) => this.#screenWaiters.push({ pred: p, resolve, door }));
  }

  #publish(s: KioskState, door: string | undefined): void {
    for (const w of [...this.#screenWaiters]) {
      if (w.door === door && w.pred(s)) {
        this.#screenWaiters.splice(this.#screenWaiters.indexOf(w), 1);
        w.resolve(s);
      }
    }
  }

  /** Board address and lock of a compartment. */
  where(id: string): [number, number] {
    const i = Number(id.slice(1)) - 1;
    return [Math.floor(i / 16), (i % 16) + 1];
  }

  /** Assigns a delivery to the holder of `card`. */
  assign(deliveryId: string, compartment: string, card: FakeJpkiCard, deadline?: Date): void {
    const r = this.ledger.deliveries.assign({
      deliveryId,
      compartment,
      holderSpkiSha256: spkiSha256(card.cert.der),
      pickupDeadline: (deadline ?? new Date(this.now().getTime() + 48 * 3600_000)).toISOString(),
    });
    if (!r.accepted) throw new Error(`assign refused: ${r.reason}`);
  }

  /** A door rule letting the holder of `card` through `doors` at any hour (valid a day). */
  allowAtDoors(card: FakeJpkiCard, doors: string[], version = 1): void {
    const now = this.now().getTime();
    const r = this.ledger.roster.applyDoorRules({
      version,
      rules: [
        {
          ruleId: `always-${doors.join('-')}`,
          who: { certSpkiSha256: [spkiSha256(card.cert.der)] },
          doors,
          schedule: {
            timezone: 'Asia/Tokyo',
            weekly: [
              {
                days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
                from: '00:00',
                to: '24:00',
              },
            ],
          },
          validFrom: new Date(now - 3600_000).toISOString(),
          validUntil: new Date(now + 86_400_000).toISOString(),
        },
      ],
    });
    if (!r.accepted) throw new Error(`door rules refused: ${r.reason}`);
  }

  /** Marks a delivery loaded directly (skipping the staff flow). */
  loadDirect(compartment: string): void {
    this.board.putItem(...this.where(compartment));
    this.ledger.compartments.markLoaded(compartment, 'f'.repeat(64));
  }

  /** Event kinds in the outbox so far. */
  eventKinds(): string[] {
    return this.outbox.readFrom(0, 1_000_000).map((e) => e.kind);
  }
}
