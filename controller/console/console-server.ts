/**
 * The operator console: one MQTT client subscribed to every station's presence, retained
 * state, heartbeats, events and command answers (shared/mqtt `fleetTopics`), a bounded
 * {@link FleetModel}, and a web dashboard (controller/console/static) fed over HTTP + SSE.
 *
 * Updates reach pages in batches: the model collects what changed and the server sends one
 * SSE message per `flushMs` on channel `fleet` ({ rev, now, stations, events, alarms,
 * actions }), never one per MQTT message. A page loads `/api/snapshot` (with the same `rev`
 * counter) and applies later deltas on top.
 */
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { CommandResponse } from '../../shared/mqtt/commands.js';
import { DEFAULT_TOPIC_PREFIX, fleetTopics, parseTopic } from '../../shared/mqtt/topics.js';
import type { Secret } from '../../shared/secret.js';
import type { Component } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { HttpError, WebServer } from '../web/server.js';
import { ActionLog } from './action-log.js';
import { ConsoleActions, validOperator, type ActionRecord } from './actions.js';
import { alarmOccurrenceKey, FleetModel, type FleetOptions } from './fleet.js';
import type { ConsoleSigner } from './signer.js';

/** The dashboard's files. */
export const CONSOLE_STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

/** Settings of the console. */
export interface ConsoleServerOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
  brokerUrl: string;
  protocolVersion?: 4 | 5;
  clientId?: string;
  username?: string;
  password?: Secret<string>;
  /** PEM contents for mqtts:// (CA, and the console's client certificate and key). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  topicPrefix?: string;
  /** Where the dashboard listens (default 127.0.0.1:8090; port 0 = any free port). */
  listenHost?: string;
  listenPort?: number;
  /** Operator name used when the page sends none (the `--operator` option). */
  operator?: string;
  /** The append-only action log (JSON lines). */
  actionLogFile: string;
  /** SSE batching period (default 200 ms). */
  flushMs?: number;
  /** Presence / alarm re-evaluation period (default 100 ms). */
  tickMs?: number;
  fleet?: Partial<FleetOptions>;
  /** Command lifetime in seconds (default 120). */
  commandLifetimeSec?: number;
}

/** What the console takes from outside. */
export interface ConsoleServerDeps {
  /** Absent: the dashboard is read-only and action requests are refused (`no_signer`). */
  signer?: ConsoleSigner;
  log: Logger;
  now?: () => Date;
}

/** One SSE message on channel `fleet`. */
export interface ConsoleDelta {
  rev: number;
  /** Console clock, ms: pages compute heartbeat ages against it. */
  now: number;
  stations: unknown[];
  events: unknown[];
  alarms: unknown[];
  actions: ActionRecord[];
  broker: { connected: boolean };
}

