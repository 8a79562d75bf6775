/**
 * CRL benchmark (issues 4 and 13), whole process as a user runs it, side by side in one run,
 * for each size (default 1,000,000 and 10,000,000 entries; RSA-2048-signed, 41 bytes per
 * entry, unsorted 8-byte serials with a reason code):
 * - `openssl crl -inform DER -in FILE -CAfile CA -noout`: wall time and peak RSS of the
 *   process (/usr/bin/time), median of 3;
 * - `jpki-locker crl import FILE --trust CA --db DB` (signature check while the entries spill
 *   to disk, then the index file written and its row committed in SQLite): wall time and peak
 *   RSS of the whole process, median of 3;
 * - lookups (1M, hits and misses): median per lookup, with the default trust.crlMemoryMb
 *   (every fingerprint in memory) and with about a sixth of that (bucket mode: the lookup's
 *   bucket of fingerprints read from the index file);
 * - ready after start with the CRL cached: `jpki-locker start` until "station ready" (whole
 *   process), and open the database + load the index alone in a fresh process;
 * - the naive @peculiar/x509 parse at 100k.
 * The program is compiled to dist/ first (what bin/jpki-locker.js and systemd run; --no-build
 * keeps the current dist/). Prints JSON, with the load average before and after.
 * Run: npx tsx bench/crl/run.ts [--sizes 1000000,10000000] [--no-build]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCrl } from '../../controller/trust/testing/crl-writer.js';
import { makeKey, makeRoot, toPem } from '../../controller/trust/testing/pki.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');
const argSizes = process.argv.indexOf('--sizes');
const sizes =
  argSizes > 0 ? process.argv[argSizes + 1]!.split(',').map(Number) : [1_000_000, 10_000_000];
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-crl-'));
if (!process.argv.includes('--no-build')) {
  const b = spawnSync(process.execPath, [path.join(repo, 'scripts/build.mjs')], {
    encoding: 'utf8',
  });
  if (b.status !== 0) throw new Error(`build failed: ${b.stderr}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function child(...args: string[]): Record<string, any> {
  const r = spawnSync(tsx, [path.join(here, 'child.ts'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`child ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/** Runs a command under /usr/bin/time: wall ms and peak RSS (MB) of the whole process. */
function timed(cmd: string[], env: NodeJS.ProcessEnv = process.env) {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'RSSKB=%M', ...cmd], {
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 26,
  });
  const ms = performance.now() - t;
  const m = /RSSKB=(\d+)/.exec(r.stderr);
  return {
    ms,
    peakRssMb: m ? round(Number(m[1]) / 1024) : NaN,
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

function timeOpenssl(file: string, ca: string) {
  const r = timed(['openssl', 'crl', '-inform', 'DER', '-in', file, '-CAfile', ca, '-noout']);
  if (r.status !== 0 || !/verify OK/.test(r.stderr + r.stdout))
    throw new Error(`openssl failed: ${r.stderr}`);
  return r;
}

/** `jpki-locker crl import` as a user runs it. */
function timeImport(file: string, ca: string, db: string, cfg: string) {
  const r = timed(
    [
      process.execPath,
      path.join(repo, 'bin/jpki-locker.js'),
      'crl',
      'import',
      file,
      '--trust',
      ca,
      '--db',
      db,
    ],
    {
      ...process.env,
      JPKI_LOCKER_CONFIG: cfg,
    },
  );
  if (r.status !== 0) throw new Error(`crl import failed: ${r.stderr}`);
  return {
    ...r,
    result: JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>,
  };
}

/** The real daemon: spawn `jpki-locker start` with a config pointing at the cached DB; time to "station ready". */
async function daemonStart(
  db: string,
  ca: string,
  entryPoint: string,
): Promise<Record<string, unknown>> {
  const cfg = path.join(dir, 'station.yaml');
  writeFileSync(
    cfg,
    [
      'storage:',
      `  path: ${db}`,
      'log:',
      '  level: info',
      '  format: json',
      'web:',
      '  enabled: false',
      'mqtt:',
      '  enabled: false',
      'card:',
      '  driver: none',
      'trust:',
      `  authAnchors: [${ca}]`,
      '  crlRefreshMinutes: 0',
      '',
    ].join('\n'),
  );
  const t0 = performance.now();
  const p = spawn(process.execPath, [entryPoint, 'start', '-c', cfg], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const result = await new Promise<Record<string, unknown>>((resolve) => {
    const timer = setTimeout(
      () =>
        resolve({ ok: false, error: 'no "station ready" within 30 s', output: out.slice(-600) }),
      30_000,
    );
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (line.includes('station ready')) {
          clearTimeout(timer);
          const trust = out.split('\n').find((l) => l.includes('CRL cache loaded'));
          resolve({
            ok: true,
            processStartToReadyMs: round(performance.now() - t0),
            trustLogLine: trust
              ? JSON.parse(trust)
              : 'trust component not wired into the station yet',
          });
          return;
        }
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `exited with ${code}`, output: out.slice(-600) });
    });
  });
  p.kill('SIGTERM');
  await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
  return result;
}

