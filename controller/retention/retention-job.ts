/**
 * Retention (個人情報保護法: personal data no longer than its purpose needs). Once a night, at
 * `retention.runAt` station time, the job
 *  1. signs a checkpoint of the audit chain's head with the station key and stores it, with an
 *     `audit.checkpoint` event (so tamper evidence survives what follows);
 *  2. prunes the front of the audit chain older than `auditDays` (never past the checkpoint);
 *  3. deletes closed deliveries older than `deliveriesDays` (never one that is assigned, loaded,
 *     expired but still inside, or referenced by a compartment);
 *  4. redacts attempt rows of the audit log older than `attemptsDays` (their place in the
 *     chain stays) and deletes their sent events;
 *  5. deletes events the broker acknowledged older than `eventsSentDays` (never an unsent one);
 *  6. records what it did: an audit row and a `retention.pruned` event.
 * All of it in one transaction. Without a station key nothing is pruned (fail closed: keep).
 */
import type { RetentionConfig } from '../config/types.js';
import type { Component } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Db } from '../storage/db.js';
import { AuditLog, pruneAuditFront, redactAuditRows } from '../audit/audit-log.js';
import { writeCheckpoint, type StationSigner } from '../audit/checkpoint.js';
import { hhmm, localTime } from '../domain/schedule.js';
import { realTimers, type Timers } from '../domain/ports.js';

const DAY_MS = 86_400_000;
/** Delivery states after which nothing happens to a delivery any more. */
export const CLOSED_DELIVERY_STATES = [
  'collected',
  'cancelled',
  'retrieved',
  'handed_over',
  'inspection',
] as const;
/** Audit row kinds that record a person's attempt (pseudonymous personal data). */
export const ATTEMPT_AUDIT_KINDS = ['attempt', 'denial', 'grant'] as const;
/** Event kinds that record a person's attempt. */
export const ATTEMPT_EVENT_KINDS = ['pickup.attempt', 'door.decision'] as const;

/** What one run did. */
export type RetentionResult =
  | { ran: false; reason: 'no_signing_key' | 'empty' }
  | {
      ran: true;
      checkpointSeq: number;
      deliveries: number;
      attempts: number;
      auditRows: number;
      events: number;
    };

export interface RetentionJobDeps {
  db: () => Db;
  outbox: () => Outbox;
  /** The station key; undefined when `station.signingKey` is not set. */
  signer: () => StationSigner | undefined;
  stationId: string;
  timezone: string;
  now: () => Date;
  log: Logger;
  timers?: Timers;
}

/** Milliseconds from `now` until the next `runAt` (HH:MM) in `timezone`; always > 0. */
export function msUntilNextRun(now: Date, runAt: string, timezone: string): number {
  const local = localTime(now, timezone).minutes;
  let minutes = (hhmm(runAt) - local + 1440) % 1440;
  if (minutes === 0) minutes = 1440;
  return minutes * 60_000 - (now.getTime() % 60_000);
}

/** The nightly retention job (a component: start schedules, stop cancels). */
export class RetentionJob implements Component {
  readonly name = 'retention';
  readonly #timers: Timers;
  #timer: unknown;
  #stopped = true;

  constructor(
    private readonly config: RetentionConfig,
    private readonly deps: RetentionJobDeps,
  ) {
    this.#timers = deps.timers ?? realTimers;
  }

  start(): Promise<void> {
    this.#stopped = false;
    if (this.config.enabled) this.#schedule();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    return Promise.resolve();
  }

