/**
 * End to end over the real stack: the real daemon (`jpki-locker start --config FILE`) with
 * card.driver pcsc on a private pcscd + vpcd holding the virtual JPKI card, board.driver kerong
 * on a socat pty with the board emulator on the other end, and mosquitto with commands signed
 * by a test office key. The kiosk is driven through its HTTP API (POST /api/kiosk/pin) and its
 * SSE channel, like the page. Asserts the events arriving at the broker and, at the end, that
 * `jpki-locker audit verify` finds the chain intact.
 *
 * Scenarios (one daemon, in order): a stale CRL (the station starts with one: idle notice, cards
 * refused before the PIN; restarted with a current CRL); staff load -> resident pickup ->
 * collected; wrong PIN with the tries shown, then nothing to collect; revoked card; expired and
 * unknown certificates; forged card (proof of presence fails); card removed mid-flow; a
 * compartment that did not open (stuck latch: fault, then "try again" once it is freed); a door
 * never opened (the latch re-engages on the untouched document: re-locked, delivery kept);
 * several deliveries for one holder open together; a door left open (alarm, cleared on close);
 * deadline passed; the last PIN try refused (pickup.refuseLastTry) and a blocked card (no PIN
 * sent to either; the blocked state is read from each card, never remembered by certificate).
 *
 * On a Kerong board a door counts as open while its latch reads released, so "the door never
 * opened" is seen as the latch engaging again with the document still inside (the
 * pickup.doorOpenTimeoutSec timer only matters for hardware whose door sensor is separate from
 * the latch; controller/kiosk/kiosk-session.test.ts drives that timer with fake time).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoardEmulator } from '../../firmware-host/board-emulator/index.js';
import { VirtualJpkiCard } from '../../firmware-host/jpki-card/jpki-card.js';
import type { BackOffice, KioskClient } from '../../controller/demo/demo-script.js';
import { readStoredOverrides } from '../../controller/config/overrides.js';
import { spkiSha256 } from '../../controller/domain/identity.js';
import type { EventMessage } from '../../shared/mqtt/events.js';
import { CliProcess, runCli } from '../support/cli.js';
import type { TestPki } from '../support/test-pki.js';
import { crlNumberExtension } from '../../controller/pki/test-pki.js';
import { waitFor } from '../support/wait.js';
import { StationStack } from '../support/station-stack.js';
import { JpkiOid } from '../../shared/apdu/jpki.js';

x509.cryptoProvider.set(globalThis.crypto);

const STATION = 'e2e-st';
const WAIT_MS = 20_000;
const DAY_MS = 86_400_000;
const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

let stack: StationStack;
let dir: string;
let configFile: string;
let pki: TestPki;
let emulator: BoardEmulator;
let daemon: CliProcess | undefined;
let office: BackOffice;
let kiosk: KioskClient;
let rosterVersion = 1;

const spki = (label: string) => spkiSha256(pki.profile(label).authCertificate);
const pinOf = (label: string) => pki.profile(label).authPin;

beforeAll(async () => {
  stack = await StationStack.start({
    station: STATION,
    name: 'E2E station',
    // Short door timers so "door left open" happens within the suite (schema minimum: 5 s).
    config: () => ({ pickup: { pinTimeoutSec: 60, doorOpenTimeoutSec: 5, doorLeftOpenSec: 5 } }),
    // The operator's step before the first start: import the CRLs into the offline cache. The
    // authentication CRL imported first is two days past its nextUpdate (the stale-CRL case);
    // the first test installs the current one.
    crls: async (st) => {
      pki = st.pki;
      const stale = path.join(st.dir, 'auth-stale.crl');
      writeFileSync(stale, await staleAuthCrl());
      return [stale, path.join(pki.dir, pki.manifest.crls.sign)];
    },
  });
  ({ dir, configFile, pki, emulator, daemon, office, kiosk } = stack);
  const roster = await office.send('staff.roster', {
    version: rosterVersion++,
    staff: [{ staffId: 'staff-1', certSpkiSha256: spki('holder-02'), roles: ['loader'] }],
  });
  expect(roster.status).toBe('accepted');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

/** The test PKI's authentication root: certificate and signing key. */
async function authRoot(): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const m = pki.manifest;
  const cert = new x509.X509Certificate(readFileSync(path.join(pki.dir, m.roots.auth), 'utf8'));
  const pkcs8 = createPrivateKey(readFileSync(path.join(pki.dir, m.rootKeys.auth), 'utf8')).export({
    type: 'pkcs8',
    format: 'der',
  });
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, RSA_SIGN, false, ['sign']);
  return { cert, key };
}

