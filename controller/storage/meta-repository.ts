import type { Db } from './db.js';

/** Station metadata and the record of each run (start, clean stop). */
export class MetaRepository {
  readonly #get;
  readonly #set;
  readonly #start;
  readonly #stop;
  constructor(db: Db) {
    this.#get = db.prepare<[string], { value: string }>(
      'SELECT value FROM station_meta WHERE key = ?',
    );
    this.#set = db.prepare(
      'INSERT INTO station_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.#start = db.prepare('INSERT INTO station_runs(started_at, version) VALUES (?, ?)');
    this.#stop = db.prepare('UPDATE station_runs SET stopped_at = ?, exit_reason = ? WHERE id = ?');
  }
  get(key: string): string | undefined {
    return this.#get.get(key)?.value;
  }
  set(key: string, value: string): void {
    this.#set.run(key, value);
  }
  /** Records a start; returns the run id to pass to {@link recordStop}. */
  recordStart(at: Date, version: string): number {
    return Number(this.#start.run(at.toISOString(), version).lastInsertRowid);
  }
  recordStop(runId: number, at: Date, reason: string): void {
    this.#stop.run(at.toISOString(), reason, runId);
  }
}
