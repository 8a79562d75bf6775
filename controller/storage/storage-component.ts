import type { Component } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { openDatabase, type Db } from './db.js';
import { MetaRepository } from './meta-repository.js';

/** Owns the database connection for the daemon's lifetime. */
export class StorageComponent implements Component {
  readonly name = 'storage';
  #db: Db | undefined;
  #runId: number | undefined;
  constructor(
    private readonly file: string,
    private readonly busyTimeoutMs: number,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The open database; only valid between start() and stop(). */
  get db(): Db {
    if (!this.#db) throw new Error('storage is not started');
    return this.#db;
  }

  async start(): Promise<void> {
    this.#db = openDatabase(this.file, { busyTimeoutMs: this.busyTimeoutMs });
    this.#runId = new MetaRepository(this.#db).recordStart(this.now(), VERSION);
    this.log.info({ file: this.file }, 'database open');
  }

  async stop(): Promise<void> {
    const db = this.#db;
    if (!db) return;
    this.#db = undefined;
    try {
      if (this.#runId !== undefined)
        new MetaRepository(db).recordStop(this.#runId, this.now(), 'stopped');
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  }
}
