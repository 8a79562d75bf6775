/**
 * What the domain and the flows need from the parts around them, as small interfaces.
 * controller/adapters fits the card client (controller/card), the trust engine
 * (controller/trust), the locker boards (hardware/locker-board), the GPIO doors
 * (hardware/gpio), the outbox and SQLite (the repositories and the unit of work) onto them;
 * tests use the simulated ones.
 */
import type { Secret } from '../../shared/secret.js';
import type { NewEvent } from '../../shared/mqtt/events.js';
import type { CompartmentSize, StaffRosterBody } from '../../shared/mqtt/commands.js';
import type { AlarmCode } from '../../shared/mqtt/state.js';
import type {
  AlarmRow,
  AuditRecord,
  CompartmentRow,
  CompartmentState,
  DeliveryRow,
  DeliveryState,
  DoorState,
  StaffRow,
  StatePart,
} from './model.js';

/** How a PIN verification ended. A wrong PIN is a result, not an exception. */
export type PinVerifyOutcome =
  { outcome: 'ok' } | { outcome: 'wrong'; triesLeft: number } | { outcome: 'blocked' };

/** One session with the card in the reader, speaking JPKI. Calls reject when it is removed. */
export interface HolderCard {
  /** Name of the reader holding the card (a door reader picks its door), when known. */
  readonly reader?: string;
  /** The user-authentication certificate (EF 000A), DER. */
  readAuthCertificate(): Promise<Uint8Array>;
  /** Tries left without spending one; `blocked` when none are left. */
  pinStatus(): Promise<{ triesLeft: number; blocked: boolean }>;
  /** VERIFY with the PIN the resident typed; spends a try only when wrong. */
  verifyPin(pin: Secret): Promise<PinVerifyOutcome>;
  /**
   * Signs SHA-256(`nonce`) with the authentication key (after a successful verifyPin);
   * returns the PKCS#1 v1.5 signature.
   */
  signNonce(nonce: Uint8Array): Promise<Uint8Array>;
  /** Ends the session (resets the card's verified state). Idempotent, never throws. */
  close(): Promise<void>;
  /**
   * What was inserted (EF 0006 token): a My Number `card`, a `phone` (its certificate only
   * after the PIN), or `not_jpki` (no JPKI application). Absent: a card.
   */
  kind?(): Promise<'card' | 'phone' | 'not_jpki'>;
}

/** Card insertion and removal, and a way to open a session with the card present. */
export interface CardSource {
  /** Subscribes to insert/remove; returns the unsubscribe function. */
  onCard(listener: (event: 'inserted' | 'removed') => void): () => void;
  /** Opens a JPKI session with the card now present. */
  open(): Promise<HolderCard>;
}

/** Why a certificate is not accepted (the trust engine's reason codes). */
export type CertRefusal =
  | 'expired'
  | 'not_yet_valid'
  | 'revoked'
  | 'unknown_issuer'
  | 'crl_stale'
  | 'crl_not_yet_valid'
  | 'no_crl'
  | 'bad_signature'
  | 'wrong_purpose'
  | 'malformed';

/** Which revocation source decided (OCSP fetched now, a cached OCSP answer, the CRL). */
export type RevocationDecider = 'ocsp' | 'ocsp-cache' | 'crl';

/** The outcome of checking a user-authentication certificate (chain, validity, revocation). */
export type CertCheck = ({ valid: true } | { valid: false; reason: CertRefusal | string }) & {
  source?: RevocationDecider;
};

/** Checks a user-authentication certificate against anchors and cached CRLs, offline. */
export interface CertificateChecker {
  checkAuthCertificate(der: Uint8Array, at: Date): Promise<CertCheck> | CertCheck;
}

/** The result of an unlock, read back from the sensor after acting. */
export type UnlockOutcome = { opened: true } | { opened: false; reason: string };

/** The compartments' locks and door sensors (locker boards). */
export interface CompartmentHardware {
  /** Pulses the lock and reads the latch back (verify after acting). */
  unlock(compartment: string): Promise<UnlockOutcome>;
  /** Door sensor, as last known. */
  doorState(compartment: string): 'open' | 'closed' | 'unknown';
  /** Item sensor when the board has one; undefined when it cannot tell. */
  occupied(compartment: string): boolean | undefined;
  /** Door open/closed changes; returns the unsubscribe function. */
  onDoorChange(listener: (compartment: string, open: boolean) => void): () => void;
  /**
   * Reads the latch from the board now (not the last known state): `unknown` when the
   * board does not answer. Used before a fault is cleared.
   */
  readLatch?(compartment: string): Promise<'open' | 'closed' | 'unknown'>;
}

/** Building doors: a bounded relay pulse, the door contact and request-to-exit. */
export interface DoorHardware {
  /** Releases the strike for at most `ms`; resolves false when the relay refused (cooldown). */
  pulse(door: string, ms: number): Promise<boolean>;
  /**
   * Keeps a fail-safe strike released (fire release): renews the pulse running on it so it
   * ends `ms` from now with no relock in between, or starts one. False when refused.
   */
  hold(door: string, ms: number): Promise<boolean>;
  /** Ends a pulse early (door closed again). */
  relock(door: string): Promise<void>;
  /**
   * Contact changes, request-to-exit presses, and the door's fire-alarm input (`fire` when
   * it becomes active, `fire_clear` when it clears).
   */
  onInput(
    listener: (door: string, input: 'open' | 'closed' | 'rex' | 'fire' | 'fire_clear') => void,
  ): () => void;
}

