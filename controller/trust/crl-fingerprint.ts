/**
 * The 8-byte fingerprint of a revoked serial used by the on-disk CRL index (crl-index-file.ts):
 * two 32-bit lanes of MurmurHash3 (x86_32 block and finalisation steps) over the serial's
 * minimal two's-complement octets and their length, seeded with a key drawn at random for each
 * index file. The key keeps the fingerprints of one file unpredictable to whoever chose the
 * serials, so a CRL cannot be crafted to pile its entries onto a few fingerprints. It is not a
 * cryptographic hash and need not be: every fingerprint hit is confirmed against the exact
 * serial stored beside it, so a collision costs one extra read, never a wrong answer.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The two 32-bit halves of a fingerprint (compared as unsigned: hi first, then lo). */
export interface Fingerprint {
  hi: number;
  lo: number;
}

/**
 * Fingerprint of `bytes[start..end)` with the key (seed0, seed1). Writes into `out` (no
 * allocation on the lookup path) and returns it.
 */
export function fingerprint(
  bytes: Uint8Array,
  start: number,
  end: number,
  seed0: number,
  seed1: number,
  out: Fingerprint,
): Fingerprint {
  let h1 = seed0 | 0;
  let h2 = seed1 | 0;
  const len = end - start;
  let p = start;
  for (; p + 4 <= end; p += 4) {
    let k = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 ^= k;
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
  }
  const rest = end - p;
  if (rest > 0) {
    let k = bytes[p]!;
    if (rest > 1) k ^= bytes[p + 1]! << 8;
    if (rest > 2) k ^= bytes[p + 2]! << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h1 ^= k;
    h2 ^= k;
  }
  out.hi = fmix(h1 ^ len);
  out.lo = fmix(h2 ^ len ^ 0x9e3779b9);
  return out;
}

/** True when `first` only repeats the sign of `next` (X.690 §8.3.2: not minimal). */
export function isRedundantSign(first: number, next: number): boolean {
  return (first === 0 && (next & 0x80) === 0) || (first === 0xff && (next & 0x80) !== 0);
}

/** Start of the minimal two's-complement form of `bytes[start..end)` (redundant sign octets skipped). */
export function minimalStart(bytes: Uint8Array, start: number, end: number): number {
  while (end - start > 1 && isRedundantSign(bytes[start]!, bytes[start + 1]!)) start++;
  return start;
}
