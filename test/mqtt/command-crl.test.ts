/**
 * Revoking a leaked office certificate stops it everywhere (issue 15, build 7): the office
 * revokes it under the command CA (`office command-crl --revoke --publish`), the CRL reaches
 * every station retained on `jpki-locker/v1/fleet/command-crl`, and each refuses that
 * signer's commands as `signer_revoked` while every other signer keeps working. A forged or
 * foreign CRL is ignored; without a current CRL every command is refused with a reason and
 * an alarm, and publishing one recovers the station without any command. Real mosquitto
 * (TLS, ACLs, use_username_as_clientid), the real office CLI.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandCrlMessage, commandCrlTopic } from '../../shared/mqtt/command-crl.js';
import type { CommandCrlState } from '../../shared/mqtt/command-crl.js';
import {
  buildCommand,
  commandSignerFromPem,
  signCommand,
  type CommandSigner,
} from '../../shared/mqtt/command-envelope.js';
import type { ActiveAlarm } from '../../shared/mqtt/state.js';
import { CommandCrl } from '../../controller/mqtt/command-crl.js';
import { MetaRepository } from '../../controller/storage/meta-repository.js';
import { parseCertificate } from '../../controller/trust/index.js';
import { runCli } from '../support/cli.js';
import {
  createDevCa,
  issueDevCert,
  issueDevCrl,
  loadDevCredential,
  type DevCredential,
} from '../support/dev-pki.js';
import { Mosquitto } from '../support/mosquitto.js';
import { Office, startStation, type CommandPki, type TestStation } from './fixtures.js';

const HOLDER = 'ab'.repeat(32);
let dir: string;
let broker: Mosquitto;
let office: Office;
let ca: DevCredential;
let pki: CommandPki;
let kept: CommandSigner;
let leaked: CommandSigner;
let leakedPem: string;
let tlsArgs: string[];
const stations: TestStation[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'command-crl-'));
  broker = await Mosquitto.start({ stations: ['st-a', 'st-b', 'st-c', 'st-d', 'st-e'] });
  const made = await runCli(['office', 'make-signer', '--out', dir]);
  expect(made.code, made.stderr).toBe(0);
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  ca = await loadDevCredential(read('command-ca.pem'), read('command-ca-key.pem'));
  kept = commandSignerFromPem(read('signer-key.pem'), read('signer.pem'));
  const l = await issueDevCert(ca, { commonName: 'office laptop (leaked)', usage: 'command' });
  leaked = { privateKey: l.privateKey, chain: [l.certDer] };
  leakedPem = path.join(dir, 'leaked.pem');
  writeFileSync(leakedPem, l.certPem);
  // Stations set up as docs/mqtt.md says: the CA in trust.commandAnchors, its first CRL
  // (from make-signer) in trust.commandCrlFiles.
  pki = { ca, crl: new Uint8Array(readFileSync(path.join(dir, 'command-crl.pem'))) } as never;
  const o = broker.user('office');
  writeFileSync(path.join(dir, 'ca.pem'), broker.ca.certPem);
  writeFileSync(path.join(dir, 'office.pem'), o.cert);
  writeFileSync(path.join(dir, 'office-key.pem'), o.key);
  tlsArgs = ['--url', broker.officeUrl, '--ca', path.join(dir, 'ca.pem')];
  tlsArgs.push('--cert', path.join(dir, 'office.pem'), '--key', path.join(dir, 'office-key.pem'));
  office = await Office.connect(broker);
}, 60_000);
afterAll(async () => {
  await office?.close();
  for (const s of stations) await s.close();
  await broker?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function station(id: string, crlFiles?: string[]): Promise<TestStation> {
  const s = await startStation(broker, pki, id, crlFiles ? { crlFiles } : {});
  stations.push(s);
  await s.connected();
  return s;
}

let deliveries = 0;
function assign(stationId: string, signer: CommandSigner): string {
  const claims = buildCommand(
    'delivery.assign',
    {
      deliveryId: `D-${++deliveries}`,
      size: 'M',
      holderSpkiSha256: HOLDER,
      pickupDeadline: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    },
    { station: stationId },
  );
  return JSON.stringify(signCommand(claims, signer));
}

function retained<T>(stationId: string, part: string): T | undefined {
  return office.retained.get(`jpki-locker/v1/${stationId}/${part}`) as T | undefined;
}
const commandCrlOf = (id: string) =>
  retained<{ command?: CommandCrlState }>(id, 'state/crl')?.command;
const alarmsOf = (id: string) =>
  (retained<{ alarms: ActiveAlarm[] }>(id, 'state/alarms')?.alarms ?? []).map((a) => a.alarm);

async function publishCrl(extra: string[] = []): Promise<{ crlNumber: string }> {
  const r = await runCli([
    'office',
    'command-crl',
    '--ca-dir',
    dir,
    ...extra,
    '--publish',
    ...tlsArgs,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { crlNumber: string };
}

async function clearRetainedCrl(): Promise<void> {
  await office.client.publishAsync(commandCrlTopic(), '', { qos: 1, retain: true });
}

describe('revoking a command signer', () => {
  it(
    "a revoked signer's commands are refused at every station once the CRL is published; a signer not revoked still works",
    { timeout: 90_000 },
    async () => {
      const a = await station('st-a');
      const b = await station('st-b');
      for (const id of ['st-a', 'st-b'])
        expect(await office.send(id, assign(id, leaked))).toMatchObject({ status: 'accepted' });

      const issued = await publishCrl(['--revoke', leakedPem]);
      expect(issued.crlNumber).toBe('2');
      await office.until(
        () => ['st-a', 'st-b'].every((id) => commandCrlOf(id)?.crlNumber === '2'),
        20_000,
        'both stations to install CRL #2',
      );
      expect(commandCrlOf('st-a')).toMatchObject({ verdict: 'fresh', entries: 1 });

      for (const [id, s] of [
        ['st-a', a],
        ['st-b', b],
      ] as const) {
        const handled = s.domain.handled.length;
        expect(await office.send(id, assign(id, leaked))).toMatchObject({
          status: 'rejected',
          reason: 'signer_revoked',
        });
        expect(s.domain.handled.length).toBe(handled);
        expect(await office.send(id, assign(id, kept))).toMatchObject({ status: 'accepted' });
        // The attempt with the revoked key is on record for the office.
        const refusals = s.outbox
          .readFrom(0, 10_000)
          .filter((e) => e.kind === 'command.handled')
          .map((e) => (JSON.parse(e.data) as { reason?: string }).reason);
        expect(refusals).toContain('signer_revoked');
      }
      // Kept across a restart: what the station stored installs again from its database.
      const reloaded = new CommandCrl(
        () => [parseCertificate(ca.certDer)],
        new MetaRepository(a.db),
        { toleranceHours: 24, now: () => new Date() },
      );
      expect(await reloaded.load()).toEqual([]);
      expect(reloaded.state(new Date())).toMatchObject({ crlNumber: '2', entries: 1 });
    },
  );

  it(
    "a forged CRL (the CA name, another key) and a foreign CA's CRL are ignored; the genuine one is installed",
    { timeout: 90_000 },
    async () => {
      const forger = await createDevCa('jpki-locker development command CA');
      const foreign = await createDevCa('Some other CA');
      const keptSerial = new X509Certificate(kept.chain[0]!).serialNumber.toLowerCase();
      const revokeKept = [{ serial: keptSerial, revokedAt: new Date().toISOString() }];
      for (const signer of [forger, foreign]) {
        const crl = await issueDevCrl(signer, {
          revoked: revokeKept,
          crlNumber: 99n,
          validDays: 7,
        });
        await office.client.publishAsync(
          commandCrlTopic(),
          JSON.stringify(commandCrlMessage(crl.der, new Date())),
          { qos: 1, retain: true },
        );
      }
      // The stations take CRLs in order: once the genuine #3 is in, both fakes were seen.
      const genuine = await publishCrl();
      await office.until(
        () => ['st-a', 'st-b'].every((id) => commandCrlOf(id)?.crlNumber === genuine.crlNumber),
        20_000,
        'the genuine CRL',
      );
      for (const id of ['st-a', 'st-b']) {
        expect(commandCrlOf(id)).toMatchObject({ verdict: 'fresh', entries: 1 });
        expect(await office.send(id, assign(id, kept))).toMatchObject({ status: 'accepted' });
        expect(await office.send(id, assign(id, leaked))).toMatchObject({
          reason: 'signer_revoked',
        });
      }
    },
  );

  it(
    'without a command CRL every command is refused with command_crl_missing and an alarm; publishing one recovers',
    { timeout: 90_000 },
    async () => {
      await clearRetainedCrl();
      await station('st-c', []);
      await office.until(
        () => alarmsOf('st-c').includes('command_crl_missing') && !!commandCrlOf('st-c'),
        20_000,
        'command_crl_missing',
      );
      expect(commandCrlOf('st-c')).toMatchObject({ verdict: 'missing' });
      const r = await office.send('st-c', assign('st-c', kept));
      expect(r).toMatchObject({ status: 'rejected', reason: 'command_crl_missing' });
      expect(r.detail?.fix).toMatch(/office command-crl .*--publish/);

      await publishCrl();
      await office.until(
        () =>
          commandCrlOf('st-c')?.verdict === 'fresh' &&
          !alarmsOf('st-c').includes('command_crl_missing'),
        20_000,
        'the CRL installed and the alarm cleared',
      );
      expect(await office.send('st-c', assign('st-c', kept))).toMatchObject({ status: 'accepted' });
      expect(await office.send('st-c', assign('st-c', leaked))).toMatchObject({
        reason: 'signer_revoked',
      });
    },
  );

  it(
    'a CRL past nextUpdate + tolerance: every command is refused with command_crl_stale and an alarm',
    { timeout: 90_000 },
    async () => {
      await clearRetainedCrl();
      const old = await issueDevCrl(ca, {
        revoked: [],
        crlNumber: 1000n,
        validDays: 7,
        now: () => new Date(Date.now() - 10 * 86_400_000),
      });
      const file = path.join(dir, 'stale-crl.der');
      writeFileSync(file, old.der);
      await station('st-d', [file]);
      await office.until(
        () => alarmsOf('st-d').includes('command_crl_stale') && !!commandCrlOf('st-d'),
        20_000,
        'command_crl_stale',
      );
      expect(commandCrlOf('st-d')).toMatchObject({ verdict: 'stale', crlNumber: '1000' });
      expect(await office.send('st-d', assign('st-d', kept))).toMatchObject({
        status: 'rejected',
        reason: 'command_crl_stale',
      });
    },
  );

  it(
    "a station whose clock was set back three days sees it against the office's signed time (the CRL's thisUpdate): clock_jump, commands refused",
    { timeout: 90_000 },
    async () => {
      await publishCrl();
      const setBack = () => new Date(Date.now() - 3 * 86_400_000);
      const s = await startStation(broker, pki, 'st-e', { crlFiles: [], now: setBack });
      stations.push(s);
      await s.connected();
      await office.until(
        () => alarmsOf('st-e').includes('clock_jump'),
        20_000,
        'clock_jump from the signed time',
      );
      const alarm = retained<{ alarms: ActiveAlarm[] }>('st-e', 'state/alarms')!.alarms.find(
        (a) => a.alarm === 'clock_jump',
      );
      expect(alarm?.detail).toMatch(/behind the office's signed time \(command CRL thisUpdate\)/);
      expect(await office.send('st-e', assign('st-e', kept))).toMatchObject({
        status: 'rejected',
        reason: 'clock_jump',
      });
    },
  );
});
