/**
 * The console's action log: one JSON line per operator action (command sent, its answer,
 * alarm acknowledged), append-only, each line carrying the SHA-256 of the previous line so
 * that an edited, removed or reordered line is visible (`verify()`). No personal data: the
 * operator name, station ids, command ids and bodies (which hold only hashes) are written.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** What a line records. */
export type ActionLogAction =
  | 'command.sent'
  | 'command.answered'
  | 'command.unanswered'
  | 'alarm.ack'
  | 'approval.requested'
  | 'approval.granted'
  | 'approval.expired'
  | 'approval.cancelled'
  | 'login'
  | 'login.failed'
  | 'logout'
  | 'account.locked';

/** One line of the log. */
export interface ActionLogEntry {
  /** 1, 2, 3 ... */
  seq: number;
  /** ISO 8601, console clock. */
  at: string;
  operator: string;
  action: ActionLogAction;
  /** The station concerned ('' for account events). */
  station: string;
  /** Command id, approval id, alarm occurrence id, or account name. */
  ref: string;
  /** What was done (command kind + body, alarm code, the station's answer). */
  detail: Record<string, unknown>;
  /** SHA-256 (hex) of the previous line, or 64 zeros for the first. */
  prev: string;
}

const GENESIS = '0'.repeat(64);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Append-only JSON-lines log with a hash chain; keeps the newest entries in memory. */
export class ActionLog {
  #seq = 0;
  #prev = GENESIS;
  #recent: ActionLogEntry[] = [];

  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
    private readonly keepRecent = 1000,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    if (existsSync(file)) {
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      const last = lines.at(-1);
      if (last) {
        this.#prev = sha256(last);
        this.#seq = (JSON.parse(last) as ActionLogEntry).seq;
      }
      this.#recent = lines.slice(-keepRecent).map((l) => JSON.parse(l) as ActionLogEntry);
    }
  }

  /** Appends one entry (synchronously: the action is on disk before it is answered). */
  append(e: Omit<ActionLogEntry, 'seq' | 'at' | 'prev'>): ActionLogEntry {
    const entry: ActionLogEntry = {
      seq: this.#seq + 1,
      at: this.now().toISOString(),
      ...e,
      prev: this.#prev,
    };
    const line = JSON.stringify(entry);
    appendFileSync(this.file, `${line}\n`, { flag: 'a' });
    this.#seq = entry.seq;
    this.#prev = sha256(line);
    this.#recent.push(entry);
    if (this.#recent.length > this.keepRecent * 1.25)
      this.#recent = this.#recent.slice(-this.keepRecent);
    return entry;
  }

  /** The newest entries, newest first. */
  recent(limit = 200, station?: string): ActionLogEntry[] {
    const out: ActionLogEntry[] = [];
    for (let i = this.#recent.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.#recent[i]!;
      if (!station || e.station === station) out.push(e);
    }
    return out;
  }

  /** Checks the chain of a log file: the first broken line (1-based), or ok. */
  static verify(file: string): { ok: true; entries: number } | { ok: false; line: number } {
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    let prev = GENESIS;
    for (let i = 0; i < lines.length; i++) {
      let e: ActionLogEntry;
      try {
        e = JSON.parse(lines[i]!) as ActionLogEntry;
      } catch {
        return { ok: false, line: i + 1 };
      }
      if (e.prev !== prev || e.seq !== i + 1) return { ok: false, line: i + 1 };
      prev = sha256(lines[i]!);
    }
    return { ok: true, entries: lines.length };
  }
}
