/**
 * Fuzz: 10,000 random or mutated response APDUs fed to the JPKI client (through the same T=0
 * GET RESPONSE layer the readers use). Every operation must end with a typed result or a typed
 * error (a `JpkiLockerError`): no crash, no untyped exception, no hang (a bound on exchanges
 * per operation catches loops).
 */
import { beforeAll, expect, it } from 'vitest';
import { transmitWithGetResponse } from '../../shared/apdu/apdu.js';
import { JpkiLockerError } from '../../shared/errors.js';
import { Secret } from '../../shared/secret.js';
import { VirtualJpkiCard } from '../../firmware-host/jpki-card/jpki-card.js';
import type { CardProfile } from '../../firmware-host/jpki-card/profile.js';
import { JpkiClient } from '../../controller/card/jpki-client.js';
import { getTestPki } from '../support/test-pki.js';

const TARGET_MUTATIONS = 10_000;
const MAX_EXCHANGES_PER_OP = 5_000;

/** mulberry32: a small seeded PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let profile: CardProfile;
beforeAll(async () => {
  profile = (await getTestPki()).profile('holder-01');
});

function mutate(resp: Uint8Array, rnd: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rnd() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const out = Uint8Array.from(resp);
  switch (int(9)) {
    case 0:
      return bytes(int(300)); // pure garbage, any length incl. 0 and 1
    case 1:
      return out.slice(0, int(out.length + 1)); // truncated
    case 2: {
      for (let i = 0, n = 1 + int(8); i < n && out.length > 0; i++)
        out[int(out.length)]! ^= 1 << int(8);
      return out; // bit flips anywhere (data, DER header, SW)
    }
    case 3: {
      if (out.length >= 2) {
        out[out.length - 2] = int(256);
        out[out.length - 1] = int(256);
      }
      return out; // random SW
    }
    case 4: {
      const sws = [
        0x6983, 0x6984, 0x63c0, 0x63c5, 0x63cf, 0x9000, 0x6982, 0x6b00, 0x6100, 0x61ff, 0x6c00,
        0x6c10, 0x6a82,
      ];
      const sw = sws[int(sws.length)]!;
      return Uint8Array.from([...out.slice(0, Math.max(0, out.length - 2)), sw >> 8, sw & 0xff]); // plausible SW
    }
    case 5:
      return Uint8Array.from([...out, ...bytes(1 + int(300))]); // extended
    case 6:
      return Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, ...bytes(int(20)), 0x90, 0x00]); // huge DER length
    case 7:
      return Uint8Array.from([0x30, 0x82, int(256), int(256), 0x90, 0x00]); // header, no body
    default:
      return Uint8Array.from([0x90, 0x00]); // empty success
  }
}

it(`survives ${TARGET_MUTATIONS} random or mutated responses with typed errors only`, async () => {
  const rnd = prng(0x4a504b49);
  let mutations = 0;
  let ops = 0;
  const outcomes = new Map<string, number>();
  const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  while (mutations < TARGET_MUTATIONS) {
    ops++;
    const card = new VirtualJpkiCard(profile);
    const rate = 0.05 + rnd() * 0.5;
    let exchanges = 0;
    const raw = async (cmd: Uint8Array): Promise<Uint8Array> => {
      if (++exchanges > MAX_EXCHANGES_PER_OP)
        throw new Error(`runaway: > ${MAX_EXCHANGES_PER_OP} exchanges`);
      const resp = card.process(cmd);
      if (rnd() < rate) {
        mutations++;
        return mutate(resp, rnd);
      }
      return resp;
    };
    const client = new JpkiClient((c) => transmitWithGetResponse(raw, c), {
      readChunkBytes: 1 + Math.floor(rnd() * 256),
    });
    const op = Math.floor(rnd() * 5);
    try {
      let r: unknown;
      if (op === 0) r = await client.readToken();
      else if (op === 1) r = await client.readAuthCertificate();
      else if (op === 2) r = await client.pinStatus('auth');
      else if (op === 3) r = await client.verifyPin('sign', new Secret('JPKITEST1'));
      else r = await client.proveHolder({ pin: new Secret(rnd() < 0.7 ? '1234' : '9999') });
      count(`ok:${op}:${(r as { outcome?: string })?.outcome ?? typeof r}`);
    } catch (err) {
      if (!(err instanceof JpkiLockerError)) throw err; // untyped: the test fails with it
      count(`err:${err.code}`);
    }
  }
  expect(mutations).toBeGreaterThanOrEqual(TARGET_MUTATIONS);
  expect(ops).toBeGreaterThan(100);
  // Both paths were exercised.
  expect([...outcomes.keys()].some((k) => k.startsWith('err:'))).toBe(true);
  expect([...outcomes.keys()].some((k) => k.startsWith('ok:'))).toBe(true);
}, 120_000);
