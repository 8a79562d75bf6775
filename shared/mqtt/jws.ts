/**
 * JSON Web Signature, compact serialisation (RFC 7515 §7.1), for signed commands:
 *
 *   BASE64URL(UTF8(header)) '.' BASE64URL(payload) '.' BASE64URL(signature)
 *   signature over ASCII(BASE64URL(UTF8(header)) '.' BASE64URL(payload))
 *
 * Algorithms (RFC 7518 §3.1, RFC 8037 §3.1): ES256/ES384 (signature = r || s, fixed width,
 * RFC 7518 §3.4), RS256 (PKCS#1 v1.5), PS256 (PSS, MGF1-SHA-256, salt 32), EdDSA (Ed25519).
 * The signer's certificate chain travels in the `x5c` header (RFC 7515 §4.1.6: standard
 * base64 DER, the signer's certificate first). Path validation is not done here (the trust
 * engine does it); this module parses, and checks a signature over the leaf's key.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { COMMAND_JWS_ALGS, COMMAND_JWS_TYP, type CommandJwsAlg } from './commands.js';
import { algForKey, algParams, keyFitsAlg } from './jws-alg.js';
import { validateCommandJwsHeader } from './validate.js';

export { algForKey };

/** A parsed compact JWS (not yet verified). */
export interface ParsedJws {
  header: { alg: CommandJwsAlg; typ?: string; x5c: string[] };
  /** The x5c certificates, DER, signer first. */
  chain: Uint8Array[];
  payload: Buffer;
  signingInput: Buffer;
  signature: Buffer;
}

/** Why a JWS could not be used. */
export type JwsProblem = 'malformed' | 'unsigned' | 'unsupported_algorithm';

const B64URL = /^[A-Za-z0-9_-]*$/;

function b64url(s: string): Buffer | undefined {
  if (!B64URL.test(s)) return undefined;
  return Buffer.from(s, 'base64url');
}

/** Parses a compact JWS; a problem code instead of an exception for bad input. */
export function parseCompactJws(text: string): ParsedJws | { problem: JwsProblem } {
  if (typeof text !== 'string') return { problem: 'malformed' };
  const parts = text.split('.');
  if (parts.length !== 3) return { problem: 'malformed' };
  const [h, p, s] = parts as [string, string, string];
  const headerBytes = b64url(h);
  const payload = b64url(p);
  const signature = b64url(s);
  if (!headerBytes || !payload || !signature || h === '' || p === '')
    return { problem: 'malformed' };
  let header: unknown;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
  } catch {
    return { problem: 'malformed' };
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    return { problem: 'malformed' };
  const alg = (header as { alg?: unknown }).alg;
  const x5c = (header as { x5c?: unknown }).x5c;
  if (alg === undefined || alg === 'none' || signature.length === 0) return { problem: 'unsigned' };
  if (x5c === undefined || (Array.isArray(x5c) && x5c.length === 0)) return { problem: 'unsigned' };
  if (typeof alg !== 'string' || !(COMMAND_JWS_ALGS as readonly string[]).includes(alg))
    return { problem: 'unsupported_algorithm' };
  const checked = validateCommandJwsHeader(header);
  if (!checked.ok) return { problem: 'malformed' };
  // RFC 7515 §4.1.11: a critical header parameter we do not understand makes it invalid.
  if ((header as { crit?: unknown }).crit !== undefined) return { problem: 'malformed' };
  const typ = checked.value.typ;
  if (typ !== undefined && typ !== COMMAND_JWS_TYP) return { problem: 'malformed' };
  return {
    header: checked.value as ParsedJws['header'],
    chain: checked.value.x5c.map((c) => new Uint8Array(Buffer.from(c, 'base64'))),
    payload,
    signingInput: Buffer.from(`${h}.${p}`, 'ascii'),
    signature,
  };
}

/** Imports the public key of a DER SubjectPublicKeyInfo; undefined when unusable. */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/** Checks the JWS signature with `key`. False on any mismatch; never throws. */
export function verifyJwsSignature(jws: ParsedJws, key: KeyObject): boolean {
  const alg = jws.header.alg;
  if (!keyFitsAlg(alg, key)) return false;
  const { hash, opts } = algParams(alg);
  try {
    return verify(hash, jws.signingInput, { key, ...opts } as never, jws.signature);
  } catch {
    return false;
  }
}

/**
 * Signs `payload` as a compact JWS with the command header (alg, typ, x5c).
 * `chainDer`: the signer's certificate first, then intermediates.
 */
export function signCompactJws(
  payload: Uint8Array | string,
  privateKey: KeyObject,
  chainDer: readonly Uint8Array[],
  extraHeader: Record<string, unknown> = {},
): string {
  const alg = (extraHeader.alg as CommandJwsAlg | undefined) ?? algForKey(privateKey);
  const header = {
    alg,
    typ: COMMAND_JWS_TYP,
    x5c: chainDer.map((d) => Buffer.from(d).toString('base64')),
    ...extraHeader,
  };
  const h = Buffer.from(JSON.stringify(header), 'utf8').toString('base64url');
  const p = Buffer.from(payload).toString('base64url');
  const { hash, opts } = algParams(alg);
  const sig = sign(hash, Buffer.from(`${h}.${p}`, 'ascii'), { key: privateKey, ...opts } as never);
  return `${h}.${p}.${sig.toString('base64url')}`;
}
