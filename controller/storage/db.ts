import { accessSync, constants, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { StorageError } from '../../shared/errors.js';

export type Db = Database.Database;

/** Folder of numbered migrations: `NNN_name.sql`, applied in order, each in a transaction. */
export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations shipped with this build, ordered by version. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const list = readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .map((f) => ({
      version: Number(f.slice(0, 3)),
      name: f.slice(4, -4),
      sql: readFileSync(path.join(dir, f), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < list.length; i++) {
    if (list[i]!.version === list[i - 1]!.version)
      throw new Error(`two migrations numbered ${list[i]!.version}`);
  }
  return list;
}

function classify(err: unknown, file: string): StorageError {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new StorageError(
      'locked',
      `database ${file} is locked by another process (is another station running?)`,
      { cause: err },
    );
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StorageError(
      'corrupt',
      `database ${file} is not a valid SQLite database or is damaged`,
      { cause: err },
    );
  }
  if (
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_IOERR'
  ) {
    return new StorageError(
      'not_writable',
      `database ${file} cannot be opened for writing (${code})`,
      { cause: err },
    );
  }
  return new StorageError(
    'unreadable',
    `database ${file} cannot be used: ${(err as Error).message}`,
    { cause: err },
  );
}

export interface OpenOptions {
  busyTimeoutMs?: number;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** Open read-only (CLI inspection while the daemon runs). */
  readonly?: boolean;
  migrationsDir?: string;
  /** SQLite `synchronous` (default FULL: durable across power loss). */
  synchronous?: 'FULL' | 'NORMAL';
}

/**
 * Opens (creating if needed) the station database in WAL mode and brings its schema up to
 * date. @throws StorageError with `kind` locked / newer_version / corrupt / not_writable.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const migrations = loadMigrations(options.migrationsDir);
  const latest = migrations.at(-1)?.version ?? 0;
  if (file !== ':memory:' && !options.readonly) {
    try {
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    } catch (err) {
      throw new StorageError(
        'not_writable',
        `cannot create the folder for ${file}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  let db: Db;
  try {
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
      timeout: options.busyTimeoutMs ?? 2000,
    });
  } catch (err) {
    throw classify(err, file);
  }
  try {
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // FULL: in WAL mode every commit syncs the WAL before it returns, so whatever a
      // transaction lets leave the station (an event that may be acknowledged, a command's
      // replay row, an actuation's intent) survives a power cut. NORMAL would only survive a
      // process crash: its last commits roll back when the power goes (test/mqtt/power-loss).
      db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    }
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > latest) {
      throw new StorageError(
        'newer_version',
        `database ${file} was written by a newer jpki-locker (schema ${version}, this build knows ${latest}); upgrade the software or restore a backup`,
      );
    }
    if (options.migrate !== false && !options.readonly && version < latest)
      migrate(db, migrations, version);
    return db;
  } catch (err) {
    db.close();
    throw err instanceof StorageError ? err : classify(err, file);
  }
}

function migrate(db: Db, migrations: Migration[], from: number): void {
  // BEGIN IMMEDIATE takes the write lock up front, so a second process fails fast as locked.
  const apply = db.transaction((m: Migration) => {
    db.exec(m.sql);
    db.pragma(`user_version = ${m.version}`);
  });
  for (const m of migrations) {
    if (m.version <= from) continue;
    apply.immediate(m);
  }
}

/** Runs `PRAGMA integrity_check`; returns 'ok' or the problems found. */
export function integrityCheck(db: Db): string {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).join('; ');
}

/** True when the file (or its folder, for a new file) can be written. */
export function isWritable(file: string): boolean {
  try {
    accessSync(file, constants.W_OK);
    return true;
  } catch {
    try {
      accessSync(path.dirname(path.resolve(file)), constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }
}
