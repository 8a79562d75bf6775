import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCompactJws, signCompactJws, verifyJwsSignature, type ParsedJws } from './jws.js';

const chain = [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])];

describe('compact JWS (RFC 7515 §7.1)', () => {
  it.each([
    ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['ES384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['EdDSA', () => generateKeyPairSync('ed25519')],
    ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['PS256', () => generateKeyPairSync('rsa-pss', { modulusLength: 2048 })],
  ])('%s signs and verifies; a changed byte fails', (alg, make) => {
    const { privateKey, publicKey } = make();
    const jws = signCompactJws('{"a":1}', privateKey, chain);
    const parsed = parseCompactJws(jws) as ParsedJws;
    expect(parsed.header.alg).toBe(alg);
    expect(verifyJwsSignature(parsed, publicKey)).toBe(true);
    const [h, , s] = jws.split('.');
    const other = parseCompactJws(
      `${h}.${Buffer.from('{"a":2}').toString('base64url')}.${s}`,
    ) as ParsedJws;
    expect(verifyJwsSignature(other, publicKey)).toBe(false);
  });

  it('ES256 signatures are r||s (64 bytes), not DER', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const parsed = parseCompactJws(signCompactJws('x', privateKey, chain)) as ParsedJws;
    expect(parsed.signature).toHaveLength(64);
  });

  it('refuses a key of another type than alg says (algorithm confusion)', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const parsed = parseCompactJws(signCompactJws('x', ec.privateKey, chain)) as ParsedJws;
    expect(verifyJwsSignature(parsed, rsa.publicKey)).toBe(false);
  });

  it.each([
    ['', 'malformed'],
    ['a.b', 'malformed'],
    ['a.b.c.d', 'malformed'],
    ['!!.??.##', 'malformed'],
    [`${Buffer.from('not json').toString('base64url')}.e30.c2ln`, 'malformed'],
    [`${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`, 'unsigned'],
    [`${Buffer.from('{"alg":"ES256","x5c":["AA=="]}').toString('base64url')}.e30.`, 'unsigned'],
    [`${Buffer.from('{"alg":"ES256"}').toString('base64url')}.e30.c2ln`, 'unsigned'],
    [
      `${Buffer.from('{"alg":"HS256","x5c":["AA=="]}').toString('base64url')}.e30.c2ln`,
      'unsupported_algorithm',
    ],
    [
      `${Buffer.from('{"alg":"ES256","x5c":["AA=="],"crit":["b64"]}').toString('base64url')}.e30.c2ln`,
      'malformed',
    ],
    [
      `${Buffer.from('{"alg":"ES256","x5c":["AA=="],"typ":"JWT"}').toString('base64url')}.e30.c2ln`,
      'malformed',
    ],
  ])('%j -> %s', (text, problem) => {
    expect(parseCompactJws(text)).toEqual({ problem });
  });
});
