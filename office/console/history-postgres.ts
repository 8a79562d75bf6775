/**
 * The history in PostgreSQL (`--db postgres://…`), for several console instances sharing the
 * load: each takes events through one MQTT 5 shared subscription, so each event reaches one
 * instance, which stores it (ON CONFLICT DO NOTHING keeps a redelivered copy out); the others
 * pick it up from here (`eventsAfter`) for their pages.
 */
import pg from 'pg';
import type { EventMessage } from '../../shared/mqtt/events.js';
import type { ConsoleEvent } from './fleet.js';
import { rowToEvent, type AttemptCount, type HistoryQuery, type HistoryStore } from './history.js';

type Row = Parameters<typeof rowToEvent>[0] & { n: string };

/** A {@link HistoryStore} over a PostgreSQL connection pool. */
export class PostgresHistory implements HistoryStore {
  readonly shared = true;
  readonly #pool: pg.Pool;

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 4 });
    // A dropped idle connection is replaced by the pool; it must not crash the console.
    this.#pool.on('error', () => undefined);
  }

  async open(): Promise<void> {
    await this.#pool.query(`
      CREATE TABLE IF NOT EXISTS console_events (
        n BIGSERIAL PRIMARY KEY,
        station TEXT NOT NULL, id TEXT NOT NULL, seq BIGINT NOT NULL, kind TEXT NOT NULL,
        at TEXT NOT NULL, at_ms BIGINT NOT NULL, received_at BIGINT NOT NULL,
        historical BOOLEAN NOT NULL, data TEXT NOT NULL, UNIQUE (station, id));
      CREATE INDEX IF NOT EXISTS console_events_station ON console_events (station, n);
      CREATE INDEX IF NOT EXISTS console_events_received ON console_events (received_at);`);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async storeEvent(station: string, e: EventMessage, receivedAt: number): Promise<boolean> {
    const r = await this.#pool.query(
      `INSERT INTO console_events (station, id, seq, kind, at, at_ms, received_at, historical, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (station, id) DO NOTHING`,
      [
        station,
        e.id,
        e.seq,
        e.kind,
        e.at,
        Date.parse(e.at),
        receivedAt,
        e.historical,
        JSON.stringify(e.data),
      ],
    );
    return r.rowCount === 1;
  }

  async recentEvents(limit: number): Promise<{ events: ConsoleEvent[]; cursor: number }> {
    const r = await this.#pool.query<Row>('SELECT * FROM console_events ORDER BY n DESC LIMIT $1', [
      limit,
    ]);
    const rows = r.rows.reverse();
    return { events: rows.map(rowToEvent), cursor: Number(rows.at(-1)?.n ?? 0) };
  }

  async eventsAfter(
    cursor: number,
    limit: number,
  ): Promise<{ events: ConsoleEvent[]; cursor: number }> {
    const r = await this.#pool.query<Row>(
      'SELECT * FROM console_events WHERE n > $1 ORDER BY n LIMIT $2',
      [cursor, limit],
    );
    return { events: r.rows.map(rowToEvent), cursor: Number(r.rows.at(-1)?.n ?? cursor) };
  }

  async queryEvents(q: HistoryQuery): Promise<ConsoleEvent[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (clause: (i: number) => string, ...values: unknown[]) => {
      where.push(clause(args.length + 1));
      args.push(...values);
    };
    if (q.station) add((i) => `station = $${i}`, q.station);
    if (q.kind?.endsWith('.')) add((i) => `starts_with(kind, $${i})`, q.kind);
    else if (q.kind) add((i) => `kind = $${i}`, q.kind);
    if (q.from !== undefined) add((i) => `at_ms >= $${i}`, q.from);
    if (q.to !== undefined) add((i) => `at_ms <= $${i}`, q.to);
    if (q.before !== undefined) add((i) => `n < $${i}`, q.before);
    const limit = Math.max(1, Math.min(q.limit ?? 200, 1000));
    args.push(limit);
    const r = await this.#pool.query<Row>(
      `SELECT * FROM console_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY n DESC LIMIT $${args.length}`,
      args,
    );
    return r.rows.map(rowToEvent);
  }

  async attemptsByHour(fromMs: number, stations?: readonly string[]): Promise<AttemptCount[]> {
    const r = await this.#pool.query<{ hour: string; outcome: string; n: string }>(
      `SELECT (at_ms / 3600000) * 3600000 AS hour,
              CASE data::json->>'result' WHEN 'granted' THEN 'granted'
                   ELSE 'denied:' || coalesce(data::json->>'reason', '?') END AS outcome,
              count(*) AS n
       FROM console_events WHERE kind = 'pickup.attempt' AND at_ms >= $1
         AND ($2::text[] IS NULL OR station = ANY($2))
       GROUP BY 1, 2 ORDER BY 1`,
      [fromMs, stations ? [...stations] : null],
    );
    return r.rows.map((x) => ({ hour: Number(x.hour), outcome: x.outcome, n: Number(x.n) }));
  }

  async purgeBefore(ms: number): Promise<number> {
    return (
      (await this.#pool.query('DELETE FROM console_events WHERE received_at < $1', [ms]))
        .rowCount ?? 0
    );
  }
}
