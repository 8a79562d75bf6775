/**
 * Command-line benchmark (issue 11): every figure is a whole process, started the way an
 * operator starts it (`node bin/jpki-locker.js …`, i.e. `jpki-locker …` from the PATH), timed
 * from spawn to exit — start-up included — side by side in one run:
 * - `jpki-locker --version` and `jpki-locker --help`: median (and p90) of 10;
 * - `jpki-locker crl import FILE --trust CA --db DB` of an RSA-2048-signed CRL with
 *   1,000,000 entries (41 bytes each) against `openssl crl -inform DER -in FILE -CAfile CA
 *   -noout` on the same file: median of 5 each, with peak RSS of each process
 *   (/usr/bin/time -f %M, GNU time).
 * The in-process import figure (no start-up) is `bench/crl`'s `importMs`.
 * Prints JSON. Run: npm run build && npx tsx bench/cli/run.ts [--entries 1000000] [--runs 5]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCrl } from '../../controller/trust/testing/crl-writer.js';
import { makeKey, makeRoot, toPem } from '../../controller/trust/testing/pki.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repo, 'bin/jpki-locker.js');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const entries = arg('--entries', 1_000_000);
const runs = arg('--runs', 5);
const GNU_TIME = '/usr/bin/time';

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.9) - 1)]!;

interface Run {
  ms: number;
  peakRssMb?: number;
  stdout: string;
  stderr: string;
}

/** Runs a whole process; its wall time from spawn to exit and, with GNU time, its peak RSS. */
function run(cmd: string, args: string[], ok: (r: Run) => boolean): Run {
  const timed = existsSync(GNU_TIME);
  const t = performance.now();
  const r = timed
    ? spawnSync(GNU_TIME, ['-f', 'peak-rss-kb=%M', cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  const ms = performance.now() - t;
  const rss = /peak-rss-kb=(\d+)\s*$/.exec(r.stderr ?? '');
  const out: Run = {
    ms,
    peakRssMb: rss ? round(Number(rss[1]) / 1024) : undefined,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '').replace(/peak-rss-kb=\d+\s*$/, ''),
  };
  if (r.status !== 0 || !ok(out)) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${out.stderr.slice(-500)}`);
  }
  return out;
}

function summary(xs: Run[]) {
  const ms = xs.map((x) => x.ms);
  const rss = xs.map((x) => x.peakRssMb).filter((x): x is number => x !== undefined);
  return {
    medianMs: round(median(ms)),
    p90Ms: round(p90(ms)),
    runsMs: ms.map((x) => round(x)),
    ...(rss.length ? { peakRssMb: Math.max(...rss) } : {}),
  };
}

if (!existsSync(path.join(repo, 'dist/BUILT'))) {
  spawnSync(process.execPath, [path.join(repo, 'scripts/build.mjs')], { stdio: 'inherit' });
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
try {
  const node = process.execPath;
  const version = Array.from({ length: 10 }, () =>
    run(node, [bin, '--version'], (r) => /^\d+\.\d+\.\d+/.test(r.stdout)),
  );
  const help = Array.from({ length: 10 }, () =>
    run(node, [bin, '--help'], (r) => r.stdout.includes('Commands:')),
  );
  // From the TypeScript sources (what a development checkout without dist/ runs): one figure.
  const fromSource = Array.from({ length: 3 }, () =>
    run(node, ['--import', 'tsx', path.join(repo, 'controller/cli/main.ts'), '--version'], (r) =>
      /^\d+\.\d+\.\d+/.test(r.stdout),
    ),
  );

  const key = makeKey('rsa2048');
  const subject = 'C=JP, O=JPKI, OU=Bench Root';
  const root = makeRoot(subject, key);
  const ca = path.join(dir, 'ca.pem');
  writeFileSync(ca, toPem(root.der));
  const file = path.join(dir, `crl-${entries}.der`);
  writeFileSync(
    file,
    makeCrl({ issuerName: subject, key, crlNumber: 1, bulk: { count: entries, reason: 1 } }),
  );
  const openssl: Run[] = [];
  const ours: Run[] = [];
  for (let i = 0; i < runs; i++) {
    openssl.push(
      run('openssl', ['crl', '-inform', 'DER', '-in', file, '-CAfile', ca, '-noout'], (r) =>
        /verify OK/.test(r.stderr + r.stdout),
      ),
    );
    const db = path.join(dir, `import-${i}.db`);
    ours.push(
      run(node, [bin, 'crl', 'import', file, '--trust', ca, '--db', db], () => existsSync(db)),
    );
    rmSync(db, { force: true });
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
  }
  const importSummary = summary(ours);
  const opensslSummary = summary(openssl);
  const report = {
    bench: 'cli',
    measured: 'whole processes, spawn to exit, start-up included',
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      loadavg: os.loadavg().map((x) => round(x, 2)),
      node: process.version,
    },
    runs: { version: 'node bin/jpki-locker.js (compiled dist/)' },
    version: summary(version),
    help: summary(help),
    versionFromTypeScriptSources: summary(fromSource),
    crlImport: {
      entries,
      bytes: statSync(file).size,
      jpkiLocker: { command: 'jpki-locker crl import FILE --trust CA --db DB', ...importSummary },
      openssl: {
        command: 'openssl crl -inform DER -in FILE -CAfile CA -noout',
        ...opensslSummary,
      },
      ratioToOpenssl: round(importSummary.medianMs / opensslSummary.medianMs, 3),
    },
    targets: {
      versionMedianAtMost150Ms: median(version.map((r) => r.ms)) <= 150,
      helpMedianAtMost150Ms: median(help.map((r) => r.ms)) <= 150,
      crlImportAtMostHalfOfOpenssl: importSummary.medianMs / opensslSummary.medianMs <= 0.5,
      crlImportPeakRssAtMost200Mb:
        importSummary.peakRssMb === undefined ? 'not measured' : importSummary.peakRssMb <= 200,
    },
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
