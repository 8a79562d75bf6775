import { execFile } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { isWritable, loadMigrations } from '../storage/db.js';
import { commandCrlCheck } from './command-crl.js';
import { kioskSpeech } from './speech.js';
import { lookAtStationDb, readStationDb } from './station-db.js';
import { PCSC_ACCESS_DENIED, pcscAccessRemedy } from './pcsc-access.js';

export { PCSC_ACCESS_DENIED, POLKIT_RULE, pcscAccessRemedy } from './pcsc-access.js';

const require = createRequire(import.meta.url);

/** The outcome of one check. `required` says whether the configured mode needs it. */
export interface CheckResult {
  name: string;
  status: 'ok' | 'fail' | 'skip';
  /** What was found, e.g. a version or "2 readers". */
  detail: string;
  /** What to do when it failed. */
  remedy?: string;
  /** True when the configured mode cannot run without it: a failure makes doctor exit 1. */
  required: boolean;
}

export interface Check {
  name: string;
  run(config: Readonly<Config>, now: Date): Promise<CheckResult> | CheckResult;
}

/** The earliest date a station's clock can plausibly show (this build is newer). */
export const CLOCK_FLOOR = new Date('2026-01-01T00:00:00Z');

function result(
  name: string,
  required: boolean,
  ok: boolean,
  detail: string,
  remedy: string,
): CheckResult {
  return ok
    ? { name, status: 'ok', detail, required }
    : { name, status: 'fail', detail, remedy, required };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** The oldest Node.js this build runs on (package.json engines; scripts/node-env.sh). */
export const NODE_MIN: readonly [number, number] = [22, 12];

export const nodeVersion: Check = {
  name: 'node',
  run: () => {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    const ok = major > NODE_MIN[0] || (major === NODE_MIN[0] && minor >= NODE_MIN[1]);
    return result(
      'node',
      true,
      ok,
      `v${process.versions.node} (${process.execPath})`,
      `Node.js ${NODE_MIN.join('.')} or newer is needed: run scripts/setup.sh (it brings the pinned Node.js LTS into .runtime/) and start jpki-locker with .runtime/bin/node`,
    );
  },
};

export const nativeAddons: Check = {
  name: 'native addons',
  run: (config) => {
    const addons: [string, boolean][] = [
      ['better-sqlite3', true],
      ['pcsclite', config.card.driver === 'pcsc'],
      ['@serialport/bindings-cpp', config.board.driver === 'kerong'],
      ['onoff', config.gpio.driver === 'onoff'],
    ];
    const broken: string[] = [];
    let required = false;
    for (const [name, needed] of addons) {
      try {
        require(name);
      } catch (err) {
        broken.push(`${name} (${(err as Error).message.split('\n')[0]})`);
        required ||= needed;
      }
    }
    return {
      name: 'native addons',
      status: broken.length ? 'fail' : 'ok',
      detail: broken.length
        ? `cannot load: ${broken.join(', ')}`
        : addons.map(([n]) => n).join(', '),
      ...(broken.length
        ? { remedy: 'install libpcsclite-dev, python3, make and g++, then run `npm rebuild`' }
        : {}),
      required: broken.length
        ? required || broken.some((b) => b.startsWith('better-sqlite3'))
        : false,
    };
  },
};

/** The pcscd socket the PC/SC library will use. */
export function pcscSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PCSCLITE_CSOCK_NAME ?? '/run/pcscd/pcscd.comm';
}