/** A CRL from the authentication root whose nextUpdate was two days ago (stale). */
async function staleAuthCrl(): Promise<Uint8Array> {
  const root = await authRoot();
  const now = Date.now();
  const crl = await x509.X509CrlGenerator.create({
    issuer: root.cert.subjectName,
    thisUpdate: new Date(now - 3 * DAY_MS),
    nextUpdate: new Date(now - 2 * DAY_MS),
    signingAlgorithm: RSA_SIGN,
    signingKey: root.key,
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(root.cert, false),
      crlNumberExtension(Math.floor((now - 3 * DAY_MS) / 1000)),
    ],
    entries: [],
  });
  return new Uint8Array(crl.rawData);
}

/**
 * holder-01's card carrying another authentication certificate over the same key: one from the
 * JPKI test root that expired yesterday, or one from a CA the station does not know.
 */
async function cardWith(kind: 'expired' | 'unknown'): Promise<VirtualJpkiCard> {
  const profile = pki.profile('holder-01');
  const publicKey = new x509.X509Certificate(Buffer.from(profile.authCertificate)).publicKey;
  const now = Date.now();
  let issuer = await authRoot();
  if (kind === 'unknown') {
    const keys = (await crypto.subtle.generateKey(
      { ...RSA_SIGN, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01' + randomBytes(8).toString('hex'),
      name: 'C=JP, O=Unknown Authority, CN=Unknown test root',
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + 365 * DAY_MS),
      keys,
      signingAlgorithm: RSA_SIGN,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    issuer = { cert, key: keys.privateKey };
  }
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02' + randomBytes(8).toString('hex'),
    subject: [{ C: ['JP'] }, { CN: [`${kind.toUpperCase()}TESTJPKI`] }],
    issuer: issuer.cert.subjectName,
    notBefore: new Date(now - 400 * DAY_MS),
    notAfter: new Date(now + (kind === 'expired' ? -DAY_MS : 365 * DAY_MS)),
    publicKey: await publicKey.export(),
    signingKey: issuer.key,
    signingAlgorithm: RSA_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert, false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.CertificatePolicyExtension([JpkiOid.authPolicy], true),
    ],
  });
  return new VirtualJpkiCard({ ...profile, authCertificate: new Uint8Array(leaf.rawData) });
}

/** Polls `cond` until it holds (only for wall-clock time passing: no event announces it). */
const until = (cond: () => boolean, what: string, timeoutMs = WAIT_MS) =>
  waitFor(cond, what, { timeoutMs, pollMs: 50 });

/** The current kiosk screen, as the page reads it on load. */
const currentScreen = () => stack.currentScreen();

/** The next event matching `pred` at the broker (register before acting). */
const event: StationStack['event'] = (kind, pred) => stack.event(kind, pred);

/** The next retained `state/compartments` showing compartment `id` with its door `door`. */
function compartmentDoor(id: string, door: 'open' | 'closed') {
  return office.state.next(
    (m) =>
      m.part === 'compartments' &&
      (m.value.compartments as { compartment: string; door: string }[]).some(
        (c) => c.compartment === id && c.door === door,
      ),
    `state/compartments: ${id} ${door}`,
    WAIT_MS,
  );
}

/** Puts a card made from `label`'s profile into the kiosk's vpcd reader. */
const insert = (label: string, card?: VirtualJpkiCard) => stack.insert(label, card);

/** Assigns a delivery to `holder` and returns the compartment and its lock number. */
async function assign(deliveryId: string, holder: string): Promise<{ id: string; lock: number }> {
  const r = await office.send('delivery.assign', {
    deliveryId,
    size: 'M',
    holderSpkiSha256: spki(holder),
    pickupDeadline: new Date(Date.now() + 48 * 3600_000).toISOString(),
  });
  expect(r.status).toBe('accepted');
  const id = String(r.detail?.compartment);
  return { id, lock: Number(id.slice(1)) };
}

/** Staff load: card, PIN, the reserved compartment opens, item in, door shut. */
async function load(deliveryId: string, c: { id: string; lock: number }) {
  let screen = kiosk.next('pin', WAIT_MS);
  const staff = await insert('holder-02');
  await screen;
  screen = kiosk.next('loading', WAIT_MS);
  const opened = compartmentDoor(c.id, 'open');
  await kiosk.pin(pinOf('holder-02'));
  await screen;
  // One item at a time: the delivery is picked (or its envelope scanned), then its door opens.
  expect(await kiosk.post('/api/kiosk/scan', { deliveryId })).toBe(200);
  await opened;
  const loaded = event('delivery.loaded', (d) => d.deliveryId === deliveryId);
  emulator.putItem(0, c.lock);
  emulator.closeDoor(0, c.lock);
  const l = await loaded;
  expect(l.data).toMatchObject({ compartment: c.id, staffSpkiSha256: spki('holder-02') });
  await staff.remove();
}

