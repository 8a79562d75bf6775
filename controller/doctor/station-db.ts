import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Db } from '../storage/db.js';

/** What doctor can tell about the station database without writing anything. */
export type StationDbLook =
  { state: 'missing' } | { state: 'not-sqlite' } | { state: 'present'; schema: number };

const MAGIC = 'SQLite format 3\0';

/**
 * Reads the schema version (`PRAGMA user_version`, bytes 60-63 of the file header) without
 * opening the database: doctor writes nothing, not even the -wal/-shm files a read-only
 * SQLite connection leaves beside a WAL database.
 */
export function lookAtStationDb(file: string): StationDbLook {
  if (!existsSync(file)) return { state: 'missing' };
  const head = readFileSync(file).subarray(0, 100);
  if (head.length < 100 || head.subarray(0, 16).toString('latin1') !== MAGIC)
    return { state: 'not-sqlite' };
  return { state: 'present', schema: head.readUInt32BE(60) };
}

/**
 * Opens the station database for reading only, leaving every file as it was: while the daemon
 * runs (its -wal and -shm files exist) a read-only connection, which then creates nothing;
 * otherwise an in-memory copy of the file (everything is in the main file once the last
 * connection closed). Returns undefined when there is no database yet.
 */
export function readStationDb(file: string): Db | undefined {
  if (!existsSync(file)) return undefined;
  if (existsSync(`${file}-wal`) && existsSync(`${file}-shm`))
    return new Database(file, { readonly: true, fileMustExist: true, timeout: 500 });
  const image = readFileSync(file);
  // A WAL database says so in header bytes 18-19 (2); an in-memory copy has no WAL: 1.
  if (image.length >= 100) image.fill(1, 18, 20);
  return new Database(image, { readonly: true });
}
