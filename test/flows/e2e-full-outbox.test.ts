/**
 * End to end with a full outbox, over the real stack: the real daemon (`jpki-locker start`)
 * with pcscd + vpcd holding the virtual JPKI card, the Kerong board emulator on a socat pty,
 * and mosquitto. A long outage has left the outbox with only its safety reserve: a resident's
 * pickup is refused on the out-of-service screen (no PIN asked, nothing opens, the daemon stays
 * up). Once the broker is back and the outbox has drained, the same pickup works.
 *
 * The outage's backlog is written before the daemon starts, through the station's own
 * outbox on its database file (as the daemon would have during the outage).
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BoardEmulator } from '../../firmware-host/board-emulator/index.js';
import type { KioskClient } from '../../controller/demo/demo-script.js';
import { SqliteUnitOfWork } from '../../controller/adapters/sqlite/unit-of-work.js';
import { AuditLog } from '../../controller/audit/audit-log.js';
import { spkiSha256 } from '../../controller/domain/identity.js';
import { Ledger } from '../../controller/flows/ledger/ledger.js';
import { Outbox } from '../../controller/outbox/outbox.js';
import { openDatabase } from '../../controller/storage/db.js';
import type { CliProcess } from '../support/cli.js';
import type { Mosquitto } from '../support/mosquitto.js';
import { StationStack } from '../support/station-stack.js';
import type { TestPki } from '../support/test-pki.js';
import { waitFor } from '../support/wait.js';

const STATION = 'e2e-full';
const WAIT_MS = 20_000;
const MAX_EVENTS = 100; // the schema's minimum; the reserve is 10 of them

let stack: StationStack;
let dbFile: string;
let pki: TestPki;
let broker: Mosquitto;
let emulator: BoardEmulator;
let daemon: CliProcess | undefined;
let kiosk: KioskClient;

beforeAll(async () => {
  stack = await StationStack.start({
    station: STATION,
    name: 'Full outbox station',
    locks: 2,
    office: false,
    config: () => ({ mqtt: { outboxMaxEvents: MAX_EVENTS } }),
    // The outage: a delivery loaded for holder-01, then events piled up until only the safety
    // reserve is left; the broker is gone.
    beforeDaemon: async (st) => {
      await st.broker.stop();
      const db = openDatabase(st.dbFile);
      const outbox = new Outbox(db, { stationId: STATION, maxEvents: MAX_EVENTS });
      const ledger = new Ledger(
        new SqliteUnitOfWork(db, outbox, new AuditLog(db), () => new Date()),
        {
          compartments: [
            { id: 'A01', size: 'M' },
            { id: 'A02', size: 'M' },
          ],
          doors: [],
        },
      );
      const assigned = ledger.deliveries.assign({
        deliveryId: 'FULL-1',
        compartment: 'A01',
        holderSpkiSha256: spkiSha256(st.pki.profile('holder-01').authCertificate),
        pickupDeadline: new Date(Date.now() + 48 * 3600_000).toISOString(),
      });
      expect(assigned.accepted).toBe(true);
      ledger.compartments.markLoaded('A01', 'f'.repeat(64));
      st.emulator.putItem(0, 1);
      for (let n = 0; !outbox.reserveOnly; n++)
        outbox.append({ kind: 'door.state', data: { door: `outage-${n}`, status: 'locked' } });
      db.close();
    },
  });
  ({ dbFile, pki, broker, emulator, daemon, kiosk } = stack);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

/** Puts holder-01's card into the vpcd reader; `remove` pulls it and waits for idle. */
const insert = () => stack.insert('holder-01');

/** The current kiosk screen, as the page reads it on load. */
const currentScreen = () => stack.currentScreen();

/** Unsent events in the station's outbox, read from its file (a read-only connection). */
function depth(): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    const last = db.prepare('SELECT MAX(seq) AS s FROM outbox_events').get() as { s: number };
    const sent = db.prepare('SELECT sent_upto AS s FROM outbox_cursor').get() as { s: number };
    return last.s - sent.s;
  } finally {
    db.close();
  }
}

it(
  'full outbox: the pickup is refused out of service, nothing opens, the daemon stays up; after the broker returns and the outbox drains, it works',
  { timeout: 120_000 },
  async () => {
    const unlocksBefore = emulator.count(0, 'unlock');
    // The idle screen is the out-of-service screen while station.outOfService is set.
    expect((await currentScreen()).station.outOfService).toEqual(['outbox']);
    const refused = kiosk.next('out_of_service', WAIT_MS);
    const first = await insert();
    const s = await refused;
    expect(s).toMatchObject({ screen: 'error', reason: 'outbox_full' });
    expect(s.station.outOfService).toEqual(['outbox']);
    expect(first.card.verifyAttempts()).toBe(0); // no PIN asked, no try spent
    expect(emulator.count(0, 'unlock')).toBe(unlocksBefore); // nothing opened
    await first.remove();
    expect(daemon!.child.exitCode).toBeNull();

    await broker.restart();
    // No event announces the drain to this test: the outbox file is re-read until it is empty.
    await waitFor(() => depth() === 0, 'the outbox to drain', { timeoutMs: 60_000, pollMs: 200 });

    const pin = kiosk.next('pin', WAIT_MS);
    const again = await insert();
    await pin;
    const open = kiosk.next('open', WAIT_MS);
    await kiosk.pin(pki.profile('holder-01').authPin);
    await open;
    expect(emulator.count(0, 'unlock')).toBe(unlocksBefore + 1);
    const collected = kiosk.next('collected', WAIT_MS);
    emulator.takeItem(0, 1);
    emulator.closeDoor(0, 1);
    await collected;
    await again.remove();
    expect(daemon!.child.exitCode).toBeNull();
  },
);