export const pcscd: Check = {
  name: 'card reader',
  run: async (config) => {
    const required = config.card.driver === 'pcsc';
    if (config.card.driver !== 'pcsc')
      return {
        name: 'card reader',
        status: 'skip',
        detail: `card.driver is ${config.card.driver}`,
        required,
      };
    const sock = pcscSocketPath();
    if (!existsSync(sock)) {
      return result(
        'card reader',
        required,
        false,
        `pcscd is not running (no ${sock})`,
        'apt-get install pcscd && systemctl enable --now pcscd.socket',
      );
    }
    try {
      const readers = await listPcscReaders(3000);
      const wanted = config.card.reader
        ? readers.filter((r) => r.includes(config.card.reader))
        : readers;
      return result(
        'card reader',
        required,
        wanted.length > 0,
        wanted.length
          ? `${wanted.length} reader(s): ${wanted.join(', ')}`
          : `pcscd is running but no reader${config.card.reader ? ` matching "${config.card.reader}"` : ''} is present`,
        'plug in a CCID reader (Sony RC-S380 needs its vendor driver) and check `pcsc_scan`',
      );
    } catch (err) {
      const message = (err as Error).message;
      if (PCSC_ACCESS_DENIED.test(message)) {
        return result(
          'card reader',
          required,
          false,
          `pcscd refused user ${os.userInfo().username}: ${message}`,
          pcscAccessRemedy(os.userInfo().username),
        );
      }
      return result(
        'card reader',
        required,
        false,
        `pcscd does not answer: ${message}`,
        'restart pcscd: systemctl restart pcscd',
      );
    }
  },
};

/**
 * Lists PC/SC readers: the readers pcscd announces within a short window. Asked in a child
 * process: pcsc-lite's first call blocks its thread until pcscd answers, which a hung or
 * refusing pcscd may never do, and each reader is watched by a thread that keeps a process
 * alive. The child is killed when `ms` pass.
 */
function listPcscReaders(ms: number): Promise<string[]> {
  const probe = `
    const names = [];
    const done = (err) => {
      process.stdout.write(JSON.stringify(err ? { error: String(err.message || err) } : { names }));
      process.exit(0);
    };
    process.on('uncaughtException', done);
    try {
      const pcsc = require(process.argv[1])();
      pcsc.on('reader', (r) => { names.push(r.name); r.on('error', () => undefined); });
      pcsc.on('error', done);
      setTimeout(() => done(), 700);
    } catch (err) {
      done(err);
    }
  `;
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['-e', probe, require.resolve('pcsclite')],
      { timeout: ms, killSignal: 'SIGKILL', env: process.env },
      (err, stdout) => {
        if (err && !stdout) {
          reject(
            new Error(err.killed ? `pcscd: no answer within ${ms} ms` : err.message.split('\n')[0]),
          );
          return;
        }
        try {
          const out = JSON.parse(stdout) as { names?: string[]; error?: string };
          if (out.error !== undefined) reject(new Error(out.error));
          else resolve(out.names ?? []);
        } catch {
          reject(new Error(`unexpected answer from the PC/SC probe: ${stdout.slice(0, 200)}`));
        }
      },
    );
    child.stdin?.end();
  });
}

export const gpio: Check = {
  name: 'gpio',
  run: (config) => {
    const required = config.gpio.driver === 'onoff';
    let accessible = false;
    try {
      accessible = (require('onoff') as { Gpio: { accessible: boolean } }).Gpio.accessible;
    } catch {
      accessible = false;
    }
    return result(
      'gpio',
      required,
      accessible,
      accessible
        ? '/sys/class/gpio is accessible'
        : 'no accessible GPIO (/sys/class/gpio missing or not writable)',
      'on a Raspberry Pi: add the service user to the gpio group; elsewhere set gpio.driver to sim or none',
    );
  },
};

export const serialPorts: Check = {
  name: 'serial ports',
  run: async (config) => {
    const required = config.board.driver === 'kerong';
    if (config.board.driver !== 'kerong')
      return {
        name: 'serial ports',
        status: 'skip',
        detail: `board.driver is ${config.board.driver}`,
        required,
      };
    try {
      const { SerialPort } = await import('serialport');
      const port = new SerialPort({
        path: config.board.port,
        baudRate: config.board.baudRate,
        autoOpen: false,
      });
      await withTimeout(
        new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res()))),
        3000,
        'open',
      );
      await new Promise<void>((res) => port.close(() => res()));
      return result('serial ports', required, true, `${config.board.port} opens`, '');
    } catch (err) {
      return result(
        'serial ports',
        required,
        false,
        `${config.board.port}: ${(err as Error).message}`,
        'check the RS-485 adapter is plugged in and the service user is in the dialout group',
      );
    }
  },
};

