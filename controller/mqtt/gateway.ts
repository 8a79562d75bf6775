import { createHash, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import {
  MAX_COMMAND_PAYLOAD_BYTES,
  STATION_MAX_PACKET_BYTES,
  type CommandKind,
  type CommandRejectReason,
  type CommandResponse,
  type CommandResult,
} from '../../shared/mqtt/commands.js';
import type { HeartbeatMessage, StatusMessage } from '../../shared/mqtt/state.js';
import {
  signStationPayload,
  STATION_SIGNATURE_PROPERTY,
} from '../../shared/mqtt/station-signature.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import type { Secret } from '../../shared/secret.js';
import type { Component } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Db } from '../storage/db.js';
import { MetaRepository } from '../storage/meta-repository.js';
import { ClockGuard } from './clock-guard.js';
import { CommandLog } from './command-log.js';
import { CommandVerifier, type CheckedCommand, type RefusedCommand } from './command-verifier.js';
import { LinkAlarms } from './link-alarms.js';
import { RefusalFilter } from './refusal-filter.js';
import type { CommandSignerTrust } from './signer-trust.js';
import { TakeoverWatch } from './takeover-watch.js';
import { systemTimers, type TimerHandle, type Timers } from './timers.js';
import type { CommandHandler, StatePart, StateProvider } from './types.js';

/** Connection and behaviour settings of the gateway (from the `mqtt` config section). */
export interface MqttGatewayOptions {
  stationId: string;
  /** mqtt://, mqtts://, ws:// or wss:// URL. */
  url: string;
  /** 5 for MQTT 5 (mosquitto), 4 for 3.1.1 (the embedded aedes broker). */
  protocolVersion: 4 | 5;
  /** Defaults to `jpki-locker-<station>`. */
  clientId?: string;
  username?: string;
  password?: Secret<string>;
  /** PEM contents for mqtts:// with a client certificate per station. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  topicPrefix?: string;
  heartbeatSec: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** QoS 1 events in flight at once (further capped by the broker's Receive Maximum). */
  maxInflight?: number;
  /** Tolerated clock difference for command validity windows (default 60 s). */
  clockSkewSec?: number;
  /** Longest accepted command lifetime (default 1 day). */
  maxCommandLifetimeSec?: number;
  /** Wall-clock step against the monotonic clock that counts as a `clock_jump` (default 300 s). */
  clockMaxJumpSec?: number;
  /** How long the clock must run in step before a jump settles (default 600 s). */
  clockSettleSec?: number;
  /** Session takeovers (MQTT 5 DISCONNECT 0x8E) within 10 minutes that raise `session_takeover` (default 3). */
  takeoverAlarmCount?: number;
  /** Software version for the birth message and heartbeat. */
  version: string;
}

/** What the gateway works with. */
export interface MqttGatewayDeps {
  db: Db;
  outbox: Outbox;
  handler: CommandHandler;
  state: StateProvider;
  signerTrust: CommandSignerTrust;
  log: Logger;
  now?: () => Date;
  /** [0, 1) source for reconnect jitter. */
  random?: () => number;
  /** A clock no one can set (ms; default performance.now): clock jumps, rate limits. */
  monotonicMs?: () => number;
  /** Reconnect, heartbeat and clock-check timers (default Node's). */
  timers?: Timers;
  /**
   * The station's key and certificate chain (station.signingKey/signingCert): with MQTT 5
   * every message it publishes carries a `jpki-sig` user property (shared/mqtt/station-signature.ts).
   */
  stationSigner?: { privateKey: KeyObject; chain: Uint8Array[] };
}

/** Sends one answer on `cmd/response`. */
type Answer = (r: Omit<CommandResponse, 'v' | 'station' | 'at'>) => void;

/** MQTT 5 DISCONNECT reason code 0x8E "Session taken over" (MQTT 5 §3.14.2.1). */
const SESSION_TAKEN_OVER = 0x8e;
/** How often the clock is looked at between commands. */
const CLOCK_CHECK_MS = 30_000;

