import { readFileSync } from 'node:fs';
import type {
  CommandResult,
  ConfigChangeBody,
  CrlAvailableBody,
} from '../../shared/mqtt/commands.js';
import type { CardReader } from '../../hardware/card/card-reader.js';
import type { LockerBoard } from '../../hardware/locker-board/locker-board.js';
import { AuditLog, auditHead } from '../audit/audit-log.js';
import type { Config } from '../config/types.js';
import type { Component } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { Outbox } from '../outbox/outbox.js';
import type { Db } from '../storage/db.js';
import { decodeCertificates } from '../trust/certificate.js';
import type { RevocationSource } from '../trust/types.js';
import type { WebServer } from '../web/server.js';
import type { CrlState, DeviceHealth } from '../../shared/mqtt/state.js';
import { kioskPublisher, registerKioskRoutes } from '../web/kiosk-routes.js';
import {
  DomainCommandHandler,
  DomainStateProvider,
  PathCertificateChecker,
  ReaderCardSource,
} from './adapters.js';
import { BoardCompartments } from './board-compartments.js';
import { DoorController } from './door-controller.js';
import { KioskSession } from './kiosk-session.js';
import { LockerDomain } from './locker-domain.js';
import type { CardSource, CertificateChecker, DoorHardware, EventOutbox, Timers } from './ports.js';
import { realTimers } from './ports.js';

/** What the domain component takes from the station (getters: valid once those started). */
export interface DomainDeps {
  db: () => Db;
  card?: CardReader | undefined;
  /** A card source instead of the reader (tests, demo). */
  cards?: CardSource;
  board?: LockerBoard | undefined;
  doors?: DoorHardware | undefined;
  web?: WebServer | undefined;
  /** The outbox shared with the MQTT gateway (default: one made here, see `outbox`). */
  outbox?: () => EventOutbox;
  /** The CRL cache (trust component); without it, certificates are checked without CRLs. */
  revocation?: () => RevocationSource | undefined;
  checker?: CertificateChecker;
  /** CRL freshness for `state/crl` and the heartbeat (default: "no CRL"). */
  crlState?: () => CrlState;
  /** Subscribes to CRL freshness changes; returns the unsubscribe function. */
  onCrlChange?: (listener: () => void) => () => void;
  /** Device name -> health for the heartbeat (default: none). */
  health?: () => Record<string, DeviceHealth>;
  /** Installs the CRL a `crl.available` command names (default: not supported). */
  installCrl?: (body: CrlAvailableBody) => Promise<CommandResult>;
  /** Checks and stores a `config.change` command (default: not supported). */
  changeConfig?: (body: ConfigChangeBody) => CommandResult;
  now: () => Date;
  timers?: Timers;
  log: Logger;
}

/**
 * The locker and door domain as a station component: builds the domain on the open database,
 * the kiosk session on the card reader and locker boards, the door controller, the kiosk
 * routes and SSE channel, and a once-a-minute deadline sweep. Start it after storage,
 * hardware and trust, before the MQTT gateway (which takes `commandHandler`, `stateProvider`
 * and `outbox` from it) and the web server.
 */