export const broker: Check = {
  name: 'broker',
  run: async (config) => {
    const required = config.mqtt.enabled && !config.mqtt.embeddedBroker;
    if (!config.mqtt.enabled)
      return { name: 'broker', status: 'skip', detail: 'mqtt.enabled is false', required };
    if (config.mqtt.embeddedBroker)
      return { name: 'broker', status: 'skip', detail: 'embedded broker (demo)', required };
    const url = new URL(config.mqtt.url);
    try {
      const mqtt = await import('mqtt');
      const { readFileSync } = await import('node:fs');
      const client = mqtt.connect(config.mqtt.url, {
        protocolVersion: config.mqtt.protocolVersion,
        reconnectPeriod: 0,
        connectTimeout: 3000,
        clientId: `jpki-locker-doctor-${process.pid}`,
        ...(config.mqtt.username
          ? { username: config.mqtt.username, password: config.mqtt.password }
          : {}),
        ...(config.mqtt.ca ? { ca: readFileSync(config.mqtt.ca) } : {}),
        ...(config.mqtt.cert
          ? { cert: readFileSync(config.mqtt.cert), key: readFileSync(config.mqtt.key) }
          : {}),
      });
      try {
        await withTimeout(
          new Promise<void>((res, rej) => {
            client.once('connect', () => res());
            client.once('error', rej);
            client.once('close', () => rej(new Error('connection closed')));
          }),
          4000,
          'broker',
        );
      } finally {
        client.end(true);
      }
      return result(
        'broker',
        required,
        true,
        `${url.protocol}//${url.host} accepts the station`,
        '',
      );
    } catch (err) {
      return result(
        'broker',
        required,
        false,
        `${url.protocol}//${url.host}: ${(err as Error).message}`,
        'check mqtt.url, the network, and the station certificate; the station keeps working offline and queues its events',
      );
    }
  },
};

export const database: Check = {
  name: 'database',
  run: (config) => {
    const file = config.storage.path;
    if (!isWritable(file))
      return result(
        'database',
        true,
        false,
        `${file} is not writable`,
        `make ${path.dirname(file)} writable by the service user`,
      );
    let free = '';
    try {
      const s = statfsSync(existsSync(file) ? path.dirname(file) : nearestFolder(file));
      free = `, ${Math.round((s.bavail * s.bsize) / 1e6)} MB free`;
    } catch {
      /* statfs is best effort */
    }
    // Looked at, never opened: doctor writes nothing (the daemon creates and migrates it).
    const look = lookAtStationDb(file);
    if (look.state === 'missing')
      return result('database', true, true, `${file} not created yet (the daemon will${free})`, '');
    if (look.state === 'not-sqlite')
      return result(
        'database',
        true,
        false,
        `${file} is not an SQLite database`,
        'check storage.path; restore from backup if the file is damaged',
      );
    const latest = loadMigrations().at(-1)?.version ?? 0;
    return result(
      'database',
      true,
      look.schema <= latest,
      `${file} (schema ${look.schema}${look.schema < latest ? `, brought to ${latest} at the next start` : ''}${free})`,
      `the database was written by a newer jpki-locker (schema ${look.schema}, this build knows ${latest}): upgrade the software or restore a backup`,
    );
  },
};

