/**
 * The station's persisted state machines — compartments, deliveries, doors — with the staff
 * roster, door rules, alarms and maintenance mode. Every transition is written together with
 * its outbox event and its audit row in ONE SQLite transaction, so the back office and the
 * audit trail never disagree with the state. Synchronous and hardware-free: the flows
 * (pickup, loading, doors) call it after acting on hardware.
 */
import type { AuditEntry, AuditLog } from '../audit/audit-log.js';
import type { Db } from '../storage/db.js';
import type {
  CommandRejectReason,
  CommandResult,
  CompartmentSize,
  DeliveryAssignBody,
  DoorRulesBody,
  StaffRole,
  StaffRosterBody,
} from '../../shared/mqtt/commands.js';
import type { NewEvent } from '../../shared/mqtt/events.js';
import type {
  ActiveAlarm,
  AlarmCode,
  AlarmSeverity,
  CompartmentState as WireCompartment,
  CompartmentStatus,
  DoorStatus,
} from '../../shared/mqtt/state.js';
import type { EventOutbox } from './ports.js';
import { ruleOpenAt } from './schedule.js';

/** Compartment states. */
export type CompartmentState =
  | 'empty'
  | 'reserved'
  | 'loaded'
  | 'opened_for_pickup'
  | 'collected'
  | 'expired'
  | 'retrieval'
  | 'maintenance'
  | 'fault';

/**
 * Allowed compartment transitions. `collected` counts as free (the last delivery was
 * collected); `expired` means "waiting for staff to take the document back".
 */
export const COMPARTMENT_TRANSITIONS: Record<CompartmentState, readonly CompartmentState[]> = {
  empty: ['reserved', 'maintenance', 'fault'],
  collected: ['reserved', 'empty', 'maintenance', 'fault'],
  reserved: ['loaded', 'empty', 'maintenance', 'fault'],
  loaded: ['opened_for_pickup', 'expired', 'maintenance', 'fault'],
  opened_for_pickup: ['collected', 'loaded', 'fault'],
  expired: ['retrieval', 'loaded', 'maintenance', 'fault'],
  retrieval: ['empty', 'expired', 'fault'],
  maintenance: ['empty', 'reserved', 'loaded', 'expired', 'collected', 'fault'],
  fault: [
    'empty',
    'reserved',
    'loaded',
    'expired',
    'collected',
    'maintenance',
    'opened_for_pickup',
    'retrieval',
  ],
};

/** Door states. */
export type DoorState = 'locked' | 'unlocked' | 'open' | 'held_open' | 'forced';

/** Allowed door transitions. */
export const DOOR_TRANSITIONS: Record<DoorState, readonly DoorState[]> = {
  locked: ['unlocked', 'forced'],
  unlocked: ['open', 'locked'],
  open: ['held_open', 'locked'],
  held_open: ['locked'],
  forced: ['locked'],
};

/** Delivery states. */
export type DeliveryState =
  'assigned' | 'loaded' | 'collected' | 'expired' | 'cancelled' | 'retrieved';

export interface CompartmentRow {
  id: string;
  size: CompartmentSize;
  state: CompartmentState;
  door: 'open' | 'closed' | 'unknown';
  delivery_id: string | null;
  resume_state: CompartmentState | null;
  updated_at: string;
}

export interface DeliveryRow {
  id: string;
  compartment: string;
  holder_spki: string;
  state: DeliveryState;
  pickup_deadline: string;
  created_at: string;
  loaded_at: string | null;
  collected_at: string | null;
  closed_reason: string | null;
}