/** Per-connection delivery state. */
interface Link {
  client: MqttClient;
  session: number;
  connected: boolean;
  /** Events with seq below this were stored before the connection: sent as historical. */
  liveFrom: number;
  /** Next seq to read from the outbox. */
  nextSeq: number;
  /** Seqs published and not yet acknowledged, in order, with their ack flag. */
  inflight: { seq: number; acked: boolean }[];
  ackedUpto: number;
  window: number;
  /** The connection failed on our side (error, refused event) rather than being closed by the broker. */
  failed: boolean;
  /** The broker said the session was taken over (MQTT 5 DISCONNECT 0x8E). */
  takenOver: boolean;
}

const STATE_PARTS: readonly StatePart[] = ['compartments', 'doors', 'alarms', 'crl'];

/**
 * The station's link to the municipal back office (see docs/mqtt.md):
 * - presence: retained will `offline`; on every connect `online` + the full retained state;
 *   a heartbeat every `heartbeatSec`;
 * - events: the outbox delivered at QoS 1 in seq order, marked sent on PUBACK, replayed after
 *   a reconnect or restart flagged `historical`;
 * - commands: signed envelopes checked (CommandVerifier + replay cache), executed at most
 *   once by the CommandHandler, each answered on `cmd/response`.
 * One mqtt.js client per connection, reconnecting with exponential back-off and jitter.
 * The station works without the broker: start() does not wait for a connection.
 */
export class MqttGateway implements Component {
  readonly name = 'mqtt';
  readonly topics: StationTopics;
  readonly #o: Required<Omit<MqttGatewayOptions, 'password' | 'tls' | 'username'>> &
    Pick<MqttGatewayOptions, 'password' | 'tls' | 'username'>;
  readonly #d: MqttGatewayDeps;
  readonly #now: () => Date;
  readonly #random: () => number;
  readonly #verifier: CommandVerifier;
  readonly #commands: CommandLog;
  readonly #meta: MetaRepository;
  readonly #timers: Timers;
  readonly #clock: ClockGuard;
  readonly #refusals: RefusalFilter;
  readonly #takeovers: TakeoverWatch;
  readonly #alarms: LinkAlarms;
  #link: Link | undefined;
  #stopping = false;
  #started = false;
  #attempt = 0;
  #reconnectTimer: TimerHandle | undefined;
  #heartbeatTimer: TimerHandle | undefined;
  #clockTimer: TimerHandle | undefined;
  #pumpScheduled = false;
  #flushScheduled = false;
  #commandChain: Promise<void> = Promise.resolve();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #connectionListeners = new Set<(connected: boolean) => void>();
  readonly #startedAtMs: number;

