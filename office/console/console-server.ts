/**
 * The operator console: one MQTT client subscribed to every station's presence, retained
 * state, heartbeats, events and command answers (shared/mqtt `fleetTopics`), a bounded
 * {@link FleetModel}, accounts and history in its data folder, and a web dashboard
 * (office/console/static) behind {@link ConsoleHttp} (login, CSRF, Host allowlist, CSP).
 *
 * The MQTT session is persistent (clean start false, a stable client id kept in the data
 * folder, MQTT 5 session expiry): what stations publish while the console is down waits at
 * the broker. With `shareGroup`, events are taken through `$share/<group>/...` so that of
 * several instances sharing one database, exactly one stores each event.
 *
 * Updates reach pages in batches: one SSE message per `flushMs` ({ rev, now, stations,
 * events, alarms, actions, approvals }), never one per MQTT message. A page loads
 * `/api/snapshot` (with the same `rev` counter) and applies later deltas on top.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { CommandResponse } from '../../shared/mqtt/commands.js';
import type { EventMessage } from '../../shared/mqtt/events.js';
import type { HeartbeatMessage } from '../../shared/mqtt/state.js';
import {
  STATION_SIGNATURE_PROPERTY,
  verifyStationSignature,
  type StationSignatureStatus,
} from '../../shared/mqtt/station-signature.js';
import { DEFAULT_TOPIC_PREFIX, fleetTopics, parseTopic } from '../../shared/mqtt/topics.js';
import type { Secret } from '../../shared/secret.js';
import type { Logger } from '../log.js';
import { AccountStore, type AccountPolicy } from './accounts.js';
import { ActionLog } from './action-log.js';
import { ConsoleActions, type ActionRecord } from './actions.js';
import {
  ApprovalQueue,
  DEFAULT_APPROVAL_POLICY,
  type ApprovalPolicy,
  type ApprovalRequest,
} from './approvals.js';
import { alarmOccurrenceKey, FleetModel, type FleetOptions } from './fleet.js';
import { HeartbeatSeries } from './fleet-stats.js';
import type { HistoryStore } from './history.js';
import { SqliteHistory } from './history-sqlite.js';
import { ConsoleHttp, isLoopback } from './http.js';
import { registerConsoleRoutes } from './routes.js';
import type { ConsoleSigner } from './signer.js';
import { CommandCrlPublisher } from './command-crl-publisher.js';

/** The dashboard's files. */
export const CONSOLE_STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

/** The charting library (uPlot, from node_modules), served as files of our own origin. */
const CHART_LIBRARY_FILES: Record<string, string> = (() => {
  const dir = path.dirname(createRequire(import.meta.url).resolve('uplot'));
  return {
    '/vendor/uPlot.iife.min.js': path.join(dir, 'uPlot.iife.min.js'),
    '/vendor/uPlot.min.css': path.join(dir, 'uPlot.min.css'),
  };
})();

/** Settings of the console. */
export interface ConsoleServerOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
  brokerUrl: string;
  protocolVersion?: 4 | 5;
  /** Default: a stable id kept in the data folder (the persistent session is keyed on it). */
  clientId?: string;
  username?: string;
  password?: Secret<string>;
  /** PEM contents for mqtts:// (CA, and the console's client certificate and key). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  topicPrefix?: string;
  /** Where the dashboard listens (default 127.0.0.1:8090; port 0 = any free port). */
  listenHost?: string;
  listenPort?: number;
  /** Accepted Host names (default: loopback names). */
  allowedHosts?: string[];
  /** HTTPS certificate and key (PEM); required beyond loopback. */
  httpsTls?: { cert: Buffer; key: Buffer };
  /** Accounts, sessions, history (default ./console-data). */
  dataDir: string;
  /** The action log (default `<dataDir>/actions.jsonl`). */
  actionLogFile?: string;
  /** `--no-login`: every request acts as this operator account (loopback only). */
  noLoginOperator?: string;
  /** The history store (default SQLite in the data folder). */
  history?: HistoryStore;
  /** `$share/<group>/` for events (several instances, one database). */
  shareGroup?: string;
  /** MQTT 5 session expiry (default one day). */
  sessionExpirySec?: number;
  /** Days of events kept (default 90). */
  retentionDays?: number;
  approval?: ApprovalPolicy;
  accounts?: AccountPolicy;
  /** Shared history: how often other instances' events are pulled (default 250 ms). */
  pullMs?: number;
  /** SSE batching period (default 100 ms). */
  flushMs?: number;
  /** Presence / alarm re-evaluation period (default 100 ms). */
  tickMs?: number;
  fleet?: Partial<FleetOptions>;
  /** Command lifetime in seconds (default 120). */
  commandLifetimeSec?: number;
  /**
   * Station anchors (DER): the CAs that issue station certificates. When given, every
   * station message's `jpki-sig` is checked (shared/mqtt/station-signature.ts) and events
   * show `signed`, `unsigned`, `forged` or `untrusted`.
   */
  stationAnchors?: Uint8Array[];
  /**
   * The command CA's CRL file (PEM or DER, as `office command-crl` writes it): published
   * retained to every station on connect and whenever the file changes (checked each minute).
   */
  commandCrlFile?: string;
}

