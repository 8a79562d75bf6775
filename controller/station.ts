import type { Config } from './config/types.js';
import { isLoopbackHost } from './config/load.js';
import { ComponentGroup, type Component } from './lifecycle.js';
import type { Logger } from './log.js';
import { StorageComponent } from './storage/storage-component.js';
import { createHardware, HardwareLossWatch, type HardwareSet } from './hardware.js';
import { WebServer } from './web/server.js';
import { doorChannel } from './web/kiosk-routes.js';
import { CoreComponent } from './app/core-component.js';
import { TrustCertificateChecker } from './adapters/certificate-checker.js';
import { GpioDoorHardware } from './adapters/gpio-doors.js';
import { crlStateOf, deviceHealthOf } from './adapters/station-state.js';
import { TrustComponent } from './trust/trust-component.js';
import { installAvailableCrl } from './trust/crl-command.js';
import { acceptRelayedOcsp } from './trust/ocsp/relay-command.js';
import { MetaRepository } from './storage/meta-repository.js';
import { checkConfigChange, OVERRIDES_META_KEY, type StoredOverrides } from './config/overrides.js';
import { MqttGateway } from './mqtt/gateway.js';
import { CommandCrl } from './mqtt/command-crl.js';
import { AnchorCommandSignerTrust } from './mqtt/signer-trust.js';
import { Outbox } from './outbox/outbox.js';
import { LazyComponent } from './lifecycle.js';
import { HealthMonitor } from './health-monitor.js';
import { Secret } from '../shared/secret.js';
import { VERSION } from './version.js';
import { readFileSync } from 'node:fs';
import { RetentionJob } from './retention/retention-job.js';
import { loadStationSigner, type StationSigner } from './audit/checkpoint.js';

/** Things the station takes from outside so tests can replace them. */
export interface StationOptions {
  now?: () => Date;
  /** Devices to use instead of building them from the configuration (demo, tests). */
  hardware?: Partial<HardwareSet>;
  /** Components started before everything else, e.g. the demo's embedded broker. */
  preComponents?: (station: Station) => Component[];
  /** Extra components appended after the built-in ones (tests, demo). */
  extraComponents?: (station: Station) => Component[];
}

/**
 * The daemon: builds its components from the frozen configuration and runs them in order —
 * every lock output driven to locked, then storage, the card reader, the domain and the rest. Holds no global state.
 */
export class Station {
  readonly storage: StorageComponent;
  /** The devices (card reader, locker boards, GPIO), as configured or injected. */
  readonly hardware: HardwareSet;
  /** The kiosk web server, when `web.enabled`. */
  readonly web: WebServer | undefined;
  /** The core: ledger, flows, door controller, kiosk session (built by app/compose.ts). */
  readonly core: CoreComponent;
  /** Trust anchors and the CRL cache. */
  readonly trust: TrustComponent;
  /** Alarms from the station's own health (CRL, boards, reader, disk, clock, tamper). */
  readonly health: HealthMonitor;
  /** The back-office link (built at start, when `mqtt.enabled`). */
  readonly mqtt: LazyComponent<MqttGateway>;
  /** The nightly retention job (signed audit checkpoint, then pruning). */
  readonly retention: RetentionJob;
  readonly #group: ComponentGroup;
  readonly now: () => Date;

