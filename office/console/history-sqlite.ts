import type Database from 'better-sqlite3';
import type { EventMessage } from '../../shared/mqtt/events.js';
import type { ConsoleEvent } from './fleet.js';
import { rowToEvent, type AttemptCount, type HistoryQuery, type HistoryStore } from './history.js';

/** The history in the console's own SQLite file (one instance). */
export class SqliteHistory implements HistoryStore {
  readonly shared = false;

  constructor(private readonly db: Database.Database) {}

  async open(): Promise<void> {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        station TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
        at TEXT NOT NULL, at_ms INTEGER NOT NULL, received_at INTEGER NOT NULL,
        historical INTEGER NOT NULL, data TEXT NOT NULL, UNIQUE (station, id));
      CREATE INDEX IF NOT EXISTS events_station ON events (station, n);
      CREATE INDEX IF NOT EXISTS events_received ON events (received_at);`);
  }

  async close(): Promise<void> {}

  async storeEvent(station: string, e: EventMessage, receivedAt: number): Promise<boolean> {
    const r = this.db
      .prepare(
        `INSERT OR IGNORE INTO events (station, id, seq, kind, at, at_ms, received_at, historical, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        station,
        e.id,
        e.seq,
        e.kind,
        e.at,
        Date.parse(e.at),
        receivedAt,
        e.historical ? 1 : 0,
        JSON.stringify(e.data),
      );
    return r.changes === 1;
  }

  async recentEvents(limit: number): Promise<{ events: ConsoleEvent[]; cursor: number }> {
    const rows = this.db
      .prepare('SELECT * FROM events ORDER BY n DESC LIMIT ?')
      .all(limit) as (Parameters<typeof rowToEvent>[0] & { n: number })[];
    return { events: rows.reverse().map(rowToEvent), cursor: rows.at(-1)?.n ?? 0 };
  }

  async eventsAfter(
    cursor: number,
    limit: number,
  ): Promise<{ events: ConsoleEvent[]; cursor: number }> {
    const rows = this.db
      .prepare('SELECT * FROM events WHERE n > ? ORDER BY n LIMIT ?')
      .all(cursor, limit) as (Parameters<typeof rowToEvent>[0] & { n: number })[];
    return { events: rows.map(rowToEvent), cursor: rows.at(-1)?.n ?? cursor };
  }

  async queryEvents(q: HistoryQuery): Promise<ConsoleEvent[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      args.push(...values);
    };
    if (q.station) add('station = ?', q.station);
    if (q.kind?.endsWith('.')) add('substr(kind, 1, ?) = ?', q.kind.length, q.kind);
    else if (q.kind) add('kind = ?', q.kind);
    if (q.from !== undefined) add('at_ms >= ?', q.from);
    if (q.to !== undefined) add('at_ms <= ?', q.to);
    if (q.before !== undefined) add('n < ?', q.before);
    const limit = Math.max(1, Math.min(q.limit ?? 200, 1000));
    const rows = this.db
      .prepare(
        `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY n DESC LIMIT ?`,
      )
      .all(...args, limit) as Parameters<typeof rowToEvent>[0][];
    return rows.map(rowToEvent);
  }

  async attemptsByHour(fromMs: number, stations?: readonly string[]): Promise<AttemptCount[]> {
    const only = stations ? `AND station IN (${stations.map(() => '?').join(',') || "''"})` : '';
    const rows = this.db
      .prepare(
        `SELECT (at_ms / 3600000) * 3600000 AS hour,
                CASE json_extract(data, '$.result') WHEN 'granted' THEN 'granted'
                     ELSE 'denied:' || coalesce(json_extract(data, '$.reason'), '?') END AS outcome,
                count(*) AS n
         FROM events WHERE kind = 'pickup.attempt' AND at_ms >= ? ${only}
         GROUP BY hour, outcome ORDER BY hour`,
      )
      .all(fromMs, ...(stations ?? [])) as AttemptCount[];
    return rows;
  }

  async purgeBefore(ms: number): Promise<number> {
    return this.db.prepare('DELETE FROM events WHERE received_at < ?').run(ms).changes;
  }
}
