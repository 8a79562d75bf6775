/**
 * NIST PKITS conformance (testdata/nist-pkits, public NIST data): sections 4.1–4.7 and
 * 4.13–4.16, the DSA cases 4.1.4 and 4.1.5 aside (159 cases), run the way a user runs them:
 * one `jpki-locker cert verify --batch` process, one JSON line per case with the trust anchor,
 * the intermediates, the end-entity certificate and every CRL of the case, validated at
 * 2011-04-15T00:00:00Z with purpose "any". Each test is named after its PKITS number.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.join(HERE, 'testdata/nist-pkits');
const BIN = path.resolve(HERE, '../../bin/jpki-locker.js');
const AT = '2011-04-15T00:00:00Z';
const SECTIONS = new Set([1, 2, 3, 4, 5, 6, 7, 13, 14, 15, 16]);
const DSA_CASES = new Set(['4.1.4', '4.1.5']);

interface PkitsCase {
  number: string;
  section: number;
  title: string;
  certs: string[];
  crls: string[];
  should_validate: boolean;
}

const index = JSON.parse(readFileSync(path.join(DATA, 'pkits-index.json'), 'utf8')) as {
  testcases: PkitsCase[];
};
const cases = index.testcases.filter((c) => SECTIONS.has(c.section) && !DSA_CASES.has(c.number));

function pem(file: string, label: string): string {
  const b64 = readFileSync(file).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;
}

function batchLine(c: PkitsCase): string {
  const cert = (n: string) => pem(path.join(DATA, 'certs', `${n}.crt`), 'CERTIFICATE');
  return JSON.stringify({
    id: c.number,
    trust: [cert(c.certs[0]!)],
    intermediates: c.certs.slice(1, -1).map(cert),
    cert: cert(c.certs[c.certs.length - 1]!),
    crls: c.crls.map((n) => pem(path.join(DATA, 'crls', `${n}.crl`), 'X509 CRL')),
    at: AT,
    purpose: 'any',
  });
}

interface Answer {
  id: string;
  valid: boolean;
  reason: string;
  chain: string[];
}

let dir: string;
const answers = new Map<string, Answer>();
let stderr = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-pkits-'));
  const config = path.join(dir, 'station.yaml');
  writeFileSync(config, `storage:\n  path: ${path.join(dir, 'station.db')}\n`);
  const stdout = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'cert', 'verify', '--batch'], {
      env: { ...process.env, JPKI_LOCKER_CONFIG: config },
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', () => resolve(out));
    p.stdin.end(cases.map(batchLine).join('\n') + '\n');
  });
  for (const l of stdout.split('\n').filter(Boolean)) {
    const a = JSON.parse(l) as Answer;
    answers.set(a.id, a);
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('NIST PKITS 4.1–4.7 and 4.13–4.16 through cert verify --batch', () => {
  it('covers 159 cases', () => {
    expect(cases).toHaveLength(159);
  });

  for (const c of cases) {
    it(`${c.number} ${c.title}`, () => {
      const a = answers.get(c.number);
      expect(a, `no answer for ${c.number}; stderr: ${stderr}`).toBeDefined();
      expect({ valid: a!.valid, reason: a!.reason }).toEqual(
        c.should_validate
          ? { valid: true, reason: 'ok' }
          : { valid: false, reason: expect.not.stringMatching(/^ok$/) as unknown },
      );
    });
  }
});
