/**
 * CRL benchmark (issue 4). Generates RSA-2048-signed CRLs of 10k, 100k and 1M entries (41
 * bytes each, unsorted 8-byte serials, reason code), then measures side by side in one run:
 * - `openssl crl -inform DER -in FILE -CAfile CA -noout` wall time (median of 3);
 * - our streaming import (signature check, index, persisted in SQLite) in a child process:
 *   in-process time and peak RSS (median of 3 by time);
 * - lookups (1M, hits and misses): median per lookup;
 * - start to ready with the CRL cached: open the database + load the index in a fresh
 *   process, and the real `jpki-locker start` (until "station ready") when it works;
 * - the naive @peculiar/x509 parse at 100k.
 * Prints JSON. Run: npx tsx bench/crl/run.ts [--sizes 10000,100000,1000000]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  argSizes > 0 ? process.argv[argSizes + 1]!.split(',').map(Number) : [10_000, 100_000, 1_000_000];
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-crl-'));

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

function timeOpenssl(file: string, ca: string): number {
  const t = performance.now();
  const r = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', file, '-CAfile', ca, '-noout'], {
    encoding: 'utf8',
  });
  const ms = performance.now() - t;
  if (r.status !== 0 || !/verify OK/.test(r.stderr + r.stdout))
    throw new Error(`openssl failed: ${r.stderr}`);
  return ms;
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
    const openssl: number[] = [];
    const imports: Record<string, any>[] = [];
    let db = '';
    for (let run = 0; run < 3; run++) {
      openssl.push(timeOpenssl(file, ca));
      db = path.join(dir, `db-${n}-${run}.db`);
      imports.push(child('import', db, file, ca));
    }
    const best = imports.sort((x, y) => x.ms - y.ms)[1]!;
    const opensslMs = median(openssl);
    const entry: Record<string, unknown> = {
      entries: n,
      bytes: der.length,
      generateMs: round(genMs),
      opensslMs: round(opensslMs),
      opensslRunsMs: openssl.map((x) => round(x)),
      importMs: round(best.ms),
      importRunsMs: imports.map((x) => round(x.ms)).sort((a, b) => a - b),
      ratioToOpenssl: round(best.ms / opensslMs, 3),
      importPeakRssMb: best.peakRssMb,
      processBaselineRssMb: best.baselineRssMb,
    };
    const loads = [0, 1, 2].map(() => child('load', db));
    entry.startToReady = {
      openDbAndLoadIndexMs: round(median(loads.map((x) => x.ms)), 2),
      runsMs: loads.map((x) => round(x.ms, 2)),
      peakRssMb: loads[0]!.peakRssMb,
    };
    if (n === 100_000) entry.naivePeculiarX509 = child('naive', file);
    if (n === Math.max(...sizes)) {
      entry.lookup = child('lookup', db, String(1_000_000));
      // The compiled daemon (what the systemd unit runs) and the TypeScript sources through tsx.
      const compiled = path.join(repo, 'dist/controller/cli/main.js');
      if (!existsSync(compiled))
        spawnSync(process.execPath, [path.join(repo, 'scripts/build.mjs')], { stdio: 'ignore' });
      entry.daemonStart = await daemonStart(db, ca, compiled);
      entry.daemonStartFromSource = await daemonStart(
        db,
        ca,
        path.join(repo, 'bin/jpki-locker.js'),
      );
    }
    (report.sizes as Record<string, unknown>)[String(n)] = entry;
    process.stderr.write(`done ${n}\n`);
  }
  const big = (report.sizes as Record<string, any>)[String(Math.max(...sizes))];
  report.targets = {
    importAtMostHalfOfOpenssl: big.ratioToOpenssl <= 0.5,
    importPeakRssAtMost250Mb: big.importPeakRssMb <= 250,
    lookupMedianAtMost2us: big.lookup?.medianUs <= 2,
    startToReadyAtMost1s: big.startToReady.openDbAndLoadIndexMs <= 1000,
  };
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
