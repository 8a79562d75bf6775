import { createHash } from 'node:crypto';
import type { Db } from '../storage/db.js';

/** What an audit row records. */
export type AuditKind =
  'attempt' | 'grant' | 'denial' | 'actuation' | 'alarm' | 'operator' | 'system';

/** One entry to append. `details` holds small, non-personal facts only. */
export interface AuditEntry {
  kind: AuditKind;
  /** Dotted name of what happened, e.g. `pickup.pin`, `door.unlock`, `delivery.assign`. */
  action: string;
  /**
   * Who acted: `holder:<spki sha-256 hex>`, `staff:<spki sha-256 hex>`, `operator:<id>`,
   * `station`, `resident`. Never a name or any other personal datum.
   */
  actor?: string;
  /** What it acted on: `compartment:A01`, `door:main`, `delivery:<id>`. */
  target?: string;
  /** `ok`, `granted`, `denied`, `failed`, `raised`, `cleared`, ... */
  outcome?: string;
  /** Reason code for a denial or failure (e.g. `revoked`, `wrong_pin`, `not_on_roster`). */
  reason?: string;
  details?: Record<string, string | number | boolean | null>;
}

/** A stored audit row. */
export interface AuditRow {
  seq: number;
  at: string;
  kind: string;
  action: string;
  actor: string;
  target: string;
  outcome: string;
  reason: string;
  details: string;
  prev_hash: string;
  hash: string;
  /** 1 when retention redacted the row's content (its place in the chain stays). */
  redacted?: number;
}

/** The previous hash of the very first row. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Keys that must never appear in audit details: PINs, passwords, certificates and personal
 * data. Checked on append so that a careless caller fails in tests, not in the field.
 */
const FORBIDDEN_DETAIL_KEYS =
  /pin|password|passphrase|secret|private|key|cert|subject|name|address|birth|sex/i;

/** Thrown when a caller tries to put a forbidden key in an audit row (a programming error). */
export class AuditContentError extends Error {
  constructor(readonly key: string) {
    super(`audit details must not carry "${key}"`);
    this.name = 'AuditContentError';
  }
}

/**
 * The hash of one row: SHA-256 over the previous row's hash and the row's content as a JSON
 * array (fixed field order). The row's `seq` is deliberately left out so that a moved row
 * stays self-consistent and verification can tell a reordering from an edit.
 */
export function auditRowHash(row: Omit<AuditRow, 'seq' | 'hash'>): string {
  const content = JSON.stringify([
    row.at,
    row.kind,
    row.action,
    row.actor,
    row.target,
    row.outcome,
    row.reason,
    row.details,
  ]);
  return createHash('sha256').update(row.prev_hash).update('\n').update(content).digest('hex');
}

/** What `verify` found wrong first. */
export type AuditProblemKind = 'edited' | 'inserted' | 'deleted' | 'reordered';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The first row concerned (for `deleted`: the first missing sequence number). */
  seq: number;
  /** For `reordered`: the other row of the pair. */
  otherSeq?: number;
  message: string;
}

export interface AuditVerifyReport {
  ok: boolean;
  /** Rows checked. */
  rows: number;
  lastSeq: number;
  problem?: AuditProblem;
  /** When rows were pruned: the chain is checked from this row on (the last one pruned). */
  base?: { seq: number; hash: string };
  /** Rows whose content retention redacted (their links were checked, their content is gone). */
  redacted?: number;
}

/** The front of the chain after pruning: the seq and hash of the last row deleted. */
export interface AuditBase {
  seq: number;
  hash: string;
}

/** The content fields a redacted row carries (everything but its place in the chain). */
const REDACTED = { action: '', actor: '', target: '', outcome: '', reason: '', details: '{}' };

/** True when `row` is a well-formed redacted row (flag set, content blank). */
function isRedacted(row: AuditRow): boolean {
  return (
    row.redacted === 1 &&
    row.action === REDACTED.action &&
    row.actor === REDACTED.actor &&
    row.target === REDACTED.target &&
    row.outcome === REDACTED.outcome &&
    row.reason === REDACTED.reason &&
    row.details === REDACTED.details
  );
}

/**
 * The append-only, hash-chained audit log. Each row carries the hash of the previous row
 * and its own hash; the chain's head (last seq and hash) is kept in `audit_head`, updated in
 * the same transaction, so a deleted tail shows too. Triggers refuse UPDATE and DELETE;
 * someone who drops them and edits the file is caught by {@link verify}.
 *
 * `append` runs inside the caller's transaction when there is one (better-sqlite3 nests
 * transactions as savepoints), so a state change and its audit row commit together.
 */
