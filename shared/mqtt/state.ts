/**
 * Presence, retained state and heartbeat, station -> all.
 *
 * On every connect and reconnect the station publishes, retained: `status` = online, then the
 * full state (`state/compartments`, `state/doors`, `state/alarms`, `state/crl`). Its MQTT
 * will (retained) sets `status` to offline when the connection dies; a clean stop publishes
 * offline itself. `session` counts connections (like Sparkplug's bdSeq): an `offline` with
 * session N ends the `online` with session N, so a late will cannot hide a newer birth.
 */
import type { CommandCrlState } from './command-crl.js';

/** Compartment states (the schemas use this list: one source for both). */
export const COMPARTMENT_STATUSES = [
  'free',
  'reserved', // assigned, waiting for staff to load
  'loaded', // holds a document for a holder
  'expired', // deadline passed, waiting for retrieval
  'open',
  'fault',
  'jammed',
  'maintenance',
  'disabled',
] as const;
/** A compartment state. */
export type CompartmentStatus = (typeof COMPARTMENT_STATUSES)[number];

/** Door states. */
export const DOOR_STATUSES = [
  'locked',
  'unlocked',
  'open',
  'held_open',
  'forced',
  'fault',
  'unknown',
] as const;
/** A door state. */
export type DoorStatus = (typeof DOOR_STATUSES)[number];

/** Alarm codes. */
export const ALARM_CODES = [
  'door_held_open',
  'door_forced',
  'compartment_jammed',
  'item_not_removed',
  'tamper',
  'board_unreachable',
  'reader_gone',
  'crl_stale',
  /** A CRL's thisUpdate is in the future (the station's clock or the CA's is wrong): not used yet. */
  'crl_not_yet_valid',
  'disk_low',
  'clock_wrong',
  'clock_jump',
  'session_takeover',
  /** No valid CRL of the command-signing CA: every command is refused until one is published. */
  'command_crl_missing',
  /** The command CA's CRL is past nextUpdate + tolerance: every command is refused. */
  'command_crl_stale',
  'outbox_filling',
  'outbox_full',
  'card_left',
  /** A door's fire-alarm input is active: fail-safe doors are released. */
  'fire_alarm',
] as const;
/** An alarm code. */
export type AlarmCode = (typeof ALARM_CODES)[number];
/** Alarm severities. */
export const ALARM_SEVERITIES = ['info', 'warning', 'critical'] as const;
/** An alarm severity. */
export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];
/** Device health values in the heartbeat. */
export const DEVICE_HEALTH = ['ok', 'degraded', 'lost', 'absent'] as const;

/** `status` (retained). The will carries `offline`. */
export interface StatusMessage {
  v: 1;
  state: 'online' | 'offline';
  /** Connection counter of this station (see above). */
  session: number;
  /** Software version (online only). */
  version?: string;
  /** ISO 8601: when this connection started (online) or when the station stopped cleanly. */
  at?: string;
}

/** One compartment in `state/compartments`. */
export interface CompartmentState {
  compartment: string;
  size: 'S' | 'M' | 'L';
  status: CompartmentStatus;
  door: 'open' | 'closed' | 'unknown';
  deliveryId: string | null;
  /** ISO 8601 pickup deadline of the delivery inside, if any. */
  pickupDeadline: string | null;
}
/** `state/compartments` (retained). */
export interface CompartmentsMessage {
  v: 1;
  at: string;
  compartments: CompartmentState[];
}
/** `state/doors` (retained). */
export interface DoorsMessage {
  v: 1;
  at: string;
  doors: { door: string; status: DoorStatus }[];
}
/** One active alarm. */
export interface ActiveAlarm {
  alarm: AlarmCode;
  severity: AlarmSeverity;
  target?: string;
  since: string;
  detail?: string;
}
/** `state/alarms` (retained): every active alarm. */
export interface AlarmsMessage {
  v: 1;
  at: string;
  alarms: ActiveAlarm[];
}
/** CRL freshness. */
export interface CrlState {
  /** Seconds since the newest CRL's thisUpdate; null when the station has no CRL. */
  ageSec: number | null;
  thisUpdate: string | null;
  nextUpdate: string | null;
  /** True when past nextUpdate + tolerance: pickups are refused with crl_stale. */
  stale: boolean;
  /** The command-signing CA's CRL (commands are refused without a usable one). */
  command?: CommandCrlState;
}
/** `state/crl` (retained). */
export interface CrlMessage extends CrlState {
  v: 1;
  at: string;
}
/** Health of one device. */
export type DeviceHealth = (typeof DEVICE_HEALTH)[number];
/** `heartbeat` (QoS 0, every mqtt.heartbeatSec). */
export interface HeartbeatMessage {
  v: 1;
  at: string;
  session: number;
  uptimeSec: number;
  /** Seconds until the next heartbeat (mqtt.heartbeatSec): a watcher judges silence by it. */
  intervalSec?: number;
  version: string;
  /** Events waiting in the outbox. */
  outboxDepth: number;
  crlAgeSec: number | null;
  /** Device name -> health, e.g. `{ "cardReader": "ok", "board0": "lost" }`. */
  hardware: Record<string, DeviceHealth>;
  mode: 'active' | 'maintenance';
  /**
   * The head of the station's audit chain (last row's seq and hash; absent before the first
   * row): whoever keeps these can tell later whether the chain up to that row was rewritten.
   */
  auditHead?: { seq: number; hash: string };
}