/** The closest existing folder above `file` (for free space before the database exists). */
function nearestFolder(file: string): string {
  let dir = path.dirname(path.resolve(file));
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export const clock: Check = {
  name: 'clock',
  run: (_config, now) =>
    result(
      'clock',
      true,
      now >= CLOCK_FLOOR && now.getUTCFullYear() < 2100,
      now.toISOString(),
      'set the time (enable NTP: timedatectl set-ntp true); certificates cannot be checked with a wrong clock',
    ),
};

/** Every built-in check, in the order they are shown. */
export const CHECKS: Check[] = [
  nodeVersion,
  nativeAddons,
  database,
  clock,
  pcscd,
  gpio,
  serialPorts,
  broker,
  kioskSpeech,
];

/**
 * CRL freshness per issuer from the station's cache: fails (needed) when a CRL of an anchor
 * whose certificates the station checks is missing or stale beyond its tolerance.
 */
export const crlFreshness: Check = {
  name: 'crl',
  run: async (config, now) => {
    const required = config.trust.authAnchors.length > 0;
    if (
      config.trust.authAnchors.length +
        config.trust.signAnchors.length +
        config.trust.commandAnchors.length ===
      0
    ) {
      return {
        name: 'crl',
        status: 'skip',
        detail: 'no trust anchors configured',
        required: false,
      };
    }
    const { crlFreshnessSummary, crlIndexDir, crlProblem } = await import('../trust/index.js');
    const { loadAnchors } = await import('../trust/trust-component.js');
    let anchors;
    try {
      const sets = loadAnchors(config.trust);
      anchors = config.trust.revocationFor.flatMap((p) => sets[p]);
    } catch (err) {
      return result('crl', required, false, (err as Error).message, 'fix the trust.*Anchors files');
    }
    let db;
    try {
      db = readStationDb(config.storage.path);
    } catch (err) {
      return result(
        'crl',
        required,
        false,
        `cannot read the CRL cache: ${(err as Error).message}`,
        'see the database check',
      );
    }
    if (!db)
      return result(
        'crl',
        required,
        false,
        `no CRL cached (no database yet at ${config.storage.path})`,
        'import a current CRL: jpki-locker crl import FILE|URL (the back office also sends one with the crl command)',
      );
    try {
      const statuses = crlFreshnessSummary(db, {
        toleranceHours: config.trust.crlToleranceHours,
        toleranceHoursByIssuer: config.trust.crlToleranceHoursByAnchor,
        now,
        anchors,
        indexDir: crlIndexDir(config.storage.path),
      });
      // The one usability rule (trust/types.ts), with its reason for each unusable CRL.
      const bad = statuses.filter((s) => crlProblem(s.verdict) !== undefined);
      const detail = statuses.length
        ? statuses
            .map((s) =>
              'ageHours' in s
                ? `${s.issuer.replace(/.*OU=JPKI for /, '').split(',')[0]}: ${s.verdict}${crlProblem(s.verdict) ? ` (${crlProblem(s.verdict)})` : ''}, ${s.entries} entries, ${s.ageHours.toFixed(1)} h old`
                : `${s.issuer}: missing`,
            )
            .join('; ')
        : 'no CRL cached';
      const future = bad.some((s) => crlProblem(s.verdict) === 'crl_not_yet_valid');
      return result(
        'crl',
        required,
        bad.length === 0 && statuses.length > 0,
        detail,
        future
          ? "a CRL dated in the future is not used: check the station's clock (timedatectl), or import a current CRL"
          : 'import a current CRL: jpki-locker crl import FILE|URL (the back office also sends one with the crl command)',
      );
    } finally {
      db.close();
    }
  },
};

CHECKS.push(crlFreshness, { name: 'command crl', run: commandCrlCheck });

/**
 * The user-authentication anchors: which JPKI root generation is configured (by name or by a
 * file whose SHA-256 matches a shipped root) and when each expires. Fails when none is valid
 * now; an expired generation beside a valid one is only noted.
 */
export const authAnchors: Check = {
  name: 'jpki roots',
  run: async (config, now) => {
    if (config.trust.authAnchors.length === 0)
      return {
        name: 'jpki roots',
        status: 'skip',
        detail:
          'no trust.authAnchors (the real root is selected with trust.authAnchors: [jpki-auth-2023])',
        required: false,
      };
    const { loadAnchors } = await import('../trust/trust-component.js');
    const { jpkiRootByDer } = await import('../trust/jpki-roots.js');
    let anchors;
    try {
      anchors = loadAnchors(config.trust).auth;
    } catch (err) {
      return result('jpki roots', true, false, (err as Error).message, 'fix trust.authAnchors');
    }
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const parts = anchors.map((a) => {
      const shipped = jpkiRootByDer(a.der);
      const what = shipped
        ? `${shipped.name} (generation ${shipped.generation})`
        : `${a.subject} (not a JPKI root)`;
      const days = Math.floor((a.notAfter.getTime() - now.getTime()) / 86_400_000);
      return days < 0
        ? `${what}: expired ${day(a.notAfter)}`
        : `${what}: expires ${day(a.notAfter)} (${days} days)`;
    });
    const valid = anchors.some((a) => a.notBefore <= now && now <= a.notAfter);
    return result(
      'jpki roots',
      true,
      valid,
      parts.join('; '),
      'configure a current generation: trust.authAnchors: [jpki-auth-2023]',
    );
  },
};

CHECKS.push(authAnchors);