/**
 * The transactional outbox: must be called inside the caller's SQLite transaction. A safety
 * event (`reserve: true`: actuations, alarms, the steps after a lock opened) may use the
 * reserved room; `reserveOnly` is true when only that room is left.
 */
export interface EventOutbox {
  append(event: NewEvent, options?: { reserve?: boolean }): unknown;
  readonly reserveOnly?: boolean;
}

/** Timers, injectable so tests can use fake ones. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Compartment rows (SQL in controller/adapters/sqlite). */
export interface CompartmentRepository {
  get(id: string): CompartmentRow | undefined;
  all(): CompartmentRow[];
  inState(state: CompartmentState): CompartmentRow[];
  save(row: CompartmentRow): void;
  /** Records the door sensor; true when it changed. */
  setDoor(id: string, door: CompartmentRow['door']): boolean;
  firstFree(size: CompartmentSize): string | undefined;
  /** Creates rows for configured compartments that have none yet (updates their size). */
  ensure(list: readonly { id: string; size: CompartmentSize }[], at: string): void;
}

/** Delivery rows. */
export interface DeliveryRepository {
  get(id: string): DeliveryRow | undefined;
  /** The holder's deliveries still in the station (assigned, loaded or expired). */
  activeForHolder(spki: string): DeliveryRow[];
  /** Assigned or loaded deliveries whose deadline is at or before `at`. */
  due(at: string): DeliveryRow[];
  insert(d: {
    id: string;
    compartment: string;
    holderSpki: string;
    deadline: string;
    at: string;
    envelopeCode?: string;
  }): void;
  /** The open (assigned, loaded or expired) delivery whose envelope carries `code`. */
  activeByEnvelope(code: string): DeliveryRow | undefined;
  setState(
    id: string,
    state: DeliveryState,
    patch?: {
      loaded_at?: string;
      collected_at?: string;
      closed_reason?: string;
      closed_at?: string;
    },
  ): void;
  setDeadline(id: string, deadline: string): void;
}

/** Door rows. */
export interface DoorRepository {
  get(id: string): DoorState | undefined;
  all(): { id: string; state: DoorState }[];
  save(id: string, state: DoorState, at: string): void;
  ensure(ids: readonly string[], at: string): void;
}

/** The staff roster. */
export interface StaffRepository {
  bySpki(spki: string): StaffRow | undefined;
  replace(staff: StaffRosterBody['staff']): void;
  /** True when some staff entry names this key (whatever its validity). */
  has(spki: string): boolean;
}

/** Versioned documents (roster version, door rules). */
export interface DocumentRepository {
  get(name: string): { version: number; body: string } | undefined;
  put(name: string, version: number, body: string, at: string): void;
}

/** Active alarms and the station mode. */
export interface AlarmRepository {
  /** Inserts an alarm; false when it was already active. */
  insert(a: AlarmRow): boolean;
  /** Deletes an alarm; false when it was not active. */
  remove(alarm: AlarmCode, target: string): boolean;
  all(): AlarmRow[];
  mode(): { mode: 'active' | 'maintenance'; reason: string | null } | undefined;
  setMode(mode: 'active' | 'maintenance', reason: string | null): void;
}

/** Every repository, for reads outside a transaction. */
export interface Repositories {
  compartments: CompartmentRepository;
  deliveries: DeliveryRepository;
  doors: DoorRepository;
  staff: StaffRepository;
  documents: DocumentRepository;
  alarms: AlarmRepository;
}

/** What a transaction can do: the repositories, plus the event and the audit row it writes. */
export interface Tx extends Repositories {
  /** The transaction's instant (ISO 8601). */
  readonly at: string;
  /** Appends an outbox event (same transaction). @throws OutboxFullError when full. */
  emit(event: NewEvent): void;
  /** Appends an audit row (same transaction). */
  audit(entry: AuditRecord): void;
  /** Marks a retained state part changed without an event (door sensor). */
  touch(part: StatePart): void;
}

/**
 * One unit of work: `run` writes state, outbox events and audit rows in ONE transaction, so
 * the back office and the audit trail never disagree with the state. Nested runs join the
 * outer transaction. Listeners hear which retained parts changed, after the commit.
 */
export interface UnitOfWork {
  readonly read: Repositories;
  /** `safety`: its events may use the outbox reserve (actuations, alarms, steps after an opening). */
  run<T>(fn: (tx: Tx) => T, options?: { safety?: boolean }): T;
  /** True when only the outbox's safety reserve is left (no new sessions start). */
  readonly reserveOnly: boolean;
  now(): Date;
  /** Subscribes to changes of the retained state; returns the unsubscribe function. */
  onStateChange(listener: (part: StatePart) => void): () => void;
}
