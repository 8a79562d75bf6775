import { randomUUID } from 'node:crypto';
import type { EventData, EventKind, EventMessage, NewEvent } from '../../shared/mqtt/events.js';
import { JpkiLockerError } from '../../shared/errors.js';
import type { Db } from '../storage/db.js';

/** The outbox reached its bound: the caller's transaction is rolled back, nothing changed. */
export class OutboxFullError extends JpkiLockerError {
  constructor(readonly depth: number) {
    super('outbox_full', `event outbox is full (${depth} unsent events); state change refused`);
  }
}

/** One stored event, as read back for delivery. */
export interface StoredEvent {
  seq: number;
  id: string;
  kind: EventKind;
  at: string;
  /** The JSON text of `data`. */
  data: string;
}

/** Options of an {@link Outbox}. */
export interface OutboxOptions {
  /** Station id written into each event message. */
  stationId: string;
  /** Bound on unsent events; append throws OutboxFullError beyond it. */
  maxEvents: number;
  /**
   * Room kept for safety events (actuations, alarms: appends with `{ reserve: true }`):
   * ordinary appends are refused once only this much is left. Default 5% of `maxEvents`
   * (at least 10, at most 1000; none below 20 events).
   */
  reserveEvents?: number;
  /** Fill ratio at which `outbox_filling` is raised (default 0.8); cleared below half of it. */
  alarmRatio?: number;
  /** Sent events kept for inspection before pruning (default 10,000). */
  keepSentEvents?: number;
  now?: () => Date;
  uuid?: () => string;
}

/** What an append returns. */
export interface Appended {
  seq: number;
  id: string;
}

/**
 * The transactional outbox: `append()` inserts an event with the same database handle the
 * domain uses, so that calling it inside the caller's `db.transaction(...)` stores the state
 * change and its event atomically (both or neither). Called outside a transaction it runs in
 * its own. The gateway reads unsent events in `seq` order and calls `markSent()` as the
 * broker acknowledges them.
 *
 * The outbox is bounded: at `alarmRatio` of `maxEvents` it appends an `alarm.raised`
 * (`outbox_filling`) event in the same transaction; at `maxEvents` it throws
 * {@link OutboxFullError}, which rolls the caller's transaction back — a state change is
 * never stored without its event.
 */
export class Outbox {
  readonly #db: Db;
  readonly #opts: Required<OutboxOptions>;
  readonly #insert;
  readonly #readFrom;
  readonly #setCursor;
  readonly #setAlarm;
  readonly #prune;
  readonly #lastSeqStmt;
  #sentUpto: number;
  #fillingAlarm: boolean;
  /** Sent events up to here were pruned (by this process). */
  #prunedUpto = 0;
  /** Highest seq this process inserted (or read); avoids a query per append. */
  #lastSeqCache = 0;
  readonly #listeners = new Set<() => void>();
  readonly #alarmListeners = new Set<(active: boolean) => void>();
  #notifyScheduled = false;