export class DomainComponent implements Component {
  readonly name = 'domain';
  domain: LockerDomain | undefined;
  session: KioskSession | undefined;
  doorController: DoorController | undefined;
  commandHandler: DomainCommandHandler | undefined;
  stateProvider: DomainStateProvider | undefined;
  #outbox: EventOutbox | undefined;
  #lockers: BoardCompartments | undefined;
  #sweep: NodeJS.Timeout | undefined;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #timers: Timers;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly deps: DomainDeps,
  ) {
    this.#timers = deps.timers ?? realTimers;
    // Routes are registered now so the web server serves them from its first request.
    if (deps.web) registerKioskRoutes(deps.web, () => this.session);
  }

  /** The outbox the domain appends to (give the same one to the MQTT gateway). */
  get outbox(): EventOutbox {
    if (!this.#outbox) {
      this.#outbox =
        this.deps.outbox?.() ??
        new Outbox(this.deps.db(), {
          stationId: this.config.station.id,
          maxEvents: this.config.mqtt.outboxMaxEvents,
          now: this.deps.now,
        });
    }
    return this.#outbox;
  }

  async start(): Promise<void> {
    const { config, deps } = this;
    const log = deps.log;
    const db = deps.db();
    const domain = new LockerDomain(db, this.outbox, new AuditLog(db, deps.now), {
      stationId: config.station.id,
      compartments: config.compartments.map((c) => ({ id: c.id, size: c.size })),
      doors: config.doors.map((d) => ({ id: d.id })),
      now: deps.now,
    });
    this.domain = domain;
    if (deps.board) {
      this.#lockers = new BoardCompartments(
        deps.board,
        config.compartments.map((c) => ({ id: c.id, board: c.board, lock: c.lock })),
        250,
        this.#timers,
      );
      await this.#lockers.start();
    }
    this.doorController = new DoorController(
      domain,
      deps.doors,
      config.doors.map((d) => ({ id: d.id, unlockMs: d.unlockMs, heldOpenSec: d.heldOpenSec })),
      log.child({ component: 'doors' }),
      this.#timers,
    );
    this.doorController.start();
    const anchors = config.trust.authAnchors.flatMap((f) => {
      try {
        return decodeCertificates(new Uint8Array(readFileSync(f)), f);
      } catch (err) {
        log.error({ err, file: f }, 'cannot read an authentication anchor');
        return [];
      }
    });
    const checker =
      deps.checker ?? new PathCertificateChecker(() => anchors, deps.revocation?.() ?? undefined);
    const cards = deps.cards ?? (deps.card ? new ReaderCardSource(deps.card, log) : undefined);
    const publish = deps.web ? kioskPublisher(deps.web) : () => {};
    const crlState =
      deps.crlState ??
      ((): CrlState => ({ ageSec: null, thisUpdate: null, nextUpdate: null, stale: false }));
    this.stateProvider = new DomainStateProvider(
      domain,
      crlState,
      deps.health ?? (() => ({})),
      () => auditHead(db),
    );
    // Retained state follows every change, not only commands: pickups, loading, door
    // contacts, alarms, deadline sweeps; and the CRL when its freshness changes.
    this.#unsubscribe.push(domain.onStateChange((part) => this.stateProvider?.changed(part)));
    if (deps.onCrlChange)
      this.#unsubscribe.push(deps.onCrlChange(() => this.stateProvider?.changed('crl')));
    let lastCrl = JSON.stringify({ ...crlState(), ageSec: null });
    this.commandHandler = new DomainCommandHandler(
      domain,
      async (id, actor) => {
        const r = await this.#lockers?.unlock(id);
        domain.recordActuation('compartment', id, 'remote', r?.opened ?? false, actor);
        return r?.opened ?? false;
      },
      this.doorController,
      (part) => this.stateProvider?.changed(part),
      deps.installCrl,
      deps.changeConfig,
    );
    if (cards) {
      this.session = new KioskSession(
        domain,
        cards,
        checker,
        this.#lockers,
        this.doorController,
        publish,
        log.child({ component: 'kiosk' }),
        {
          stationName: config.station.name,
          timezone: config.station.timezone,
          hours: config.station.hours,
          mode: config.station.mode,
          pinTimeoutSec: config.pickup.pinTimeoutSec,
          doorOpenTimeoutSec: config.pickup.doorOpenTimeoutSec,
          doorLeftOpenSec: config.pickup.doorLeftOpenSec,
          now: deps.now,
          timers: this.#timers,
        },
      );
      this.session.start();
    }
    domain.expireDue();
    this.#sweep = setInterval(() => {
      try {
        if (domain.expireDue().length) this.stateProvider?.changed('compartments');
        const crl = JSON.stringify({ ...crlState(), ageSec: null });
        if (crl !== lastCrl) {
          lastCrl = crl;
          this.stateProvider?.changed('crl');
        }
        this.session?.refreshIdle();
      } catch (err) {
        log.error({ err }, 'deadline sweep failed');
      }
    }, 60_000);
    this.#sweep.unref();
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    this.session?.stop();
    // Let the flow record its last attempt before storage closes.
    await this.session?.settled;
    this.doorController?.stop();
    this.#lockers?.stop();
    this.session = undefined;
  }
}
