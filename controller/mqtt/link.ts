import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { STATION_MAX_PACKET_BYTES } from '../../shared/mqtt/commands.js';
import type { Secret } from '../../shared/secret.js';
import type { Logger } from '../log.js';
import type { MetaRepository } from '../storage/meta-repository.js';
import type { TimerHandle, Timers } from './timers.js';

/** Per-connection delivery state. */
export interface Link {
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

/** How to reach the broker. */
export interface LinkSettings {
  url: string;
  protocolVersion: 4 | 5;
  clientId: string;
  username?: string | undefined;
  password?: Secret<string> | undefined;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined;
  heartbeatSec: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  maxInflight: number;
}

/** What the connector tells the gateway. */
export interface LinkEvents {
  /** The (signed) will of a new connection. */
  will(session: number): NonNullable<IClientOptions['will']>;
  connected(link: Link): void;
  message(link: Link, topic: string, payload: Buffer, packet: IPublishPacket): void;
  /** The current link closed; `stopping` when the gateway is being stopped. */
  closed(link: Link, wasConnected: boolean, stopping: boolean): void;
}

/** MQTT 5 DISCONNECT reason code 0x8E "Session taken over" (MQTT 5 §3.14.2.1). */
const SESSION_TAKEN_OVER = 0x8e;

/**
 * One mqtt.js client per connection (mqtt.js reconnects are off), reconnecting with
 * exponential back-off and jitter; each connection counts a new `session` (persisted in the
 * station's meta table, as in `status` and the will).
 */
export class LinkConnector {
  #link: Link | undefined;
  #stopping = false;
  #attempt = 0;
  #reconnectTimer: TimerHandle | undefined;

  constructor(
    private readonly s: LinkSettings,
    private readonly meta: MetaRepository,
    private readonly events: LinkEvents,
    private readonly deps: { log: Logger; random: () => number; timers: Timers },
  ) {}

  /** The current connection (connected or not). */
  get current(): Link | undefined {
    return this.#link;
  }

  /** The current connection counter. */
  get session(): number {
    return this.#link?.session ?? Number(this.meta.get('mqtt.session') ?? 0);
  }

  /** Connects (and keeps reconnecting until {@link detach}). */
  open(): void {
    this.#stopping = false;
    this.#connect();
  }

  /** Stops reconnecting and hands over the current link for a clean goodbye. */
  detach(): Link | undefined {
    this.#stopping = true;
    this.#reconnectTimer?.cancel();
    const link = this.#link;
    this.#link = undefined;
    return link;
  }

  #connect(): void {
    if (this.#stopping) return;
    const s = this.s;
    const session = Number(this.meta.get('mqtt.session') ?? 0) + 1;
    this.meta.set('mqtt.session', String(session));
    const opts: IClientOptions = {
      protocolVersion: s.protocolVersion,
      clientId: s.clientId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: Math.max(10, Math.min(60, s.heartbeatSec * 2)),
      resubscribe: false,
      queueQoSZero: false,
      will: this.events.will(session),
      ...(s.username ? { username: s.username } : {}),
      ...(s.password ? { password: s.password.reveal() } : {}),
      ...(s.tls?.ca ? { ca: s.tls.ca } : {}),
      ...(s.tls?.cert ? { cert: s.tls.cert } : {}),
      ...(s.tls?.key ? { key: s.tls.key } : {}),
      rejectUnauthorized: true,
      // MQTT 5: the broker never forwards this client a packet above its Maximum Packet Size
      // (§3.1.2.11.4), so an oversized command never reaches the station's memory.
      ...(s.protocolVersion === 5
        ? {
            properties: { sessionExpiryInterval: 0, maximumPacketSize: STATION_MAX_PACKET_BYTES },
          }
        : {}),
    };
    const client = mqtt.connect(s.url, opts);
    const link: Link = {
      client,
      session,
      connected: false,
      liveFrom: 0,
      nextSeq: 0,
      inflight: [],
      ackedUpto: 0,
      window: s.maxInflight,
      failed: false,
      takenOver: false,
    };
    this.#link = link;
    client.on('connect', (connack) => {
      if (this.#link !== link) return;
      const receiveMaximum = connack.properties?.receiveMaximum;
      link.window = Math.max(1, Math.min(s.maxInflight, receiveMaximum ?? Infinity));
      this.#attempt = 0;
      link.connected = true;
      this.events.connected(link);
    });
    client.on('message', (topic, payload, packet) => {
      if (this.#link === link) this.events.message(link, topic, payload, packet);
    });
    client.on('disconnect', (packet) => {
      if (this.#link === link && packet.reasonCode === SESSION_TAKEN_OVER) link.takenOver = true;
    });
    client.on('error', (err) => {
      link.failed = true;
      this.deps.log.warn(
        { err: { message: err.message, code: (err as { code?: unknown }).code } },
        'broker connection error',
      );
    });
    client.on('close', () => this.#onClose(link));
  }

  #onClose(link: Link): void {
    if (this.#link !== link) return;
    const wasConnected = link.connected;
    link.connected = false;
    link.client.removeAllListeners('message');
    link.client.end(true);
    this.events.closed(link, wasConnected, this.#stopping);
    if (this.#stopping) return;
    const wait = reconnectDelayMs(
      this.#attempt,
      this.s.reconnectMinMs,
      this.s.reconnectMaxMs,
      this.deps.random(),
    );
    this.#attempt = Math.min(this.#attempt + 1, 30);
    this.#reconnectTimer = this.deps.timers.setTimeout(() => this.#connect(), wait);
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
