import type { IPublishPacket } from 'mqtt';
import { MAX_COMMAND_PAYLOAD_BYTES } from '../../shared/mqtt/commands.js';
import type { StationTopics } from '../../shared/mqtt/topics.js';
import type { Component } from '../lifecycle.js';
import type { ClockGuard } from './clock-guard.js';
import {
  buildGatewayParts,
  type GatewayParts,
  type MqttGatewayDeps,
  type MqttGatewayOptions,
} from './gateway-parts.js';
import type { Link } from './link.js';
import { STATE_PARTS } from './retained-state.js';
import { delay } from './station-publisher.js';
import type { TimerHandle } from './timers.js';

export type { MqttGatewayDeps, MqttGatewayOptions } from './gateway-parts.js';
export { reconnectDelayMs } from './link.js';

/** How often the clock (and the command CRL's freshness) is looked at between commands. */
const CLOCK_CHECK_MS = 30_000;

/**
 * The station's link to the municipal back office (see docs/mqtt.md), composed of:
 * LinkConnector (connection, reconnect with back-off), StationPublisher (signed messages,
 * presence), RetainedState (`state/*`, heartbeat), EventPump (the outbox at QoS 1 in seq
 * order), CommandIntake + CommandAnswers (verified commands, at most once, each answered)
 * and CommandCrlIntake (the command CA's CRL). The station works without the broker:
 * start() does not wait for a connection.
 */
export class MqttGateway implements Component {
  readonly name = 'mqtt';
  readonly topics: StationTopics;
  readonly #d: MqttGatewayDeps;
  readonly #p: GatewayParts;
  #started = false;
  #heartbeatTimer: TimerHandle | undefined;
  #clockTimer: TimerHandle | undefined;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #connectionListeners = new Set<(connected: boolean) => void>();