  #schedule(): void {
    const ms = msUntilNextRun(this.deps.now(), this.config.runAt, this.deps.timezone);
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      try {
        this.run();
      } catch (err) {
        this.deps.log.error({ err }, 'retention run failed; nothing was pruned');
      }
      this.#schedule();
    }, ms);
  }

  /** Runs once now (the nightly timer calls this; so can an operator or a test). */
  run(): RetentionResult {
    const signer = this.deps.signer();
    if (!signer) {
      this.deps.log.warn('retention: no station.signingKey configured; nothing pruned');
      return { ran: false, reason: 'no_signing_key' };
    }
    const db = this.deps.db();
    const now = this.deps.now();
    const cutoff = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
    const result = db.transaction((): RetentionResult => {
      const outbox = this.deps.outbox();
      const checkpoint = writeCheckpoint(db, signer, this.deps.stationId, now);
      if (!checkpoint) return { ran: false, reason: 'empty' };
      outbox.append({
        kind: 'audit.checkpoint',
        data: { seq: checkpoint.seq, hash: checkpoint.hash, jws: checkpoint.jws },
      });
      // The front of the chain goes first, so the attempts counted are those still kept.
      const auditRows = this.#pruneAudit(db, cutoff(this.config.auditDays), checkpoint.seq);
      const counts = {
        deliveries: this.#pruneDeliveries(db, cutoff(this.config.deliveriesDays)),
        attempts: this.#redactAttempts(db, cutoff(this.config.attemptsDays), checkpoint.seq),
        auditRows,
        events: 0,
      };
      counts.events =
        this.#pruneEvents(db, outbox, cutoff(this.config.attemptsDays), ATTEMPT_EVENT_KINDS) +
        this.#pruneEvents(db, outbox, cutoff(this.config.eventsSentDays));
      new AuditLog(db, this.deps.now).append({
        kind: 'system',
        action: 'retention.prune',
        outcome: 'ok',
        details: { ...counts, checkpointSeq: checkpoint.seq },
      });
      outbox.append({
        kind: 'retention.pruned',
        data: { ...counts, checkpointSeq: checkpoint.seq },
      });
      return { ran: true, checkpointSeq: checkpoint.seq, ...counts };
    })();
    if (result.ran) this.deps.log.info(result, 'retention: expired records pruned');
    return result;
  }

  #pruneDeliveries(db: Db, before: string): number {
    const states = CLOSED_DELIVERY_STATES.map(() => '?').join(', ');
    return db
      .prepare(
        `DELETE FROM deliveries
         WHERE state IN (${states})
           AND coalesce(closed_at, collected_at, created_at) < ?
           AND id NOT IN (SELECT delivery_id FROM compartments WHERE delivery_id IS NOT NULL)`,
      )
      .run(...CLOSED_DELIVERY_STATES, before).changes;
  }

  #redactAttempts(db: Db, before: string, uptoSeq: number): number {
    const kinds = ATTEMPT_AUDIT_KINDS.map(() => '?').join(', ');
    const seqs = db
      .prepare<unknown[], { seq: number }>(
        `SELECT seq FROM audit_log
         WHERE redacted = 0 AND kind IN (${kinds}) AND at < ? AND seq <= ?`,
      )
      .all(...ATTEMPT_AUDIT_KINDS, before, uptoSeq)
      .map((r) => r.seq);
    return redactAuditRows(db, seqs);
  }

  #pruneAudit(db: Db, before: string, uptoSeq: number): number {
    // The front of the chain up to the first row that is still young enough.
    const firstKept = db
      .prepare<[string], { seq: number | null }>(
        'SELECT MIN(seq) AS seq FROM audit_log WHERE at >= ?',
      )
      .get(before)?.seq;
    const upto = Math.min(uptoSeq, (firstKept ?? uptoSeq + 1) - 1);
    return pruneAuditFront(db, upto);
  }

  #pruneEvents(db: Db, outbox: Outbox, before: string, kinds?: readonly string[]): number {
    const sent = outbox.sentUpto();
    const byKind = kinds ? ` AND kind IN (${kinds.map(() => '?').join(', ')})` : '';
    return db
      .prepare(`DELETE FROM outbox_events WHERE seq <= ? AND at < ?${byKind}`)
      .run(sent, before, ...(kinds ?? [])).changes;
  }
}
