/**
 * The domain's repositories on SQLite: every SQL statement about compartments, deliveries,
 * doors, the staff roster, versioned documents, alarms and the station mode lives here.
 * Statements are prepared once; the caller's unit of work provides the transaction.
 */
import type { CompartmentSize, StaffRosterBody } from '../../../shared/mqtt/commands.js';
import type { AlarmCode } from '../../../shared/mqtt/state.js';
import type {
  AlarmRow,
  CompartmentRow,
  CompartmentState,
  DeliveryRow,
  DeliveryState,
  DoorState,
  StaffRow,
} from '../../domain/model.js';
import type {
  AlarmRepository,
  CompartmentRepository,
  DeliveryRepository,
  DocumentRepository,
  DoorRepository,
  Repositories,
  StaffRepository,
} from '../../domain/ports.js';
import type { Db } from '../../storage/db.js';

class SqliteCompartments implements CompartmentRepository {
  readonly #one;
  readonly #all;
  readonly #inState;
  readonly #save;
  readonly #door;
  readonly #free;
  readonly #ensure;
  constructor(db: Db) {
    this.#one = db.prepare<[string], CompartmentRow>('SELECT * FROM compartments WHERE id = ?');
    this.#all = db.prepare<[], CompartmentRow>('SELECT * FROM compartments ORDER BY id');
    this.#inState = db.prepare<[string], CompartmentRow>(
      'SELECT * FROM compartments WHERE state = ? ORDER BY id',
    );
    this.#save = db.prepare(
      'UPDATE compartments SET state = @state, delivery_id = @delivery_id, resume_state = @resume_state, updated_at = @updated_at WHERE id = @id',
    );
    this.#door = db.prepare('UPDATE compartments SET door = ? WHERE id = ? AND door IS NOT ?');
    this.#free = db.prepare<[string], { id: string }>(
      "SELECT id FROM compartments WHERE size = ? AND state IN ('empty','collected') ORDER BY id LIMIT 1",
    );
    this.#ensure = db.prepare(
      "INSERT INTO compartments(id, size, state, door, updated_at) VALUES (?, ?, 'empty', 'unknown', ?) ON CONFLICT(id) DO UPDATE SET size = excluded.size",
    );
  }
  get(id: string) {
    return this.#one.get(id);
  }
  all() {
    return this.#all.all();
  }
  inState(state: CompartmentState) {
    return this.#inState.all(state);
  }
  save(row: CompartmentRow) {
    this.#save.run(row);
  }
  setDoor(id: string, door: CompartmentRow['door']) {
    return this.#door.run(door, id, door).changes > 0;
  }
  firstFree(size: CompartmentSize) {
    return this.#free.get(size)?.id;
  }
  ensure(list: readonly { id: string; size: CompartmentSize }[], at: string) {
    for (const c of list) this.#ensure.run(c.id, c.size, at);
  }
}

class SqliteDeliveries implements DeliveryRepository {
  readonly #one;
  readonly #holder;
  readonly #due;
  readonly #insert;
  readonly #envelope;
  readonly #state;
  readonly #deadline;
  constructor(db: Db) {
    this.#one = db.prepare<[string], DeliveryRow>('SELECT * FROM deliveries WHERE id = ?');
    this.#holder = db.prepare<[string], DeliveryRow>(
      "SELECT * FROM deliveries WHERE holder_spki = ? AND state IN ('assigned','loaded','expired') ORDER BY compartment",
    );
    this.#due = db.prepare<[string], DeliveryRow>(
      "SELECT * FROM deliveries WHERE state IN ('assigned','loaded') AND pickup_deadline <= ? ORDER BY pickup_deadline",
    );
    this.#insert = db.prepare(
      "INSERT INTO deliveries(id, compartment, holder_spki, state, pickup_deadline, created_at, envelope_code) VALUES (?, ?, ?, 'assigned', ?, ?, ?)",
    );
    this.#envelope = db.prepare<[string], DeliveryRow>(
      "SELECT * FROM deliveries WHERE envelope_code = ? AND state IN ('assigned','loaded','expired')",
    );
    this.#state = db.prepare(
      'UPDATE deliveries SET state = @state, loaded_at = coalesce(@loaded_at, loaded_at), collected_at = coalesce(@collected_at, collected_at), closed_reason = coalesce(@closed_reason, closed_reason), closed_at = coalesce(closed_at, @closed_at) WHERE id = @id',
    );
    this.#deadline = db.prepare('UPDATE deliveries SET pickup_deadline = ? WHERE id = ?');
  }
  get(id: string) {
    return this.#one.get(id);
  }
  activeForHolder(spki: string) {
    return this.#holder.all(spki);
  }
  due(at: string) {
    return this.#due.all(at);
  }
  insert(d: {
    id: string;
    compartment: string;
    holderSpki: string;
    deadline: string;
    at: string;
    envelopeCode?: string;
  }) {
    this.#insert.run(d.id, d.compartment, d.holderSpki, d.deadline, d.at, d.envelopeCode ?? null);
  }
  activeByEnvelope(code: string) {
    return this.#envelope.get(code);
  }
  setState(
    id: string,
    state: DeliveryState,
    patch: {
      loaded_at?: string;
      collected_at?: string;
      closed_reason?: string;
      closed_at?: string;
    } = {},
  ) {
    this.#state.run({
      id,
      state,
      loaded_at: patch.loaded_at ?? null,
      collected_at: patch.collected_at ?? null,
      closed_reason: patch.closed_reason ?? null,
      closed_at: patch.closed_at ?? null,
    });
  }
  setDeadline(id: string, deadline: string) {
    this.#deadline.run(deadline, id);
  }
}

