/**
 * Benchmark: the JPKI client over the real PC/SC stack (PcscCardReader -> private pcscd ->
 * vpcd -> virtual JPKI card). 100 runs each of: reading the authentication certificate,
 * verifying the PIN, and the whole proof of presence. Prints JSON with p50/p95 per operation and
 * the share of time spent "in the card" (inside transmit: pcscd + vpcd + virtual card) versus in
 * our code (APDU building, DER parsing, hashing, signature check, queueing).
 *
 * Run: npx tsx bench/card/run.ts [runs]   (needs root for the private pcscd, like the tests)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Secret } from '../../shared/secret.js';
import { PcscCardReader } from '../../hardware/card/pcsc-card-reader.js';
import { loadCardProfile } from '../../firmware-host/jpki-card/profile.js';
import { JpkiClient } from '../../controller/card/jpki-client.js';
import { makeTestPki } from '../../controller/pki/test-pki.js';
import { startPcscd } from '../../test/support/pcscd.js';
import { insertVirtualCard } from '../../test/support/virtual-card.js';

const runs = Number(process.argv[2] ?? 100);

function pct(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 1000) / 1000;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-bench-'));
  const pcscd = await startPcscd();
  const reader = new PcscCardReader();
  try {
    const m = await makeTestPki({ outDir: dir, holders: 1 });
    const profile = loadCardProfile(path.join(dir, m.profiles[0]!.dir));
    await reader.start();
    const readerName = pcscd.readerNames[0];
    const inserted = await insertVirtualCard(reader, pcscd.vpcdPort, readerName, profile);
    const session = await reader.connect({ reader: readerName });
    let inTransmitMs = 0;
    let apdus = 0;
    const transmit = async (c: Uint8Array): Promise<Uint8Array> => {
      const t = performance.now();
      try {
        return await session.transmit(c);
      } finally {
        inTransmitMs += performance.now() - t;
        apdus++;
      }
    };
    const pin = new Secret(profile.authPin);
    const ops: Record<string, (client: JpkiClient) => Promise<unknown>> = {
      readCertificate: async (c) => {
        await c.selectApplication();
        await c.readAuthCertificate();
      },
      verifyPin: async (c) => {
        await c.selectApplication();
        const r = await c.verifyPin('auth', pin);
        if (r.outcome !== 'ok') throw new Error(`verify: ${r.outcome}`);
      },
      signatureProof: async (c) => {
        const r = await c.proveHolder({ pin });
        if (r.outcome !== 'proven') throw new Error(`proof: ${r.outcome}`);
      },
    };
    const results: Record<string, unknown> = {};
    for (const [name, op] of Object.entries(ops)) {
      // One warm-up run, not counted.
      await op(new JpkiClient(transmit));
      const totals: number[] = [];
      let sumTotal = 0;
      let sumTransmit = 0;
      let sumCardCompute = 0;
      let sumApdus = 0;
      for (let i = 0; i < runs; i++) {
        const client = new JpkiClient(transmit);
        const tx0 = inTransmitMs;
        const a0 = apdus;
        const c0 = inserted.card.busyMs;
        const t0 = performance.now();
        await op(client);
        const total = performance.now() - t0;
        totals.push(total);
        sumTotal += total;
        sumTransmit += inTransmitMs - tx0;
        sumCardCompute += inserted.card.busyMs - c0;
        sumApdus += apdus - a0;
      }
      totals.sort((x, y) => x - y);
      results[name] = {
        runs,
        p50Ms: pct(totals, 50),
        p95Ms: pct(totals, 95),
        apdusPerRun: Math.round((sumApdus / runs) * 10) / 10,
        /** Share inside transmit(): pcscd + vpcd round trips + the virtual card. */
        cardShare: Math.round((sumTransmit / sumTotal) * 1000) / 1000,
        /** Of which the virtual card's own processing (RSA signing, file slicing). */
        virtualCardComputeShare: Math.round((sumCardCompute / sumTotal) * 1000) / 1000,
        /** Our code: APDU building, DER parsing, hashing, signature verification, queueing. */
        ourCodeShare: Math.round((1 - sumTransmit / sumTotal) * 1000) / 1000,
      };
    }
    await session.close();
    await inserted.remove();
    process.stdout.write(
      `${JSON.stringify(
        {
          benchmark: 'card',
          stack: 'PcscCardReader -> libpcsclite -> pcscd (private) -> vpcd -> VirtualJpkiCard',
          node: process.version,
          cpus: os.cpus().length,
          results,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await reader.stop();
    await pcscd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