const report: Record<string, unknown> = {
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    loadavg: os.loadavg().map((x) => round(x, 2)),
    node: process.version,
  },
  sizes: {} as Record<string, unknown>,
};
try {
  const key = makeKey('rsa2048');
  const root = makeRoot('C=JP, O=JPKI, OU=Bench Root', key);
  const ca = path.join(dir, 'ca.pem');
  writeFileSync(ca, toPem(root.der));
  for (const n of sizes) {
    const t = performance.now();
    const der = makeCrl({
      issuerName: 'C=JP, O=JPKI, OU=Bench Root',
      key,
      crlNumber: 1,
      bulk: { count: n, reason: 1 },
    });
    const genMs = performance.now() - t;
    const file = path.join(dir, `crl-${n}.der`);
    writeFileSync(file, der);
    const cfg = path.join(dir, 'cli.yaml');
    writeFileSync(cfg, `storage:\n  path: ${path.join(dir, 'unused.db')}\n`);
    const openssl: ReturnType<typeof timeOpenssl>[] = [];
    const imports: ReturnType<typeof timeImport>[] = [];
    let db = '';
    for (let run = 0; run < 3; run++) {
      openssl.push(timeOpenssl(file, ca));
      db = path.join(dir, `db-${n}-${run}.db`);
      imports.push(timeImport(file, ca, db, cfg));
      if (run < 2) rmSync(db, { force: true });
    }
    const best = [...imports].sort((x, y) => x.ms - y.ms)[1]!;
    const osl = [...openssl].sort((x, y) => x.ms - y.ms)[1]!;
    const entry: Record<string, unknown> = {
      entries: n,
      bytes: der.length,
      generateMs: round(genMs),
      opensslMs: round(osl.ms),
      opensslRunsMs: openssl.map((x) => round(x.ms)),
      opensslPeakRssMb: osl.peakRssMb,
      importMs: round(best.ms),
      importRunsMs: imports.map((x) => round(x.ms)).sort((a, b) => a - b),
      ratioToOpenssl: round(best.ms / osl.ms, 3),
      importPeakRssMb: best.peakRssMb,
      importOutcome: best.result.outcome,
      method:
        'whole process under /usr/bin/time: jpki-locker crl import FILE --trust CA --db DB vs openssl crl -inform DER -in FILE -CAfile CA -noout; median of 3',
    };
    const loads = [0, 1, 2].map(() => child('load', db));
    entry.startToReady = {
      openDbAndLoadIndexMs: round(median(loads.map((x) => x.ms)), 2),
      runsMs: loads.map((x) => round(x.ms, 2)),
      peakRssMb: loads[0]!.peakRssMb,
    };
    if (n === 100_000) entry.naivePeculiarX509 = child('naive', file);
    entry.lookup = child('lookup', db, String(1_000_000));
    // A budget of about a sixth of the fingerprints: bucket mode, fingerprints read per lookup.
    const sparseMb = Math.max(1, Math.round((n * 8) / 1048576 / 6));
    entry.lookupOverBudget = {
      memoryMbGiven: sparseMb,
      ...child('lookup', db, String(1_000_000), String(sparseMb)),
    };
    const indexDir = `${db}-crl`;
    entry.indexFileMb = round(
      readdirSync(indexDir).reduce((s, f) => s + statSync(path.join(indexDir, f)).size, 0) /
        1048576,
    );
    // The daemon from its sources (bin/jpki-locker.js), as a user starts it.
    entry.daemonStart = await daemonStart(db, ca, path.join(repo, 'bin/jpki-locker.js'));
    (report.sizes as Record<string, unknown>)[String(n)] = entry;
    process.stderr.write(`done ${n}\n`);
  }
  const big = (report.sizes as Record<string, any>)[String(Math.max(...sizes))];
  (report.machine as Record<string, unknown>).loadavgAfter = os.loadavg().map((x) => round(x, 2));
  report.targets = {
    size: big.entries,
    importAtMost0_3xOpenssl: big.ratioToOpenssl <= 0.3,
    importPeakRssAtMost160Mb: big.importPeakRssMb <= 160,
    lookupMedianAtMost2us: big.lookup?.medianUs <= 2,
    readyAfterStartAtMost1s:
      big.daemonStart?.ok === true && Number(big.daemonStart.processStartToReadyMs) <= 1000,
  };
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
