/**
 * MQTT topic layout of the municipal link, version 1.
 *
 * ```
 * jpki-locker/v1/<station>/status              station -> all     retained  presence (online / offline will)
 * jpki-locker/v1/<station>/state/compartments  station -> all     retained  every compartment's state
 * jpki-locker/v1/<station>/state/doors         station -> all     retained  every door's state
 * jpki-locker/v1/<station>/state/alarms        station -> all     retained  active alarms
 * jpki-locker/v1/<station>/state/crl           station -> all     retained  CRL freshness
 * jpki-locker/v1/<station>/heartbeat           station -> all     QoS 0     liveness + health
 * jpki-locker/v1/<station>/events              station -> office  QoS 1     the durable event stream (one topic: ordered)
 * jpki-locker/v1/<station>/cmd                 office  -> station QoS 1     signed command envelopes, never retained
 * jpki-locker/v1/<station>/cmd/response        station -> office  QoS 1     accepted / rejected answers
 * ```
 *
 * A station's broker credentials may publish only under `jpki-locker/v1/<its id>/` (except
 * `cmd`) and subscribe only to its own `cmd`; see docs/mqtt.md for the broker ACL.
 */

/** The contract version carried in every topic (`v1`). Breaking changes get `v2` topics. */
export const CONTRACT_VERSION = 1;

/** The default topic prefix (configurable as mqtt.topicPrefix, but keep the `/v1`). */
export const DEFAULT_TOPIC_PREFIX = 'jpki-locker/v1';

/** Station ids as accepted in topics: lower-case letters, digits, dashes; 1-63 chars. */
export const STATION_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const stationIdRe = new RegExp(STATION_ID_PATTERN);

/** True when `id` is a valid station id (and therefore safe inside a topic). */
export function isStationId(id: string): boolean {
  return stationIdRe.test(id);
}

/** Topic suffixes below `<prefix>/<station>/`, one per message kind. */
export const TOPIC_SUFFIX = {
  status: 'status',
  compartments: 'state/compartments',
  doors: 'state/doors',
  alarms: 'state/alarms',
  crl: 'state/crl',
  heartbeat: 'heartbeat',
  events: 'events',
  command: 'cmd',
  response: 'cmd/response',
} as const;

/** One of the topic suffixes. */
export type TopicSuffix = (typeof TOPIC_SUFFIX)[keyof typeof TOPIC_SUFFIX];

/** Suffixes whose messages are published retained. */
export const RETAINED_SUFFIXES: readonly TopicSuffix[] = [
  'status',
  'state/compartments',
  'state/doors',
  'state/alarms',
  'state/crl',
];

/** Builds the topics of one station. */
export class StationTopics {
  /** `<prefix>/<station>` */
  readonly base: string;
  constructor(
    readonly stationId: string,
    readonly prefix: string = DEFAULT_TOPIC_PREFIX,
  ) {
    if (!isStationId(stationId)) throw new RangeError(`invalid station id "${stationId}"`);
    this.base = `${prefix}/${stationId}`;
  }
  /** The full topic for a suffix. */
  topic(suffix: TopicSuffix): string {
    return `${this.base}/${suffix}`;
  }
  get status(): string {
    return this.topic('status');
  }
  get compartments(): string {
    return this.topic('state/compartments');
  }
  get doors(): string {
    return this.topic('state/doors');
  }
  get alarms(): string {
    return this.topic('state/alarms');
  }
  get crl(): string {
    return this.topic('state/crl');
  }
  get heartbeat(): string {
    return this.topic('heartbeat');
  }
  get events(): string {
    return this.topic('events');
  }
  get command(): string {
    return this.topic('cmd');
  }
  get response(): string {
    return this.topic('cmd/response');
  }
}

/** Wildcard subscriptions for the back office / operator console. */
export const fleetTopics = {
  /** Every station's presence. */
  status: (prefix = DEFAULT_TOPIC_PREFIX) => `${prefix}/+/status`,
  /** Every station's retained state. */
  state: (prefix = DEFAULT_TOPIC_PREFIX) => `${prefix}/+/state/+`,
  heartbeat: (prefix = DEFAULT_TOPIC_PREFIX) => `${prefix}/+/heartbeat`,
  events: (prefix = DEFAULT_TOPIC_PREFIX) => `${prefix}/+/events`,
  responses: (prefix = DEFAULT_TOPIC_PREFIX) => `${prefix}/+/cmd/response`,
  /** Everything from every station. */
  all: (prefix = DEFAULT_TOPIC_PREFIX) => `${prefix}/#`,
};

/** A topic split into its station and suffix, or undefined when it is not ours. */
export function parseTopic(
  topic: string,
  prefix: string = DEFAULT_TOPIC_PREFIX,
): { stationId: string; suffix: TopicSuffix } | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const rest = topic.slice(prefix.length + 1);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const stationId = rest.slice(0, slash);
  const suffix = rest.slice(slash + 1);
  if (!isStationId(stationId)) return undefined;
  if (!(Object.values(TOPIC_SUFFIX) as string[]).includes(suffix)) return undefined;
  return { stationId, suffix: suffix as TopicSuffix };
}
