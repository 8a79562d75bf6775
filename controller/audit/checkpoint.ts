/**
 * Signed checkpoints of the audit chain's head. Before retention prunes anything the station
 * signs `{station, seq, hash, at}` of the chain's head with its own key (config
 * `station.signingKey`), keeps the checkpoint in `audit_checkpoints` and sends it as an
 * `audit.checkpoint` event. Whoever rewrites the chain afterwards must also forge that
 * signature, and the heads published in the heartbeat stop matching.
 *
 * A checkpoint is a compact JWS (RFC 7515 §7.1) with header
 * `{"alg": ES256|ES384|RS256|PS256|EdDSA, "typ": "jpki-locker-audit-checkpoint+jws", "x5c"?: [...]}`
 * and the JSON payload {@link CheckpointClaims}.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Db } from '../storage/db.js';
import { signCompactJws, verifyJwsSignature, type ParsedJws } from '../../shared/mqtt/jws.js';
import { COMMAND_JWS_ALGS, type CommandJwsAlg } from '../../shared/mqtt/commands.js';
import { decodeCertificates } from '../trust/certificate.js';
import { auditBase, auditHead } from './audit-log.js';

/** The `typ` header of a checkpoint JWS. */
export const CHECKPOINT_JWS_TYP = 'jpki-locker-audit-checkpoint+jws';

/** What a checkpoint signs. */
export interface CheckpointClaims {
  v: 1;
  station: string;
  /** The chain head: last row's seq and hash. */
  seq: number;
  hash: string;
  /** When it was signed (ISO 8601, station clock). */
  at: string;
}

/** A stored checkpoint. */
export interface StoredCheckpoint {
  seq: number;
  hash: string;
  at: string;
  jws: string;
}

/** The station's signing identity: its key and, when configured, its certificate chain. */
export interface StationSigner {
  privateKey: KeyObject;
  /** DER, the station's certificate first; may be empty. */
  chain: Uint8Array[];
}

/** Reads the station key (PEM) and optional certificate file (PEM or DER). */
export function loadStationSigner(keyFile: string, certFile: string): StationSigner {
  return {
    privateKey: createPrivateKey(readFileSync(keyFile)),
    chain: certFile ? decodeCertificates(new Uint8Array(readFileSync(certFile)), certFile) : [],
  };
}

/** The public key of a certificate file (PEM or DER), to check checkpoints with. */
export function checkpointKeyFromCertificate(certFile: string): KeyObject {
  const [der] = decodeCertificates(new Uint8Array(readFileSync(certFile)), certFile);
  if (!der) throw new Error(`${certFile} holds no certificate`);
  return new X509Certificate(der).publicKey;
}

/** Signs a checkpoint. */
export function signCheckpoint(claims: CheckpointClaims, signer: StationSigner): string {
  const extra: Record<string, unknown> = { typ: CHECKPOINT_JWS_TYP };
  if (signer.chain.length === 0) extra.x5c = undefined;
  return signCompactJws(JSON.stringify(claims), signer.privateKey, signer.chain, extra);
}

/** Why a checkpoint JWS is not good. */
export type CheckpointProblem = 'malformed' | 'bad_signature';

/**
 * Reads a checkpoint JWS and, when `key` is given, checks its signature. Broken input is a
 * problem code, not an exception.
 */
export function readCheckpoint(
  jws: string,
  key?: KeyObject,
): { ok: true; claims: CheckpointClaims } | { ok: false; problem: CheckpointProblem } {
  const parts = typeof jws === 'string' ? jws.split('.') : [];
  if (parts.length !== 3) return { ok: false, problem: 'malformed' };
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown; typ?: unknown };
  let claims: CheckpointClaims;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as CheckpointClaims;
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  const alg = header.alg;
  if (
    header.typ !== CHECKPOINT_JWS_TYP ||
    typeof alg !== 'string' ||
    !(COMMAND_JWS_ALGS as readonly string[]).includes(alg) ||
    claims?.v !== 1 ||
    !Number.isInteger(claims.seq) ||
    typeof claims.hash !== 'string' ||
    typeof claims.station !== 'string' ||
    typeof claims.at !== 'string'
  )
    return { ok: false, problem: 'malformed' };
  if (key) {
    const parsed: ParsedJws = {
      header: { alg: alg as CommandJwsAlg, x5c: [] },
      chain: [],
      payload: Buffer.from(p, 'base64url'),
      signingInput: Buffer.from(`${h}.${p}`, 'ascii'),
      signature: Buffer.from(s, 'base64url'),
    };
    if (!verifyJwsSignature(parsed, key)) return { ok: false, problem: 'bad_signature' };
  }
  return { ok: true, claims };
}

/**
 * Signs the chain's current head and stores the checkpoint (inside the caller's transaction
 * when there is one). Returns undefined when the chain is empty. The same head is stored once.
 */
