/**
 * Where the CRL cache keeps the last good CRL per issuer key and scope: SQLite for the
 * daemon and the CLI (the facts in SQLite, the entries in one index file per CRL beside the
 * database, crl-index-file.ts), memory for one-shot checks (`cert verify --crl`) and tests.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../storage/db.js';
import {
  CrlIndex,
  CrlIndexBuilder,
  fromUnsignedRows,
  type IndexWriter,
  type RevokedSerials,
} from './crl-index.js';
import { FileCrlIndex } from './crl-index-file.js';
import { SpillingIndexWriter } from './crl-index-spill.js';
import { parseIdp, type IssuingDistributionPoint } from './crl-parser.js';

/** One cached CRL (after any delta CRLs were merged into it). */
export interface StoredCrl {
  issuerKey: string;
  issuer: string;
  issuerSpkiSha256: string;
  /** '' for a full-scope CRL, else the hex of its issuingDistributionPoint. */
  scope: string;
  idp: IssuingDistributionPoint | undefined;
  idpDer: Uint8Array | undefined;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  crlNumber: bigint | undefined;
  fullCrlNumber: bigint | undefined;
  deltasApplied: number;
  derSha256: string;
  source: string;
  importedAt: Date;
  /** Entries of the CRL issuer's own certificates. */
  index: RevokedSerials;
  /** Indirect CRLs: entries of other certificate issuers, by GeneralName key (general-names.ts). */
  others: ReadonlyMap<string, CrlIndex>;
}

/** Conditional-GET state and last outcome of a source. */
export interface CrlSourceState {
  source: string;
  etag: string | undefined;
  lastModified: string | undefined;
  checkedAt: Date;
  outcome: string;
  detail: string | undefined;
}

/** Persistence of the cache. `put` replaces atomically: readers see the old or the new CRL. */
export interface CrlStore {
  loadAll(): StoredCrl[];
  put(crl: StoredCrl): void;
  /** Where a CRL's entries go while it streams in (`expectedBytes`: its size when known). */
  newIndex(expectedBytes?: number): IndexWriter;
  /** Drops an index that was finished but is not going to be stored (or was replaced). */
  discardIndex(index: RevokedSerials): void;
  getSource(source: string): CrlSourceState | undefined;
  putSource(state: CrlSourceState): void;
  listSources(): CrlSourceState[];
}