/** What the console takes from outside. */
export interface ConsoleServerDeps {
  /** Absent: the dashboard is read-only and action requests are refused (`no_signer`). */
  signer?: ConsoleSigner;
  log: Logger;
  now?: () => Date;
}

/** Opens (creating) the console's SQLite file in its data folder. */
export function openConsoleDb(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(dataDir, 'console.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** The console's MQTT client id: made once, kept in the data folder. */
function stableClientId(dataDir: string): string {
  const file = path.join(dataDir, 'mqtt-client-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = `jpki-locker-console-${randomBytes(6).toString('hex')}`;
  writeFileSync(file, `${id}\n`);
  return id;
}

/** The console: start() opens history, connects and listens; stop() undoes all three. */
export class ConsoleServer {
  readonly fleet: FleetModel;
  readonly actions: ConsoleActions;
  readonly approvals: ApprovalQueue;
  readonly actionLog: ActionLog;
  readonly accounts: AccountStore;
  readonly history: HistoryStore;
  readonly http: ConsoleHttp;
  readonly series = new HeartbeatSeries();
  readonly options: ConsoleServerOptions;
  readonly db: Database.Database;
  readonly #log: Logger;
  readonly now: () => Date;
  readonly #prefix: string;
  #client: MqttClient | undefined;
  #connected = false;
  #rev = 0;
  #changedActions = new Map<string, ActionRecord>();
  #changedApprovals = new Map<string, ApprovalRequest>();
  #brokerChanged = false;
  #timers: NodeJS.Timeout[] = [];
  /** Shared history: the newest row seen, and the ids this instance received itself. */
  #cursor = 0;
  #pulling = false;
  readonly #ownIds = new Set<string>();
  readonly #crl: CommandCrlPublisher | undefined;

  constructor(options: ConsoleServerOptions, deps: ConsoleServerDeps) {
    this.options = options;
    this.#log = deps.log;
    this.now = deps.now ?? (() => new Date());
    this.#prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    this.#crl =
      options.commandCrlFile !== undefined
        ? new CommandCrlPublisher(options.commandCrlFile, this.#prefix, deps.log, this.now)
        : undefined;
    const host = options.listenHost ?? '127.0.0.1';
    if (options.noLoginOperator !== undefined && !isLoopback(host))
      throw new RangeError('--no-login needs a loopback --listen');
    if (!options.httpsTls && !isLoopback(host))
      throw new RangeError('beyond loopback the console needs --tls-cert and --tls-key');
    this.db = openConsoleDb(options.dataDir);
    this.accounts = new AccountStore(this.db, this.now, options.accounts);
    this.history = options.history ?? new SqliteHistory(this.db);
    this.actionLog = new ActionLog(
      options.actionLogFile ?? path.join(options.dataDir, 'actions.jsonl'),
      this.now,
    );
    // Acknowledgements survive a console restart: they are in the action log.
    const priorAcks = new Map<string, { by: string; at: string }>();
    for (const e of this.actionLog.recent(1000)) {
      const d = e.detail as { code?: unknown; target?: unknown; since?: unknown };
      if (e.action === 'alarm.ack' && typeof d.code === 'string' && typeof d.since === 'string')
        priorAcks.set(
          alarmOccurrenceKey(
            e.station,
            d.code,
            typeof d.target === 'string' ? d.target : null,
            d.since,
          ),
          { by: e.operator, at: e.at },
        );
    }
    this.fleet = new FleetModel({ ...options.fleet, priorAcks }, () => this.now().getTime());
    this.actions = new ConsoleActions({
      signer: deps.signer,
      publish: (topic, payload) => this.#publishCommand(topic, payload),
      topicPrefix: this.#prefix,
      log: this.actionLog,
      now: this.now,
      onChange: (r) => this.#changedActions.set(r.commandId, r),
      ...(options.commandLifetimeSec !== undefined
        ? { lifetimeSec: options.commandLifetimeSec }
        : {}),
    });
    this.approvals = new ApprovalQueue({
      policy: options.approval ?? DEFAULT_APPROVAL_POLICY,
      log: this.actionLog,
      now: this.now,
      compartments: (s) => this.fleet.station(s)?.compartmentList ?? [],
      send: (people, station, kind, body) => this.actions.send(people, station, kind, body),
      onChange: (r) => this.#changedApprovals.set(r.id, r),
    });
    const anonymous =
      options.noLoginOperator !== undefined
        ? { user: options.noLoginOperator, role: 'operator' as const, csrf: '' }
        : undefined;
    this.http = new ConsoleHttp(
      {
        host,
        port: options.listenPort ?? 8090,
        allowedHosts: options.allowedHosts ?? [],
        ...(options.httpsTls ? { tls: options.httpsTls } : {}),
        staticDir: CONSOLE_STATIC_DIR,
        files: CHART_LIBRARY_FILES,
      },
      { session: (t) => this.accounts.session(t), ...(anonymous ? { anonymous } : {}) },
      deps.log.child({ component: 'console-web' }),
    );
    registerConsoleRoutes(this);
  }

  /** Base URL of the dashboard (after start). */
  get url(): string {
    return this.http.url;
  }

  /** True while connected to the broker. */
  get brokerConnected(): boolean {
    return this.#connected;
  }

  /** True with `--no-login`. */
  get loginDisabled(): boolean {
    return this.options.noLoginOperator !== undefined;
  }

  async start(signal: AbortSignal): Promise<void> {
    if (!this.loginDisabled && this.accounts.count() === 0)
      throw new RangeError(
        'no console account: add one with `jpki-locker console user add NAME --role admin`, or use --no-login on a loopback --listen',
      );
    await this.history.open();
    const restored = await this.history.recentEvents(this.fleet.options.maxEvents);
    this.fleet.restoreEvents(restored.events);
    this.#cursor = restored.cursor;
    await this.http.start();
    if (signal.aborted) return;
    this.#connect();
    this.#timers.push(setInterval(() => this.flush(), this.options.flushMs ?? 100));
    this.#timers.push(
      setInterval(() => {
        this.fleet.tick();
        this.actions.tick();
        this.approvals.tick();
      }, this.options.tickMs ?? 100),
    );
    if (this.history.shared)
      this.#timers.push(setInterval(() => void this.#pullShared(), this.options.pullMs ?? 250));
    const retentionMs = (this.options.retentionDays ?? 90) * 86_400_000;
    const purge = () =>
      void this.history
        .purgeBefore(this.now().getTime() - retentionMs)
        .catch((err: unknown) => this.#log.warn({ err }, 'history purge failed'));
    purge();
    this.#timers.push(setInterval(purge, 3600_000));
    if (this.#crl)
      this.#timers.push(
        setInterval(() => {
          if (this.#client && this.#connected) this.#crl?.publish(this.#client);
        }, 60_000),
      );
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.actions.close();
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.endAsync(true).catch(() => undefined);
    await this.http.stop();
    await this.history.close().catch(() => undefined);
    if (this.db.open) this.db.close();
  }

  /** Sends what changed since the last flush to every page (one SSE message). */
  flush(): void {
    const changed = this.#changedActions.size > 0 || this.#changedApprovals.size > 0;
    if (!this.fleet.hasChanges && !changed && !this.#brokerChanged) return;
    const d = this.fleet.takeDelta();
    const actions = [...this.#changedActions.values()];
    const approvals = [...this.#changedApprovals.values()];
    this.#changedActions.clear();
    this.#changedApprovals.clear();
    this.#brokerChanged = false;
    this.http.publish({
      rev: ++this.#rev,
      now: this.now().getTime(),
      stations: d.stations,
      events: d.events,
      alarms: d.alarms,
      actions,
      approvals,
      broker: { connected: this.#connected },
    });
  }

  /** The revision the next snapshot stands for (after a flush). */
  get rev(): number {
    return this.#rev;
  }

  /** Lists what other instances stored since the last pull (shared history only). */
  async #pullShared(): Promise<void> {
    if (this.#pulling) return;
    this.#pulling = true;
    try {
      for (;;) {
        const { events, cursor } = await this.history.eventsAfter(this.#cursor, 2000);
        this.#cursor = cursor;
        for (const e of events)
          if (!this.#ownIds.delete(`${e.station}|${e.id}`)) this.fleet.addStoredEvent(e);
        if (events.length < 2000) break;
      }
    } catch (err) {
      this.#log.warn({ err }, 'shared history not readable');
    } finally {
      this.#pulling = false;
    }
  }

  // ---- MQTT ---------------------------------------------------------------------------------

  #connect(): void {
    const o = this.options;
    const v5 = (o.protocolVersion ?? 5) === 5;
    const opts: IClientOptions = {
      protocolVersion: o.protocolVersion ?? 5,
      clientId: o.clientId ?? stableClientId(o.dataDir),
      // Persistent session: what is published while we are away is kept for us.
      clean: false,
      ...(v5 ? { properties: { sessionExpiryInterval: o.sessionExpirySec ?? 86_400 } } : {}),
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      ...(o.username ? { username: o.username } : {}),
      ...(o.password ? { password: o.password.reveal() } : {}),
      ...(o.tls?.ca ? { ca: o.tls.ca } : {}),
      ...(o.tls?.cert ? { cert: o.tls.cert } : {}),
      ...(o.tls?.key ? { key: o.tls.key } : {}),
      rejectUnauthorized: true,
    };
    const client = mqtt.connect(o.brokerUrl, opts);
    this.#client = client;
    const p = this.#prefix;
    const events = o.shareGroup
      ? `$share/${o.shareGroup}/${fleetTopics.events(p)}`
      : fleetTopics.events(p);
    client.on('connect', () => {
      this.#setConnected(true);
      this.#crl?.publish(client, true);
      // Retained presence and state arrive again on every subscribe: the fleet rebuilds.
      client
        .subscribeAsync({
          [fleetTopics.status(p)]: { qos: 1 },
          [fleetTopics.state(p)]: { qos: 1 },
          [fleetTopics.heartbeat(p)]: { qos: 0 },
          [events]: { qos: 1 },
          [fleetTopics.responses(p)]: { qos: 1 },
        })
        .then(() => this.#log.info({ broker: o.brokerUrl }, 'subscribed to the fleet'))
        .catch((err: unknown) => this.#log.error({ err }, 'subscribe failed'));
    });
    client.on('close', () => this.#setConnected(false));
    client.on('error', (err) => this.#log.warn({ err: err.message }, 'broker error'));
    client.on('message', (topic, payload, packet) =>
      this.#onMessage(
        topic,
        payload,
        packet.properties?.userProperties?.[STATION_SIGNATURE_PROPERTY],
      ),
    );
  }

  #setConnected(v: boolean): void {
    if (v === this.#connected) return;
    this.#connected = v;
    this.#brokerChanged = true;
    this.#log.info({ connected: v }, v ? 'broker connected' : 'broker disconnected');
  }

  #onMessage(topic: string, payload: Buffer, sig?: string | string[]): void {
    const t = parseTopic(topic, this.#prefix);
    if (!t) return;
    try {
      const anchors = this.options.stationAnchors;
      const signature: StationSignatureStatus | undefined =
        anchors && t.suffix !== 'cmd'
          ? verifyStationSignature({
              topic,
              payload,
              signature: Array.isArray(sig) ? sig[0] : sig,
              stationId: t.stationId,
              anchors,
              at: this.now(),
            }).status
          : undefined;
      const value = this.fleet.ingest(t.stationId, t.suffix, payload, signature);
      if (t.suffix === 'heartbeat' && value) {
        const hb = value as HeartbeatMessage;
        const area = this.fleet.station(t.stationId)?.area ?? '';
        this.series.record(
          t.stationId,
          area,
          this.now().getTime(),
          hb.outboxDepth,
          hb.crlAgeSec ?? null,
        );
      }
      if (t.suffix === 'cmd/response' && value)
        this.actions.onResponse(t.stationId, value as CommandResponse);
      if (t.suffix === 'events' && value) {
        if (this.history.shared) this.#rememberOwn(`${t.stationId}|${(value as EventMessage).id}`);
        void this.history
          .storeEvent(t.stationId, value as EventMessage, this.now().getTime())
          .catch((err: unknown) => this.#log.error({ err, topic }, 'event not stored'));
      }
    } catch (err) {
      // One bad message never stops the console.
      this.#log.error({ err, topic }, 'message handling failed');
    }
  }

  #rememberOwn(key: string): void {
    this.#ownIds.add(key);
    // Bounded: an id whose row was never pulled (a failed insert) must not stay forever.
    if (this.#ownIds.size > 100_000) this.#ownIds.delete(this.#ownIds.values().next().value!);
  }

  async #publishCommand(topic: string, payload: string): Promise<void> {
    const client = this.#client;
    if (!client || !this.#connected) throw new Error('broker not connected');
    await client.publishAsync(topic, payload, { qos: 1, retain: false });
  }
}