  constructor(
    readonly config: Readonly<Config>,
    readonly log: Logger,
    options: StationOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.storage = new StorageComponent(
      config.storage.path,
      config.storage.busyTimeoutMs,
      log.child({ component: 'storage' }),
      this.now,
    );
    const hw = createHardware(config, log, options.hardware);
    this.hardware = hw.set;
    // Every lock output driven to locked before anything else starts (even storage).
    const components: Component[] = [
      hw.locks,
      ...(options.preComponents?.(this) ?? []),
      this.storage,
      hw.card,
    ];
    this.trust = new TrustComponent({
      config: config.trust,
      db: () => this.storage.db,
      log: log.child({ component: 'trust' }),
      now: this.now,
      clockSkewSec: config.mqtt.clockSkewSec,
    });
    components.push(this.trust);
    // Hardware lost at run time: outputs locked, then the shell stops with exit code 3.
    components.push(
      new HardwareLossWatch(
        this.hardware,
        () => hw.locks.lockAll(),
        (err) => this.reportFatal(err),
        log.child({ component: 'hardware' }),
      ),
    );
    components.push(...(options.extraComponents?.(this) ?? []));
    // Web server built first so the domain can register the kiosk routes; started last.
    let web: WebServer | undefined;
    if (config.web.enabled) {
      const sim = config.web.simulator;
      // `/door?door=<id>`: a door reader's own PIN surface (the same page on that door's channel).
      const pages: Record<string, string> = { '/': 'kiosk.html', '/door': 'kiosk.html' };
      if (sim) pages['/simulator'] = 'simulator.html';
      web = new WebServer(
        {
          host: config.web.host,
          port: config.web.port,
          pages,
          // Only the kiosk's own files; the simulator's only when the simulator is on (demo).
          files: [
            'kiosk.js',
            'kiosk.css',
            'scanner.js',
            ...(sim ? ['simulator.js', 'simulator.css'] : []),
          ],
          channels: [
            'kiosk',
            ...config.doors.filter((d) => d.reader).map((d) => doorChannel(d.id)),
            ...(sim ? ['sim'] : []),
          ],
          strict: true,
        },
        log.child({ component: 'web' }),
      );
      if (!isLoopbackHost(config.web.host))
        log.warn(
          { host: config.web.host },
          'web.allowRemote: the kiosk API listens beyond loopback; anyone on that network can reach it',
        );
    }
    this.core = new CoreComponent(config, {
      db: () => this.storage.db,
      // The card check goes through the trust component: its anchors and revocationFor apply.
      checker: () => new TrustCertificateChecker(this.trust),
      card: this.hardware.card,
      board: this.hardware.board,
      doors: this.hardware.gpio
        ? new GpioDoorHardware(this.hardware.gpio, config.doors, log.child({ component: 'doors' }))
        : undefined,
      web,
      installCrl: (body) => installAvailableCrl(this.trust, body),
      acceptOcsp: (body) => acceptRelayedOcsp(this.trust, body),
      changeConfig: (body) => {
        const meta = new MetaRepository(this.storage.db);
        const raw = meta.get(OVERRIDES_META_KEY);
        const { result, store } = checkConfigChange(
          config,
          raw ? (JSON.parse(raw) as StoredOverrides) : undefined,
          body,
        );
        if (store) meta.set(OVERRIDES_META_KEY, JSON.stringify(store));
        return result;
      },
      outbox: () => this.outbox,
      crlState: () => crlStateOf(this.trust.freshness(), this.now()),
      onCrlChange: (listener) => this.trust.onFreshnessChange(() => listener()),
      health: () =>
        deviceHealthOf({
          ...this.hardware,
          boards: config.board.boards.length,
          faultedBoards: hw.locks.faultedBoards(),
        }),
      now: this.now,
      log: log.child({ component: 'domain' }),
    });
    components.push(this.core);
    this.health = new HealthMonitor({
      alarms: () => this.core.core.ledger.alarms,
      trust: this.trust,
      card: this.hardware.card,
      board: this.hardware.board,
      faultedBoards: () => hw.locks.faultedBoards(),
      gpio: this.hardware.gpio,
      tamperInputs: config.gpio.inputs.filter((i) => i.kind === 'tamper').map((i) => i.name),
      storagePath: config.storage.path,
      now: this.now,
      log: log.child({ component: 'health' }),
    });
    components.push(this.health);
    this.retention = new RetentionJob(config.retention, {
      db: () => this.storage.db,
      outbox: () => this.outbox,
      signer: () => this.#stationSigner(),
      stationId: config.station.id,
      timezone: config.station.timezone,
      now: this.now,
      log: log.child({ component: 'retention' }),
    });
    components.push(this.retention);
    this.mqtt = new LazyComponent('mqtt', () =>
      config.mqtt.enabled ? this.#buildGateway() : undefined,
    );
    components.push(this.mqtt);
    if (web) {
      this.web = web;
      this.web.route('GET', '/api/station', () => ({
        id: config.station.id,
        name: config.station.name,
        hours: config.station.hours,
        timezone: config.station.timezone,
        defaultLanguage: config.web.defaultLanguage,
        mode: config.station.mode,
      }));
      components.push(this.web);
    }
    this.#group = new ComponentGroup(components, log);
  }