export class AuditLog {
  readonly #insert;
  readonly #head;
  readonly #setHead;
  readonly #append;
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#insert = db.prepare(
      `INSERT INTO audit_log(at, kind, action, actor, target, outcome, reason, details, prev_hash, hash)
       VALUES (@at, @kind, @action, @actor, @target, @outcome, @reason, @details, @prev_hash, @hash)`,
    );
    this.#head = db.prepare<[], { last_seq: number; last_hash: string }>(
      'SELECT last_seq, last_hash FROM audit_head WHERE id = 1',
    );
    this.#setHead = db.prepare(
      `INSERT INTO audit_head(id, last_seq, last_hash) VALUES (1, ?, ?)
       ON CONFLICT(id) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash`,
    );
    this.#append = db.transaction((entry: AuditEntry): AuditRow => {
      const head = this.#head.get();
      const prev_hash = head?.last_hash ?? GENESIS_HASH;
      const base = {
        at: this.now().toISOString(),
        kind: entry.kind,
        action: entry.action,
        actor: entry.actor ?? 'station',
        target: entry.target ?? '',
        outcome: entry.outcome ?? '',
        reason: entry.reason ?? '',
        details: canonicalDetails(entry.details),
        prev_hash,
      };
      const hash = auditRowHash(base);
      const seq = Number(this.#insert.run({ ...base, hash }).lastInsertRowid);
      this.#setHead.run(seq, hash);
      return { seq, ...base, hash };
    });
  }

  /** Appends one entry (inside the caller's transaction if any); returns the stored row. */
  append(entry: AuditEntry): AuditRow {
    return this.#append(entry);
  }

  /** The last `limit` rows, newest last (optionally after `afterSeq`). */
  list(options: { limit?: number; afterSeq?: number } = {}): AuditRow[] {
    const rows = this.db
      .prepare<[number, number], AuditRow>(
        'SELECT * FROM audit_log WHERE seq > ? ORDER BY seq DESC LIMIT ?',
      )
      .all(options.afterSeq ?? 0, options.limit ?? 100);
    return rows.reverse();
  }

  /** Checks the whole chain; see {@link verifyAuditRows}. */
  verify(): AuditVerifyReport {
    return verifyAuditDb(this.db);
  }
}

function canonicalDetails(details: AuditEntry['details']): string {
  if (!details) return '{}';
  const keys = Object.keys(details).sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (FORBIDDEN_DETAIL_KEYS.test(k) && !ALLOWED_DETAIL_KEYS.has(k))
      throw new AuditContentError(k);
    out[k] = details[k];
  }
  return JSON.stringify(out);
}

/** Keys that look forbidden but are not personal (hash of a key, counts). */
const ALLOWED_DETAIL_KEYS = new Set(['triesLeft', 'spkiSha256', 'keyHash', 'ruleVersion']);

/** The recorded front of a pruned chain, if any rows were pruned. */
export function auditBase(db: Db): AuditBase | undefined {
  return db.prepare<[], AuditBase>('SELECT seq, hash FROM audit_base WHERE id = 1').get();
}

/** The chain's recorded head (last seq and hash), if any row was ever written. */
export function auditHead(db: Db): { seq: number; hash: string } | undefined {
  const head = db
    .prepare<[], { last_seq: number; last_hash: string }>(
      'SELECT last_seq, last_hash FROM audit_head WHERE id = 1',
    )
    .get();
  return head ? { seq: head.last_seq, hash: head.last_hash } : undefined;
}

/** Reads the rows, base and head from a database and verifies them. */
export function verifyAuditDb(db: Db): AuditVerifyReport {
  const rows = db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq').all();
  return verifyAuditRows(rows, auditHead(db), auditBase(db));
}

/**
 * Walks the chain in `seq` order and reports the first anomaly:
 * - `edited`: a row's content no longer matches its own hash;
 * - `reordered`: two neighbours each carry the other's place in the chain;
 * - `inserted`: a row that the chain skips (its successor links to its predecessor), or one
 *   that claims the same predecessor as the row before it;
 * - `deleted`: a gap in the sequence numbers, a row linking to a predecessor that is gone,
 *   or a tail shorter than the recorded head.
 * Rows are self-hashed over their previous hash and content (not their seq), so a moved row
 * is still recognisable, which is what separates these cases.
 */
