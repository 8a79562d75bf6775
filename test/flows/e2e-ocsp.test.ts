/**
 * End to end with the online status check: the real daemon (`jpki-locker start`) with
 * trust.ocsp.mode prefer against a real `openssl ocsp` responder (signed by the test PKI's
 * authentication root), card.driver pcsc on a private pcscd + vpcd with the virtual JPKI card,
 * the Kerong board emulator on a socat pty, and mosquitto with signed office commands.
 *
 * - A smartphone (the virtual card's phone profile, `JPKIAPGPSETOKEN`): PIN first, then its
 *   certificate is read and checked online, then the pickup opens; the attempt says `ocsp`.
 * - A holder with a delivery whose certificate is revoked at the responder while the CRL still
 *   says good: the next insertion is refused before the PIN (no VERIFY reaches the card).
 * - A card without the JPKI application: "this is not a My Number card".
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BoardEmulator } from '../../firmware-host/board-emulator/index.js';
import { VirtualJpkiCard } from '../../firmware-host/jpki-card/jpki-card.js';
import { VpcdConnector } from '../../firmware-host/jpki-card/vpcd.js';
import { BackOffice, KioskClient } from '../../controller/demo/demo-script.js';
import { spkiSha256 } from '../../controller/domain/identity.js';
import { createDevCa, issueDevCert, issueDevCrl } from '../support/dev-pki.js';
import { loadCertificates } from '../../controller/trust/certificate.js';
import type { TestCert, TestKey } from '../../controller/trust/testing/pki.js';
import type { EventMessage } from '../../shared/mqtt/events.js';
import { JpkiToken } from '../../shared/apdu/jpki.js';
import { CliProcess, runCli } from '../support/cli.js';
import { Mosquitto, freePort } from '../support/mosquitto.js';
import { OpensslOcspResponder } from '../support/openssl-ocsp.js';
import { startPcscd, type PrivatePcscd } from '../support/pcscd.js';
import { createPtyPair, type PtyPair } from '../support/socat.js';
import { getTestPki, type TestPki } from '../support/test-pki.js';

x509.cryptoProvider.set(globalThis.crypto);

const STATION = 'e2e-ocsp';
const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
const WAIT_MS = 20_000;
/** Serial of holder-01's second certificate, revoked at the responder (not on the CRL). */
const REVOKED_AT_RESPONDER = 0x0cafe001;

let dir: string;
let pki: TestPki;
let pcscd: PrivatePcscd;
let broker: Mosquitto;
let pty: PtyPair;
let emulator: BoardEmulator;
let responder: OpensslOcspResponder;
let daemon: CliProcess | undefined;
let office: BackOffice;
let kiosk: KioskClient;
let revokedLeaf: Uint8Array;

const spki = (label: string) => spkiSha256(pki.profile(label).authCertificate);
const pinOf = (label: string) => pki.profile(label).authPin;

/** A second authentication certificate for the key of `authCertificate`, from the test root. */
async function secondCertificate(authCertificate: Uint8Array): Promise<Uint8Array> {
  const m = pki.manifest;
  const root = new x509.X509Certificate(readFileSync(path.join(pki.dir, m.roots.auth), 'utf8'));
  const pkcs8 = createPrivateKey(readFileSync(path.join(pki.dir, m.rootKeys.auth), 'utf8')).export({
    type: 'pkcs8',
    format: 'der',
  });
  const signingKey = await crypto.subtle.importKey('pkcs8', pkcs8, RSA_SIGN, false, ['sign']);
  const now = Date.now();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: REVOKED_AT_RESPONDER.toString(16),
    subject: [{ C: ['JP'] }, { CN: ['OCSPREVOKEDTEST'] }],
    issuer: root.subjectName,
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 365 * 86_400_000),
    publicKey: await new x509.X509Certificate(Buffer.from(authCertificate)).publicKey.export(),
    signingKey,
    signingAlgorithm: RSA_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(root, false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  return new Uint8Array(leaf.rawData);
}

/** The test PKI's authentication root as the responder's signer. */
function authRoot(): TestCert {
  const m = pki.manifest;
  const [root] = loadCertificates(new Uint8Array(readFileSync(path.join(pki.dir, m.roots.auth))));
  const privateKey = createPrivateKey(readFileSync(path.join(pki.dir, m.rootKeys.auth), 'utf8'));
  const key: TestKey = {
    kind: 'rsa2048',
    privateKey,
    publicKey: createPublicKey(privateKey),
    spki: root!.spki,
  };
  return { der: root!.der, key, subject: root!.subject, spec: { subject: root!.subject, key } };
}