  constructor(options: MqttGatewayOptions, deps: MqttGatewayDeps) {
    this.#o = {
      clientId: `jpki-locker-${options.stationId}`,
      topicPrefix: 'jpki-locker/v1',
      maxInflight: 100,
      clockSkewSec: 60,
      maxCommandLifetimeSec: 86_400,
      clockMaxJumpSec: 300,
      clockSettleSec: 600,
      takeoverAlarmCount: 3,
      ...options,
    };
    if (!this.#o.clientId) this.#o.clientId = `jpki-locker-${options.stationId}`;
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#random = deps.random ?? Math.random;
    this.topics = new StationTopics(options.stationId, this.#o.topicPrefix);
    this.#verifier = new CommandVerifier(
      {
        stationId: options.stationId,
        clockSkewSec: this.#o.clockSkewSec,
        maxLifetimeSec: this.#o.maxCommandLifetimeSec,
      },
      deps.signerTrust,
    );
    this.#commands = new CommandLog(deps.db);
    this.#meta = new MetaRepository(deps.db);
    this.#timers = deps.timers ?? systemTimers;
    const monotonicMs = deps.monotonicMs ?? (() => performance.now());
    this.#clock = new ClockGuard(
      deps.db,
      {
        maxJumpSec: this.#o.clockMaxJumpSec,
        settleSec: this.#o.clockSettleSec,
        skewSec: this.#o.clockSkewSec,
      },
      this.#now,
      monotonicMs,
    );
    this.#refusals = new RefusalFilter({}, monotonicMs);
    this.#takeovers = new TakeoverWatch(this.#o.takeoverAlarmCount, 600_000, monotonicMs);
    this.#alarms = new LinkAlarms(deps.outbox, deps.log, this.#now, () =>
      this.#publishState('alarms'),
    );
    this.#startedAtMs = this.#now().getTime();
  }

  /** True while connected to the broker. */
  get connected(): boolean {
    return this.#link?.connected ?? false;
  }

  /** The current connection counter (as in `status` and the will). */
  get session(): number {
    return this.#link?.session ?? Number(this.#meta.get('mqtt.session') ?? 0);
  }

  /** Subscribes to connect (true) / disconnect (false); returns the unsubscribe function. */
  onConnection(listener: (connected: boolean) => void): () => void {
    this.#connectionListeners.add(listener);
    return () => this.#connectionListeners.delete(listener);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.#started = true;
    this.#stopping = false;
    const interrupted = this.#commands.markInterrupted();
    if (interrupted > 0)
      this.#d.log.warn({ interrupted }, 'commands were executing when the station stopped');
    this.#unsubscribe.push(this.#clock.onChange((v) => this.#onClockVerdict(v)));
    this.#clock.observe();
    this.#purgeCommands();
    this.#clockTimer = this.#timers.setInterval(() => this.#clock.observe(), CLOCK_CHECK_MS);
    this.#unsubscribe.push(
      this.#d.outbox.onAppended(() => this.#schedulePump()),
      this.#d.outbox.onAlarm(() => this.#publishState('alarms')),
      this.#d.state.onChange((part) => this.#publishState(part)),
    );
    this.#connect();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#stopping = true;
    this.#reconnectTimer?.cancel();
    this.#heartbeatTimer?.cancel();
    this.#clockTimer?.cancel();
    for (const u of this.#unsubscribe.splice(0)) u();
    await Promise.race([this.#commandChain, delay(2000)]);
    const link = this.#link;
    this.#link = undefined;
    if (link) {
      this.#flushCursor(link);
      if (link.connected) {
        const offline: StatusMessage = {
          v: 1,
          state: 'offline',
          session: link.session,
          at: this.#now().toISOString(),
        };
        await Promise.race([
          link.client.publishAsync(this.topics.status, JSON.stringify(offline), {
            qos: 1,
            retain: true,
            ...this.#signed(this.topics.status, JSON.stringify(offline)),
          }),
          delay(2000),
        ]).catch(() => undefined);
      }
      await Promise.race([link.client.endAsync(false), delay(2000)]).catch(() => undefined);
      link.client.end(true);
    }
  }

  /**
   * Drops replay-cache entries of commands that expired more than twice the clock skew before
   * the high-water mark of station time (never the wall clock, which can be set forward and
   * back): a command refused as `expired` at any time not behind the mark. Commands are
   * refused while the clock is behind the mark, so a purged command can never run again.
   * Run at start and on every connect, so a station that runs for months keeps the table small.
   */
  #purgeCommands(): void {
    try {
      this.#clock.observe();
      this.#clock.persist();
      const mark = this.#clock.highWaterMs;
      if (mark > 0) this.#commands.purge(new Date(mark - 2 * this.#o.clockSkewSec * 1000));
    } catch (err) {
      this.#d.log.warn({ err }, 'cannot purge the command replay cache');
    }
  }

  // ---- connection --------------------------------------------------------------------------

  #connect(): void {
    if (this.#stopping) return;
    const session = Number(this.#meta.get('mqtt.session') ?? 0) + 1;
    this.#meta.set('mqtt.session', String(session));
    const will: StatusMessage = { v: 1, state: 'offline', session };
    const opts: IClientOptions = {
      protocolVersion: this.#o.protocolVersion,
      clientId: this.#o.clientId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: Math.max(10, Math.min(60, this.#o.heartbeatSec * 2)),
      resubscribe: false,
      queueQoSZero: false,
      will: {
        topic: this.topics.status,
        payload: Buffer.from(JSON.stringify(will)),
        ...this.#signed(this.topics.status, JSON.stringify(will)),
        qos: 1,
        retain: true,
      },
      ...(this.#o.username ? { username: this.#o.username } : {}),
      ...(this.#o.password ? { password: this.#o.password.reveal() } : {}),
      ...(this.#o.tls?.ca ? { ca: this.#o.tls.ca } : {}),
      ...(this.#o.tls?.cert ? { cert: this.#o.tls.cert } : {}),
      ...(this.#o.tls?.key ? { key: this.#o.tls.key } : {}),
      rejectUnauthorized: true,
      // MQTT 5: the broker never forwards this client a packet above its Maximum Packet Size
      // (§3.1.2.11.4), so an oversized command never reaches the station's memory.
      ...(this.#o.protocolVersion === 5
        ? {
            properties: { sessionExpiryInterval: 0, maximumPacketSize: STATION_MAX_PACKET_BYTES },
          }
        : {}),
    };
    const client = mqtt.connect(this.#o.url, opts);
    const link: Link = {
      client,
      session,
      connected: false,
      liveFrom: 0,
      nextSeq: 0,
      inflight: [],
      ackedUpto: 0,
      window: this.#o.maxInflight,
      failed: false,
      takenOver: false,
    };
    this.#link = link;
    client.on('connect', (connack) => {
      if (this.#link !== link) return;
      const receiveMaximum = connack.properties?.receiveMaximum;
      link.window = Math.max(1, Math.min(this.#o.maxInflight, receiveMaximum ?? Infinity));
      this.#onConnect(link);
    });
    client.on('message', (topic, payload, packet) => {
      if (this.#link !== link || topic !== this.topics.command) return;
      // An empty payload is a retained message being cleared: nothing to answer.
      if (payload.length === 0) return;
      // Size before anything else (MQTT 3.1.1 has no Maximum Packet Size): the payload is not
      // parsed, hashed or queued.
      if (payload.length > MAX_COMMAND_PAYLOAD_BYTES) {
        this.#refuseTooLarge(payload.length);
        return;
      }
      this.#enqueueCommand(link, payload, packet);
    });
    client.on('disconnect', (packet) => {
      if (this.#link === link && packet.reasonCode === SESSION_TAKEN_OVER) link.takenOver = true;
    });
    client.on('error', (err) => {
      link.failed = true;
      this.#d.log.warn(
        { err: { message: err.message, code: (err as { code?: unknown }).code } },
        'broker connection error',
      );
    });
    client.on('close', () => this.#onClose(link));
  }

  #onConnect(link: Link): void {
    this.#attempt = 0;
    link.connected = true;
    this.#purgeCommands();
    const outbox = this.#d.outbox;
    link.ackedUpto = outbox.sentUpto();
    link.nextSeq = link.ackedUpto + 1;
    link.liveFrom = outbox.lastSeq() + 1;
    link.inflight = [];
    this.#d.log.info(
      { session: link.session, backlog: link.liveFrom - link.nextSeq },
      'connected to the broker',
    );
    link.client.subscribe(
      this.topics.command,
      this.#o.protocolVersion === 5 ? { qos: 1, rap: true, nl: true } : { qos: 1 },
      (err, granted) => {
        const code = granted?.[0]?.qos;
        if (err || (code !== undefined && code >= 0x80))
          this.#d.log.error(
            { code, err: err?.message },
            'the broker refused the command subscription',
          );
      },
    );
    const online: StatusMessage = {
      v: 1,
      state: 'online',
      session: link.session,
      version: this.#o.version,
      at: this.#now().toISOString(),
    };
    this.#publish(link, this.topics.status, online, { qos: 1, retain: true });
    for (const part of STATE_PARTS) this.#publishState(part);
    this.#sendHeartbeat();
    this.#heartbeatTimer?.cancel();
    this.#heartbeatTimer = this.#timers.setInterval(
      () => this.#sendHeartbeat(),
      this.#o.heartbeatSec * 1000,
    );
    if (!this.#takeovers.recent()) this.#alarms.clear('session_takeover');
    for (const l of this.#connectionListeners) l(true);
    this.#schedulePump();
  }

  #onClose(link: Link): void {
    if (this.#link !== link) return;
    const wasConnected = link.connected;
    link.connected = false;
    this.#flushCursor(link);
    this.#heartbeatTimer?.cancel();
    link.client.removeAllListeners('message');
    link.client.end(true);
    if (wasConnected) {
      this.#d.log.warn({ session: link.session }, 'disconnected from the broker');
      for (const l of this.#connectionListeners) l(false);
    }
    if (this.#stopping) return;
    // Closed by the broker with 0x8E, or without a word while the link was healthy: what a
    // broker does when another client connects with this client id (mosquitto 2.0.11 just
    // closes the socket). Repeated, it raises session_takeover.
    if (wasConnected && (link.takenOver || !link.failed)) this.#onTakeover(link.takenOver);
    const wait = reconnectDelayMs(
      this.#attempt,
      this.#o.reconnectMinMs,
      this.#o.reconnectMaxMs,
      this.#random(),
    );
    this.#attempt = Math.min(this.#attempt + 1, 30);
    this.#reconnectTimer = this.#timers.setTimeout(() => this.#connect(), wait);
  }

  #publish(
    link: Link,
    topic: string,
    payload: unknown,
    opts: { qos: 0 | 1; retain?: boolean; properties?: IPublishPacket['properties'] },
  ): void {
    if (!link.connected) return;
    const text = JSON.stringify(payload);
    const signed = this.#signed(topic, text, opts.properties);
    link.client.publish(topic, text, { ...opts, ...signed }, (err) => {
      if (err) this.#d.log.warn({ topic, err: err.message }, 'publish failed');
    });
  }

  /** MQTT 5 properties with the station's signature of `text` on `topic` (none without a key). */
  #signed(
    topic: string,
    text: string,
    properties: IPublishPacket['properties'] = undefined,
  ): { properties?: IPublishPacket['properties'] } {
    const signer = this.#d.stationSigner;
    if (!signer || this.#o.protocolVersion !== 5) return properties ? { properties } : {};
    const sig = signStationPayload(topic, Buffer.from(text), signer.privateKey, signer.chain);
    return {
      properties: {
        ...properties,
        userProperties: { ...properties?.userProperties, [STATION_SIGNATURE_PROPERTY]: sig },
      },
    };
  }

  // ---- presence and state ------------------------------------------------------------------

  #publishState(part: StatePart): void {
    const link = this.#link;
    if (!link?.connected) return;
    const at = this.#now().toISOString();
    const s = this.#d.state;
    const opts = { qos: 1 as const, retain: true };
    switch (part) {
      case 'compartments':
        this.#publish(
          link,
          this.topics.compartments,
          { v: 1, at, compartments: s.compartments() },
          opts,
        );
        break;
      case 'doors':
        this.#publish(link, this.topics.doors, { v: 1, at, doors: s.doors() }, opts);
        break;
      case 'alarms': {
        const alarms = s
          .alarms()
          .filter((a) => a.alarm !== 'outbox_filling' && a.alarm !== 'outbox_full');
        alarms.push(...this.#alarms.list());
        if (this.#d.outbox.reserveOnly)
          alarms.push({ alarm: 'outbox_full', severity: 'critical', since: at });
        else if (this.#d.outbox.fillingAlarm)
          alarms.push({ alarm: 'outbox_filling', severity: 'warning', since: at });
        this.#publish(link, this.topics.alarms, { v: 1, at, alarms }, opts);
        break;
      }
      case 'crl':
        this.#publish(link, this.topics.crl, { v: 1, at, ...s.crl() }, opts);
        break;
    }
  }

  #sendHeartbeat(): void {
    const link = this.#link;
    if (!link?.connected) return;
    const now = this.#now();
    const hb: HeartbeatMessage = {
      v: 1,
      at: now.toISOString(),
      session: link.session,
      uptimeSec: Math.max(0, Math.round((now.getTime() - this.#startedAtMs) / 1000)),
      intervalSec: this.#o.heartbeatSec,
      version: this.#o.version,
      outboxDepth: this.#d.outbox.depth(),
      crlAgeSec: this.#d.state.crl().ageSec,
      hardware: this.#d.state.hardware(),
      mode: this.#d.state.mode(),
    };
    const auditHead = this.#d.state.auditHead?.();
    if (auditHead) hb.auditHead = auditHead;
    this.#publish(link, this.topics.heartbeat, hb, { qos: 0 });
  }

  // ---- events ------------------------------------------------------------------------------

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    const link = this.#link;
    if (!link?.connected) return;
    const outbox = this.#d.outbox;
    while (link.inflight.length < link.window) {
      const rows = outbox.readFrom(
        link.nextSeq - 1,
        Math.min(500, link.window - link.inflight.length),
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const entry = { seq: row.seq, acked: false };
        link.inflight.push(entry);
        link.nextSeq = row.seq + 1;
        const message = outbox.toMessage(row, row.seq < link.liveFrom);
        const text = JSON.stringify(message);
        link.client.publish(
          this.topics.events,
          text,
          { qos: 1, ...this.#signed(this.topics.events, text) },
          (err) => this.#onEventAck(link, entry, err),
        );
      }
    }
  }

  #onEventAck(link: Link, entry: { seq: number; acked: boolean }, err: Error | undefined): void {
    if (this.#link !== link || !link.connected) return;
    if (err) {
      // The broker refused an event (MQTT 5 PUBACK reason code): retry on a new connection.
      this.#d.log.error({ seq: entry.seq, err: err.message }, 'the broker refused an event');
      link.failed = true;
      link.client.end(true);
      return;
    }
    entry.acked = true;
    while (link.inflight.length > 0 && link.inflight[0]!.acked) {
      link.ackedUpto = link.inflight.shift()!.seq;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#flushCursor(link);
      });
    }
    this.#schedulePump();
  }

  #flushCursor(link: Link): void {
    if (link.ackedUpto > this.#d.outbox.sentUpto()) {
      try {
        this.#d.outbox.markSent(link.ackedUpto);
      } catch (err) {
        this.#d.log.error({ err }, 'cannot record delivered events');
      }
    }
  }

  // ---- commands ----------------------------------------------------------------------------

  #enqueueCommand(link: Link, payload: Buffer, packet: IPublishPacket): void {
    this.#commandChain = this.#commandChain
      .then(() => this.#handleCommand(link, payload, packet))
      .catch((err: unknown) => this.#d.log.error({ err }, 'command handling failed'));
  }

  async #handleCommand(link: Link, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const contentHash = createHash('sha256').update(payload).digest('hex');
    const answer = this.#answerer(packet);
    const clock = this.#clock.observe();
    if (!clock.ok) {
      this.#refuse(answer, contentHash, {
        ok: false,
        reason: 'clock_jump',
        commandId: null,
        kind: null,
        authenticated: false,
        detail: clock.detail,
      });
      return;
    }
    const now = this.#now();
    const checked = this.#verifier.verify(payload, packet.retain, now);
    if (!checked.ok) {
      this.#refuse(answer, contentHash, checked);
      return;
    }
    const { claims } = checked;
    const seen = this.#commands.get(claims.id);
    if (seen) {
      if (seen.contentHash !== checked.contentHash) {
        this.#refuse(answer, contentHash, {
          ok: false,
          reason: 'replayed',
          commandId: claims.id,
          kind: claims.kind,
          authenticated: true,
          detail: 'command id reused for other content',
        });
      } else if (!this.#refusals.allowAnswer()) {
        // A flood of copies of a handled command: nothing executes, answers are rate-limited.
      } else if (seen.state === 'done') {
        const { v: _v, station: _s, at: _a, ...prev } = seen.response;
        answer({ ...prev, duplicate: true });
      } else {
        answer({
          commandId: claims.id,
          kind: claims.kind,
          status: 'rejected',
          reason: seen.state,
          duplicate: true,
        });
      }
      return;
    }
    this.#commands.begin(
      claims.id,
      checked.contentHash,
      claims.kind,
      now,
      new Date(claims.expiresAt).toISOString(),
    );
    const run = this.#executeAndAnswer(checked, answer);
    // crl.available downloads a file: it runs beside the command chain, so a slow URL never
    // holds up the commands after it (an emergency remote.open is answered at once).
    if (claims.kind === 'crl.available')
      run.catch((err: unknown) => this.#d.log.error({ err }, 'command handling failed'));
    else await run;
  }

  /** Executes a verified, begun command, records the answer and sends it. */
  async #executeAndAnswer(checked: CheckedCommand, answer: Answer): Promise<void> {
    const { claims } = checked;
    const result = await this.#execute(checked);
    const response: CommandResponse = {
      v: 1,
      commandId: claims.id,
      kind: claims.kind,
      station: this.#o.stationId,
      status: result.accepted ? 'accepted' : 'rejected',
      ...(result.accepted ? {} : { reason: result.reason }),
      ...(result.detail ? { detail: result.detail } : {}),
      duplicate: false,
      at: this.#now().toISOString(),
    };
    try {
      this.#d.db.transaction(() => {
        this.#commands.finish(claims.id, response);
        this.#d.outbox.append({
          kind: 'command.handled',
          data: {
            commandId: claims.id,
            kind: claims.kind,
            status: response.status,
            ...(response.reason ? { reason: response.reason } : {}),
          },
        });
      })();
    } catch (err) {
      // The outbox is full (its alarm is up): the answer is still recorded and sent, so the
      // command is not left "in progress" and a repeat gets the same answer.
      this.#d.log.error(
        { err, commandId: claims.id },
        'cannot record command.handled; answering anyway',
      );
      this.#commands.finish(claims.id, response);
    }
    this.#d.log.info(
      { commandId: claims.id, kind: claims.kind, status: response.status, reason: response.reason },
      'command answered',
    );
    const { v: _v, station: _s, at: _a, ...r } = response;
    answer(r);
  }

  /** Publishes an answer on the current connection (the command's may be gone by now). */
  #answerer(packet: IPublishPacket | undefined): Answer {
    const correlationData = packet?.properties?.correlationData;
    return (r: Omit<CommandResponse, 'v' | 'station' | 'at'>): void => {
      const response: CommandResponse = {
        v: 1,
        ...r,
        station: this.#o.stationId,
        at: this.#now().toISOString(),
      };
      const current = this.#link;
      if (current)
        this.#publish(current, this.topics.response, response, {
          qos: 1,
          ...(correlationData && this.#o.protocolVersion === 5
            ? { properties: { correlationData } }
            : {}),
        });
    };
  }

  /**
   * A refusal: the first copy of a content (by SHA-256 of the payload) is logged and, when the
   * signer was verified, recorded as `command.handled`; further copies only count. Answers
   * are rate-limited. So 2,000 replays of a captured command cost one outbox row.
   */
  #refuse(answer: Answer, contentHash: string, refused: RefusedCommand): void {
    const d = this.#refusals.refuse(contentHash);
    const fields = {
      commandId: refused.commandId,
      kind: refused.kind,
      reason: refused.reason,
      detail: refused.detail,
    };
    if (d.first) {
      this.#d.log.warn(fields, 'command rejected');
      if (refused.authenticated)
        this.#audit(refused.commandId, refused.kind, 'rejected', refused.reason);
    } else {
      this.#d.log.debug({ ...fields, copies: d.copies }, 'command rejected again');
    }
    if (d.answer)
      answer({
        commandId: refused.commandId,
        kind: refused.kind,
        status: 'rejected',
        reason: refused.reason,
        duplicate: !d.first,
      });
  }

  /** A payload above the size limit, refused without reading it. */
  #refuseTooLarge(bytes: number): void {
    this.#refuse(this.#answerer(undefined), `too_large:${bytes}`, {
      ok: false,
      reason: 'too_large',
      commandId: null,
      kind: null,
      authenticated: false,
      detail: `${bytes} bytes`,
    });
  }

  #onTakeover(announced: boolean): void {
    const count = this.#takeovers.note();
    this.#d.log.warn(
      { count, announced },
      announced
        ? 'the broker says another client took over this session'
        : 'the broker closed the connection without a reason (session takeover?)',
    );
    if (count >= this.#o.takeoverAlarmCount)
      this.#alarms.raise(
        'session_takeover',
        'critical',
        `the broker closed this station's session ${count} times within 10 minutes: another client may be using its identity`,
      );
  }

  #onClockVerdict(v: ReturnType<ClockGuard['observe']>): void {
    if (v.ok) this.#alarms.clear('clock_jump');
    else this.#alarms.raise('clock_jump', 'critical', `${v.kind}: ${v.detail}`);
  }

  async #execute(checked: CheckedCommand): Promise<CommandResult> {
    try {
      return await this.#d.handler.handle({
        claims: checked.claims,
        signerSpkiSha256: checked.signerSpkiSha256,
        receivedAt: this.#now(),
      });
    } catch (err) {
      this.#d.log.error({ err, commandId: checked.claims.id }, 'command handler failed');
      return { accepted: false, reason: 'handler_error' };
    }
  }

  #audit(
    commandId: string | null,
    kind: CommandKind | null,
    status: 'accepted' | 'rejected',
    reason: CommandRejectReason,
  ): void {
    try {
      this.#d.outbox.append({ kind: 'command.handled', data: { commandId, kind, status, reason } });
    } catch (err) {
      this.#d.log.error({ err }, 'cannot record a command refusal');
    }
  }
}

/**
 * Delay before reconnect attempt `attempt` (0 = the first after a loss): exponential back-off
 * from `minMs`, doubling per attempt, with jitter (x0.5..x1.5 from `random` in [0, 1)) so a
 * fleet does not reconnect in step after a broker restart; never above `maxMs`.
 */
export function reconnectDelayMs(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: number,
): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(Math.min(maxMs, base * (0.5 + random)));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
