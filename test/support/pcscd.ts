/**
 * A private pcscd with the vpcd driver, for tests and benchmarks that want the real PC/SC
 * stack without touching /etc or /run/pcscd.
 *
 * - Config: a private reader.conf.d (`pcscd -c DIR`) whose vpcd entry listens on a free TCP
 *   port pair (vpcd makes two readers: PORT and PORT+1).
 * - Socket: pcscd 1.9.9 always binds `/run/pcscd/pcscd.comm` (it does NOT read
 *   PCSCLITE_CSOCK_NAME; only libpcsclite, the client side, does). So pcscd runs in a private
 *   mount namespace (`unshare --mount`) where a private folder is bind-mounted over /run/pcscd;
 *   the socket then appears at `<dir>/run/pcscd.comm` for this process, which points
 *   libpcsclite at it with PCSCLITE_CSOCK_NAME. Needs root (CAP_SYS_ADMIN), as on CI here.
 * - libpcsclite reads PCSCLITE_CSOCK_NAME once per process: one private pcscd per test
 *   process (vitest runs each file in its own fork), restartable on the same socket path.
 * - pcscd 2.x (Debian 13) asks polkit about every client over the system bus and refuses all of
 *   them, root included, when there is no bus (`Access denied`). This private pcscd is reachable
 *   only through its own 0700 folder, so it runs with `--disable-polkit` where pcscd has that
 *   option (2.x; 1.9.9 has no polkit at all): the card suites see the same stack on both.
 *   pcscd 2 under polkit proper is checked by scripts/install-test.sh with dbus and polkitd.
 * - Ready = the "daemon ready" line on pcscd's stdout (`--info`), no sleeps.
 * - stop() sends SIGTERM (SIGKILL after a deadline), waits for exit, removes stale socket and
 *   pid files, and the folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PrivatePcscd {
  dir: string;
  socketPath: string;
  /** vpcd TCP port of the first reader (`readerNames[0]`); the second uses port + 1. */
  vpcdPort: number;
  readerNames: [string, string];
  /** pid of the running pcscd (inside the namespace helper), or undefined when stopped. */
  readonly pid: number | undefined;
  /** Kills pcscd with the signal (default SIGKILL) and waits for it to exit. Stale files stay. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts pcscd again on the same socket and port (after kill()); cleans stale files first. */
  restart(): Promise<void>;
  /** Stops pcscd and removes everything. Idempotent. */
  stop(): Promise<void>;
}

/** Two consecutive free TCP ports (checked by binding both on all interfaces, as vpcd does). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all([port, port + 1].map(canBind));
    if (ok.every(Boolean)) return port;
  }
  throw new Error('no free port pair for vpcd');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

let polkitFlag: string[] | undefined;
/** `--disable-polkit` when this pcscd knows it (pcsc-lite 2.x), asked once per process. */
function polkitOptions(): string[] {
  if (!polkitFlag) {
    const help = spawnSync('pcscd', ['--help'], { encoding: 'utf8' });
    polkitFlag = `${help.stdout}${help.stderr}`.includes('--disable-polkit')
      ? ['--disable-polkit']
      : [];
  }
  return polkitFlag;
}

/**
 * Starts a private pcscd. Sets `process.env.PCSCLITE_CSOCK_NAME` to its socket (before the
 * first PC/SC call of this process) unless `setEnv` is false.
 */
export async function startPcscd(
  options: { setEnv?: boolean; debug?: boolean } = {},
): Promise<PrivatePcscd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-pcscd-'));
  const runDir = path.join(dir, 'run');
  const confDir = path.join(dir, 'reader.conf.d');
  mkdirSync(runDir);
  mkdirSync(confDir);
  const vpcdPort = await freePortPair();
  writeFileSync(
    path.join(confDir, 'vpcd'),
    [
      'FRIENDLYNAME "Virtual PCD"',
      `DEVICENAME   /dev/null:${vpcdPort}`,
      'LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so',
      `CHANNELID    ${vpcdPort}`,
      '',
    ].join('\n'),
  );
  const socketPath = path.join(runDir, 'pcscd.comm');
  if (options.setEnv !== false) process.env.PCSCLITE_CSOCK_NAME = socketPath;

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const cleanStale = (): void => {
    rmSync(socketPath, { force: true });
    rmSync(path.join(runDir, 'pcscd.pid'), { force: true });
  };

  const launch = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      cleanStale();
      const flags = [options.debug ? '--debug --apdu' : '--info', ...polkitOptions()].join(' ');
      const script = `mount --bind "$1" /run/pcscd && exec pcscd --foreground ${flags} -c "$2"`;
      // /run/pcscd must exist as a mount point in the namespace.
      mkdirSync('/run/pcscd', { recursive: true });
      const c = spawn(
        'unshare',
        ['--mount', '--propagation', 'private', 'sh', '-c', script, 'pcscd-ns', runDir, confDir],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = c;
      output = '';
      let ready = false;
      const onData = (b: Buffer): void => {
        output += b.toString();
        if (output.length > 200_000) output = output.slice(-100_000);
        if (!ready && output.includes('daemon ready')) {
          ready = true;
          resolve();
        }
      };
      c.stdout!.on('data', onData);
      c.stderr!.on('data', onData);
      exited = new Promise<void>((res) => {
        c.once('exit', (code, signal) => {
          if (child === c) child = undefined;
          if (!ready)
            reject(new Error(`pcscd exited before ready (${String(code ?? signal)}):\n${output}`));
          res();
        });
      });
      c.once('error', reject);
    });

  await launch();

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const c = child;
    if (!c) return;
    const done = exited;
    c.kill(signal);
    if (signal !== 'SIGKILL') {
      const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(t);
    } else await done;
  };

  let stopped = false;
  return {
    dir,
    socketPath,
    vpcdPort,
    readerNames: ['Virtual PCD 00 00', 'Virtual PCD 00 01'],
    get pid() {
      return child?.pid;
    },
    kill,
    async restart() {
      await kill('SIGKILL');
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