/** Thrown for a transition the state machine does not allow (a bug in a flow, not input). */
export class TransitionError extends Error {
  constructor(
    readonly machine: 'compartment' | 'door' | 'delivery',
    readonly id: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${machine} ${id}: ${from} -> ${to} is not allowed`);
    this.name = 'TransitionError';
  }
}

/** What a door decision found. */
export interface DoorDecision {
  granted: boolean;
  /** `ok`, `no_rule`, `outside_schedule`, `maintenance_mode`, ... */
  reason: string;
  ruleId?: string;
}

export interface DomainOptions {
  stationId: string;
  compartments: readonly { id: string; size: CompartmentSize }[];
  doors: readonly { id: string }[];
  now: () => Date;
}

const WIRE_STATUS: Record<CompartmentState, CompartmentStatus> = {
  empty: 'free',
  collected: 'free',
  reserved: 'reserved',
  loaded: 'loaded',
  opened_for_pickup: 'open',
  expired: 'expired',
  retrieval: 'open',
  maintenance: 'maintenance',
  fault: 'fault',
};

/** The persisted domain. See the module comment. */
/** Which retained state part an event changes. */
const PART_OF_EVENT: Partial<Record<NewEvent['kind'], 'compartments' | 'doors' | 'alarms'>> = {
  'compartment.state': 'compartments',
  'delivery.assigned': 'compartments',
  'delivery.loaded': 'compartments',
  'delivery.collected': 'compartments',
  'delivery.expired': 'compartments',
  'delivery.cancelled': 'compartments',
  'delivery.extended': 'compartments',
  'delivery.retrieved': 'compartments',
  'door.state': 'doors',
  'alarm.raised': 'alarms',
  'alarm.cleared': 'alarms',
};

export class LockerDomain {
  readonly #s;
  constructor(
    readonly db: Db,
    private readonly outbox: EventOutbox,
    readonly audit: AuditLog,
    private readonly options: DomainOptions,
  ) {
    this.#s = {
      compartment: db.prepare<[string], CompartmentRow>('SELECT * FROM compartments WHERE id = ?'),
      compartments: db.prepare<[], CompartmentRow>('SELECT * FROM compartments ORDER BY id'),
      setCompartment: db.prepare(
        'UPDATE compartments SET state = @state, delivery_id = @delivery_id, resume_state = @resume_state, updated_at = @at WHERE id = @id',
      ),
      setCompartmentDoor: db.prepare(
        'UPDATE compartments SET door = ? WHERE id = ? AND door IS NOT ?',
      ),
      delivery: db.prepare<[string], DeliveryRow>('SELECT * FROM deliveries WHERE id = ?'),
      deliveryIn: db.prepare<[string], DeliveryRow>(
        "SELECT * FROM deliveries WHERE compartment = ? AND state IN ('assigned','loaded','expired') ORDER BY created_at DESC LIMIT 1",
      ),
      holderDeliveries: db.prepare<[string], DeliveryRow>(
        "SELECT * FROM deliveries WHERE holder_spki = ? AND state IN ('assigned','loaded','expired') ORDER BY compartment",
      ),
      due: db.prepare<[string], DeliveryRow>(
        "SELECT * FROM deliveries WHERE state IN ('assigned','loaded') AND pickup_deadline <= ? ORDER BY pickup_deadline",
      ),
      setDelivery: db.prepare(
        'UPDATE deliveries SET state = @state, loaded_at = coalesce(@loaded_at, loaded_at), collected_at = coalesce(@collected_at, collected_at), closed_reason = coalesce(@closed_reason, closed_reason) WHERE id = @id',
      ),
      setDeadline: db.prepare('UPDATE deliveries SET pickup_deadline = ? WHERE id = ?'),
      insertDelivery: db.prepare(
        "INSERT INTO deliveries(id, compartment, holder_spki, state, pickup_deadline, created_at) VALUES (?, ?, ?, 'assigned', ?, ?)",
      ),
      door: db.prepare<[string], { id: string; state: DoorState }>(
        'SELECT id, state FROM doors WHERE id = ?',
      ),
      doors: db.prepare<[], { id: string; state: DoorState }>(
        'SELECT id, state FROM doors ORDER BY id',
      ),
      setDoor: db.prepare('UPDATE doors SET state = ?, updated_at = ? WHERE id = ?'),
      staffBySpki: db.prepare<
        [string],
        { staff_id: string; roles: string; valid_from: string | null; valid_until: string | null }
      >('SELECT staff_id, roles, valid_from, valid_until FROM staff WHERE spki = ?'),
      document: db.prepare<[string], { version: number; body: string }>(
        'SELECT version, body FROM domain_documents WHERE name = ?',
      ),
      setDocument: db.prepare(
        'INSERT INTO domain_documents(name, version, body, applied_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version, body = excluded.body, applied_at = excluded.applied_at',
      ),
      alarms: db.prepare<
        [],
        {
          alarm: AlarmCode;
          target: string;
          severity: AlarmSeverity;
          since: string;
          detail: string | null;
        }
      >('SELECT * FROM alarms ORDER BY since, alarm'),
      insertAlarm: db.prepare(
        'INSERT INTO alarms(alarm, target, severity, since, detail) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      deleteAlarm: db.prepare('DELETE FROM alarms WHERE alarm = ? AND target = ?'),
      mode: db.prepare<[], { mode: 'active' | 'maintenance'; reason: string | null }>(
        'SELECT mode, reason FROM station_mode WHERE id = 1',
      ),
      setMode: db.prepare(
        'INSERT INTO station_mode(id, mode, reason) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET mode = excluded.mode, reason = excluded.reason',
      ),
      freeOfSize: db.prepare<[string], { id: string }>(
        "SELECT id FROM compartments WHERE size = ? AND state IN ('empty','collected') ORDER BY id LIMIT 1",
      ),
    };
    this.#syncConfigured();
  }

  get now(): () => Date {
    return this.options.now;
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  #emit(event: NewEvent): void {
    this.outbox.append(event);
    const part = PART_OF_EVENT[event.kind];
    if (part) this.#changed(part);
  }

  readonly #stateListeners = new Set<(part: 'compartments' | 'doors' | 'alarms') => void>();
  readonly #pendingParts = new Set<'compartments' | 'doors' | 'alarms'>();

  /**
   * Subscribes to changes of the retained state (compartments, doors, alarms), whatever
   * caused them: commands, pickups, loading, door contacts, sweeps. Calls come once per part
   * on a microtask after the change (after its transaction committed), coalesced.
   */
  onStateChange(listener: (part: 'compartments' | 'doors' | 'alarms') => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  #changed(part: 'compartments' | 'doors' | 'alarms'): void {
    if (this.#stateListeners.size === 0) return;
    if (this.#pendingParts.size === 0)
      queueMicrotask(() => {
        const parts = [...this.#pendingParts];
        this.#pendingParts.clear();
        for (const p of parts) for (const l of [...this.#stateListeners]) l(p);
      });
    this.#pendingParts.add(part);
  }

  #audit(entry: AuditEntry): void {
    this.audit.append(entry);
  }

  #at(): string {
    return this.options.now().toISOString();
  }

  /** Creates rows for configured compartments and doors that have none yet. */
  #syncConfigured(): void {
    const at = this.#at();
    const insC = this.db.prepare(
      "INSERT INTO compartments(id, size, state, door, updated_at) VALUES (?, ?, 'empty', 'unknown', ?) ON CONFLICT(id) DO UPDATE SET size = excluded.size",
    );
    const insD = this.db.prepare(
      "INSERT INTO doors(id, state, updated_at) VALUES (?, 'locked', ?) ON CONFLICT(id) DO NOTHING",
    );
    this.db.transaction(() => {
      for (const c of this.options.compartments) insC.run(c.id, c.size, at);
      for (const d of this.options.doors) insD.run(d.id, at);
    })();
  }

  // ---------------------------------------------------------------- compartments

  compartment(id: string): CompartmentRow | undefined {
    return this.#s.compartment.get(id);
  }

  compartments(): CompartmentRow[] {
    return this.#s.compartments.all();
  }

  /**
   * Moves a compartment to `to` (checked against {@link COMPARTMENT_TRANSITIONS}), emitting
   * `compartment.state`. Call inside {@link tx}. @throws TransitionError.
   */
  setCompartment(
    id: string,
    to: CompartmentState,
    patch: { deliveryId?: string | null; resume?: CompartmentState | null } = {},
  ): CompartmentRow {
    const row = this.#s.compartment.get(id);
    if (!row) throw new TransitionError('compartment', id, 'unknown', to);
    if (row.state !== to && !COMPARTMENT_TRANSITIONS[row.state].includes(to))
      throw new TransitionError('compartment', id, row.state, to);
    const next: CompartmentRow = {
      ...row,
      state: to,
      delivery_id: patch.deliveryId === undefined ? row.delivery_id : patch.deliveryId,
      resume_state: patch.resume === undefined ? row.resume_state : patch.resume,
      updated_at: this.#at(),
    };
    this.#s.setCompartment.run({ ...next, at: next.updated_at });
    this.#emit({
      kind: 'compartment.state',
      data: {
        compartment: id,
        status: WIRE_STATUS[to],
        door: row.door,
        deliveryId: next.delivery_id,
      },
    });
    return next;
  }

  /**
   * Records the compartment door sensor (no event: the flows report what it means; the
   * retained `state/compartments` shows it).
   */
  setCompartmentDoor(id: string, door: 'open' | 'closed' | 'unknown'): void {
    if (this.#s.setCompartmentDoor.run(door, id, door).changes > 0) this.#changed('compartments');
  }

  /** Puts a compartment in `fault` (the lock did not open), remembering where it was. */
  markFault(id: string, reason: string, cause: string): void {
    this.tx(() => {
      const row = this.compartment(id);
      if (!row || row.state === 'fault') return;
      this.setCompartment(id, 'fault', { resume: row.state });
      this.raiseAlarm('compartment_jammed', 'critical', `compartment:${id}`, reason);
      this.#audit({
        kind: 'alarm',
        action: 'compartment.fault',
        target: `compartment:${id}`,
        outcome: 'raised',
        reason,
        details: { cause },
      });
    });
  }

  /** Leaves `fault` back to the state it came from (a retry opened it / staff cleared it). */
  clearFault(id: string): void {
    this.tx(() => {
      const row = this.compartment(id);
      if (!row || row.state !== 'fault') return;
      this.setCompartment(id, row.resume_state ?? 'empty', { resume: null });
      this.clearAlarm('compartment_jammed', `compartment:${id}`);
    });
  }

  // ---------------------------------------------------------------- deliveries

  delivery(id: string): DeliveryRow | undefined {
    return this.#s.delivery.get(id);
  }

  /** The holder's deliveries that are still in the station (assigned, loaded or expired). */
  deliveriesForHolder(spki: string): DeliveryRow[] {
    return this.#s.holderDeliveries.all(spki);
  }

  /** Assigns a delivery to a compartment (given, or the first free one of a size). */
  assign(body: DeliveryAssignBody, actor = 'operator:back-office'): CommandResult {
    return this.tx((): CommandResult => {
      if (this.#s.delivery.get(body.deliveryId)) return reject('duplicate_delivery');
      const deadline = Date.parse(body.pickupDeadline);
      if (!Number.isFinite(deadline) || deadline <= this.options.now().getTime())
        return reject('invalid_deadline');
      let compartmentId = body.compartment;
      if (compartmentId) {
        const c = this.compartment(compartmentId);
        if (!c) return reject('unknown_compartment');
        if (c.state !== 'empty' && c.state !== 'collected') return reject('compartment_busy');
      } else {
        compartmentId = this.#s.freeOfSize.get(body.size ?? 'M')?.id;
        if (!compartmentId) return reject('no_compartment_available');
      }
      const at = this.#at();
      this.#s.insertDelivery.run(
        body.deliveryId,
        compartmentId,
        body.holderSpkiSha256,
        new Date(deadline).toISOString(),
        at,
      );
      this.setCompartment(compartmentId, 'reserved', { deliveryId: body.deliveryId });
      const size = this.compartment(compartmentId)!.size;
      this.#emit({
        kind: 'delivery.assigned',
        data: {
          deliveryId: body.deliveryId,
          compartment: compartmentId,
          size,
          holderSpkiSha256: body.holderSpkiSha256,
          pickupDeadline: new Date(deadline).toISOString(),
        },
      });
      this.#audit({
        kind: 'operator',
        action: 'delivery.assign',
        actor,
        target: `delivery:${body.deliveryId}`,
        outcome: 'ok',
        details: { compartment: compartmentId },
      });
      return { accepted: true, detail: { compartment: compartmentId } };
    });
  }

  /** Cancels a delivery: an unloaded one frees its compartment, a loaded one awaits retrieval. */
  cancel(deliveryId: string, reason = '', actor = 'operator:back-office'): CommandResult {
    return this.tx((): CommandResult => {
      const d = this.#s.delivery.get(deliveryId);
      if (!d || !['assigned', 'loaded', 'expired'].includes(d.state))
        return reject('unknown_delivery');
      const c = this.compartment(d.compartment)!;
      if (c.state === 'opened_for_pickup') return reject('compartment_busy');
      this.#setDelivery(d.id, 'cancelled', { closed_reason: reason || 'cancelled' });
      if (d.state === 'assigned') {
        if (c.state === 'reserved') this.setCompartment(c.id, 'empty', { deliveryId: null });
      } else if (c.state === 'loaded') {
        this.setCompartment(c.id, 'expired');
      }
      this.#emit({
        kind: 'delivery.cancelled',
        data: { deliveryId, compartment: d.compartment, ...(reason ? { reason } : {}) },
      });
      this.#audit({
        kind: 'operator',
        action: 'delivery.cancel',
        actor,
        target: `delivery:${deliveryId}`,
        outcome: 'ok',
        reason: reason || 'cancelled',
      });
      return { accepted: true };
    });
  }

  /** Moves a pickup deadline (also brings an expired, not yet retrieved delivery back). */
  extend(
    deliveryId: string,
    pickupDeadline: string,
    actor = 'operator:back-office',
  ): CommandResult {
    return this.tx((): CommandResult => {
      const d = this.#s.delivery.get(deliveryId);
      if (!d || !['assigned', 'loaded', 'expired'].includes(d.state))
        return reject('unknown_delivery');
      const deadline = Date.parse(pickupDeadline);
      if (!Number.isFinite(deadline) || deadline <= this.options.now().getTime())
        return reject('invalid_deadline');
      const iso = new Date(deadline).toISOString();
      this.#s.setDeadline.run(iso, deliveryId);
      if (d.state === 'expired') {
        const c = this.compartment(d.compartment)!;
        if (c.state !== 'expired') return reject('compartment_busy');
        this.#setDelivery(d.id, 'loaded', {});
        this.setCompartment(c.id, 'loaded');
      }
      this.#emit({ kind: 'delivery.extended', data: { deliveryId, pickupDeadline: iso } });
      this.#audit({
        kind: 'operator',
        action: 'delivery.extend',
        actor,
        target: `delivery:${deliveryId}`,
        outcome: 'ok',
        details: { pickupDeadline: iso },
      });
      return { accepted: true };
    });
  }

  /**
   * Expires every delivery whose deadline has passed: a loaded one leaves its compartment
   * `expired` (waiting for retrieval), an unloaded one frees it. Returns the ids expired.
   */
  expireDue(): string[] {
    return this.tx(() => {
      const due = this.#s.due.all(this.#at());
      for (const d of due) {
        this.#setDelivery(d.id, 'expired', { closed_reason: 'deadline_passed' });
        const c = this.compartment(d.compartment)!;
        if (c.state === 'loaded') this.setCompartment(c.id, 'expired');
        else if (c.state === 'reserved') this.setCompartment(c.id, 'empty', { deliveryId: null });
        this.#emit({
          kind: 'delivery.expired',
          data: { deliveryId: d.id, compartment: d.compartment },
        });
        this.#audit({
          kind: 'system',
          action: 'delivery.expire',
          target: `delivery:${d.id}`,
          outcome: 'ok',
          reason: 'deadline_passed',
        });
      }
      return due.map((d) => d.id);
    });
  }

  #setDelivery(
    id: string,
    state: DeliveryState,
    patch: { loaded_at?: string; collected_at?: string; closed_reason?: string },
  ): void {
    this.#s.setDelivery.run({
      id,
      state,
      loaded_at: patch.loaded_at ?? null,
      collected_at: patch.collected_at ?? null,
      closed_reason: patch.closed_reason ?? null,
    });
  }

  // ---------------------------------------------------------------- loading and retrieval

  /** Compartments reserved and waiting for staff to load them. */
  reservedCompartments(): CompartmentRow[] {
    return this.compartments().filter((c) => c.state === 'reserved');
  }

  /** Compartments whose document is waiting for staff to take it back. */
  expiredCompartments(): CompartmentRow[] {
    return this.compartments().filter((c) => c.state === 'expired');
  }

  /** Loading finished: the door was closed and occupancy confirmed. */
  markLoaded(compartment: string, staffSpki: string): void {
    this.tx(() => {
      const c = this.compartment(compartment);
      if (!c?.delivery_id)
        throw new TransitionError('compartment', compartment, c?.state ?? 'unknown', 'loaded');
      this.#setDelivery(c.delivery_id, 'loaded', { loaded_at: this.#at() });
      this.setCompartment(compartment, 'loaded');
      this.#emit({
        kind: 'delivery.loaded',
        data: { deliveryId: c.delivery_id, compartment, staffSpkiSha256: staffSpki },
      });
      this.#audit({
        kind: 'grant',
        action: 'delivery.load',
        actor: `staff:${staffSpki}`,
        target: `compartment:${compartment}`,
        outcome: 'ok',
        details: { delivery: c.delivery_id },
      });
    });
  }

  /** Staff opened an expired compartment to take the document back. */
  startRetrieval(compartment: string): void {
    this.tx(() => this.setCompartment(compartment, 'retrieval'));
  }

  /** Retrieval finished: the door was closed; the compartment is free again. */
  finishRetrieval(compartment: string, staffSpki: string): void {
    this.tx(() => {
      const c = this.compartment(compartment)!;
      const deliveryId = c.delivery_id;
      if (deliveryId) {
        const d = this.#s.delivery.get(deliveryId);
        if (d && d.state !== 'cancelled') this.#setDelivery(deliveryId, 'retrieved', {});
        else if (d) this.#setDelivery(deliveryId, 'cancelled', {});
        this.#emit({
          kind: 'delivery.retrieved',
          data: { deliveryId, compartment, staffSpkiSha256: staffSpki },
        });
      }
      this.setCompartment(compartment, 'empty', { deliveryId: null });
      this.#audit({
        kind: 'grant',
        action: 'delivery.retrieve',
        actor: `staff:${staffSpki}`,
        target: `compartment:${compartment}`,
        outcome: 'ok',
        details: { delivery: deliveryId },
      });
    });
  }

  // ---------------------------------------------------------------- pickup

  /** The compartments opened for a pickup: `loaded` -> `opened_for_pickup`. */
  markOpenedForPickup(compartment: string): void {
    this.tx(() => this.setCompartment(compartment, 'opened_for_pickup'));
  }

  /** The door was opened and closed again: the delivery is collected. */
  markCollected(compartment: string, holderSpki: string): void {
    this.tx(() => {
      const c = this.compartment(compartment)!;
      const deliveryId = c.delivery_id;
      this.setCompartment(compartment, 'collected', { deliveryId: null });
      if (deliveryId) {
        this.#setDelivery(deliveryId, 'collected', { collected_at: this.#at() });
        this.#emit({
          kind: 'delivery.collected',
          data: { deliveryId, compartment, holderSpkiSha256: holderSpki },
        });
      }
      this.#audit({
        kind: 'grant',
        action: 'delivery.collect',
        actor: `holder:${holderSpki}`,
        target: `compartment:${compartment}`,
        outcome: 'ok',
        details: { delivery: deliveryId },
      });
    });
  }

  /** The door was never opened: re-locked, the delivery stays `loaded`. */
  markNotOpened(compartment: string): void {
    this.tx(() => {
      this.setCompartment(compartment, 'loaded');
      this.#audit({
        kind: 'actuation',
        action: 'compartment.relock',
        target: `compartment:${compartment}`,
        outcome: 'ok',
        reason: 'door_not_opened',
      });
    });
  }

  /** Records a pickup attempt (granted or denied, with its reason). */
  recordPickupAttempt(
    result: 'granted' | 'denied',
    reason: string,
    holderSpki: string | null,
    extra: {
      deliveryId?: string;
      compartment?: string;
      triesLeft?: number;
      /** Which revocation source decided the certificate check. */
      revocationSource?: 'ocsp' | 'ocsp-cache' | 'crl';
    } = {},
  ): void {
    this.tx(() => {
      this.#emit({
        kind: 'pickup.attempt',
        data: {
          result,
          reason: reason as never,
          holderSpkiSha256: holderSpki,
          ...(extra.deliveryId ? { deliveryId: extra.deliveryId } : {}),
          ...(extra.compartment ? { compartment: extra.compartment } : {}),
          ...(extra.revocationSource ? { revocationSource: extra.revocationSource } : {}),
        },
      });
      this.#audit({
        kind: result === 'granted' ? 'grant' : 'denial',
        action: 'pickup',
        actor: holderSpki ? `holder:${holderSpki}` : 'resident',
        target: extra.compartment ? `compartment:${extra.compartment}` : '',
        outcome: result,
        reason,
        details: {
          ...(extra.triesLeft === undefined ? {} : { triesLeft: extra.triesLeft }),
          ...(extra.revocationSource ? { revocationSource: extra.revocationSource } : {}),
        },
      });
    });
  }

  /** Records a lock actuation and what the sensor read back. */
  recordActuation(
    target: 'compartment' | 'door',
    id: string,
    cause: 'pickup' | 'load' | 'retrieval' | 'remote' | 'door_access' | 'maintenance',
    opened: boolean,
    actor = 'station',
    reason = '',
  ): void {
    this.tx(() => {
      this.#emit({ kind: 'actuation', data: { target, id, cause, opened } });
      this.#audit({
        kind: 'actuation',
        action: `${target}.unlock`,
        actor,
        target: `${target}:${id}`,
        outcome: opened ? 'opened' : 'failed',
        reason,
        details: { cause },
      });
    });
  }

  /** Records any other audit-only fact (attempts, operator actions). */
  record(entry: AuditEntry): void {
    this.audit.append(entry);
  }

  // ---------------------------------------------------------------- doors

  doorState(id: string): DoorState | undefined {
    return this.#s.door.get(id)?.state;
  }

  /** Moves a door to `to`, emitting `door.state`. @throws TransitionError. */
  setDoor(id: string, to: DoorState): void {
    this.tx(() => {
      const row = this.#s.door.get(id);
      if (!row) throw new TransitionError('door', id, 'unknown', to);
      if (row.state === to) return;
      if (!DOOR_TRANSITIONS[row.state].includes(to))
        throw new TransitionError('door', id, row.state, to);
      this.#s.setDoor.run(to, this.#at(), id);
      this.#emit({ kind: 'door.state', data: { door: id, status: to } });
    });
  }

  /**
   * Decides whether a certificate holder may open a door now: maintenance mode, then the
   * rules naming the holder (directly or by group) and the door, each checked for validity
   * and schedule. The most telling refusal is returned when none grants.
   */
  decideDoor(door: string, spki: string, at: Date = this.options.now()): DoorDecision {
    if (!this.#s.door.get(door)) return { granted: false, reason: 'unknown_door' };
    const doc = this.doorRules();
    if (!doc) return { granted: false, reason: 'no_rule' };
    const groups = Object.entries(doc.groups ?? {})
      .filter(([, members]) => members.includes(spki))
      .map(([g]) => g);
    const mine = doc.rules.filter(
      (r) =>
        r.doors.includes(door) &&
        ((r.who.certSpkiSha256 ?? []).includes(spki) ||
          (r.who.groups ?? []).some((g) => groups.includes(g))),
    );
    if (mine.length === 0) return { granted: false, reason: 'no_rule' };
    let best: DoorDecision = { granted: false, reason: 'outside_schedule' };
    for (const r of mine) {
      const verdict = ruleOpenAt(r, at);
      if (verdict === 'ok') return { granted: true, reason: 'ok', ruleId: r.ruleId };
      best = {
        granted: false,
        reason:
          verdict === 'holiday'
            ? 'outside_schedule'
            : verdict === 'outside_schedule'
              ? 'outside_schedule'
              : `rule_${verdict}`,
        ruleId: r.ruleId,
      };
    }
    return best;
  }

  /** Records a door decision (event + audit) in one transaction. */
  recordDoorDecision(door: string, spki: string | null, decision: DoorDecision): void {
    this.tx(() => {
      this.#emit({
        kind: 'door.decision',
        data: {
          door,
          decision: decision.granted ? 'granted' : 'denied',
          reason: decision.reason as never,
          holderSpkiSha256: spki,
          ...(decision.ruleId ? { ruleId: decision.ruleId } : {}),
        },
      });
      this.#audit({
        kind: decision.granted ? 'grant' : 'denial',
        action: 'door.access',
        actor: spki ? `holder:${spki}` : 'resident',
        target: `door:${door}`,
        outcome: decision.granted ? 'granted' : 'denied',
        reason: decision.reason,
        details: decision.ruleId ? { rule: decision.ruleId } : {},
      });
    });
  }

  // ---------------------------------------------------------------- roster and rules

  /** Replaces the staff roster when its version is newer. */
  applyRoster(body: StaffRosterBody, actor = 'operator:back-office'): CommandResult {
    return this.tx((): CommandResult => {
      const current = this.#s.document.get('roster');
      if (current && body.version <= current.version) return reject('stale_version');
      this.db.prepare('DELETE FROM staff').run();
      const ins = this.db.prepare(
        'INSERT INTO staff(staff_id, spki, roles, valid_from, valid_until) VALUES (?, ?, ?, ?, ?)',
      );
      for (const s of body.staff)
        ins.run(
          s.staffId,
          s.certSpkiSha256,
          JSON.stringify(s.roles),
          s.validFrom ?? null,
          s.validUntil ?? null,
        );
      this.#s.setDocument.run(
        'roster',
        body.version,
        JSON.stringify({ version: body.version }),
        this.#at(),
      );
      this.#emit({
        kind: 'roster.applied',
        data: { version: body.version, staff: body.staff.length },
      });
      this.#audit({
        kind: 'operator',
        action: 'roster.apply',
        actor,
        outcome: 'ok',
        details: { version: body.version, staff: body.staff.length },
      });
      return { accepted: true };
    });
  }

  /** The staff roles a certificate holds now (empty when not on the roster or out of validity). */
  staffRoles(
    spki: string,
    at: Date = this.options.now(),
  ): { staffId: string; roles: StaffRole[] } | undefined {
    const row = this.#s.staffBySpki.get(spki);
    if (!row) return undefined;
    if (row.valid_from && at.getTime() < Date.parse(row.valid_from)) return undefined;
    if (row.valid_until && at.getTime() >= Date.parse(row.valid_until)) return undefined;
    return { staffId: row.staff_id, roles: JSON.parse(row.roles) as StaffRole[] };
  }

  /** Replaces the door rules when their version is newer. */
  applyDoorRules(body: DoorRulesBody, actor = 'operator:back-office'): CommandResult {
    return this.tx((): CommandResult => {
      const current = this.#s.document.get('door_rules');
      if (current && body.version <= current.version) return reject('stale_version');
      for (const r of body.rules) {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: r.schedule.timezone });
        } catch {
          return reject('malformed', { rule: r.ruleId, problem: 'unknown time zone' });
        }
      }
      this.#s.setDocument.run('door_rules', body.version, JSON.stringify(body), this.#at());
      this.#emit({
        kind: 'door-rules.applied',
        data: { version: body.version, rules: body.rules.length },
      });
      this.#audit({
        kind: 'operator',
        action: 'door_rules.apply',
        actor,
        outcome: 'ok',
        details: { ruleVersion: body.version, rules: body.rules.length },
      });
      return { accepted: true };
    });
  }

  /** The door rules in force, if any. */
  doorRules(): DoorRulesBody | undefined {
    const doc = this.#s.document.get('door_rules');
    return doc ? (JSON.parse(doc.body) as DoorRulesBody) : undefined;
  }

  // ---------------------------------------------------------------- alarms and mode

  /** Raises an alarm once (idempotent per alarm + target), with its event. */
  raiseAlarm(alarm: AlarmCode, severity: AlarmSeverity, target = '', detail?: string): void {
    this.tx(() => {
      const r = this.#s.insertAlarm.run(alarm, target, severity, this.#at(), detail ?? null);
      if (r.changes === 0) return;
      this.#emit({
        kind: 'alarm.raised',
        data: { alarm, severity, ...(target ? { target } : {}), ...(detail ? { detail } : {}) },
      });
      this.#audit({
        kind: 'alarm',
        action: `alarm.${alarm}`,
        target,
        outcome: 'raised',
        reason: detail ?? '',
      });
    });
  }

  /** Clears an active alarm (no-op when not active). */
  clearAlarm(alarm: AlarmCode, target = ''): void {
    this.tx(() => {
      const r = this.#s.deleteAlarm.run(alarm, target);
      if (r.changes === 0) return;
      this.#emit({ kind: 'alarm.cleared', data: { alarm, ...(target ? { target } : {}) } });
      this.#audit({ kind: 'alarm', action: `alarm.${alarm}`, target, outcome: 'cleared' });
    });
  }

  alarms(): ActiveAlarm[] {
    return this.#s.alarms.all().map((a) => ({
      alarm: a.alarm,
      severity: a.severity,
      ...(a.target ? { target: a.target } : {}),
      since: a.since,
      ...(a.detail ? { detail: a.detail } : {}),
    }));
  }

  /** `active` or `maintenance` (no pickups, staff only). */
  mode(): 'active' | 'maintenance' {
    return this.#s.mode.get()?.mode ?? 'active';
  }

  setMode(enabled: boolean, reason = '', actor = 'operator:back-office'): CommandResult {
    return this.tx((): CommandResult => {
      const mode = enabled ? 'maintenance' : 'active';
      this.#s.setMode.run(mode, reason || null);
      this.#emit({ kind: 'station.mode', data: { mode, ...(reason ? { reason } : {}) } });
      this.#audit({ kind: 'operator', action: 'station.mode', actor, outcome: mode, reason });
      return { accepted: true };
    });
  }

  // ---------------------------------------------------------------- retained state

  /** Compartments as published in `state/compartments`. */
  compartmentStates(): WireCompartment[] {
    return this.compartments().map((c) => {
      const d = c.delivery_id ? this.#s.delivery.get(c.delivery_id) : undefined;
      return {
        compartment: c.id,
        size: c.size,
        status: WIRE_STATUS[c.state],
        door: c.door,
        deliveryId: c.delivery_id,
        pickupDeadline: d?.pickup_deadline ?? null,
      };
    });
  }

  /** Doors as published in `state/doors`. */
  doorStates(): { door: string; status: DoorStatus }[] {
    return this.#s.doors.all().map((d) => ({ door: d.id, status: d.state }));
  }
}

function reject(
  reason: CommandRejectReason,
  detail?: Record<string, string | number | boolean | null>,
): CommandResult {
  return detail ? { accepted: false, reason, detail } : { accepted: false, reason };
}
