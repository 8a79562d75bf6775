import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../config/load.js';
import { authAnchors } from '../doctor/checks.js';
import { JPKI_ROOTS, jpkiRootByDer, loadJpkiRoot } from './jpki-roots.js';
import { loadAnchors } from './trust-component.js';

const NAME =
  'C=JP, O=JPKI, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems';

describe('the shipped JPKI user-authentication roots', () => {
  it('both generations load by name, carry the same subject and differ in key', () => {
    const a = loadJpkiRoot('jpki-auth-2015');
    const b = loadJpkiRoot('jpki-auth-2023');
    expect(a.subject).toBe(NAME);
    expect(b.subject).toBe(NAME);
    expect(a.spkiSha256).not.toBe(b.spkiSha256);
    expect(b.notAfter.toISOString()).toBe('2033-07-15T14:59:59.000Z');
    expect(jpkiRootByDer(b.der)?.name).toBe('jpki-auth-2023');
  });

  it('a shipped file that does not match its pinned SHA-256 is refused', () => {
    const other = readFileSync(
      fileURLToPath(new URL(`./roots/${JPKI_ROOTS['jpki-auth-2015']!.file}`, import.meta.url)),
    );
    expect(() => loadJpkiRoot('jpki-auth-2023', () => new Uint8Array(other))).toThrow(
      /does not match the SHA-256 pinned/,
    );
  });

  it('trust.authAnchors takes the names (not resolved as paths); a name elsewhere is a file', () => {
    const config = checkConfig({ trust: { authAnchors: ['jpki-auth-2023'] } });
    expect(config.trust.authAnchors).toEqual(['jpki-auth-2023']);
    expect(loadAnchors(config.trust).auth.map((c) => jpkiRootByDer(c.der)?.name)).toEqual([
      'jpki-auth-2023',
    ]);
    const sign = checkConfig({ trust: { signAnchors: ['jpki-auth-2023'] } });
    expect(() => loadAnchors(sign.trust)).toThrow(/trust\.signAnchors\[0\]/);
  });

  it('doctor names the generation and its expiry; fails when only an expired one is configured', async () => {
    const at = new Date('2030-01-01T00:00:00Z');
    const both = checkConfig({ trust: { authAnchors: ['jpki-auth-2015', 'jpki-auth-2023'] } });
    const r = await authAnchors.run(both, at);
    expect(r.status).toBe('ok');
    expect(r.detail).toBe(
      'jpki-auth-2015 (generation 2015): expired 2025-10-19; jpki-auth-2023 (generation 2023): expires 2033-07-15 (1291 days)',
    );
    const old = checkConfig({ trust: { authAnchors: ['jpki-auth-2015'] } });
    expect(await authAnchors.run(old, at)).toMatchObject({ status: 'fail', required: true });
    expect(await authAnchors.run(checkConfig({}), at)).toMatchObject({ status: 'skip' });
  });
});
