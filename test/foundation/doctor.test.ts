import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PCSC_ACCESS_DENIED, pcscAccessRemedy } from '../../controller/doctor/checks.js';
import { runCli } from '../support/cli.js';
import { getTestPki } from '../support/test-pki.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function config(body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jl-doctor-'));
  dirs.push(dir);
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `storage:\n  path: ${path.join(dir, 'station.db')}\n${body}`);
  return file;
}

interface DoctorJson {
  ok: boolean;
  checks: { name: string; status: string; required: boolean; remedy?: string; detail: string }[];
}

// This build machine has no GPIO and, for these tests, no pcscd at the socket we point to.
const env = { PCSCLITE_CSOCK_NAME: '/nonexistent/pcscd.comm' };

describe('jpki-locker doctor', () => {
  it('reports missing GPIO and reader with remedies, but exits 0 when the mode needs neither', async () => {
    const file = config('card:\n  driver: sim\ngpio:\n  driver: sim\nmqtt:\n  enabled: false\n');
    const r = await runCli(['doctor', '--config', file], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^warn\s+gpio\s+no accessible GPIO/m);
    expect(r.stdout).toMatch(/-> on a Raspberry Pi: add the service user to the gpio group/);
    expect(r.stdout).toMatch(/^ok\s+database/m);
    expect(r.stdout).toMatch(/^ok\s+clock/m);
  });

  it('exits 1 when the configured mode needs what is missing (GPIO relays, a PC/SC reader)', async () => {
    const file = config('card:\n  driver: pcsc\ngpio:\n  driver: onoff\nmqtt:\n  enabled: false\n');
    const r = await runCli(['doctor', '--config', file, '--json'], { env });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as DoctorJson;
    expect(out.ok).toBe(false);
    const byName = Object.fromEntries(out.checks.map((c) => [c.name, c]));
    expect(byName.gpio).toMatchObject({ status: 'fail', required: true });
    expect(byName['card reader']).toMatchObject({ status: 'fail', required: true });
    expect(byName['card reader']?.detail).toMatch(/pcscd is not running/);
    expect(byName['card reader']?.remedy).toMatch(/pcscd/);
    expect(byName.node).toMatchObject({ status: 'ok' });
  });

  it('checks CRL freshness: missing fails with a remedy, an imported current CRL passes', async () => {
    const pki = await getTestPki();
    const root = path.join(pki.dir, pki.manifest.roots.auth);
    const file = config(
      `card:\n  driver: sim\nmqtt:\n  enabled: false\ntrust:\n  authAnchors: [${root}]\n`,
    );
    const before = await runCli(['doctor', '--config', file, '--json'], { env });
    expect(before.code).toBe(1);
    const crl = (JSON.parse(before.stdout) as DoctorJson).checks.find((c) => c.name === 'crl');
    expect(crl).toMatchObject({ status: 'fail', required: true });
    expect(crl?.remedy).toMatch(/crl import/);
    const db = path.join(path.dirname(file), 'station.db');
    const imported = await runCli([
      'crl',
      'import',
      path.join(pki.dir, pki.manifest.crls.auth),
      '--trust',
      root,
      '--db',
      db,
    ]);
    expect(imported.code).toBe(0);
    const after = await runCli(['doctor', '--config', file], { env });
    expect(after.stdout).toMatch(/^ok\s+crl\s+user authentication: fresh/m);
    expect(after.code).toBe(0);
  });

  it("checks the command CA's CRL: none fails with how to publish one; a current one passes", async () => {
    const pki = await getTestPki();
    const cmd = pki.manifest.command!;
    const anchor = path.join(pki.dir, cmd.anchor);
    const body = (files: string[]) =>
      `card:\n  driver: sim\nmqtt:\n  url: mqtt://127.0.0.1:1\ntrust:\n  commandAnchors: [${anchor}]\n  commandCrlFiles: [${files.join(', ')}]\n`;
    const line = async (file: string) => {
      const r = await runCli(['doctor', '--config', file, '--json'], { env });
      return (JSON.parse(r.stdout) as DoctorJson).checks.find((c) => c.name === 'command crl');
    };
    const none = await line(config(body([])));
    expect(none).toMatchObject({ status: 'fail', required: true });
    expect(none?.detail).toMatch(/every command is refused \(command_crl_missing\)/);
    expect(none?.remedy).toMatch(/office command-crl .*--publish/);
    const current = await line(config(body([path.join(pki.dir, cmd.crl!)])));
    expect(current).toMatchObject({ status: 'ok' });
    expect(current?.detail).toMatch(/^fresh, cRLNumber \d+, 0 revoked/);
  });

  it('exits 2 on a bad configuration', async () => {
    const file = config('card:\n  driver: magnetic\n');
    const r = await runCli(['doctor', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('card.driver');
  });

  it('writes nothing: no database appears, and an existing one is left exactly as it was', async () => {
    const file = config('card:\n  driver: sim\nmqtt:\n  enabled: false\n');
    const dir = path.dirname(file);
    const first = await runCli(['doctor', '--config', file], { env });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^ok\s+database\s+.*not created yet/m);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
    // A database the daemon made (here through `crl import`), closed: doctor reads it from a copy.
    const pki = await getTestPki();
    const root = path.join(pki.dir, pki.manifest.roots.auth);
    const db = path.join(dir, 'station.db');
    const crl = path.join(pki.dir, pki.manifest.crls.auth);
    expect((await runCli(['crl', 'import', crl, '--trust', root, '--db', db])).code).toBe(0);
    const before = readdirSync(dir).sort();
    writeFileSync(
      file,
      `storage:\n  path: ${db}\ncard:\n  driver: sim\nmqtt:\n  enabled: false\ntrust:\n  authAnchors: [${root}]\n`,
    );
    const again = await runCli(['doctor', '--config', file], { env });
    expect(again.stdout).toMatch(/^ok\s+database\s+.*\(schema \d+/m);
    expect(again.stdout).toMatch(/^ok\s+crl\s+user authentication: fresh/m);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('ends on its own when pcscd accepts the connection and never answers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jl-doctor-pcscd-'));
    dirs.push(dir);
    const sock = path.join(dir, 'pcscd.comm');
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(sock, resolve));
    try {
      const file = config('card:\n  driver: pcsc\nmqtt:\n  enabled: false\n');
      const r = await runCli(['doctor', '--config', file, '--json'], {
        env: { PCSCLITE_CSOCK_NAME: sock },
      });
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout) as DoctorJson;
      const reader = out.checks.find((c) => c.name === 'card reader');
      expect(reader).toMatchObject({ status: 'fail', required: true });
      expect(reader?.detail).toMatch(/no answer within|does not answer/);
    } finally {
      silent.close();
    }
  });

  it("names the polkit rule when pcscd refuses the user (pcsc-lite's Access denied)", () => {
    expect(PCSC_ACCESS_DENIED.test('SCardEstablishContext error: Access denied.(0x8010006A)')).toBe(
      true,
    );
    expect(PCSC_ACCESS_DENIED.test('SCardEstablishContext error: Service not available.')).toBe(
      false,
    );
    expect(pcscAccessRemedy('jpki-locker')).toContain(
      '/etc/polkit-1/rules.d/60-jpki-locker-pcscd.rules',
    );
    expect(pcscAccessRemedy('pi')).toMatch(/sudo -u jpki-locker jpki-locker doctor/);
  });
});