/** In-memory store. */
export class MemoryCrlStore implements CrlStore {
  readonly #crls = new Map<string, StoredCrl>();
  readonly #sources = new Map<string, CrlSourceState>();
  loadAll(): StoredCrl[] {
    return [...this.#crls.values()];
  }
  put(crl: StoredCrl): void {
    this.#crls.set(`${crl.issuerKey}|${crl.issuerSpkiSha256}|${crl.scope}`, crl);
  }
  newIndex(expectedBytes?: number): IndexWriter {
    return new CrlIndexBuilder(expectedBytes ? Math.ceil(expectedBytes / 41) : 1024);
  }
  discardIndex(index: RevokedSerials): void {
    index.close();
  }
  getSource(source: string): CrlSourceState | undefined {
    return this.#sources.get(source);
  }
  putSource(state: CrlSourceState): void {
    this.#sources.set(state.source, state);
  }
  listSources(): CrlSourceState[] {
    return [...this.#sources.values()];
  }
}

interface CrlRow {
  issuer_key: string;
  issuer: string;
  issuer_spki_sha256: string;
  scope: string;
  idp: Buffer | null;
  this_update: string;
  next_update: string | null;
  crl_number: string | null;
  full_crl_number: string | null;
  deltas_applied: number;
  entries: number;
  serial_width: number;
  der_sha256: string;
  source: string;
  imported_at: string;
  serial_format: number;
  rows: Buffer;
}

interface OtherIndexRow {
  crl_id: number;
  cert_issuer: string;
  serial_width: number;
  rows: Buffer;
}

/** Rows in the layout of crl-index.ts (serial_format 1); older rows are magnitudes. */
function indexFrom(width: number, rows: Buffer, format: number): CrlIndex {
  const data = new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
  return format === 1 ? new CrlIndex(width, data) : fromUnsignedRows(width, data);
}

interface SourceRow {
  source: string;
  etag: string | null;
  last_modified: string | null;
  checked_at: string;
  outcome: string;
  detail: string | null;
}

/** Rows per stored part of an index (at most about 4 MiB per part). */
const PART_ROWS = 1 << 18;
/** serial_format of a CRL whose entries are in its index file `<der_sha256>.idx`. */
const FORMAT_FILE = 2;
/** Leftovers of an interrupted import (temporary files) older than this are removed. */
const LEFTOVER_MS = 3600_000;

/** The folder of the CRL index files of the database `file`: beside it. */
export function crlIndexDir(file: string): string {
  return `${path.resolve(file)}-crl`;
}

/** Options of the SQLite store. */
export interface SqliteCrlStoreOptions {
  /**
   * Folder of the index files (default: crlIndexDir of the database file; needed for a
   * database opened from an in-memory image, as doctor does).
   */
  indexDir?: string;
}

/** SQLite store over migrations 010 and 015 (trust_crl, trust_crl_index_part, trust_crl_source). */
export class SqliteCrlStore implements CrlStore {
  #dir: string | undefined;
  /** Cached CRLs that could not be loaded (missing or damaged index file): left out, fail closed. */
  readonly problems: string[] = [];

  constructor(
    private readonly db: Db,
    private readonly options: SqliteCrlStoreOptions = {},
  ) {}

  /** The index folder (created on first use; a private temporary one for an in-memory database). */
  get indexDir(): string {
    if (this.#dir === undefined) {
      if (this.options.indexDir) this.#dir = this.options.indexDir;
      else if (this.db.memory || this.db.name === '')
        this.#dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-crl-'));
      else this.#dir = crlIndexDir(this.db.name);
      if (!this.db.readonly) mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    }
    return this.#dir;
  }

  newIndex(): IndexWriter {
    return new SpillingIndexWriter(this.indexDir);
  }

  discardIndex(index: RevokedSerials): void {
    index.close();
    if (index instanceof FileCrlIndex) rmSync(index.file, { force: true });
  }

  #indexFile(derSha256: string): string {
    return path.join(this.indexDir, `${derSha256}.idx`);
  }

  /** Removes index files no row names, and temporary files, once they are old enough. */
  #sweep(keep: Set<string>): void {
    if (this.db.readonly) return;
    let names: string[];
    try {
      names = readdirSync(this.indexDir);
    } catch {
      return;
    }
    const now = Date.now();
    for (const n of names) {
      if (keep.has(n)) continue;
      const file = path.join(this.indexDir, n);
      try {
        if (now - statSync(file).mtimeMs > LEFTOVER_MS) rmSync(file, { force: true });
      } catch {
        // gone already
      }
    }
  }