describe('e2e over pcscd + vpcd, the board emulator on a pty, and mosquitto', () => {
  it('stale CRL: the idle screen says so, cards are refused before the PIN; a current CRL lifts it', async () => {
    // The station started with a stale authentication CRL: alarm crl_stale in the retained
    // state, and the idle screen says pickups are paused.
    expect((await currentScreen()).station.crlStale).toBe(true);
    const alarms = office.state.seen.filter((m) => m.part === 'alarms').at(-1);
    expect(alarms?.value.alarms).toEqual(
      expect.arrayContaining([expect.objectContaining({ alarm: 'crl_stale' })]),
    );
    const refused = kiosk.next('crl_stale', WAIT_MS);
    const denied = event('pickup.attempt', (d) => d.reason === 'crl_stale');
    const card = await insert('holder-01');
    expect((await refused).screen).toBe('error');
    // Refused before the card proved its key: recorded `unproven`, no holder hash (issue 12).
    expect((await denied).data).toMatchObject({ result: 'denied', holderSpkiSha256: null });
    expect(card.card.verifyAttempts()).toBe(0); // refused before the PIN
    await card.remove();

    // The back office announces the current CRL with a signed crl.available command: the
    // station fetches it, checks the signed SHA-256 and the CRL's own signature, installs it,
    // and the alarm and the idle notice lift at once, without a restart.
    const file = path.join(pki.dir, pki.manifest.crls.auth);
    const cleared = event('alarm.cleared', (d) => d.alarm === 'crl_stale');
    const wrongHash = await office.send('crl.available', {
      url: pathToFileURL(file).href,
      sha256: 'ab'.repeat(32),
    });
    expect(wrongHash).toMatchObject({ status: 'rejected', reason: 'crl_hash_mismatch' });
    const installed = await office.send('crl.available', {
      url: pathToFileURL(file).href,
      sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    });
    expect(installed).toMatchObject({ status: 'accepted', detail: { outcome: 'imported' } });
    await cleared;
    await expect.poll(async () => (await currentScreen()).station.crlStale).toBe(false);
  });

  it('load (staff on the roster) -> pick up -> collected', async () => {
    const c = await assign('E2E-1', 'holder-01');
    await load('E2E-1', c);

    let screen = kiosk.next('pin', WAIT_MS);
    const resident = await insert('holder-01');
    const pinScreen = await screen;
    expect(pinScreen.triesLeft).toBe(3);
    screen = kiosk.next('open', WAIT_MS);
    const unlocked = event('actuation', (d) => d.id === c.id && d.cause === 'pickup');
    const granted = event('pickup.attempt', (d) => d.result === 'granted');
    const opened = compartmentDoor(c.id, 'open');
    await kiosk.pin(pinOf('holder-01'));
    await screen;
    expect((await unlocked).data.opened).toBe(true);
    expect((await granted).data).toMatchObject({
      reason: 'ok',
      deliveryId: 'E2E-1',
      holderSpkiSha256: spki('holder-01'),
    });
    await opened;
    const collected = event('delivery.collected', (d) => d.deliveryId === 'E2E-1');
    const done = kiosk.next('collected', WAIT_MS);
    emulator.takeItem(0, c.lock);
    emulator.closeDoor(0, c.lock);
    expect((await collected).data.compartment).toBe(c.id);
    await done;
    await resident.remove();
  });

  it('nothing here: said at once, no PIN asked; wrong PIN: the tries left, then nothing to collect', async () => {
    // holder-01 has nothing at the station: no PIN is asked (issue 12), no try is spent.
    const nothingAtOnce = kiosk.next('nothing_to_collect', WAIT_MS);
    const unproven = event('pickup.attempt', (d) => d.reason === 'no_delivery');
    let card = await insert('holder-01');
    await nothingAtOnce;
    expect((await unproven).data.holderSpkiSha256).toBeNull();
    expect(card.card.verifyAttempts()).toBe(0);
    await card.remove();
    // A delivery assigned but not loaded yet: the PIN is asked, then nothing is ready.
    const pending = await assign('E2E-W', 'holder-01');
    let screen = kiosk.next('pin', WAIT_MS);
    card = await insert('holder-01');
    expect((await screen).triesLeft).toBe(3);
    screen = kiosk.screens.next(
      (s) => s.screen === 'pin' && s.wrongPin === true,
      'the PIN screen again',
      WAIT_MS,
    );
    const denied = event('pickup.attempt', (d) => d.reason === 'wrong_pin');
    await kiosk.pin('0000' === pinOf('holder-01') ? '1111' : '0000');
    expect((await screen).triesLeft).toBe(2);
    expect((await denied).data.result).toBe('denied');
    // The right PIN now: nothing of holder-01's is loaded yet.
    const nothing = kiosk.next('nothing_to_collect', WAIT_MS);
    const noDelivery = event('pickup.attempt', (d) => d.reason === 'no_delivery');
    await kiosk.pin(pinOf('holder-01'));
    await nothing;
    await noDelivery;
    expect(card.card.triesLeft('auth')).toBe(3); // a right PIN resets the counter
    await card.remove();
    const cancelled = await office.send('delivery.cancel', { deliveryId: 'E2E-W' });
    expect(cancelled.status).toBe('accepted');
    void pending;
  });

  it('revoked card: refused before the PIN is asked', async () => {
    const revoked = kiosk.next('cert_revoked', WAIT_MS);
    const denied = event('pickup.attempt', (d) => d.reason === 'cert_revoked');
    const card = await insert('revoked-01');
    await revoked;
    // Unproven (no proof of the key before the PIN): no holder hash attached.
    expect((await denied).data.holderSpkiSha256).toBeNull();
    expect(card.card.verifyAttempts()).toBe(0);
    await card.remove();
  });

  it('expired and unknown certificates: refused before the PIN, each with its own message', async () => {
    for (const [kind, code] of [
      ['expired', 'cert_expired'],
      ['unknown', 'cert_untrusted'],
    ] as const) {
      const virtual = await cardWith(kind);
      const screen = kiosk.next(code, WAIT_MS);
      const denied = event('pickup.attempt', (d) => d.reason === code);
      const card = await insert('holder-01', virtual);
      expect((await screen).screen).toBe('error');
      expect((await denied).data.result).toBe('denied');
      expect(virtual.verifyAttempts()).toBe(0);
      await card.remove();
    }
  });

  it('forged card: a genuine certificate on a card with another key fails the proof', async () => {
    const c = await assign('E2E-F', 'holder-01');
    const seenBefore = office.events.seen.length;
    let screen = kiosk.next('pin', WAIT_MS);
    const card = await insert('forged-01');
    await screen;
    screen = kiosk.next('proof_failed', WAIT_MS);
    const denied = event('pickup.attempt', (d) => d.result === 'denied');
    await kiosk.pin(pinOf('forged-01'));
    await screen;
    expect((await denied).data.reason).toBe('proof_failed');
    await card.remove();
    // Nothing was opened for the forger.
    const after = office.events.seen.slice(seenBefore);
    expect(after.some((e) => e.kind === 'actuation' && e.data.id === c.id)).toBe(false);
  });

  it('card removed mid-flow: the PIN screen ends, the attempt is recorded', async () => {
    const screen = kiosk.next('pin', WAIT_MS);
    const card = await insert('holder-01');
    await screen;
    const removed = event('pickup.attempt', (d) => d.reason === 'card_removed');
    await card.remove('card_removed');
    expect((await removed).data.result).toBe('denied');
  });

  it('compartment that did not open: fault and alarm; try again once the latch is freed', async () => {
    // E2E-F (from the forged-card test) waits in a reserved compartment: load it first.
    const reserved = office.events.seen.find(
      (e) => e.kind === 'delivery.assigned' && e.data.deliveryId === 'E2E-F',
    ) as Extract<EventMessage, { kind: 'delivery.assigned' }> | undefined;
    const c = { id: String(reserved?.data.compartment), lock: 0 };
    c.lock = Number(c.id.slice(1));
    await load('E2E-F', c);

    emulator.jamLatch(0, c.lock, true);
    let screen = kiosk.next('pin', WAIT_MS);
    const card = await insert('holder-01');
    await screen;
    screen = kiosk.next('lock_failed', WAIT_MS);
    const failed = event('actuation', (d) => d.id === c.id && !d.opened);
    const alarm = event('alarm.raised', (d) => d.alarm === 'compartment_jammed');
    await kiosk.pin(pinOf('holder-01'));
    const errorScreen = await screen;
    expect(errorScreen.screen).toBe('error');
    await failed;
    expect((await alarm).data.target).toBe(`compartment:${c.id}`);

    emulator.jamLatch(0, c.lock, false);
    screen = kiosk.next('open', WAIT_MS);
    const opened = event('actuation', (d) => d.id === c.id && d.opened);
    const doorOpen = compartmentDoor(c.id, 'open');
    expect(await kiosk.post('/api/kiosk/retry', { again: true })).toBe(200);
    await screen;
    await opened;
    await doorOpen;
    const collected = event('delivery.collected', (d) => d.deliveryId === 'E2E-F');
    emulator.takeItem(0, c.lock);
    emulator.closeDoor(0, c.lock);
    await collected;
    await card.remove();
  });

  it('door closed on the untouched document: "not collected" (not "could not be opened"); re-locked, delivery kept', async () => {
    const c = await assign('E2E-N', 'holder-01');
    await load('E2E-N', c);
    let screen = kiosk.next('pin', WAIT_MS);
    const card = await insert('holder-01');
    await screen;
    screen = kiosk.next('open', WAIT_MS);
    await kiosk.pin(pinOf('holder-01'));
    await screen;
    // The door sensor saw the door open, then close on the document: "not collected", kept.
    const notOpened = kiosk.next('not_collected', WAIT_MS);
    const relocked = event(
      'compartment.state',
      (d) => d.compartment === c.id && d.status === 'loaded' && d.deliveryId === 'E2E-N',
    );
    emulator.closeDoor(0, c.lock); // nobody opened it: the document is still inside
    const s = await notOpened;
    expect(s.compartments).toEqual([{ id: c.id, state: 'not_collected' }]);
    await relocked;
    await card.remove();
  });

  it('several deliveries for one holder open together', async () => {
    // E2E-N (previous test) is still loaded for holder-01; a second one joins it.
    const n = office.events.seen.find(
      (e) => e.kind === 'delivery.assigned' && e.data.deliveryId === 'E2E-N',
    ) as Extract<EventMessage, { kind: 'delivery.assigned' }>;
    const first = { id: n.data.compartment, lock: Number(n.data.compartment.slice(1)) };
    const second = await assign('E2E-M', 'holder-01');
    await load('E2E-M', second);
    let screen = kiosk.next('pin', WAIT_MS);
    const card = await insert('holder-01');
    await screen;
    screen = kiosk.screens.next(
      (s) => s.screen === 'open' && s.compartments?.length === 2,
      'both compartments open',
      WAIT_MS,
    );
    const unlocks = [first, second].map((c) =>
      event('actuation', (d) => d.id === c.id && d.cause === 'pickup' && d.opened),
    );
    await kiosk.pin(pinOf('holder-01'));
    const open = await screen;
    expect(open.compartments?.map((x) => x.id).sort()).toEqual([first.id, second.id].sort());
    await Promise.all(unlocks);
    const collected = ['E2E-N', 'E2E-M'].map((id) =>
      event('delivery.collected', (d) => d.deliveryId === id),
    );
    const done = kiosk.next('collected', WAIT_MS);
    for (const c of [first, second]) {
      emulator.takeItem(0, c.lock);
      emulator.closeDoor(0, c.lock);
    }
    await Promise.all(collected);
    expect((await done).compartments).toHaveLength(2);
    await card.remove();
  });

  it('door left open: alarm and a "please close" screen; closing clears it and collects', async () => {
    const c = await assign('E2E-L', 'holder-01');
    await load('E2E-L', c);
    let screen = kiosk.next('pin', WAIT_MS);
    const card = await insert('holder-01');
    await screen;
    screen = kiosk.next('open', WAIT_MS);
    await kiosk.pin(pinOf('holder-01'));
    await screen;
    const leftOpen = kiosk.next('door_left_open', WAIT_MS);
    const raised = event(
      'alarm.raised',
      (d) => d.alarm === 'door_held_open' && d.target === `compartment:${c.id}`,
    );
    emulator.takeItem(0, c.lock); // ...and walks away with the door open (doorLeftOpenSec: 5)
    await leftOpen;
    await raised;
    const cleared = event(
      'alarm.cleared',
      (d) => d.alarm === 'door_held_open' && d.target === `compartment:${c.id}`,
    );
    const collected = event('delivery.collected', (d) => d.deliveryId === 'E2E-L');
    const done = kiosk.next('collected', WAIT_MS);
    emulator.closeDoor(0, c.lock);
    await cleared;
    await collected;
    await done;
    await card.remove();
  });

  it('deadline passed: refused with its own message; the delivery expires for retrieval', async () => {
    const deadline = Date.now() + 4_000;
    const r = await office.send('delivery.assign', {
      deliveryId: 'E2E-D',
      size: 'M',
      holderSpkiSha256: spki('holder-01'),
      pickupDeadline: new Date(deadline).toISOString(),
    });
    expect(r.status).toBe('accepted');
    const c = {
      id: String(r.detail?.compartment),
      lock: Number(String(r.detail?.compartment).slice(1)),
    };
    await load('E2E-D', c);
    const expired = event('delivery.expired', (d) => d.deliveryId === 'E2E-D');
    await until(() => Date.now() > deadline + 100, 'the pickup deadline to pass');
    let screen = kiosk.next('pin', WAIT_MS);
    const card = await insert('holder-01');
    await screen;
    screen = kiosk.next('deadline_passed', WAIT_MS);
    const denied = event('pickup.attempt', (d) => d.reason === 'deadline_passed');
    const seenBefore = office.events.seen.length;
    await kiosk.pin(pinOf('holder-01'));
    expect((await screen).screen).toBe('error');
    expect((await denied).data.result).toBe('denied');
    expect((await expired).data.compartment).toBe(c.id);
    await card.remove();
    // Nothing was opened for the late holder.
    const after = office.events.seen.slice(seenBefore);
    expect(after.some((e) => e.kind === 'actuation' && e.data.id === c.id)).toBe(false);
  });

  // Before the blocked-PIN test: holder-01 collects here.
  it('issue 17: three deliveries loaded one by one by scanning (a wrong envelope refused), collected with a receipt that verifies; a compartment faulted, out of service, cleared and reused; a counter hand-over', async () => {
    // The compartment left expired by the deadline test is taken back by staff: remote.open
    // with the `retrieved` disposition; free again once its door closes.
    const last = office.state.seen.filter((m) => m.part === 'compartments').at(-1)!;
    const expired = (last.value.compartments as { compartment: string; status: string }[]).find(
      (c) => c.status === 'expired',
    );
    if (expired) {
      const disposed = event('delivery.disposed', (d) => d.compartment === expired.compartment);
      const r = await office.send('remote.open', {
        compartment: expired.compartment,
        reason: 'taken back to the office',
        disposition: 'retrieved',
      });
      expect(r.status, JSON.stringify(r)).toBe('accepted');
      expect((await disposed).data).toMatchObject({ disposition: 'retrieved', state: 'retrieved' });
      const lock = Number(expired.compartment.slice(1));
      emulator.takeItem(0, lock);
      emulator.closeDoor(0, lock);
    }
    // Three deliveries, each with the code printed on its envelope.
    const ids = ['E2E-S1', 'E2E-S2', 'E2E-S3'];
    const where = new Map<string, { id: string; lock: number }>();
    for (const id of ids) {
      const r = await office.send('delivery.assign', {
        deliveryId: id,
        size: 'M',
        holderSpkiSha256: spki('holder-01'),
        pickupDeadline: new Date(Date.now() + 48 * 3600_000).toISOString(),
        envelopeCode: `ENV-${id}`,
      });
      expect(r.status, JSON.stringify(r)).toBe('accepted');
      const c = String(r.detail?.compartment);
      where.set(id, { id: c, lock: Number(c.slice(1)) });
    }
    let screen = kiosk.next('pin', WAIT_MS);
    const staff = await insert('holder-02');
    await screen;
    screen = kiosk.next('loading', WAIT_MS);
    await kiosk.pin(pinOf('holder-02'));
    await screen;
    const unlocks: string[] = [];
    const seen = office.events.seen.length;
    for (const [n, id] of ids.entries()) {
      const c = where.get(id)!;
      const opened = compartmentDoor(c.id, 'open');
      expect(await kiosk.post('/api/kiosk/scan', { code: `ENV-${id}` })).toBe(200);
      await opened;
      if (n === 0) {
        const refused = kiosk.screens.next(
          (s) => s.loading?.refused === 'wrong_envelope',
          'wrong envelope refused',
          WAIT_MS,
        );
        expect(await kiosk.post('/api/kiosk/scan', { code: `ENV-${ids[1]}` })).toBe(200);
        await refused;
      }
      const loaded = event('delivery.loaded', (d) => d.deliveryId === id);
      emulator.putItem(0, c.lock);
      emulator.closeDoor(0, c.lock);
      await loaded;
      unlocks.push(
        ...office.events.seen
          .slice(seen)
          .filter((e) => e.kind === 'actuation' && e.data.cause === 'load')
          .map((e) => (e.data as { id: string }).id),
      );
      // Only that delivery's compartment was opened, once.
      expect([...new Set(unlocks)]).toEqual(ids.slice(0, n + 1).map((x) => where.get(x)!.id));
    }
    // The last one loaded ends the session; the card comes out.
    await staff.remove();
    // The holder collects all three; each delivery.collected carries the card-signed receipt.
    screen = kiosk.next('pin', WAIT_MS);
    const resident = await insert('holder-01');
    await screen;
    screen = kiosk.next('open', WAIT_MS);
    await kiosk.pin(pinOf('holder-01'));
    await screen;
    const collected = ids.map((id) => event('delivery.collected', (d) => d.deliveryId === id));
    const done = kiosk.next('collected', WAIT_MS);
    for (const id of ids) {
      emulator.takeItem(0, where.get(id)!.lock);
      emulator.closeDoor(0, where.get(id)!.lock);
    }
    const events = await Promise.all(collected);
    await done;
    await resident.remove();
    const receipt = events[0]!.data.receipt!;
    // The station lists the deliveries in the order it opens them: by compartment (which
    // compartment each got depends on what the earlier tests left free).
    const byCompartment = [...ids].sort((a, b) => where.get(a)!.id.localeCompare(where.get(b)!.id));
    expect(receipt.challenge).toMatchObject({ station: STATION, deliveryIds: byCompartment });
    const file = path.join(dir, 'receipt.json');
    writeFileSync(file, JSON.stringify(receipt));
    const ok = await runCli(['receipt', 'verify', file]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`holder:     ${spki('holder-01')}`);
    writeFileSync(
      file,
      JSON.stringify({ ...receipt, challenge: { ...receipt.challenge, station: 'x' } }),
    );
    expect((await runCli(['receipt', 'verify', file])).code).toBe(1);

    // A jammed compartment: a remote open does not open it -> fault; out of service and back;
    // cleared only once the board reports the latch closed; then reused.
    const x = where.get(ids[0]!)!;
    emulator.jamLatch(0, x.lock);
    const jam = await office.send('remote.open', { compartment: x.id, reason: 'check' });
    expect(jam).toMatchObject({ status: 'rejected', reason: 'hardware_fault' });
    for (const enabled of [true, false]) {
      const m = await office.send('compartment.maintenance', { compartment: x.id, enabled });
      expect(m.status, JSON.stringify(m)).toBe('accepted');
    }
    emulator.jamLatch(0, x.lock, false);
    const cleared = await office.send('compartment.clear', {
      compartment: x.id,
      reason: 'checked',
    });
    expect(cleared.status, JSON.stringify(cleared)).toBe('accepted');
    const reuse = await office.send('delivery.assign', {
      deliveryId: 'E2E-S4',
      compartment: x.id,
      holderSpkiSha256: spki('holder-01'),
      pickupDeadline: new Date(Date.now() + 48 * 3600_000).toISOString(),
    });
    expect(reuse.status, JSON.stringify(reuse)).toBe('accepted');
    // Loaded, then handed over at the counter by a remote.open with its disposition.
    await load('E2E-S4', x);
    const handed = event('delivery.disposed', (d) => d.deliveryId === 'E2E-S4');
    const counter = await office.send('remote.open', {
      compartment: x.id,
      reason: 'resident at the counter',
      disposition: 'handed_over_at_counter',
    });
    expect(counter.status, JSON.stringify(counter)).toBe('accepted');
    expect((await handed).data).toMatchObject({ state: 'handed_over' });
    emulator.takeItem(0, x.lock);
    emulator.closeDoor(0, x.lock);
  });

  it('last try and blocked PIN: the station stops before the last try; a blocked card is never sent a PIN; the state is read from each card', async () => {
    // holder-01 collected everything above; a delivery waiting here makes the PIN worth asking.
    await assign('E2E-B', 'holder-01');
    const virtual = new VirtualJpkiCard(pki.profile('holder-01'));
    const wrong = pinOf('holder-01') === '0000' ? '1111' : '0000';
    let screen = kiosk.next('pin', WAIT_MS);
    let card = await insert('holder-01', virtual);
    await screen;
    screen = kiosk.screens.next(
      (s) => s.screen === 'pin' && s.triesLeft === 2,
      '2 tries left',
      WAIT_MS,
    );
    await kiosk.pin(wrong);
    await screen;
    // One try would be left: pickup.refuseLastTry (default) sends the resident to the counter.
    let lastTry = kiosk.next('last_try', WAIT_MS);
    const refused = event('pickup.attempt', (d) => d.reason === 'pin_last_try');
    await kiosk.pin(wrong);
    await lastTry;
    await refused;
    expect(virtual.triesLeft('auth')).toBe(1);
    await card.remove();
    let verifies = virtual.verifyAttempts('auth');
    lastTry = kiosk.next('last_try', WAIT_MS);
    card = await insert('holder-01', virtual);
    await lastTry;
    expect(virtual.verifyAttempts('auth')).toBe(verifies); // the last try is never asked
    await card.remove();
    // A card whose PIN is blocked: refused without any PIN.
    const blockedCard = new VirtualJpkiCard({ ...pki.profile('holder-01'), authPinTries: 0 });
    const blocked = kiosk.next('pin_blocked', WAIT_MS);
    const locked = event('pickup.attempt', (d) => d.reason === 'pin_locked');
    card = await insert('holder-01', blockedCard);
    await blocked;
    await locked;
    expect(blockedCard.verifyAttempts('auth')).toBe(0);
    await card.remove();
    // Nothing is remembered by certificate hash: a card with all its tries gets the PIN screen.
    const fresh = new VirtualJpkiCard(pki.profile('holder-01'));
    screen = kiosk.next('pin', WAIT_MS);
    card = await insert('holder-01', fresh);
    expect((await screen).triesLeft).toBe(3);
    verifies = fresh.verifyAttempts('auth');
    const idle = kiosk.next('idle', WAIT_MS);
    expect(await kiosk.post('/api/kiosk/cancel')).toBe(200);
    await idle;
    expect(fresh.verifyAttempts('auth')).toBe(verifies);
    await card.remove();
  });

  it('config.change: allowed keys are kept for the next start; keys that decide trust are refused', async () => {
    const ok = await office.send('config.change', {
      version: 1,
      settings: { 'station.hours.open': '06:30' },
    });
    expect(ok).toMatchObject({ status: 'accepted', detail: { appliesAt: 'restart' } });
    const refused = await office.send('config.change', {
      version: 2,
      settings: { 'trust.commandAnchors': '/tmp/evil.pem' },
    });
    expect(refused).toMatchObject({ status: 'rejected', reason: 'not_supported' });
    const stale = await office.send('config.change', {
      version: 1,
      settings: { 'station.name': 'again' },
    });
    expect(stale).toMatchObject({ status: 'rejected', reason: 'stale_version' });
    expect(readStoredOverrides(path.join(dir, 'station.db'))).toEqual({
      version: 1,
      settings: { 'station.hours.open': '06:30' },
    });
  });

  it('the audit chain verifies and every attempt is in it', async () => {
    kiosk.close(); // the page's event stream would hold the web server open
    daemon!.kill('SIGTERM');
    // Every component stops cleanly and the process exits 0 (also with card.driver pcsc,
    // whose native threads must not keep a stopped daemon alive).
    await daemon!.waitFor('"msg":"stopped"');
    expect((await daemon!.exited).code).toBe(0);
    const verify = await runCli(['audit', 'verify', '--config', configFile, '--json']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
    const list = await runCli(['audit', 'list', '--config', configFile, '-n', '1000', '--json']);
    expect(list.code).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map(
        (l) => JSON.parse(l) as { kind: string; action: string; outcome: string; reason: string },
      );
    // Every denial with its reason, every actuation, alarm and operator action of the run.
    const seen = new Set(rows.map((r) => `${r.kind} ${r.action} ${r.outcome} ${r.reason}`));
    for (const reason of [
      'crl_stale',
      'wrong_pin',
      'no_delivery',
      'cert_revoked',
      'cert_expired',
      'cert_untrusted',
      'proof_failed',
      'card_removed',
      'deadline_passed',
      'pin_locked',
      'pin_last_try',
    ])
      expect(seen, reason).toContain(`denial pickup denied ${reason}`);
    expect(seen).toContain('actuation compartment.relock ok door_not_opened');
    expect(seen).toContain('alarm alarm.door_held_open raised door_left_open');
    expect(seen).toContain('alarm alarm.door_held_open cleared ');
    const actions = new Set(rows.map((r) => `${r.kind} ${r.action}`));
    for (const a of [
      'grant delivery.load',
      'grant delivery.collect',
      'actuation compartment.unlock',
      'alarm compartment.fault', // the stuck latch (then tried again: no denial)
      'operator delivery.assign',
      'system delivery.expire',
    ])
      expect(actions, a).toContain(a);
    // No PIN and no personal data from a certificate ever reaches the log.
    for (const p of ['holder-01', 'holder-02', 'forged-01']) {
      expect(list.stdout).not.toContain(`"${pinOf(p)}"`);
      const cn = pki.manifest.profiles.find((x) => x.label === p)!.authSubjectCn;
      expect(list.stdout).not.toContain(cn);
    }
    expect(list.stdout).not.toMatch(/試験|東京都/);
  });
});
