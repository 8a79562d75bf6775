import type { KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { commandCrlTopic } from '../../shared/mqtt/command-crl.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import type { Secret } from '../../shared/secret.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Db } from '../storage/db.js';
import { MetaRepository } from '../storage/meta-repository.js';
import { ClockGuard } from './clock-guard.js';
import { CommandAnswers } from './command-answers.js';
import type { CommandCrl } from './command-crl.js';
import { CommandCrlIntake } from './command-crl-intake.js';
import { CommandIntake } from './command-intake.js';
import { CommandLog } from './command-log.js';
import { CommandVerifier } from './command-verifier.js';
import { EventPump } from './event-pump.js';
import { LinkAlarms } from './link-alarms.js';
import { LinkConnector, type LinkEvents } from './link.js';
import { RefusalFilter } from './refusal-filter.js';
import { RetainedState } from './retained-state.js';
import type { CommandSignerTrust } from './signer-trust.js';
import { StationPublisher } from './station-publisher.js';
import { TakeoverWatch } from './takeover-watch.js';
import { systemTimers, type Timers } from './timers.js';
import type { CommandHandler, StateProvider } from './types.js';

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
  /** Command-CRL files (DER or PEM) installed at start (trust.commandCrlFiles). */
  commandCrlFiles?: readonly string[];
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
  /**
   * The command CA's CRL that `signerTrust` checks signers against: the gateway installs it
   * from `<prefix>/fleet/command-crl` and the configured files, alarms when it is missing
   * or stale and shows it in `state/crl`.
   */
  commandCrl?: CommandCrl;
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

/** The pieces of a gateway, built once by {@link buildGatewayParts}. */
export interface GatewayParts {
  topics: StationTopics;
  crlTopic: string;
  protocolVersion: 4 | 5;
  heartbeatSec: number;
  takeoverAlarmCount: number;
  crlFiles: readonly string[];
  timers: Timers;
  commands: CommandLog;
  clock: ClockGuard;
  takeovers: TakeoverWatch;
  alarms: LinkAlarms;
  connector: LinkConnector;
  publisher: StationPublisher;
  state: RetainedState;
  events: EventPump;
  answers: CommandAnswers;
  intake: CommandIntake;
  crl: CommandCrlIntake | undefined;
}

/**
 * Builds every piece of the gateway from its options (defaults applied here) and deps;
 * `events` are the gateway's connection callbacks.
 */
export function buildGatewayParts(
  options: MqttGatewayOptions,
  deps: MqttGatewayDeps,
  events: LinkEvents,
): GatewayParts {
  const o = {
    topicPrefix: 'jpki-locker/v1',
    maxInflight: 100,
    clockSkewSec: 60,
    maxCommandLifetimeSec: 86_400,
    clockMaxJumpSec: 300,
    clockSettleSec: 600,
    takeoverAlarmCount: 3,
    ...options,
  };
  const now = deps.now ?? (() => new Date());
  const { log } = deps;
  const topics = new StationTopics(o.stationId, o.topicPrefix);
  const timers = deps.timers ?? systemTimers;
  const monotonicMs = deps.monotonicMs ?? (() => performance.now());
  const commands = new CommandLog(deps.db);
  const clock = new ClockGuard(
    deps.db,
    { maxJumpSec: o.clockMaxJumpSec, settleSec: o.clockSettleSec, skewSec: o.clockSkewSec },
    now,
    monotonicMs,
  );
  const refusals = new RefusalFilter({}, monotonicMs);
  const publisher = new StationPublisher({
    topics,
    protocolVersion: o.protocolVersion,
    version: o.version,
    stationSigner: deps.stationSigner,
    log,
    now,
  });
  // The connector is made last; alarms and answers reach the current link through it.
  const current = () => connector.current;
  const alarms = new LinkAlarms(deps.outbox, log, now, () => state.publish(current(), 'alarms'));
  const commandCrl = deps.commandCrl;
  const state = new RetainedState(
    {
      topics,
      state: deps.state,
      outbox: deps.outbox,
      alarms,
      commandCrl: commandCrl && ((at) => commandCrl.state(at)),
      heartbeatSec: o.heartbeatSec,
      version: o.version,
      now,
      startedAtMs: now().getTime(),
    },
    publisher,
  );
  const answers = new CommandAnswers({
    stationId: o.stationId,
    topics,
    protocolVersion: o.protocolVersion,
    outbox: deps.outbox,
    refusals,
    publisher,
    log,
    now,
    current,
  });
  const crl =
    commandCrl &&
    new CommandCrlIntake(
      commandCrl,
      alarms,
      log,
      now,
      (ms, source) => clock.witness(ms, source),
      () => state.publish(current(), 'crl'),
    );
  const intake = new CommandIntake({
    stationId: o.stationId,
    clockSkewSec: o.clockSkewSec,
    db: deps.db,
    outbox: deps.outbox,
    handler: deps.handler,
    verifier: new CommandVerifier(
      {
        stationId: o.stationId,
        clockSkewSec: o.clockSkewSec,
        maxLifetimeSec: o.maxCommandLifetimeSec,
      },
      deps.signerTrust,
    ),
    commands,
    clock,
    refusals,
    answers,
    log,
    now,
    ready: crl && (() => crl.idle()),
  });
  const connector = new LinkConnector(
    {
      url: o.url,
      protocolVersion: o.protocolVersion,
      clientId: o.clientId || `jpki-locker-${o.stationId}`,
      username: o.username,
      password: o.password,
      tls: o.tls,
      heartbeatSec: o.heartbeatSec,
      reconnectMinMs: o.reconnectMinMs,
      reconnectMaxMs: o.reconnectMaxMs,
      maxInflight: o.maxInflight,
    },
    new MetaRepository(deps.db),
    events,
    { log, random: deps.random ?? Math.random, timers },
  );
  return {
    topics,
    crlTopic: commandCrlTopic(o.topicPrefix),
    protocolVersion: o.protocolVersion,
    heartbeatSec: o.heartbeatSec,
    takeoverAlarmCount: o.takeoverAlarmCount,
    crlFiles: o.commandCrlFiles ?? [],
    timers,
    commands,
    clock,
    takeovers: new TakeoverWatch(o.takeoverAlarmCount, 600_000, monotonicMs),
    alarms,
    connector,
    publisher,
    state,
    events: new EventPump(deps.outbox, topics.events, publisher, log, current),
    answers,
    intake,
    crl,
  };
}
