/**
 * Benchmark: what the online status check adds to a card's certificate check, against a real
 * `openssl ocsp` responder on loopback (delegated responder, RSA-2048 root, P-256 leaves).
 * The card check is TrustComponent.verifyWithStatus (chain, validity, CRL of 100,000 entries,
 * then OCSP), as the pickup runs it.
 *
 *   off        trust.ocsp.mode off: the CRL alone (the baseline)
 *   online     prefer, a fresh OCSP exchange every time (each leaf asked once)
 *   cached     prefer, answered from the cache (same leaves again)
 *   down       prefer, a responder that accepts the connection and never answers: bounded by
 *              timeoutMs, then the CRL decides
 *
 *   npx tsx bench/ocsp/run.ts [--checks 200] [--timeout 500]
 *
 * Prints one JSON object (p50/p95/max per mode, the added p95, and whether the bounds hold).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../../controller/log.js';
import { openDatabase } from '../../controller/storage/db.js';
import type { OcspMode } from '../../controller/trust/ocsp/policy.js';
import { makeCrl } from '../../controller/trust/testing/crl-writer.js';
import { makeOcspTestPki } from '../../controller/trust/testing/ocsp-pki.js';
import { toPem } from '../../controller/trust/testing/pki.js';
import { TrustComponent } from '../../controller/trust/trust-component.js';
import { OpensslOcspResponder } from '../../test/support/openssl-ocsp.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const CHECKS = arg('checks', 200);
const TIMEOUT_MS = arg('timeout', 500);
const DOWN_CHECKS = Math.min(CHECKS, 20);

function stats(samples: number[]): { p50: number; p95: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(pct(50)), p95: r(pct(95)), max: r(s[s.length - 1]!) };
}

const now = new Date();
const pki = makeOcspTestPki(now);
const dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-bench-ocsp-'));
const anchorFile = path.join(dir, 'root.pem');
writeFileSync(anchorFile, toPem(pki.root.der));
const crlFile = path.join(dir, 'auth.crl');
writeFileSync(
  crlFile,
  makeCrl({
    issuerName: pki.root.subject,
    key: pki.root.key,
    now,
    bulk: { count: 100_000, start: 1_000_000_000 },
  }),
);
const serials = Array.from({ length: CHECKS }, (_, i) => 0x10000 + i);
const leaves = serials.map((s) => pki.leaf(s).der);
const responder = await OpensslOcspResponder.start({
  caDer: pki.root.der,
  signer: { certDer: pki.responder.der, key: pki.responder.key.privateKey },
  entries: serials.map((s) => ({ serialHex: s.toString(16), status: 'valid' as const })),
  nmin: 60,
});
const silent = net.createServer(() => undefined);
await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;

let n = 0;
async function component(mode: OcspMode, url: string): Promise<TrustComponent> {
  const db = openDatabase(path.join(dir, `b${n++}.db`));
  const t = new TrustComponent({
    config: {
      authAnchors: [anchorFile],
      signAnchors: [],
      commandAnchors: [],
      crlToleranceHours: 24,
      crlToleranceHoursByAnchor: {},
      crlUrls: [crlFile],
      revocationFor: ['auth'],
      crlRefreshMinutes: 0,
      ocsp: { mode, url, timeoutMs: TIMEOUT_MS, requireNonce: true },
    },
    db: () => db,
    log: silentLogger(),
  });
  await t.start(new AbortController().signal);
  await t.refresh();
  return t;
}

async function run(t: TrustComponent, ders: Uint8Array[], expectSource: string): Promise<number[]> {
  const out: number[] = [];
  for (const leaf of ders) {
    const t0 = performance.now();
    const r = await t.verifyWithStatus({ leaf, purpose: 'auth' });
    out.push(performance.now() - t0);
    if (!r.valid || r.source !== expectSource)
      throw new Error(`unexpected answer ${JSON.stringify(r)} (expected ${expectSource})`);
  }
  return out;
}

try {
  const off = await component('off', responder.url);
  await run(off, leaves.slice(0, 10), 'crl'); // warm-up
  const offMs = await run(off, leaves, 'crl');
  const online = await component('prefer', responder.url);
  const onlineMs = await run(online, leaves, 'ocsp');
  const cachedMs = await run(online, leaves, 'ocsp-cache');
  const down = await component('prefer', silentUrl);
  const downMs = await run(down, leaves.slice(0, DOWN_CHECKS), 'crl');
  for (const t of [off, online, down]) await t.stop();
  const o = stats(offMs);
  const on = stats(onlineMs);
  const d = stats(downMs);
  const addedP95 = Math.round((on.p95 - o.p95) * 100) / 100;
  const addedDownP95 = Math.round((d.p95 - o.p95) * 100) / 100;
  process.stdout.write(
    JSON.stringify(
      {
        checks: CHECKS,
        timeoutMs: TIMEOUT_MS,
        crlEntries: 100_000,
        offMs: o,
        onlineMs: on,
        cachedMs: stats(cachedMs),
        downMs: d,
        onlineAddsP95Ms: addedP95,
        downAddsP50Ms: Math.round((d.p50 - o.p50) * 100) / 100,
        downAddsP95Ms: addedDownP95,
        downMaxOverTimeoutMs: Math.round((d.max - TIMEOUT_MS) * 100) / 100,
        onlineWithin50ms: addedP95 <= 50,
        downWithinTimeout: addedDownP95 <= TIMEOUT_MS,
      },
      null,
      2,
    ) + '\n',
  );
} finally {
  await responder.stop();
  silent.close();
  rmSync(dir, { recursive: true, force: true });
}