  constructor(options: MqttGatewayOptions, deps: MqttGatewayDeps) {
    this.#d = deps;
    this.#p = buildGatewayParts(options, deps, {
      will: (session) => this.#p.publisher.will(session),
      connected: (link) => this.#onConnect(link),
      message: (_link, topic, payload, packet) => this.#onMessage(topic, payload, packet),
      closed: (link, wasConnected, stopping) => this.#onClose(link, wasConnected, stopping),
    });
    this.topics = this.#p.topics;
  }

  /** True while connected to the broker. */
  get connected(): boolean {
    return this.#p.connector.current?.connected ?? false;
  }

  /** The current connection counter (as in `status` and the will). */
  get session(): number {
    return this.#p.connector.session;
  }

  /** Subscribes to connect (true) / disconnect (false); returns the unsubscribe function. */
  onConnection(listener: (connected: boolean) => void): () => void {
    this.#connectionListeners.add(listener);
    return () => this.#connectionListeners.delete(listener);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.#started = true;
    const interrupted = this.#p.commands.markInterrupted();
    if (interrupted > 0)
      this.#d.log.warn({ interrupted }, 'commands were executing when the station stopped');
    this.#unsubscribe.push(this.#p.clock.onChange((v) => this.#onClockVerdict(v)));
    this.#p.clock.observe();
    this.#p.intake.purge();
    if (this.#p.crl && this.#d.commandCrl) {
      const crl = this.#d.commandCrl;
      for (const problem of await crl.load())
        this.#d.log.warn({ problem }, 'a stored command CRL no longer verifies');
      for (const file of this.#p.crlFiles) await this.#p.crl.installFile(file);
      this.#p.crl.evaluate();
      this.#unsubscribe.push(
        crl.onChange(() => this.#p.state.publish(this.#p.connector.current, 'crl')),
      );
    }
    this.#clockTimer = this.#p.timers.setInterval(() => {
      this.#p.clock.observe();
      this.#p.crl?.evaluate();
    }, CLOCK_CHECK_MS);
    const link = () => this.#p.connector.current;
    this.#unsubscribe.push(
      this.#d.outbox.onAppended(() => this.#p.events.schedule()),
      this.#d.outbox.onAlarm(() => this.#p.state.publish(link(), 'alarms')),
      this.#d.state.onChange((part) => this.#p.state.publish(link(), part)),
    );
    this.#p.connector.open();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    const link = this.#p.connector.detach();
    this.#heartbeatTimer?.cancel();
    this.#clockTimer?.cancel();
    for (const u of this.#unsubscribe.splice(0)) u();
    await Promise.race([this.#p.intake.idle(), delay(2000)]);
    if (link) {
      this.#p.events.flush(link);
      await this.#p.publisher.goodbye(link);
    }
  }

  #onConnect(link: Link): void {
    this.#p.intake.purge();
    this.#p.events.resume(link);
    this.#d.log.info(
      { session: link.session, backlog: this.#p.events.backlog(link) },
      'connected to the broker',
    );
    const refused = (what: string) => (err: Error | null, granted?: { qos: number }[]) => {
      const code = granted?.[0]?.qos;
      if (err || (code !== undefined && code >= 0x80))
        this.#d.log.error(
          { code, err: err?.message },
          `the broker refused the ${what} subscription`,
        );
    };
    if (this.#p.crl) link.client.subscribe(this.#p.crlTopic, { qos: 1 }, refused('command CRL'));
    link.client.subscribe(
      this.topics.command,
      this.#p.protocolVersion === 5 ? { qos: 1, rap: true, nl: true } : { qos: 1 },
      refused('command'),
    );
    this.#p.publisher.online(link);
    for (const part of STATE_PARTS) this.#p.state.publish(link, part);
    this.#p.state.heartbeat(link);
    this.#heartbeatTimer?.cancel();
    this.#heartbeatTimer = this.#p.timers.setInterval(
      () => this.#p.state.heartbeat(this.#p.connector.current),
      this.#p.heartbeatSec * 1000,
    );
    if (!this.#p.takeovers.recent()) this.#p.alarms.clear('session_takeover');
    for (const l of this.#connectionListeners) l(true);
    this.#p.events.schedule();
  }

  #onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (topic === this.#p.crlTopic) {
      this.#p.crl?.accept(payload, `mqtt:${topic}`);
      return;
    }
    if (topic !== this.topics.command) return;
    // An empty payload is a retained message being cleared: nothing to answer.
    if (payload.length === 0) return;
    // Size before anything else (MQTT 3.1.1 has no Maximum Packet Size): the payload is not
    // parsed, hashed or queued.
    if (payload.length > MAX_COMMAND_PAYLOAD_BYTES) this.#p.answers.refuseTooLarge(payload.length);
    else this.#p.intake.enqueue(payload, packet);
  }

  #onClose(link: Link, wasConnected: boolean, stopping: boolean): void {
    this.#p.events.flush(link);
    this.#heartbeatTimer?.cancel();
    if (wasConnected) {
      this.#d.log.warn({ session: link.session }, 'disconnected from the broker');
      for (const l of this.#connectionListeners) l(false);
    }
    // Closed by the broker with 0x8E, or without a word while the link was healthy: what a
    // broker does when another client connects with this client id (mosquitto 2.0.11 just
    // closes the socket). Repeated, it raises session_takeover.
    if (!stopping && wasConnected && (link.takenOver || !link.failed))
      this.#onTakeover(link.takenOver);
  }

  #onTakeover(announced: boolean): void {
    const count = this.#p.takeovers.note();
    this.#d.log.warn(
      { count, announced },
      announced
        ? 'the broker says another client took over this session'
        : 'the broker closed the connection without a reason (session takeover?)',
    );
    if (count >= this.#p.takeoverAlarmCount)
      this.#p.alarms.raise(
        'session_takeover',
        'critical',
        `the broker closed this station's session ${count} times within 10 minutes: another client may be using its identity`,
      );
  }

  #onClockVerdict(v: ReturnType<ClockGuard['observe']>): void {
    if (v.ok) this.#p.alarms.clear('clock_jump');
    else this.#p.alarms.raise('clock_jump', 'critical', `${v.kind}: ${v.detail}`);
  }
}
