/**
 * Child process of bench/crl/run.ts, so peak RSS and start-up are measured per task:
 *   import <db> <crl> <ca.pem>   streaming import into a fresh database
 *   load <db>                    open the database and load the CRL indexes (start to ready)
 *   lookup <db> <count> [mb]     lookups over the loaded index, hits and misses (mb: crlMemoryMb)
 *   naive <crl>                  @peculiar/x509 parse with its limits lifted
 * Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { openDatabase } from '../../controller/storage/db.js';
import { CrlCache, loadCertificates, SqliteCrlStore } from '../../controller/trust/index.js';
import { serialFor } from '../../controller/trust/testing/crl-writer.js';

const [mode, a, b, c] = process.argv.slice(2);
const rssMb = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

async function main(): Promise<unknown> {
  if (mode === 'import') {
    const baselineMb = rssMb();
    const signers = loadCertificates(new Uint8Array(readFileSync(c!)));
    // The database is opened (and migrated) first: the import is read + verify + index + persist.
    const db = openDatabase(a!);
    const cache = new CrlCache(new SqliteCrlStore(db), { toleranceHours: 24 });
    cache.load();
    const t0 = performance.now();
    const r = await cache.importFile(b!, { signers });
    const ms = performance.now() - t0;
    db.close();
    return {
      ms,
      entries: r.entries,
      outcome: r.outcome,
      peakRssMb: rssMb(),
      baselineRssMb: baselineMb,
    };
  }
  if (mode === 'load') {
    const t0 = performance.now();
    const db = openDatabase(a!);
    const cache = new CrlCache(new SqliteCrlStore(db), { toleranceHours: 24 });
    const crls = cache.load();
    cache.warm();
    const ms = performance.now() - t0;
    const entries = cache.list().reduce((n, x) => n + x.index.count, 0);
    db.close();
    return {
      ms,
      crls,
      entries,
      lookupMemoryMb: Math.round((cache.memoryBytes / 1048576) * 10) / 10,
      peakRssMb: rssMb(),
    };
  }
  if (mode === 'lookup') {
    const count = Number(b);
    const db = openDatabase(a!);
    const cache = new CrlCache(new SqliteCrlStore(db), {
      toleranceHours: 24,
      ...(c ? { memoryMb: Number(c) } : {}),
    });
    cache.load();
    cache.warm();
    const index = cache.list()[0]!.index;
    const entries = index.count;
    // Half hits (serials in the CRL), half misses (serials never issued), interleaved.
    const serials: Uint8Array[] = [];
    for (let i = 0; i < count; i++)
      serials.push(serialFor(i % 2 === 0 ? (i * 7919) % entries : entries + i));
    const batch = 1000;
    const perLookupNs: number[] = [];
    let hits = 0;
    for (let i = 0; i < 20000; i++) index.lookup(serials[i % count]!); // warm-up
    for (let s = 0; s < count; s += batch) {
      const t = process.hrtime.bigint();
      for (let i = s; i < s + batch && i < count; i++) if (index.lookup(serials[i]!) >= 0) hits++;
      perLookupNs.push(Number(process.hrtime.bigint() - t) / Math.min(batch, count - s));
    }
    perLookupNs.sort((x, y) => x - y);
    db.close();
    return {
      lookupMemoryMb: Math.round((cache.memoryBytes / 1048576) * 10) / 10,
      lookups: count,
      hits,
      misses: count - hits,
      medianUs: perLookupNs[Math.floor(perLookupNs.length / 2)]! / 1000,
      p99Us: perLookupNs[Math.floor(perLookupNs.length * 0.99)]! / 1000,
      method: `median over ${perLookupNs.length} batches of ${batch} lookups of the per-lookup mean`,
    };
  }
  if (mode === 'naive') {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(globalThis.crypto);
    const der = new Uint8Array(readFileSync(a!));
    const out: Record<string, unknown> = {};
    const t0 = performance.now();
    try {
      const crl = new x509.X509Crl(der);
      out.defaultLimits = { ok: true, entries: crl.entries.length };
    } catch (err) {
      out.defaultLimits = { ok: false, error: String((err as Error).message).slice(0, 160) };
    }
    out.defaultLimitsMs = performance.now() - t0;
    const t1 = performance.now();
    try {
      const crl = new x509.X509Crl(der, {
        berOptions: { maxNodes: 1e9, maxDepth: 1000, maxContentLength: 1 << 30 },
      } as never);
      let n = 0;
      for (const e of crl.entries) if (e.serialNumber) n++;
      out.liftedLimits = { ok: true, entries: n };
    } catch (err) {
      out.liftedLimits = { ok: false, error: String((err as Error).message).slice(0, 160) };
    }
    out.liftedLimitsMs = performance.now() - t1;
    out.peakRssMb = rssMb();
    return out;
  }
  throw new Error(`unknown mode ${mode}`);
}

process.stdout.write(JSON.stringify(await main()) + '\n');
