/**
 * The core as a station component: at start it builds the core through the composition root
 * on the open database and the started devices, starts the locker boards, the door
 * controller and the kiosk session, and runs a once-a-minute deadline sweep. Start it after
 * storage, hardware and trust, before the MQTT gateway (which takes `core.commandHandler`,
 * `core.stateProvider`) and the web server.
 */
import type {
  CommandResult,
  ConfigChangeBody,
  OcspResponsesBody,
  CrlAvailableBody,
} from '../../shared/mqtt/commands.js';
import type { CardReader } from '../../hardware/card/card-reader.js';
import type { LockerBoard } from '../../hardware/locker-board/locker-board.js';
import type { CrlState, DeviceHealth } from '../../shared/mqtt/state.js';
import { BoardCompartments } from '../adapters/board-compartments.js';
import { ReaderCardSource } from '../adapters/card-source.js';
import { AuditLog, auditHead } from '../audit/audit-log.js';
import type { Config } from '../config/types.js';
import type {
  CardSource,
  CertificateChecker,
  DoorHardware,
  EventOutbox,
  Timers,
} from '../domain/ports.js';
import { realTimers } from '../domain/ports.js';
import type { Component } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { Db } from '../storage/db.js';
import {
  doorPublisher,
  kioskPublisher,
  registerDoorRoutes,
  registerKioskRoutes,
} from '../web/kiosk-routes.js';
import type { WebServer } from '../web/server.js';
import { composeCore, type Core } from './compose.js';

/** What the core component takes from the station (getters: valid once those started). */
export interface CoreDeps {
  db: () => Db;
  outbox: () => EventOutbox;
  checker: () => CertificateChecker;
  card?: CardReader | undefined;
  /** A card source instead of the reader (tests, demo). */
  cards?: CardSource;
  board?: LockerBoard | undefined;
  doors?: DoorHardware | undefined;
  web?: WebServer | undefined;
  crlState?: () => CrlState;
  /** Subscribes to CRL freshness changes; returns the unsubscribe function. */
  onCrlChange?: (listener: () => void) => () => void;
  health?: () => Record<string, DeviceHealth>;
  installCrl?: (body: CrlAvailableBody) => Promise<CommandResult>;
  changeConfig?: (body: ConfigChangeBody) => CommandResult;
  /** Takes relayed OCSP responses (`ocsp.responses`; default: not supported). */
  acceptOcsp?: (body: OcspResponsesBody) => CommandResult;
  now: () => Date;
  timers?: Timers;
  log: Logger;
}

/** See the module comment. */
export class CoreComponent implements Component {
  readonly name = 'domain';
  #core: Core | undefined;
  #lockers: BoardCompartments | undefined;
  #sweep: NodeJS.Timeout | undefined;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #timers: Timers;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly deps: CoreDeps,
  ) {
    this.#timers = deps.timers ?? realTimers;
    // Routes are registered now so the web server serves them from its first request.
    if (deps.web) {
      registerKioskRoutes(deps.web, () => this.#core?.session, {
        defaultLanguage: config.web.defaultLanguage,
        help: config.station.help,
      });
      registerDoorRoutes(deps.web, (door) => this.#core?.doorSessions.get(door));
    }
  }

  /** The built core. @throws before start. */
  get core(): Core {
    if (!this.#core) throw new Error('core not started');
    return this.#core;
  }

  /** The built core, or undefined before start. */
  get started(): Core | undefined {
    return this.#core;
  }

  async start(): Promise<void> {
    const { config, deps } = this;
    const db = deps.db();
    if (deps.board) {
      this.#lockers = new BoardCompartments(
        deps.board,
        config.compartments.map((c) => ({ id: c.id, board: c.board, lock: c.lock })),
        250,
        this.#timers,
      );
      await this.#lockers.start();
    }
    // The doors' own readers are theirs, never the kiosk's (each has its own PIN surface).
    const doorReaders = config.doors.filter((d) => d.reader);
    const cards =
      deps.cards ??
      (deps.card
        ? new ReaderCardSource(
            deps.card,
            deps.log,
            config.card.reader,
            doorReaders.map((d) => d.reader),
          )
        : undefined);
    const card = deps.cards ? undefined : deps.card;
    const doorCards = new Map(
      card
        ? doorReaders.map((d) => [d.id, new ReaderCardSource(card, deps.log, d.reader)] as const)
        : [],
    );
    const core = composeCore({
      db,
      outbox: deps.outbox(),
      audit: new AuditLog(db, deps.now),
      station: config.station,
      compartments: config.compartments,
      doors: config.doors.map((d) => {
        const relay = config.gpio.outputs.find((o) => o.name === d.relay);
        return {
          ...d,
          failSafe: relay?.failMode === 'safe',
          ...(relay ? { maxPulseMs: relay.maxPulseMs } : {}),
        };
      }),
      pickup: config.pickup,
      lockers: this.#lockers,
      doorHardware: deps.doors,
      cards,
      doorCards,
      checker: deps.checker(),
      publish: deps.web ? kioskPublisher(deps.web) : () => {},
      ...(deps.web ? { publishDoor: doorPublisher(deps.web) } : {}),
      ...(deps.crlState ? { crlState: deps.crlState } : {}),
      ...(deps.health ? { health: deps.health } : {}),
      auditHead: () => auditHead(db),
      ...(deps.installCrl ? { installCrl: deps.installCrl } : {}),
      ...(deps.changeConfig ? { changeConfig: deps.changeConfig } : {}),
      ...(deps.acceptOcsp ? { acceptOcsp: deps.acceptOcsp } : {}),
      now: deps.now,
      timers: this.#timers,
      log: deps.log,
    });
    this.#core = core;
    core.doors.start();
    core.watch.start();
    core.fire.start();
    // Retained state follows every change, not only commands: pickups, loading, door
    // contacts, alarms, deadline sweeps; and the CRL when its freshness changes.
    this.#unsubscribe.push(core.ledger.onStateChange((part) => core.stateProvider.changed(part)));
    if (deps.onCrlChange)
      this.#unsubscribe.push(deps.onCrlChange(() => core.stateProvider.changed('crl')));
    core.session?.start();
    for (const s of core.doorSessions.values()) s.start();
    core.ledger.deliveries.expireDue();
    const crlKey = () => JSON.stringify({ ...core.stateProvider.crl(), ageSec: null });
    let lastCrl = crlKey();
    this.#sweep = setInterval(() => {
      try {
        if (core.ledger.deliveries.expireDue().length) core.stateProvider.changed('compartments');
        const crl = crlKey();
        if (crl !== lastCrl) {
          lastCrl = crl;
          core.stateProvider.changed('crl');
        }
        core.session?.refreshIdle();
        for (const s of core.doorSessions.values()) s.refreshIdle();
      } catch (err) {
        deps.log.error({ err }, 'deadline sweep failed');
      }
    }, 60_000);
    this.#sweep.unref();
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    const core = this.#core;
    const sessions = [core?.session, ...(core?.doorSessions.values() ?? [])];
    for (const s of sessions) s?.stop();
    // Let the flows record their last attempts before storage closes.
    await Promise.all(sessions.map((s) => s?.settled));
    core?.doors.stop();
    core?.watch.stop();
    core?.fire.stop();
    this.#lockers?.stop();
  }
}