class SqliteDoors implements DoorRepository {
  readonly #one;
  readonly #all;
  readonly #save;
  readonly #ensure;
  constructor(db: Db) {
    this.#one = db.prepare<[string], { state: DoorState }>('SELECT state FROM doors WHERE id = ?');
    this.#all = db.prepare<[], { id: string; state: DoorState }>(
      'SELECT id, state FROM doors ORDER BY id',
    );
    this.#save = db.prepare('UPDATE doors SET state = ?, updated_at = ? WHERE id = ?');
    this.#ensure = db.prepare(
      "INSERT INTO doors(id, state, updated_at) VALUES (?, 'locked', ?) ON CONFLICT(id) DO NOTHING",
    );
  }
  get(id: string) {
    return this.#one.get(id)?.state;
  }
  all() {
    return this.#all.all();
  }
  save(id: string, state: DoorState, at: string) {
    this.#save.run(state, at, id);
  }
  ensure(ids: readonly string[], at: string) {
    for (const id of ids) this.#ensure.run(id, at);
  }
}

class SqliteStaff implements StaffRepository {
  readonly #bySpki;
  readonly #clear;
  readonly #insert;
  constructor(db: Db) {
    this.#bySpki = db.prepare<[string], StaffRow>(
      'SELECT staff_id, roles, valid_from, valid_until FROM staff WHERE spki = ?',
    );
    this.#clear = db.prepare('DELETE FROM staff');
    this.#insert = db.prepare(
      'INSERT INTO staff(staff_id, spki, roles, valid_from, valid_until) VALUES (?, ?, ?, ?, ?)',
    );
  }
  bySpki(spki: string) {
    return this.#bySpki.get(spki);
  }
  has(spki: string) {
    return this.#bySpki.get(spki) !== undefined;
  }
  replace(staff: StaffRosterBody['staff']) {
    this.#clear.run();
    for (const s of staff)
      this.#insert.run(
        s.staffId,
        s.certSpkiSha256,
        JSON.stringify(s.roles),
        s.validFrom ?? null,
        s.validUntil ?? null,
      );
  }
}

class SqliteDocuments implements DocumentRepository {
  readonly #get;
  readonly #put;
  constructor(db: Db) {
    this.#get = db.prepare<[string], { version: number; body: string }>(
      'SELECT version, body FROM domain_documents WHERE name = ?',
    );
    this.#put = db.prepare(
      'INSERT INTO domain_documents(name, version, body, applied_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version, body = excluded.body, applied_at = excluded.applied_at',
    );
  }
  get(name: string) {
    return this.#get.get(name);
  }
  put(name: string, version: number, body: string, at: string) {
    this.#put.run(name, version, body, at);
  }
}

class SqliteAlarms implements AlarmRepository {
  readonly #all;
  readonly #insert;
  readonly #delete;
  readonly #mode;
  readonly #setMode;
  constructor(db: Db) {
    this.#all = db.prepare<[], AlarmRow>('SELECT * FROM alarms ORDER BY since, alarm');
    this.#insert = db.prepare(
      'INSERT INTO alarms(alarm, target, severity, since, detail) VALUES (@alarm, @target, @severity, @since, @detail) ON CONFLICT DO NOTHING',
    );
    this.#delete = db.prepare('DELETE FROM alarms WHERE alarm = ? AND target = ?');
    this.#mode = db.prepare<[], { mode: 'active' | 'maintenance'; reason: string | null }>(
      'SELECT mode, reason FROM station_mode WHERE id = 1',
    );
    this.#setMode = db.prepare(
      'INSERT INTO station_mode(id, mode, reason) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET mode = excluded.mode, reason = excluded.reason',
    );
  }
  insert(a: AlarmRow) {
    return this.#insert.run(a).changes > 0;
  }
  remove(alarm: AlarmCode, target: string) {
    return this.#delete.run(alarm, target).changes > 0;
  }
  all() {
    return this.#all.all();
  }
  mode() {
    return this.#mode.get();
  }
  setMode(mode: 'active' | 'maintenance', reason: string | null) {
    this.#setMode.run(mode, reason);
  }
}

/** Every repository on one open database. */
export function sqliteRepositories(db: Db): Repositories {
  return {
    compartments: new SqliteCompartments(db),
    deliveries: new SqliteDeliveries(db),
    doors: new SqliteDoors(db),
    staff: new SqliteStaff(db),
    documents: new SqliteDocuments(db),
    alarms: new SqliteAlarms(db),
  };
}