export function verifyAuditRows(
  rows: readonly AuditRow[],
  head?: { seq: number; hash: string },
  base?: AuditBase,
): AuditVerifyReport {
  let lastHash = base?.hash ?? GENESIS_HASH;
  let lastSeq = base?.seq ?? 0;
  let redacted = 0;
  const fail = (problem: AuditProblem): AuditVerifyReport => ({
    ok: false,
    rows: rows.length,
    lastSeq: rows.at(-1)?.seq ?? 0,
    problem,
  });
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const next = rows[i + 1];
    const prev = rows[i - 1];
    // A redacted row cannot be re-hashed (its content is gone): its links are still checked,
    // by its own prev_hash here and by the next row's prev_hash pointing at its hash.
    const selfOk = r.redacted === 1 ? isRedacted(r) : auditRowHash(r) === r.hash;
    if (r.redacted === 1 && selfOk) redacted++;
    const linkOk = r.prev_hash === lastHash;
    if (!selfOk) {
      if (!linkOk && next && next.prev_hash === lastHash) {
        return fail({
          kind: 'inserted',
          seq: r.seq,
          message: `row ${r.seq} is not part of the chain (the next row links past it)`,
        });
      }
      return fail({
        kind: 'edited',
        seq: r.seq,
        message: `row ${r.seq} was edited: its content does not match its hash`,
      });
    }
    if (!linkOk) {
      if (next && next.prev_hash === lastHash && r.prev_hash === next.hash) {
        return fail({
          kind: 'reordered',
          seq: r.seq,
          otherSeq: next.seq,
          message: `rows ${r.seq} and ${next.seq} were swapped`,
        });
      }
      if (next && next.prev_hash === lastHash) {
        return fail({
          kind: 'inserted',
          seq: r.seq,
          message: `row ${r.seq} is not part of the chain (the next row links past it)`,
        });
      }
      if (prev && prev.prev_hash === r.prev_hash) {
        return fail({
          kind: 'inserted',
          seq: prev.seq,
          message: `row ${prev.seq} was inserted: it and row ${r.seq} claim the same predecessor`,
        });
      }
      const missing = r.seq > lastSeq + 1 ? lastSeq + 1 : r.seq;
      return fail({
        kind: 'deleted',
        seq: missing,
        message:
          r.seq > lastSeq + 1
            ? `row ${missing} was deleted (row ${r.seq} links to a row that is gone)`
            : `a row before ${r.seq} was deleted (or the row before it edited and re-hashed)`,
      });
    }
    if (r.seq !== lastSeq + 1 && (i > 0 || base)) {
      // Linked correctly across a gap: only sequence numbers were changed.
      return fail({
        kind: 'edited',
        seq: r.seq,
        message: `row ${r.seq} was renumbered (expected ${lastSeq + 1})`,
      });
    }
    lastHash = r.hash;
    lastSeq = r.seq;
  }
  if (head) {
    if (head.seq > lastSeq) {
      return fail({
        kind: 'deleted',
        seq: lastSeq + 1,
        message: `rows ${lastSeq + 1}..${head.seq} were deleted from the end`,
      });
    }
    if (head.seq < lastSeq) {
      return fail({
        kind: 'inserted',
        seq: head.seq + 1,
        message: `row ${head.seq + 1} was appended outside the station`,
      });
    }
    if (head.hash !== lastHash) {
      return fail({
        kind: 'edited',
        seq: lastSeq,
        message: `row ${lastSeq} does not match the recorded head of the chain`,
      });
    }
  } else if (rows.length > 0) {
    return fail({
      kind: 'inserted',
      seq: rows[0]!.seq,
      message: 'rows exist but the chain head was never recorded',
    });
  }
  return {
    ok: true,
    rows: rows.length,
    lastSeq,
    ...(base ? { base } : {}),
    ...(redacted ? { redacted } : {}),
  };
}

/** Redacts one row in place (retention of attempts): keeps its place in the chain. */
export function redactAuditRows(db: Db, seqs: readonly number[]): number {
  const stmt = db.prepare<[number]>(
    `UPDATE audit_log SET redacted = 1, action = '', actor = '', target = '', outcome = '',
       reason = '', details = '{}' WHERE seq = ? AND redacted = 0`,
  );
  let n = 0;
  for (const seq of seqs) n += stmt.run(seq).changes;
  return n;
}

/**
 * Prunes the front of the chain up to and including `uptoSeq`: records that row's hash as the
 * new base first (the triggers allow deleting only at or below it), then deletes. Returns the
 * rows deleted. Never touches the head: `uptoSeq` is capped below the last row.
 */
export function pruneAuditFront(db: Db, uptoSeq: number): number {
  const head = auditHead(db);
  if (!head) return 0;
  const upto = Math.min(uptoSeq, head.seq - 1);
  const current = auditBase(db);
  if (upto <= (current?.seq ?? 0)) return 0;
  const row = db
    .prepare<[number], { hash: string }>('SELECT hash FROM audit_log WHERE seq = ?')
    .get(upto);
  if (!row) return 0;
  db.prepare(
    `INSERT INTO audit_base(id, seq, hash) VALUES (1, ?, ?)
     ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
  ).run(upto, row.hash);
  return db.prepare<[number]>('DELETE FROM audit_log WHERE seq <= ?').run(upto).changes;
}
