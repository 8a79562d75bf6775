/**
 * The whole MQTT contract in one place: each topic suffix (below
 * `jpki-locker/v1/<station>/`) mapped to its payload type, after zigbee2mqtt's
 * `lib/types/api.ts`. Producers and consumers are typed against this map.
 */
import type { CommandMessage, CommandResponse } from './commands.js';
import type { EventMessage } from './events.js';
import type {
  AlarmsMessage,
  CompartmentsMessage,
  CrlMessage,
  DoorsMessage,
  HeartbeatMessage,
  StatusMessage,
} from './state.js';
import type { TopicSuffix } from './topics.js';

/** Topic suffix -> payload (JSON, UTF-8). */
export interface JpkiLockerMqttApi {
  status: StatusMessage;
  'state/compartments': CompartmentsMessage;
  'state/doors': DoorsMessage;
  'state/alarms': AlarmsMessage;
  'state/crl': CrlMessage;
  heartbeat: HeartbeatMessage;
  events: EventMessage;
  cmd: CommandMessage;
  'cmd/response': CommandResponse;
}

/** The payload type of a topic suffix. */
export type PayloadOf<S extends TopicSuffix> = JpkiLockerMqttApi[S];

// Compile-time check that the map covers exactly the topic suffixes.
type _Covers = [TopicSuffix] extends [keyof JpkiLockerMqttApi]
  ? [keyof JpkiLockerMqttApi] extends [TopicSuffix]
    ? true
    : never
  : never;
export const _apiCoversTopics: _Covers = true;
