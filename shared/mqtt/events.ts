/**
 * Events, station -> back office, on `jpki-locker/v1/<station>/events` (QoS 1, not retained).
 *
 * Every event was stored in the station's outbox in the same SQLite transaction as the state
 * change it reports; it is delivered at least once, in `seq` order. Consumers deduplicate on
 * `id` (or `seq`). Events sent again after a reconnect or restart carry `historical: true`.
 * No personal data: a person appears only as the SHA-256 of their certificate's
 * SubjectPublicKeyInfo.
 */
import type {
  CompartmentSize,
  CommandKind,
  CommandRejectReason,
  RemoteOpenDisposition,
  SpkiSha256,
} from './commands.js';
import type { Receipt } from './receipt.js';
import type { AlarmCode, AlarmSeverity, CompartmentStatus, DoorStatus } from './state.js';

/** Why a pickup or door attempt was denied (also used for granted: `ok`). */
export const ATTEMPT_REASONS = [
  'ok',
  'no_delivery',
  'wrong_holder',
  'cert_revoked',
  'cert_expired',
  'cert_untrusted',
  'crl_stale',
  /** The CRL that would decide is dated in the future (clock wrong?): not used yet. */
  'crl_not_yet_valid',
  'wrong_pin',
  'pin_locked',
  'card_error',
  'outside_hours',
  'outside_schedule',
  'no_rule',
  'maintenance_mode',
  'lock_failed',
  'cancelled',
  /** Pickup: the card was pulled out before the compartments opened. */
  'card_removed',
  /** Pickup: no PIN typed within pickup.pinTimeoutSec. */
  'pin_timeout',
  /** Pickup: the card did not prove it holds the certificate's key (forged card). */
  'proof_failed',
  /** Pickup: one PIN try was left; the station did not ask for it (pickup.refuseLastTry). */
  'pin_last_try',
  /** Pickup: the delivery's pickup deadline has passed. */
  'deadline_passed',
  /** Door: the only matching rules are past their validity. */
  'rule_expired',
  /** Door: the only matching rules are not valid yet. */
  'rule_not_yet_valid',
  /** Door: no such door at this station. */
  'unknown_door',
  /** Door: the same card was granted at this door less than antiPassbackSec ago. */
  'anti_passback',
] as const;
/** An attempt reason. */
export type AttemptReason = (typeof ATTEMPT_REASONS)[number];

/** Revocation sources a certificate decision can come from. */
export const REVOCATION_SOURCES = ['ocsp', 'ocsp-cache', 'crl'] as const;
/** A revocation source. */
export type RevocationSourceName = (typeof REVOCATION_SOURCES)[number];

