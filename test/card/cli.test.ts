/** `jpki-locker pki make-test`, `card emulate`, `card read`, `card prove` as processes, over a private pcscd. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess, runCli } from '../support/cli.js';
import { startPcscd, type PrivatePcscd } from '../support/pcscd.js';

let pcscd: PrivatePcscd;
let out: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  pcscd = await startPcscd({ setEnv: false });
  env = { PCSCLITE_CSOCK_NAME: pcscd.socketPath };
  out = mkdtempSync(path.join(os.tmpdir(), 'jpki-cli-pki-'));
});

afterAll(async () => {
  await pcscd?.stop();
  rmSync(out, { recursive: true, force: true });
});

async function emulate(profile: string, extra: string[] = []): Promise<CliProcess> {
  const p = new CliProcess(
    ['card', 'emulate', '--profile', profile, '--vpcd', `127.0.0.1:${pcscd.vpcdPort}`, ...extra],
    { env },
  );
  await p.waitFor('card inserted into vpcd');
  return p;
}

async function stop(p: CliProcess): Promise<void> {
  p.kill('SIGTERM');
  expect((await p.exited).code).toBe(0);
}

describe('card and pki commands', () => {
  it('pki make-test writes roots, CRLs and profiles', async () => {
    const r = await runCli(['pki', 'make-test', '--out', out, '--holders', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(path.join(out, 'profiles/holder-01'));
    expect(r.stdout).toContain(path.join(out, 'profiles/forged-01'));
    expect(r.stdout).toContain('auth-root.crl');
    expect((await runCli(['pki', 'make-test', '--out', out, '--holders', 'x'])).code).toBe(2);
  });

  it('card read --json prints the certificate facts and tries, spending none', async () => {
    const em = await emulate(path.join(out, 'profiles/holder-01'));
    try {
      const r = await runCli(['card', 'read', '--reader', pcscd.readerNames[0], '--json'], { env });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(j)).toEqual([
        'reader',
        'token',
        'subject',
        'issuer',
        'serial',
        'notAfter',
        'spkiSha256',
        'pinTriesLeft',
      ]);
      expect(j).toMatchObject({
        reader: pcscd.readerNames[0],
        token: 'JPKIAPICCTOKEN2',
        pinTriesLeft: 3,
      });
      expect(j.subject).toMatch(/^C=JP, CN=/);
      expect(j.spkiSha256).toMatch(/^[0-9a-f]{64}$/);
      const text = await runCli(['card', 'read'], { env });
      expect(text.stdout).toMatch(/pinTriesLeft: +3/);
    } finally {
      await stop(em);
    }
  });

  it('card prove exits 0 only when proven', async () => {
    const em = await emulate(path.join(out, 'profiles/holder-01'), ['--pin', '4711']);
    try {
      const wrong = await runCli(['card', 'prove', '--pin-stdin'], { env, input: '1234\n' });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain('refused (wrong_pin, 2 tries left)');
      // A PIN that is not 4 digits never reaches the card: refused, no try spent.
      const malformed = await runCli(['card', 'prove', '--pin-stdin'], { env, input: '47a1\n' });
      expect(malformed.code).toBe(1);
      expect(malformed.stdout).toContain('refused (pin_malformed)');
      const after = await runCli(['card', 'read', '--json'], { env });
      expect(JSON.parse(after.stdout)).toMatchObject({ pinTriesLeft: 2 });
      const noFlag = await runCli(['card', 'prove'], { env, input: '4711\n' });
      expect(noFlag.code).toBe(2);
      const ok = await runCli(['card', 'prove', '--pin-stdin'], { env, input: '4711\n' });
      expect(ok.stdout).toContain('proof: proven');
      expect(ok.code).toBe(0);
    } finally {
      await stop(em);
    }
    const forged = await emulate(path.join(out, 'profiles/forged-01'));
    try {
      const r = await runCli(['card', 'prove', '--pin-stdin'], { env, input: '1234\n' });
      expect(r.stdout).toContain('refused (bad_signature)');
      expect(r.code).toBe(1);
    } finally {
      await stop(forged);
    }
  });

  it('card read without pcscd exits 3 (hardware lost)', async () => {
    const r = await runCli(['card', 'read'], {
      env: { PCSCLITE_CSOCK_NAME: path.join(out, 'nothing.comm') },
    });
    expect(r.code).toBe(3);
  });
});