  /** The parts of one index, copied one at a time into a buffer of the known size. */
  #readParts(crlId: number, bytes: number): Buffer {
    const out = Buffer.alloc(bytes);
    let at = 0;
    for (const p of this.db
      .prepare(`SELECT rows FROM trust_crl_index_part WHERE crl_id = ? ORDER BY part`)
      .iterate(crlId) as IterableIterator<{ rows: Buffer }>) {
      if (at + p.rows.length > bytes) throw new RangeError('CRL index parts exceed their size');
      p.rows.copy(out, at);
      at += p.rows.length;
    }
    if (at !== bytes) throw new RangeError('CRL index parts are incomplete');
    return out;
  }

  /** Every cached CRL with its index: one BLOB read per CRL, no parsing. */
  loadAll(): StoredCrl[] {
    const rows = (
      this.db
        .prepare(
          `SELECT c.*, i.rows FROM trust_crl c LEFT JOIN trust_crl_index i ON i.crl_id = c.id ORDER BY c.id`,
        )
        .all() as (Omit<CrlRow, 'rows'> & { id: number; rows: Buffer | null })[]
    ).map((r) => ({
      ...r,
      rows:
        r.serial_format === FORMAT_FILE
          ? null
          : (r.rows ?? this.#readParts(r.id, r.entries * (r.serial_width + 1))),
    }));
    const others = new Map<number, Map<string, CrlIndex>>();
    for (const o of this.db
      .prepare(`SELECT * FROM trust_crl_entry_issuer_index`)
      .all() as OtherIndexRow[]) {
      const m = others.get(o.crl_id) ?? new Map<string, CrlIndex>();
      m.set(o.cert_issuer, indexFrom(o.serial_width, o.rows, 1));
      others.set(o.crl_id, m);
    }
    this.problems.length = 0;
    const keep = new Set<string>();
    const out: StoredCrl[] = [];
    for (const r of rows) {
      let index: RevokedSerials;
      if (r.serial_format === FORMAT_FILE) {
        keep.add(`${r.der_sha256}.idx`);
        try {
          index = new FileCrlIndex(this.#indexFile(r.der_sha256), r.der_sha256);
        } catch (err) {
          this.problems.push(`CRL of ${r.issuer}: ${(err as Error).message}`);
          continue;
        }
      } else index = indexFrom(r.serial_width, r.rows!, r.serial_format);
      const idpDer = r.idp ? new Uint8Array(r.idp) : undefined;
      out.push({
        issuerKey: r.issuer_key,
        issuer: r.issuer,
        issuerSpkiSha256: r.issuer_spki_sha256,
        scope: r.scope,
        idp: idpDer ? parseIdp(idpDer, r.issuer_key) : undefined,
        idpDer,
        thisUpdate: new Date(r.this_update),
        nextUpdate: r.next_update ? new Date(r.next_update) : undefined,
        crlNumber: r.crl_number !== null ? BigInt(r.crl_number) : undefined,
        fullCrlNumber: r.full_crl_number !== null ? BigInt(r.full_crl_number) : undefined,
        deltasApplied: r.deltas_applied,
        derSha256: r.der_sha256,
        source: r.source,
        importedAt: new Date(r.imported_at),
        index,
        others: others.get(r.id) ?? new Map(),
      });
    }
    this.#sweep(keep);
    return out;
  }

  /**
   * Replaces the CRL for the same issuer key and scope in one transaction. An index file
   * (already complete and synced) becomes current with the commit; the replaced one is removed
   * after it.
   */
  put(crl: StoredCrl): void {
    const inFile = crl.index instanceof FileCrlIndex;
    const previous = this.db
      .prepare(
        `SELECT der_sha256, serial_format FROM trust_crl
         WHERE issuer_key = ? AND issuer_spki_sha256 = ? AND scope = ?`,
      )
      .get(crl.issuerKey, crl.issuerSpkiSha256, crl.scope) as
      { der_sha256: string; serial_format: number } | undefined;
    const tx = this.db.transaction(() => {
      const { id } = this.db
        .prepare(
          `INSERT INTO trust_crl (issuer_key, issuer, issuer_spki_sha256, scope, idp, this_update,
             next_update, crl_number, full_crl_number, deltas_applied, entries, serial_width,
             der_sha256, source, imported_at, serial_format)
           VALUES (@issuerKey, @issuer, @spki, @scope, @idp, @thisUpdate, @nextUpdate, @crlNumber,
             @fullCrlNumber, @deltasApplied, @entries, @width, @derSha256, @source, @importedAt,
             @format)
           ON CONFLICT (issuer_key, issuer_spki_sha256, scope) DO UPDATE SET
             issuer = excluded.issuer, idp = excluded.idp, this_update = excluded.this_update,
             next_update = excluded.next_update, crl_number = excluded.crl_number,
             full_crl_number = excluded.full_crl_number, deltas_applied = excluded.deltas_applied,
             entries = excluded.entries, serial_width = excluded.serial_width,
             der_sha256 = excluded.der_sha256, source = excluded.source,
             imported_at = excluded.imported_at, serial_format = excluded.serial_format
           RETURNING id`,
        )
        .get({
          issuerKey: crl.issuerKey,
          issuer: crl.issuer,
          spki: crl.issuerSpkiSha256,
          scope: crl.scope,
          idp: crl.idpDer ? Buffer.from(crl.idpDer) : null,
          thisUpdate: crl.thisUpdate.toISOString(),
          nextUpdate: crl.nextUpdate?.toISOString() ?? null,
          crlNumber: crl.crlNumber?.toString() ?? null,
          fullCrlNumber: crl.fullCrlNumber?.toString() ?? null,
          deltasApplied: crl.deltasApplied,
          entries: crl.index.count,
          width: (crl.index as CrlIndex | FileCrlIndex).width,
          format: inFile ? FORMAT_FILE : 1,
          derSha256: crl.derSha256,
          source: crl.source,
          importedAt: crl.importedAt.toISOString(),
        }) as { id: number };
      this.db.prepare(`DELETE FROM trust_crl_index WHERE crl_id = ?`).run(id);
      this.db.prepare(`DELETE FROM trust_crl_index_part WHERE crl_id = ?`).run(id);
      if (!inFile) this.#putParts(id, crl.index as CrlIndex);
      this.db.prepare(`DELETE FROM trust_crl_entry_issuer_index WHERE crl_id = ?`).run(id);
      const insert = this.db.prepare(
        `INSERT INTO trust_crl_entry_issuer_index (crl_id, cert_issuer, serial_width, rows)
         VALUES (?, ?, ?, ?)`,
      );
      for (const [issuer, idx] of crl.others)
        insert.run(
          id,
          issuer,
          idx.width,
          Buffer.from(idx.rows.buffer, idx.rows.byteOffset, idx.rows.byteLength),
        );
    });
    tx.immediate();
    if (previous?.serial_format === FORMAT_FILE && previous.der_sha256 !== crl.derSha256)
      rmSync(this.#indexFile(previous.der_sha256), { force: true });
  }

  /** An in-memory index (MemoryCrlStore's, or one loaded from an older station) as parts. */
  #putParts(id: number, index: CrlIndex): void {
    const rows = index.rows;
    const part = this.db.prepare(
      `INSERT INTO trust_crl_index_part (crl_id, part, rows) VALUES (?, ?, ?)`,
    );
    const size = PART_ROWS * index.rowSize;
    for (let at = 0, n = 0; at < rows.length || n === 0; at += size, n++)
      part.run(
        id,
        n,
        Buffer.from(rows.buffer, rows.byteOffset + at, Math.min(size, rows.length - at)),
      );
  }

  getSource(source: string): CrlSourceState | undefined {
    const r = this.db.prepare(`SELECT * FROM trust_crl_source WHERE source = ?`).get(source) as
      SourceRow | undefined;
    return r ? fromSourceRow(r) : undefined;
  }

  putSource(s: CrlSourceState): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO trust_crl_source (source, etag, last_modified, checked_at, outcome, detail)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.source,
        s.etag ?? null,
        s.lastModified ?? null,
        s.checkedAt.toISOString(),
        s.outcome,
        s.detail ?? null,
      );
  }

  listSources(): CrlSourceState[] {
    return (
      this.db.prepare(`SELECT * FROM trust_crl_source ORDER BY source`).all() as SourceRow[]
    ).map(fromSourceRow);
  }
}

function fromSourceRow(r: SourceRow): CrlSourceState {
  return {
    source: r.source,
    etag: r.etag ?? undefined,
    lastModified: r.last_modified ?? undefined,
    checkedAt: new Date(r.checked_at),
    outcome: r.outcome,
    detail: r.detail ?? undefined,
  };
}