function event<K extends EventMessage['kind']>(
  kind: K,
  pred: (data: Extract<EventMessage, { kind: K }>['data']) => boolean = () => true,
): Promise<Extract<EventMessage, { kind: K }>> {
  return office.events.next(
    (e) => e.kind === kind && pred(e.data as never),
    kind,
    WAIT_MS,
  ) as Promise<Extract<EventMessage, { kind: K }>>;
}

async function insert(card: VirtualJpkiCard) {
  const connector = new VpcdConnector(card, { port: pcscd.vpcdPort });
  await connector.insert();
  return {
    card,
    async remove(screen = 'idle') {
      const next = kiosk.next(screen, WAIT_MS);
      await connector.remove();
      await next;
    },
  };
}

async function assignAndLoad(
  deliveryId: string,
  holder: string,
): Promise<{ id: string; lock: number }> {
  const r = await office.send('delivery.assign', {
    deliveryId,
    size: 'M',
    holderSpkiSha256: spki(holder),
    pickupDeadline: new Date(Date.now() + 48 * 3600_000).toISOString(),
  });
  expect(r.status).toBe('accepted');
  const c = {
    id: String(r.detail?.compartment),
    lock: Number(String(r.detail?.compartment).slice(1)),
  };
  let screen = kiosk.next('pin', WAIT_MS);
  const staff = await insert(new VirtualJpkiCard(pki.profile('holder-02')));
  await screen;
  screen = kiosk.next('loading', WAIT_MS);
  await kiosk.pin(pinOf('holder-02'));
  await screen;
  // One item at a time (issue 17): the delivery is picked, then only its compartment opens.
  const opened = kiosk.screens.next(
    (s) => s.loading?.current === deliveryId && s.compartments?.[0]?.state === 'open',
    `${c.id} open for loading`,
    WAIT_MS,
  );
  expect(await kiosk.post('/api/kiosk/scan', { deliveryId })).toBe(200);
  await opened;
  const loaded = event('delivery.loaded', (d) => d.deliveryId === deliveryId);
  emulator.putItem(0, c.lock);
  emulator.closeDoor(0, c.lock);
  await loaded;
  await staff.remove();
  return c;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-e2e-ocsp-'));
  const [testPki, privatePcscd, mosquitto, ptyPair, officeCa] = await Promise.all([
    getTestPki(),
    startPcscd({ setEnv: false }),
    Mosquitto.start({ stations: [STATION] }),
    createPtyPair(),
    createDevCa('e2e-ocsp office command CA'),
  ]);
  pki = testPki;
  pcscd = privatePcscd;
  broker = mosquitto;
  pty = ptyPair;
  const root = authRoot();
  const holder1 = pki.profile('holder-01');
  // holder-01's second certificate over the same key (same person, same SPKI hash).
  revokedLeaf = await secondCertificate(holder1.authCertificate);
  const serialOf = (label: string) =>
    pki.manifest.profiles.find((p) => p.label === label)!.authSerial;
  responder = await OpensslOcspResponder.start({
    caDer: root.der,
    signer: { certDer: root.der, key: root.key.privateKey },
    entries: [
      { serialHex: serialOf('holder-01'), status: 'valid' },
      { serialHex: serialOf('holder-02'), status: 'valid' },
      {
        serialHex: REVOKED_AT_RESPONDER.toString(16),
        status: 'revoked',
        revokedAt: new Date(Date.now() - 60_000),
        reason: 'keyCompromise',
      },
    ],
  });
  const signer = await issueDevCert(officeCa, { commonName: 'e2e-ocsp office', usage: 'command' });
  writeFileSync(path.join(dir, 'office-ca.pem'), officeCa.certPem);
  // The office CA's CRL, installed at start (trust.commandCrlFiles): command signers are
  // checked against it by default.
  const officeCrl = await issueDevCrl(officeCa, { revoked: [], crlNumber: 1n, validDays: 30 });
  writeFileSync(path.join(dir, 'office-crl.pem'), officeCrl.pem);
  emulator = new BoardEmulator({ addresses: [0] });
  await emulator.attach(pty.b);
  const webPort = await freePort();
  const m = pki.manifest;
  const configFile = path.join(dir, 'station.yaml');
  writeFileSync(
    configFile,
    stringify({
      station: { id: STATION, name: 'E2E OCSP station', mode: 'locker', timezone: 'Asia/Tokyo' },
      log: { level: 'info', format: 'json' },
      storage: { path: path.join(dir, 'station.db') },
      web: { host: '127.0.0.1', port: webPort },
      mqtt: {
        url: `mqtt://127.0.0.1:${broker.port}`,
        username: STATION,
        password: broker.users.get(STATION)!.password,
      },
      card: { driver: 'pcsc', reader: pcscd.readerNames[0] },
      trust: {
        authAnchors: [path.join(pki.dir, m.roots.auth)],
        signAnchors: [path.join(pki.dir, m.roots.sign)],
        commandAnchors: [path.join(dir, 'office-ca.pem')],
        commandCrlFiles: [path.join(dir, 'office-crl.pem')],
        crlRefreshMinutes: 0,
        ocsp: { mode: 'prefer', url: responder.url, timeoutMs: 2000 },
      },
      board: { driver: 'kerong', port: pty.a, boards: [{ address: 0, locks: 4 }] },
      compartments: [1, 2, 3, 4].map((lock) => ({ id: `A0${lock}`, board: 0, lock, size: 'M' })),
      pickup: { pinTimeoutSec: 60, doorOpenTimeoutSec: 5, doorLeftOpenSec: 30 },
    }),
  );
  for (const file of [m.crls.auth, m.crls.sign]) {
    const crl = await runCli(['crl', 'import', path.join(pki.dir, file), '-c', configFile]);
    expect(crl.code, crl.stdout + crl.stderr).toBe(0);
  }
  daemon = new CliProcess(['start', '--config', configFile], {
    env: { PCSCLITE_CSOCK_NAME: pcscd.socketPath, JPKI_LOCKER_LOG_LEVEL: 'info' },
  });
  await daemon.waitFor('station ready');
  office = await BackOffice.connect(
    `mqtt://127.0.0.1:${broker.port}`,
    { privateKey: signer.privateKey, chain: [signer.certDer] },
    STATION,
    'jpki-locker/v1',
    () => {},
    { username: 'office', password: broker.users.get('office')!.password },
  );
  if (!office.status.seen.some((s) => s.state === 'online'))
    await office.status.next((s) => s.state === 'online', 'the station online', WAIT_MS);
  kiosk = new KioskClient(`http://127.0.0.1:${webPort}`);
  await kiosk.open();
  const roster = await office.send('staff.roster', {
    version: 1,
    staff: [{ staffId: 'staff-1', certSpkiSha256: spki('holder-02'), roles: ['loader'] }],
  });
  expect(roster.status).toBe('accepted');
}, 180_000);

