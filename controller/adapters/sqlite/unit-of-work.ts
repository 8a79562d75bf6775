/**
 * The unit of work on SQLite: one IMMEDIATE transaction in which the repositories write the
 * state, the outbox appends the event and the audit log appends the row — all three commit
 * together or none does (an `OutboxFullError` rolls the state change back). Retained-state
 * listeners hear about a change once per part, on a microtask after the outermost commit.
 */
import type { NewEvent } from '../../../shared/mqtt/events.js';
import { PART_OF_EVENT } from '../../domain/decisions.js';
import type { AuditRecord, StatePart } from '../../domain/model.js';
import type { EventOutbox, Repositories, Tx, UnitOfWork } from '../../domain/ports.js';
import type { Db } from '../../storage/db.js';
import { sqliteRepositories } from './repositories.js';

/** The audit log as the unit of work uses it. */
export interface AuditAppender {
  append(entry: AuditRecord): unknown;
}

/** See the module comment. */
export class SqliteUnitOfWork implements UnitOfWork {
  readonly read: Repositories;
  readonly #listeners = new Set<(part: StatePart) => void>();
  readonly #pending = new Set<StatePart>();
  #depth = 0;
  #scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly outbox: EventOutbox,
    private readonly auditLog: AuditAppender,
    readonly now: () => Date,
  ) {
    this.read = sqliteRepositories(db);
  }

  get reserveOnly(): boolean {
    return this.outbox.reserveOnly === true;
  }

  run<T>(fn: (tx: Tx) => T, options: { safety?: boolean } = {}): T {
    const reserve = { reserve: options.safety === true };
    const parts = new Set<StatePart>();
    const tx: Tx = {
      ...this.read,
      at: this.now().toISOString(),
      emit: (event: NewEvent) => {
        this.outbox.append(event, reserve);
        const part = PART_OF_EVENT[event.kind];
        if (part) parts.add(part);
      },
      audit: (entry) => {
        this.auditLog.append(entry);
      },
      touch: (part) => {
        parts.add(part);
      },
    };
    this.#depth++;
    let result: T;
    try {
      result = this.db.transaction(() => fn(tx)).immediate();
    } finally {
      this.#depth--;
    }
    for (const p of parts) this.#pending.add(p);
    if (this.#depth === 0) this.#notify();
    return result;
  }

  onStateChange(listener: (part: StatePart) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    if (this.#pending.size === 0 || this.#scheduled) return;
    if (this.#listeners.size === 0) {
      this.#pending.clear();
      return;
    }
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const parts = [...this.#pending];
      this.#pending.clear();
      for (const p of parts) for (const l of [...this.#listeners]) l(p);
    });
  }
}
