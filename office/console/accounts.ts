/**
 * Console accounts and sessions, in the console's SQLite file (`<data>/console.db`).
 *
 * Passwords are stored as scrypt (RFC 7914) hashes, `scrypt$N$r$p$salt$hash` (base64), with
 * N = 2^15, r = 8, p = 1 and a 16-byte random salt; compared in constant time. A session is a
 * random 32-byte token (only its SHA-256 is stored) with its own CSRF token; it ends at
 * logout, at its idle limit, or when the account is removed or its password changed.
 * Lock-out: after `maxFailures` wrong passwords in a row an account is refused for
 * `lockMs`, even with the right password (the caller writes the action-log event).
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type Database from 'better-sqlite3';
import { isRole, type Role } from './roles.js';
import type { SessionView } from './http.js';

const scrypt = promisify(scryptCb) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** An account as listed (never the hash). */
export interface AccountInfo {
  name: string;
  role: Role;
  createdAt: string;
  lockedUntil: string | null;
}

/** Why a login was refused. */
export type LoginRefusal = 'bad_credentials' | 'locked';

/** The answer to a login attempt. */
export type LoginResult =
  | { ok: true; token: string; session: SessionView }
  | { ok: false; reason: LoginRefusal; lockedNow: boolean };

/** Limits of the account store. */
export interface AccountPolicy {
  maxFailures: number;
  lockMs: number;
  sessionIdleMs: number;
}

/** Account names: lower-case letters, digits, `.`, `_`, `-`; at most 64. */
export function validAccountName(name: unknown): name is string {
  return typeof name === 'string' && NAME_RE.test(name);
}

/** Checks a new password: 10 to 256 characters. Returns the problem or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 10) return 'the password must have at least 10 characters';
  if (password.length > 256) return 'the password must have at most 256 characters';
  return undefined;
}

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(got, want);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A hash to compare against when the account does not exist (same cost, always false). */
let decoy: Promise<string> | undefined;

/** Accounts and sessions over the console's database. */
export class AccountStore {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date,
    private readonly policy: AccountPolicy = {
      maxFailures: 5,
      lockMs: 15 * 60_000,
      sessionIdleMs: 8 * 3600_000,
    },
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS accounts (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL,
        created_at TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, locked_until INTEGER);
      CREATE TABLE IF NOT EXISTS sessions (
        token_hash TEXT PRIMARY KEY, account TEXT NOT NULL, csrf TEXT NOT NULL,
        last_seen INTEGER NOT NULL);`);
  }

  /** Number of accounts (the console refuses to start with none, unless `--no-login`). */
  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM accounts').get() as { n: number }).n;
  }

  list(): AccountInfo[] {
    const rows = this.db
      .prepare('SELECT name, role, created_at, locked_until FROM accounts ORDER BY name')
      .all() as { name: string; role: Role; created_at: string; locked_until: number | null }[];
    const now = this.now().getTime();
    return rows.map((r) => ({
      name: r.name,
      role: r.role,
      createdAt: r.created_at,
      lockedUntil:
        r.locked_until !== null && r.locked_until > now
          ? new Date(r.locked_until).toISOString()
          : null,
    }));
  }

  /** Adds an account. @returns false when the name is taken. */
  async add(name: string, role: Role, password: string): Promise<boolean> {
    if (!validAccountName(name) || !isRole(role)) throw new RangeError('bad name or role');
    const hash = await hashPassword(password);
    const r = this.db
      .prepare(
        'INSERT OR IGNORE INTO accounts (name, role, password, created_at) VALUES (?, ?, ?, ?)',
      )
      .run(name, role, hash, this.now().toISOString());
    return r.changes === 1;
  }

  /** Removes an account and ends its sessions. @returns false when there was none. */
  remove(name: string): boolean {
    this.db.prepare('DELETE FROM sessions WHERE account = ?').run(name);
    return this.db.prepare('DELETE FROM accounts WHERE name = ?').run(name).changes === 1;
  }

  /** Sets a new password (and lifts a lock-out), ending the account's sessions. */
  async setPassword(name: string, password: string): Promise<boolean> {
    const hash = await hashPassword(password);
    this.db.prepare('DELETE FROM sessions WHERE account = ?').run(name);
    return (
      this.db
        .prepare(
          'UPDATE accounts SET password = ?, failures = 0, locked_until = NULL WHERE name = ?',
        )
        .run(hash, name).changes === 1
    );
  }

  /** Checks a password; on success opens a session. */
  async login(name: unknown, password: unknown): Promise<LoginResult> {
    const row =
      typeof name === 'string'
        ? (this.db
            .prepare(
              'SELECT name, role, password, failures, locked_until FROM accounts WHERE name = ?',
            )
            .get(name) as
            | {
                name: string;
                role: Role;
                password: string;
                failures: number;
                locked_until: number | null;
              }
            | undefined)
        : undefined;
    const pw = typeof password === 'string' ? password : '';
    const matches = row
      ? await passwordMatches(pw, row.password)
      : await passwordMatches(
          pw,
          await (decoy ??= hashPassword(randomBytes(16).toString('hex'))),
        ).then(() => false);
    if (!row) return { ok: false, reason: 'bad_credentials', lockedNow: false };
    const now = this.now().getTime();
    if (row.locked_until !== null && row.locked_until > now)
      return { ok: false, reason: 'locked', lockedNow: false };
    if (!matches) {
      const failures = row.failures + 1;
      const lock = failures >= this.policy.maxFailures;
      this.db
        .prepare('UPDATE accounts SET failures = ?, locked_until = ? WHERE name = ?')
        .run(lock ? 0 : failures, lock ? now + this.policy.lockMs : null, row.name);
      return { ok: false, reason: lock ? 'locked' : 'bad_credentials', lockedNow: lock };
    }
    this.db
      .prepare('UPDATE accounts SET failures = 0, locked_until = NULL WHERE name = ?')
      .run(row.name);
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    this.db
      .prepare('INSERT INTO sessions (token_hash, account, csrf, last_seen) VALUES (?, ?, ?, ?)')
      .run(sha256(token), row.name, csrf, now);
    return { ok: true, token, session: { user: row.name, role: row.role, csrf } };
  }

  /** The live session of a token (refreshing its idle timer), or undefined. */
  session(token: string): SessionView | undefined {
    const now = this.now().getTime();
    const row = this.db
      .prepare(
        `SELECT s.account, s.csrf, s.last_seen, a.role FROM sessions s
         JOIN accounts a ON a.name = s.account WHERE s.token_hash = ?`,
      )
      .get(sha256(token)) as
      { account: string; csrf: string; last_seen: number; role: Role } | undefined;
    if (!row) return undefined;
    if (now - row.last_seen > this.policy.sessionIdleMs) {
      this.logout(token);
      return undefined;
    }
    if (now - row.last_seen > 60_000)
      this.db
        .prepare('UPDATE sessions SET last_seen = ? WHERE token_hash = ?')
        .run(now, sha256(token));
    return { user: row.account, role: row.role, csrf: row.csrf };
  }

  /** Ends a session. */
  logout(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(sha256(token));
  }
}