  constructor(db: Db, options: OutboxOptions) {
    this.#db = db;
    this.#opts = {
      reserveEvents:
        options.maxEvents >= 20
          ? Math.min(1000, Math.max(10, Math.floor(options.maxEvents * 0.05)))
          : 0,
      alarmRatio: 0.8,
      keepSentEvents: 10_000,
      now: () => new Date(),
      uuid: randomUUID,
      ...options,
    };
    this.#insert = db.prepare<[string, string, string, string]>(
      'INSERT INTO outbox_events(id, kind, at, data) VALUES (?, ?, ?, ?)',
    );
    this.#readFrom = db.prepare<[number, number], StoredEvent>(
      'SELECT seq, id, kind, at, data FROM outbox_events WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.#setCursor = db.prepare<[number, string]>(
      'UPDATE outbox_cursor SET sent_upto = ?, sent_at = ? WHERE one = 1',
    );
    this.#setAlarm = db.prepare<[number]>(
      'UPDATE outbox_cursor SET filling_alarm = ? WHERE one = 1',
    );
    this.#prune = db.prepare<[number]>('DELETE FROM outbox_events WHERE seq <= ?');
    this.#lastSeqStmt = db.prepare<[], { seq: number | null }>(
      'SELECT MAX(seq) AS seq FROM outbox_events',
    );
    const cur = db
      .prepare<[], { sent_upto: number; filling_alarm: number }>(
        'SELECT sent_upto, filling_alarm FROM outbox_cursor WHERE one = 1',
      )
      .get();
    this.#sentUpto = cur?.sent_upto ?? 0;
    this.#fillingAlarm = (cur?.filling_alarm ?? 0) === 1;
    this.#lastSeqCache = this.lastSeq();
  }

  /**
   * Stores one event. Call it inside the transaction that makes the state change. A safety
   * event (`reserve: true`) may use the reserved room; an ordinary one may not.
   * @throws OutboxFullError when no room is left for it.
   */
  append<K extends EventKind>(
    event: { kind: K; data: EventData[K] } & NewEvent,
    options: { reserve?: boolean } = {},
  ): Appended {
    if (this.#db.inTransaction) return this.#appendIn(event, options.reserve === true);
    return this.#db.transaction(() => this.#appendIn(event, options.reserve === true))();
  }

  #appendIn(event: NewEvent, reserve: boolean): Appended {
    const limit = reserve ? this.#opts.maxEvents : this.#opts.maxEvents - this.#opts.reserveEvents;
    // The cached seq can only be too high (after a rolled-back append): re-read before refusing.
    if (this.#lastSeqCache - this.#sentUpto >= limit) {
      this.#lastSeqCache = this.lastSeq();
      const depthBefore = this.#lastSeqCache - this.#sentUpto;
      if (depthBefore >= limit) throw new OutboxFullError(depthBefore);
    }
    const appended = this.#insertRow(event);
    const depth = appended.seq - this.#sentUpto;
    if (!this.#fillingAlarm && depth >= this.#opts.maxEvents * this.#opts.alarmRatio) {
      this.#insertRow({
        kind: 'alarm.raised',
        data: {
          alarm: 'outbox_filling',
          severity: 'warning',
          detail: `${depth} of ${this.#opts.maxEvents} events unsent`,
        },
      });
      this.#setAlarm.run(1);
      this.#fillingAlarm = true;
      this.#emitAlarm(true);
    }
    this.#scheduleNotify();
    return appended;
  }

  #insertRow(event: NewEvent): Appended {
    const id = this.#opts.uuid();
    const r = this.#insert.run(
      id,
      event.kind,
      this.#opts.now().toISOString(),
      JSON.stringify(event.data),
    );
    const seq = Number(r.lastInsertRowid);
    this.#lastSeqCache = seq;
    return { seq, id };
  }

  /** Highest sequence number stored (0 when none). */
  lastSeq(): number {
    return this.#lastSeqStmt.get()?.seq ?? this.#sentUpto;
  }

  /** Highest seq acknowledged with every lower one acknowledged too. */
  sentUpto(): number {
    return this.#sentUpto;
  }

  /** Unsent events. */
  depth(): number {
    return Math.max(0, this.lastSeq() - this.#sentUpto);
  }

  /** True when the bound is reached: appends are refused until the backlog drains. */
  get full(): boolean {
    return this.depth() >= this.#opts.maxEvents;
  }

  /** True when only the safety reserve is left: ordinary appends are refused. */
  get reserveOnly(): boolean {
    return this.depth() >= this.#opts.maxEvents - this.#opts.reserveEvents;
  }

  /** True while the outbox_filling alarm is raised. */
  get fillingAlarm(): boolean {
    return this.#fillingAlarm;
  }

  /** Up to `limit` events with seq > `afterSeq`, in order. */
  readFrom(afterSeq: number, limit: number): StoredEvent[] {
    return this.#readFrom.all(afterSeq, limit);
  }

  /**
   * Records that every event up to `seq` was acknowledged; prunes old sent events and clears
   * the filling alarm (with an `alarm.cleared` event) once the depth falls below half the
   * alarm level.
   */
  markSent(seq: number): void {
    if (seq <= this.#sentUpto) return;
    // The cursor and the pruning need no sync of their own: losing them to a power cut only
    // sends some events again (flagged historical). So they commit without waiting for the
    // disk (synchronous=NORMAL for this one transaction; the next FULL commit syncs them),
    // which keeps a 100,000-event backlog from costing one fsync per acknowledgement. An
    // event (alarm.cleared) is never written that way: it goes in a durable transaction.
    this.#withoutSync(() =>
      this.#db.transaction(() => {
        this.#setCursor.run(seq, this.#opts.now().toISOString());
        this.#sentUpto = seq;
        const keep = this.#opts.keepSentEvents;
        if (seq - keep - this.#prunedUpto >= 1000) {
          this.#prune.run(seq - keep);
          this.#prunedUpto = seq - keep;
        }
      })(),
    );
    if (
      this.#fillingAlarm &&
      this.lastSeq() - seq < (this.#opts.maxEvents * this.#opts.alarmRatio) / 2
    ) {
      this.#db.transaction(() => {
        this.#insertRow({ kind: 'alarm.cleared', data: { alarm: 'outbox_filling' } });
        this.#setAlarm.run(0);
      })();
      this.#fillingAlarm = false;
      this.#emitAlarm(false);
      this.#scheduleNotify();
    }
  }

  /** Runs `fn` (a transaction that writes no event) with synchronous=NORMAL, then restores. */
  #withoutSync(fn: () => void): void {
    if (this.#db.inTransaction || this.#db.memory || this.#db.readonly) return fn();
    const before = this.#db.pragma('synchronous', { simple: true }) as number;
    if (before < 2) return fn(); // already NORMAL (1) or OFF (0)
    this.#db.pragma('synchronous = NORMAL');
    try {
      fn();
    } finally {
      this.#db.pragma(`synchronous = ${before}`);
    }
  }

  /** Turns a stored event into its wire message. */
  toMessage(e: StoredEvent, historical: boolean): EventMessage {
    return {
      v: 1,
      seq: e.seq,
      id: e.id,
      station: this.#opts.stationId,
      kind: e.kind,
      at: e.at,
      historical,
      data: JSON.parse(e.data) as never,
    } as EventMessage;
  }

  /** Called (once per burst, after the appending transaction committed) when events were added. */
  onAppended(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called when the outbox_filling alarm is raised (true) or cleared (false). */
  onAlarm(listener: (active: boolean) => void): () => void {
    this.#alarmListeners.add(listener);
    return () => this.#alarmListeners.delete(listener);
  }

  #emitAlarm(active: boolean): void {
    // Deferred: the transaction may still roll back; listeners re-read the state anyway.
    setImmediate(() => {
      for (const l of this.#alarmListeners) l(active);
    });
  }

  #scheduleNotify(): void {
    if (this.#notifyScheduled) return;
    this.#notifyScheduled = true;
    // better-sqlite3 transactions are synchronous: by the next turn the caller's transaction
    // has committed (or rolled back, which a reader simply does not see).
    setImmediate(() => {
      this.#notifyScheduled = false;
      for (const l of this.#listeners) l();
    });
  }
}