  #signer: StationSigner | undefined;
  /**
   * The station's own key and certificate (station.signingKey/signingCert), read once: it
   * signs what the station publishes and the audit checkpoints. Undefined without a key.
   */
  #stationSigner(): StationSigner | undefined {
    const { signingKey, signingCert } = this.config.station;
    if (!signingKey) return undefined;
    this.#signer ??= loadStationSigner(signingKey, signingCert);
    return this.#signer;
  }

  #outbox: Outbox | undefined;
  /** The event outbox shared by the domain (writer) and the MQTT gateway (sender). */
  get outbox(): Outbox {
    this.#outbox ??= new Outbox(this.storage.db, {
      stationId: this.config.station.id,
      maxEvents: this.config.mqtt.outboxMaxEvents,
      now: this.now,
    });
    return this.#outbox;
  }

  #buildGateway(): MqttGateway {
    const { config } = this;
    const m = config.mqtt;
    const read = (file: string) => (file ? readFileSync(file) : undefined);
    const tls =
      m.ca || m.cert ? { ca: read(m.ca), cert: read(m.cert), key: read(m.key) } : undefined;
    const t = config.trust;
    const commandCrl =
      // Without command anchors no command is trusted anyway: no CRL to ask for.
      t.commandRevocation !== 'off' && t.commandAnchors.length > 0
        ? new CommandCrl(() => this.trust.anchors.command, new MetaRepository(this.storage.db), {
            toleranceHours: t.crlToleranceHours,
            toleranceHoursByIssuer: t.crlToleranceHoursByAnchor,
            now: this.now,
          })
        : undefined;
    return new MqttGateway(
      {
        stationId: config.station.id,
        url: m.url,
        protocolVersion: m.protocolVersion,
        ...(m.clientId ? { clientId: m.clientId } : {}),
        ...(m.username ? { username: m.username, password: new Secret(m.password) } : {}),
        ...(tls ? { tls } : {}),
        topicPrefix: m.topicPrefix,
        heartbeatSec: m.heartbeatSec,
        reconnectMinMs: m.reconnectMinMs,
        reconnectMaxMs: m.reconnectMaxMs,
        clockSkewSec: m.clockSkewSec,
        maxCommandLifetimeSec: m.maxCommandLifetimeSec,
        maxInflight: m.maxInflight,
        commandCrlFiles: t.commandCrlFiles ?? [],
        version: VERSION,
      },
      {
        db: this.storage.db,
        outbox: this.outbox,
        handler: this.core.core.commandHandler,
        state: this.core.core.stateProvider,
        // Command signers are checked by the trust engine against trust.commandAnchors: with
        // the command CA's CRL by default (trust.commandRevocation), else with the CRL cache
        // when trust.revocationFor lists `command`.
        signerTrust: commandCrl
          ? new AnchorCommandSignerTrust(this.trust.anchors.command, commandCrl)
          : {
              check: (chain, at) => {
                if (chain.length === 0) return { valid: false, reason: 'unknown_issuer' };
                const r = this.trust.verify({
                  leaf: chain[0]!,
                  intermediates: chain.slice(1),
                  purpose: 'command',
                  at,
                });
                return { valid: r.valid, reason: r.reason };
              },
            },
        ...(commandCrl ? { commandCrl } : {}),
        log: this.log.child({ component: 'mqtt' }),
        now: this.now,
        // Everything the station publishes is signed with its key (docs/mqtt.md).
        ...(config.station.signingKey ? { stationSigner: this.#stationSigner()! } : {}),
      },
    );
  }

  /** Starts everything; on abort or failure, stops what started and rethrows. */
  start(signal: AbortSignal): Promise<void> {
    return this.#group.start(signal);
  }

  stop(): Promise<void> {
    return this.#group.stop();
  }

  readonly #fatalListeners = new Set<(err: Error) => void>();
  /** Components call this when the station cannot go on (lost hardware); the shell stops it. */
  reportFatal(err: Error): void {
    this.log.fatal({ err }, 'fatal error');
    for (const l of this.#fatalListeners) l(err);
  }
  /** Subscribes to fatal errors; returns the unsubscribe function. */
  onFatal(listener: (err: Error) => void): () => void {
    this.#fatalListeners.add(listener);
    return () => this.#fatalListeners.delete(listener);
  }
}
