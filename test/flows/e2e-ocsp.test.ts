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
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoardEmulator } from '../../firmware-host/board-emulator/index.js';
import { VirtualJpkiCard } from '../../firmware-host/jpki-card/jpki-card.js';
import type { BackOffice, KioskClient } from '../../controller/demo/demo-script.js';
import { spkiSha256 } from '../../controller/domain/identity.js';
import { loadCertificates } from '../../controller/trust/certificate.js';
import type { TestCert, TestKey } from '../../controller/trust/testing/pki.js';
import { JpkiToken } from '../../shared/apdu/jpki.js';
import { OpensslOcspResponder } from '../support/openssl-ocsp.js';
import { StationStack } from '../support/station-stack.js';
import type { TestPki } from '../support/test-pki.js';

x509.cryptoProvider.set(globalThis.crypto);

const STATION = 'e2e-ocsp';
const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
const WAIT_MS = 20_000;
/** Serial of holder-01's second certificate, revoked at the responder (not on the CRL). */
const REVOKED_AT_RESPONDER = 0x0cafe001;

let stack: StationStack;
let pki: TestPki;
let emulator: BoardEmulator;
let responder: OpensslOcspResponder;
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

const event: StationStack['event'] = (kind, pred) => stack.event(kind, pred);

/** Puts `card` into the kiosk's vpcd reader. */
const insert = (card: VirtualJpkiCard) => stack.insert('', card);

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
  stack = await StationStack.start({
    station: STATION,
    name: 'E2E OCSP station',
    // The responder (signed by the test PKI's authentication root) starts before the daemon:
    // the configuration names its URL.
    prepare: async (st) => {
      pki = st.pki;
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
    },
    config: () => ({
      trust: { ocsp: { mode: 'prefer', url: responder.url, timeoutMs: 2000 } },
    }),
  });
  ({ emulator, office, kiosk } = stack);
  const roster = await office.send('staff.roster', {
    version: 1,
    staff: [{ staffId: 'staff-1', certSpkiSha256: spki('holder-02'), roles: ['loader'] }],
  });
  expect(roster.status).toBe('accepted');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await responder?.stop();
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