function num(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function time(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new HttpError(400, 'bad time');
  return n;
}

/**
 * Refuses cross-site requests to the action routes: a page elsewhere in the operator's browser
 * must not be able to open a door. A JSON content type cannot be sent cross-origin without a
 * CORS preflight (which this server never approves), and an Origin, when sent, must be ours.
 */
function sameOriginJson(req: IncomingMessage): void {
  const type = req.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('application/json'))
    throw new HttpError(415, 'content-type must be application/json');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`)
    throw new HttpError(403, 'cross-origin request refused');
}

/** The console as a {@link Component}: `start()` connects and listens, `stop()` undoes both. */
export class ConsoleServer implements Component {
  readonly name = 'console';
  readonly fleet: FleetModel;
  readonly actions: ConsoleActions;
  readonly actionLog: ActionLog;
  readonly web: WebServer;
  readonly #o: ConsoleServerOptions;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #prefix: string;
  #client: MqttClient | undefined;
  #connected = false;
  #rev = 0;
  #changedActions = new Map<string, ActionRecord>();
  #brokerChanged = false;
  #flushTimer: NodeJS.Timeout | undefined;
  #tickTimer: NodeJS.Timeout | undefined;

  constructor(options: ConsoleServerOptions, deps: ConsoleServerDeps) {
    this.#o = options;
    this.#log = deps.log;
    this.#now = deps.now ?? (() => new Date());
    this.#prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    this.actionLog = new ActionLog(options.actionLogFile, this.#now);
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
    this.fleet = new FleetModel({ ...options.fleet, priorAcks }, () => this.#now().getTime());
    this.actions = new ConsoleActions({
      signer: deps.signer,
      publish: (topic, payload) => this.#publishCommand(topic, payload),
      topicPrefix: this.#prefix,
      log: this.actionLog,
      now: this.#now,
      onChange: (r) => this.#changedActions.set(r.commandId, r),
      ...(options.commandLifetimeSec !== undefined
        ? { lifetimeSec: options.commandLifetimeSec }
        : {}),
    });
    this.web = new WebServer(
      {
        host: options.listenHost ?? '127.0.0.1',
        port: options.listenPort ?? 8090,
        staticDir: CONSOLE_STATIC_DIR,
      },
      deps.log.child({ component: 'console-web' }),
    );
    this.#routes();
  }

  /** Base URL of the dashboard (after start). */
  get url(): string {
    return this.web.url;
  }

  /** True while subscribed to the broker. */
  get brokerConnected(): boolean {
    return this.#connected;
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.web.start();
    const host = this.web.address.address;
    if (this.actions.canSign && host !== '127.0.0.1' && host !== '::1')
      this.#log.warn(
        { url: this.web.url },
        'the console signs commands and listens beyond loopback: put it behind an authenticating proxy',
      );
    if (signal.aborted) return;
    this.#connect();
    this.#flushTimer = setInterval(() => this.flush(), this.#o.flushMs ?? 200);
    this.#tickTimer = setInterval(() => {
      this.fleet.tick();
      this.actions.tick();
    }, this.#o.tickMs ?? 100);
  }

  async stop(): Promise<void> {
    clearInterval(this.#flushTimer);
    clearInterval(this.#tickTimer);
    this.#flushTimer = this.#tickTimer = undefined;
    this.actions.close();
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.endAsync(true).catch(() => undefined);
    await this.web.stop();
  }

  /** Sends what changed since the last flush to every page (one SSE message). */
  flush(): void {
    if (!this.fleet.hasChanges && this.#changedActions.size === 0 && !this.#brokerChanged) return;
    const d = this.fleet.takeDelta();
    const actions = [...this.#changedActions.values()];
    this.#changedActions.clear();
    this.#brokerChanged = false;
    const delta: ConsoleDelta = {
      rev: ++this.#rev,
      now: this.#now().getTime(),
      stations: d.stations,
      events: d.events,
      alarms: d.alarms,
      actions,
      broker: { connected: this.#connected },
    };
    this.web.publish('fleet', delta);
  }

  // ---- MQTT ---------------------------------------------------------------------------------

  #connect(): void {
    const o = this.#o;
    const opts: IClientOptions = {
      protocolVersion: o.protocolVersion ?? 5,
      clientId: o.clientId ?? `jpki-locker-console-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
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
    client.on('connect', () => {
      this.#setConnected(true);
      // Retained presence and state arrive first on every (re)subscribe: the fleet rebuilds.
      client
        .subscribeAsync({
          [fleetTopics.status(p)]: { qos: 1 },
          [fleetTopics.state(p)]: { qos: 1 },
          [fleetTopics.heartbeat(p)]: { qos: 0 },
          [fleetTopics.events(p)]: { qos: 1 },
          [fleetTopics.responses(p)]: { qos: 1 },
        })
        .then(() => this.#log.info({ broker: o.brokerUrl }, 'subscribed to the fleet'))
        .catch((err: unknown) => this.#log.error({ err }, 'subscribe failed'));
    });
    client.on('close', () => this.#setConnected(false));
    client.on('error', (err) => this.#log.warn({ err: err.message }, 'broker error'));
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
  }

  #setConnected(v: boolean): void {
    if (v === this.#connected) return;
    this.#connected = v;
    this.#brokerChanged = true;
    this.#log.info({ connected: v }, v ? 'broker connected' : 'broker disconnected');
  }

  #onMessage(topic: string, payload: Buffer): void {
    const t = parseTopic(topic, this.#prefix);
    if (!t) return;
    try {
      const value = this.fleet.ingest(t.stationId, t.suffix, payload);
      if (t.suffix === 'cmd/response' && value)
        this.actions.onResponse(t.stationId, value as CommandResponse);
    } catch (err) {
      // One bad message never stops the console.
      this.#log.error({ err, topic }, 'message handling failed');
    }
  }

  async #publishCommand(topic: string, payload: string): Promise<void> {
    const client = this.#client;
    if (!client || !this.#connected) throw new Error('broker not connected');
    await client.publishAsync(topic, payload, { qos: 1, retain: false });
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  #routes(): void {
    const web = this.web;
    web.route('GET', '/api/console', () => ({
      version: VERSION,
      canSign: this.actions.canSign,
      operator: this.#o.operator ?? null,
      heartbeatSec: this.fleet.options.heartbeatSec,
      broker: { url: this.#o.brokerUrl, connected: this.#connected },
      stats: this.fleet.stats,
    }));
    web.route('GET', '/api/snapshot', () => {
      // Everything pending goes out first, so the snapshot's rev covers it.
      this.flush();
      return {
        rev: this.#rev,
        now: this.#now().getTime(),
        broker: { connected: this.#connected },
        stations: this.fleet.stations(),
        alarms: this.fleet.alarms().slice(0, 1000),
        events: this.fleet.events({ limit: 300 }),
        actions: this.actions.recent(200),
      };
    });
    web.route('GET', '/api/stations/:id', ({ params }) => {
      const detail = this.fleet.station(params.id!);
      if (!detail) throw new HttpError(404, 'unknown station');
      return {
        station: detail,
        alarms: this.fleet.alarms({ station: params.id! }).slice(0, 200),
        events: this.fleet.events({ station: params.id!, limit: 100 }),
        actions: this.actions.recent(50, params.id!),
      };
    });
    web.route('GET', '/api/events', ({ url }) => {
      const q = url.searchParams;
      const from = time(q.get('from'));
      const to = time(q.get('to'));
      const limit = num(q.get('limit'));
      return this.fleet.events({
        ...(q.get('station') ? { station: q.get('station')! } : {}),
        ...(q.get('kind') ? { kind: q.get('kind')! } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    });
    web.route('GET', '/api/actions', ({ url }) =>
      this.actions.recent(200, url.searchParams.get('station') ?? undefined),
    );
    web.route('GET', '/api/action-log', ({ url }) =>
      this.actionLog.recent(
        num(url.searchParams.get('limit')) ?? 200,
        url.searchParams.get('station') ?? undefined,
      ),
    );
    web.route('POST', '/api/alarms/:id/ack', ({ req, params, body }) => {
      sameOriginJson(req);
      const operator = this.#operator(body);
      const alarm = this.fleet.alarm(params.id!);
      if (!alarm) throw new HttpError(404, 'unknown alarm');
      const first = alarm.ack === null;
      this.fleet.acknowledge(alarm.id, operator);
      if (first)
        this.actionLog.append({
          operator,
          action: 'alarm.ack',
          station: alarm.station,
          ref: alarm.id,
          detail: { code: alarm.code, target: alarm.target, since: alarm.since },
        });
      this.flush();
      return alarm;
    });
    web.route('POST', '/api/stations/:id/commands', async ({ req, params, body }) => {
      sameOriginJson(req);
      const b = (body ?? {}) as { kind?: unknown; body?: unknown; waitMs?: unknown };
      const operator = this.#operator(body);
      const r = await this.actions.send(operator, params.id, b.kind, b.body);
      if ('refused' in r)
        throw new HttpError(
          r.refused === 'no_signer' ? 409 : 400,
          [r.refused, ...(r.errors ?? [])].join(': '),
        );
      this.flush();
      const waitMs = typeof b.waitMs === 'number' ? Math.min(Math.max(0, b.waitMs), 15_000) : 0;
      if (waitMs > 0 && r.status === 'sent')
        return (await this.actions.waitForAnswer(r.commandId, waitMs)) ?? r;
      return r;
    });
  }

  /** The operator from the request body, else `--operator`; 400 when neither is usable. */
  #operator(body: unknown): string {
    const given = (body as { operator?: unknown } | undefined)?.operator;
    const name = typeof given === 'string' && given.trim() !== '' ? given.trim() : this.#o.operator;
    if (!validOperator(name)) throw new HttpError(400, 'operator name required');
    return name;
  }
}