export function writeCheckpoint(
  db: Db,
  signer: StationSigner,
  station: string,
  now: Date,
): StoredCheckpoint | undefined {
  const head = auditHead(db);
  if (!head) return undefined;
  const existing = db
    .prepare<[number], StoredCheckpoint>('SELECT * FROM audit_checkpoints WHERE seq = ?')
    .get(head.seq);
  if (existing) return existing;
  const at = now.toISOString();
  const jws = signCheckpoint({ v: 1, station, seq: head.seq, hash: head.hash, at }, signer);
  const row = { seq: head.seq, hash: head.hash, at, jws };
  db.prepare(
    'INSERT INTO audit_checkpoints(seq, hash, at, jws) VALUES (@seq, @hash, @at, @jws)',
  ).run(row);
  return row;
}

/** Every stored checkpoint, oldest first. */
export function listCheckpoints(db: Db): StoredCheckpoint[] {
  return db.prepare<[], StoredCheckpoint>('SELECT * FROM audit_checkpoints ORDER BY seq').all();
}

/** What checking the checkpoints against the chain found. */
export interface CheckpointReport {
  ok: boolean;
  checkpoints: number;
  /** Whether signatures were checked (a key was given). */
  signaturesChecked: boolean;
  problem?: { seq: number; message: string };
}

/**
 * Checks every stored checkpoint against the chain: its JWS reads (and verifies with `key`
 * when given) and says what the row says; a checkpoint's row must still carry its hash, or,
 * when pruned, the base must; no checkpoint may lie beyond the head; and a pruned chain's
 * base must be covered by a checkpoint at or after it (pruning always signs first).
 */
export function verifyCheckpoints(db: Db, key?: KeyObject): CheckpointReport {
  const list = listCheckpoints(db);
  const base = auditBase(db);
  const head = auditHead(db);
  const hashAt = db.prepare<[number], { hash: string }>('SELECT hash FROM audit_log WHERE seq = ?');
  const fail = (seq: number, message: string): CheckpointReport => ({
    ok: false,
    checkpoints: list.length,
    signaturesChecked: key !== undefined,
    problem: { seq, message },
  });
  for (const c of list) {
    const read = readCheckpoint(c.jws, key);
    if (!read.ok)
      return fail(
        c.seq,
        read.problem === 'bad_signature'
          ? `the checkpoint at row ${c.seq} is not signed by the station key`
          : `the checkpoint at row ${c.seq} cannot be read`,
      );
    if (read.claims.seq !== c.seq || read.claims.hash !== c.hash)
      return fail(c.seq, `the checkpoint at row ${c.seq} was edited (its signed head differs)`);
    if (!head || c.seq > head.seq)
      return fail(c.seq, `the chain ends before the signed checkpoint at row ${c.seq}`);
    const row = hashAt.get(c.seq);
    if (row && row.hash !== c.hash)
      return fail(c.seq, `row ${c.seq} no longer carries the hash signed in its checkpoint`);
    if (!row && base && c.seq === base.seq && base.hash !== c.hash)
      return fail(c.seq, `the chain base no longer carries the hash signed at row ${c.seq}`);
    if (!row && (!base || c.seq > base.seq))
      return fail(c.seq, `row ${c.seq} of a signed checkpoint is missing`);
  }
  if (base && !list.some((c) => c.seq >= base.seq))
    return fail(base.seq, `rows up to ${base.seq} were pruned without a signed checkpoint`);
  return { ok: true, checkpoints: list.length, signaturesChecked: key !== undefined };
}

/**
 * Compares the chain with a head published earlier (heartbeat `auditHead`, or an
 * `audit.checkpoint` event): the row with that seq must still carry that hash. A head whose
 * row was pruned is compared with the base or a checkpoint at that seq when there is one.
 */
export function compareWithPublishedHead(
  db: Db,
  published: { seq: number; hash: string },
): { ok: boolean; checked: boolean; message: string } {
  const head = auditHead(db);
  if (!head || published.seq > head.seq)
    return {
      ok: false,
      checked: true,
      message: `the chain ends before row ${published.seq}, which was published`,
    };
  const row = db
    .prepare<[number], { hash: string }>('SELECT hash FROM audit_log WHERE seq = ?')
    .get(published.seq);
  const known =
    row?.hash ??
    (auditBase(db)?.seq === published.seq ? auditBase(db)?.hash : undefined) ??
    db
      .prepare<[number], { hash: string }>('SELECT hash FROM audit_checkpoints WHERE seq = ?')
      .get(published.seq)?.hash;
  if (known === undefined)
    return {
      ok: true,
      checked: false,
      message: `row ${published.seq} was pruned; the published head cannot be compared`,
    };
  return known === published.hash
    ? { ok: true, checked: true, message: `row ${published.seq} matches the published head` }
    : {
        ok: false,
        checked: true,
        message: `row ${published.seq} differs from the published head: the chain was rewritten`,
      };
}
