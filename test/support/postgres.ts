/**
 * A private PostgreSQL server for one suite: Debian's binaries (`apt-get install postgresql`),
 * a fresh data folder under the system temp folder, a free loopback port, trust
 * authentication for one role. As root, the server runs as user `postgres` (PostgreSQL
 * refuses to run as root).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './mosquitto.js';
import { waitFor } from './wait.js';

/** The folder of Debian's PostgreSQL programs (the newest version installed), if any. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin/postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], 'bin') : undefined;
}

export class Postgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  /** `postgres://` URL of the suite's database. */
  get url(): string {
    return `postgres://jl@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<Postgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pg-'));
    const asRoot = process.getuid?.() === 0;
    const run = (program: string, args: string[]) =>
      asRoot
        ? { cmd: 'runuser', args: ['-u', 'postgres', '--', path.join(bin, program), ...args] }
        : { cmd: path.join(bin, program), args };
    if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
    const data = path.join(dir, 'data');
    const init = run('initdb', ['-D', data, '-A', 'trust', '-U', 'jl', '--no-sync', '-E', 'UTF8']);
    execFileSync(init.cmd, init.args, { stdio: 'ignore' });
    const port = await freePort();
    const server = run('postgres', [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
    ]);
    const child = spawn(server.cmd, server.args, { stdio: 'ignore' });
    const pgServer = new Postgres(dir, port, child);
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode})`);
        const c = new pg.Client({ connectionString: pgServer.url });
        try {
          await c.connect();
          return true;
        } catch {
          return false;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      'PostgreSQL accepting connections',
      { wake: [[child, 'exit']], pollMs: 100 },
    );
    return pgServer;
  }

  /** One query on a fresh connection. */
  async query<T extends pg.QueryResultRow>(sql: string, args: unknown[] = []): Promise<T[]> {
    const c = new pg.Client({ connectionString: this.url });
    await c.connect();
    try {
      return (await c.query<T>(sql, args)).rows;
    } finally {
      await c.end();
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      // The postmaster itself (runuser does not pass signals on): SIGINT = fast shutdown.
      const pidFile = path.join(this.dir, 'data', 'postmaster.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGINT');
      else this.child.kill('SIGINT');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