afterAll(async () => {
  kiosk?.close();
  await office?.close().catch(() => {});
  if (daemon && daemon.child.exitCode === null) {
    daemon.kill('SIGTERM');
    await daemon.exited;
  }
  await responder?.stop();
  await emulator?.close();
  await pty?.close();
  await pcscd?.stop();
  await broker?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('e2e: OCSP prefer, smartphone certificates, a card that is not a My Number card', () => {
  it('a smartphone goes through pickup: PIN first, then its certificate checked online, then open', async () => {
    const c = await assignAndLoad('OCSP-1', 'holder-01');
    const phone = new VirtualJpkiCard({ ...pki.profile('holder-01'), token: JpkiToken.phone });
    let screen = kiosk.next('pin', WAIT_MS);
    const card = await insert(phone);
    expect(await screen).toMatchObject({ device: 'phone', triesLeft: 3 });
    screen = kiosk.next('open', WAIT_MS);
    const granted = event('pickup.attempt', (d) => d.result === 'granted');
    await kiosk.pin(pinOf('holder-01'));
    await screen;
    expect((await granted).data).toMatchObject({
      reason: 'ok',
      deliveryId: 'OCSP-1',
      holderSpkiSha256: spki('holder-01'),
      revocationSource: 'ocsp',
    });
    const collected = event('delivery.collected', (d) => d.deliveryId === 'OCSP-1');
    emulator.takeItem(0, c.lock);
    emulator.closeDoor(0, c.lock);
    await collected;
    await card.remove();
  });

  it('revoked at the responder while the CRL says good: refused before the PIN (prefer)', async () => {
    await assignAndLoad('OCSP-2', 'holder-01');
    const refused = kiosk.next('cert_revoked', WAIT_MS);
    const denied = event('pickup.attempt', (d) => d.reason === 'cert_revoked');
    const card = await insert(
      new VirtualJpkiCard({ ...pki.profile('holder-01'), authCertificate: revokedLeaf }),
    );
    expect((await refused).screen).toBe('error');
    expect((await denied).data).toMatchObject({ result: 'denied', revocationSource: 'ocsp' });
    expect(card.card.verifyAttempts()).toBe(0);
    await card.remove();
  });

  it('a card without the JPKI application is told it is not a My Number card', async () => {
    const told = kiosk.next('not_my_number_card', WAIT_MS);
    const card = await insert(
      new VirtualJpkiCard(pki.profile('holder-02'), { noJpkiApplication: true }),
    );
    expect((await told).screen).toBe('error');
    expect(card.card.log.filter((r) => r.ins !== 0xa4)).toHaveLength(0);
    await card.remove();
  });
});