/** Every event kind and its `data`: the typed map of events. */
export interface EventData {
  'delivery.assigned': {
    deliveryId: string;
    compartment: string;
    size?: CompartmentSize;
    holderSpkiSha256: SpkiSha256;
    pickupDeadline: string;
  };
  /** Staff put the document in and closed the door. */
  'delivery.loaded': { deliveryId: string; compartment: string; staffSpkiSha256?: SpkiSha256 };
  'delivery.collected': {
    deliveryId: string;
    compartment: string;
    holderSpkiSha256: SpkiSha256;
    /**
     * What the holder's card signed for this collection (the same receipt on every delivery
     * of one collection). Absent when the card could not sign (the collection still counts).
     */
    receipt?: Receipt;
  };
  'delivery.expired': { deliveryId: string; compartment: string };
  'delivery.cancelled': { deliveryId: string; compartment?: string; reason?: string };
  'delivery.extended': { deliveryId: string; pickupDeadline: string };
  /** Staff took an expired or cancelled document back out. */
  'delivery.retrieved': { deliveryId: string; compartment: string; staffSpkiSha256?: SpkiSha256 };
  /**
   * Staff opened the compartment (a `remote.open` with a disposition, or a maintenance staff
   * member at the kiosk) and took the document out: to the counter, back, or for inspection.
   */
  'delivery.disposed': {
    deliveryId: string;
    compartment: string;
    disposition: RemoteOpenDisposition;
    /** The delivery's new state. */
    state: 'handed_over' | 'retrieved' | 'inspection';
    staffSpkiSha256?: SpkiSha256;
  };
  'compartment.state': {
    compartment: string;
    status: CompartmentStatus;
    door: 'open' | 'closed' | 'unknown';
    deliveryId?: string | null;
  };
  'door.state': { door: string; status: DoorStatus };
  /** A door access decision. */
  'door.decision': {
    door: string;
    decision: 'granted' | 'denied';
    reason: AttemptReason;
    /** Null when no certificate was read. */
    holderSpkiSha256: SpkiSha256 | null;
    ruleId?: string;
  };
  /** A pickup attempt at the kiosk. */
  'pickup.attempt': {
    result: 'granted' | 'denied';
    reason: AttemptReason;
    holderSpkiSha256: SpkiSha256 | null;
    deliveryId?: string;
    compartment?: string;
    /**
     * Which revocation source decided the certificate check: `ocsp` (asked now), `ocsp-cache`
     * (an OCSP answer cached until its nextUpdate, or relayed by the office), `crl`.
     * Absent when no certificate was checked.
     */
    revocationSource?: RevocationSourceName;
  };
  /**
   * A lock is about to be pulsed: committed BEFORE any output is driven, so an opening is never
   * unrecorded. Its `actuation` (what the sensor read back) follows; an intent without one means
   * the station stopped in between (the lock may have opened).
   */
  'actuation.intent': {
    target: 'compartment' | 'door';
    id: string;
    cause: 'pickup' | 'load' | 'retrieval' | 'remote' | 'door_access' | 'maintenance';
  };
  /** A lock was pulsed (remote or local) and what the sensor read back. */
  actuation: {
    target: 'compartment' | 'door';
    id: string;
    cause: 'pickup' | 'load' | 'retrieval' | 'remote' | 'door_access' | 'maintenance';
    opened: boolean;
  };
  'alarm.raised': {
    alarm: AlarmCode;
    severity: AlarmSeverity;
    /** Compartment / door / device the alarm is about, when any. */
    target?: string;
    detail?: string;
  };
  'alarm.cleared': { alarm: AlarmCode; target?: string };
  'crl.updated': {
    sha256: string;
    thisUpdate: string;
    nextUpdate: string;
    entries: number;
    source: string;
  };
  /** An accepted or rejected command, for the audit trail (the answer went to cmd/response). */
  'command.handled': {
    commandId: string | null;
    kind: CommandKind | null;
    status: 'accepted' | 'rejected';
    reason?: CommandRejectReason;
  };
  'station.started': { version: string };
  'station.mode': { mode: 'active' | 'maintenance'; reason?: string };
  'roster.applied': { version: number; staff: number };
  'door-rules.applied': { version: number; rules: number };
  'config.applied': { version: number; keys: string[] };
  /**
   * A signed checkpoint of the audit chain's head, written before records are pruned: the
   * last row's seq and hash, signed (JWS, ES256/RS256/EdDSA with the station's signing key).
   */
  'audit.checkpoint': {
    seq: number;
    hash: string;
    /** Compact JWS over {"seq","hash","at","station"} (see controller/retention). */
    jws: string;
  };
  /** What the nightly retention job deleted (counts per record kind). */
  'retention.pruned': {
    deliveries: number;
    attempts: number;
    auditRows: number;
    events: number;
    /** The checkpoint written before pruning. */
    checkpointSeq: number;
  };
}
/** An event kind. */
export type EventKind = keyof EventData;
/** Every event kind. */
export const EVENT_KINDS = [
  'delivery.assigned',
  'delivery.loaded',
  'delivery.collected',
  'delivery.expired',
  'delivery.cancelled',
  'delivery.extended',
  'delivery.retrieved',
  'delivery.disposed',
  'compartment.state',
  'door.state',
  'door.decision',
  'pickup.attempt',
  'actuation.intent',
  'actuation',
  'alarm.raised',
  'alarm.cleared',
  'crl.updated',
  'command.handled',
  'station.started',
  'station.mode',
  'roster.applied',
  'door-rules.applied',
  'config.applied',
  'audit.checkpoint',
  'retention.pruned',
] as const satisfies readonly EventKind[];

/** What a producer hands to the outbox: a kind and its data (the rest is added). */
export type NewEvent = { [K in EventKind]: { kind: K; data: EventData[K] } }[EventKind];

/** One event on the wire. */
export type EventMessage = {
  [K in EventKind]: {
    v: 1;
    /** Station-wide sequence number: 1, 2, 3 ... never reused, no gaps. */
    seq: number;
    /** UUID of this event. */
    id: string;
    station: string;
    kind: K;
    /** When the state change happened (ISO 8601, station clock). */
    at: string;
    /** True when sent again after a reconnect or restart (store-and-forward). */
    historical: boolean;
    data: EventData[K];
  };
}[EventKind];
