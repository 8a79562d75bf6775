import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SimCardReader } from '../../hardware/card/sim-card-reader.js';
import { SimLockerBoard } from '../../hardware/locker-board/sim-locker-board.js';
import { SimGpio } from '../../hardware/gpio/sim-gpio.js';
import { loadCardProfile } from '../../firmware-host/jpki-card/profile.js';
import { VirtualJpkiCard } from '../../firmware-host/jpki-card/jpki-card.js';
import { checkConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { makeTestPki, type TestPkiManifest } from '../pki/test-pki.js';
import type { Station } from '../station.js';
import { openDatabase } from '../storage/db.js';
import { CrlCache, loadAnchors, SqliteCrlStore } from '../trust/index.js';
import { HttpError } from '../web/server.js';
import { spkiSha256 } from '../domain/identity.js';
import type { CommandBodies, CommandKind, CommandResponse } from '../../shared/mqtt/commands.js';

/** Where the demo keeps its database and generated test PKI (relative to the working folder). */
export const DEMO_DATA_DIR = './data';

export interface DemoOptions {
  dataDir?: string;
  webPort?: number;
  brokerPort?: number;
  /** Database file instead of `<dataDir>/demo.db` (the scripted stories use a fresh one). */
  dbPath?: string;
  /** Back-office command-signing anchors (`trust.commandAnchors`), e.g. the demo office CA. */
  commandAnchors?: string[];
}

/** What the simulator's back-office buttons need: a signed-command sender and holder hashes. */
export interface DemoOffice {
  send<K extends CommandKind>(kind: K, body: CommandBodies[K]): Promise<CommandResponse>;
  /** SHA-256 of the holder's user-authentication SubjectPublicKeyInfo (hex). */
  spki(holder: DemoHolder): string;
}

/** One virtual card the visitor can insert, with its own PIN counters kept across insertions. */
export interface DemoHolder {
  id: string;
  label: string;
  kind: string;
  card: VirtualJpkiCard;
  pinHint: string;
  /** SHA-256 of the card's user-authentication SubjectPublicKeyInfo (hex): how the back office names it. */
  spki: string;
}

/** Makes (once) the test PKI the demo's cards and trust anchors come from. */
export async function ensureDemoPki(dataDir: string): Promise<TestPkiManifest> {
  const dir = path.join(dataDir, 'pki');
  const manifestFile = path.join(dir, 'manifest.json');
  if (existsSync(manifestFile)) {
    const cached = JSON.parse(readFileSync(manifestFile, 'utf8')) as TestPkiManifest;
    // Manifests from before the command signer (and its CRL) was part of the test PKI are
    // made again.
    if (cached.command?.crl) return cached;
  }
  mkdirSync(dir, { recursive: true });
  return makeTestPki({ outDir: dir, holders: 2 });
}

/** The demo station's configuration: embedded broker, simulated everything, SQLite in dataDir. */
export function demoConfig(
  dataDir: string,
  pki: TestPkiManifest,
  options: DemoOptions = {},
): Readonly<Config> {
  const pkiDir = path.resolve(dataDir, 'pki');
  const brokerPort = options.brokerPort ?? 18830;
  const compartments = Array.from({ length: 8 }, (_, i) => ({
    id: `A${String(i + 1).padStart(2, '0')}`,
    board: 0,
    lock: i + 1,
    size: i < 4 ? 'S' : i < 6 ? 'M' : 'L',
  }));
  return checkConfig(
    {
      station: {
        id: 'demo-station',
        name: 'デモ駅 Demo station',
        area: 'demo',
        mode: 'both',
        help: { phone: '0120-000-000', hours: '24時間 / 24 h (demo)', text: '', qr: '' },
      },
      storage: { path: options.dbPath ?? path.resolve(dataDir, 'demo.db') },
      web: { port: options.webPort ?? 8080, simulator: true },
      mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, embeddedBroker: true, protocolVersion: 4 },
      card: { driver: 'sim' },
      trust: {
        authAnchors: [path.join(pkiDir, pki.roots.auth)],
        signAnchors: [path.join(pkiDir, pki.roots.sign)],
        crlUrls: [path.join(pkiDir, pki.crls.auth), path.join(pkiDir, pki.crls.sign)],
        commandAnchors: options.commandAnchors ?? [],
        // Command signers are checked against the command root's CRL (on by default).
        commandCrlFiles: pki.command?.crl ? [path.join(pkiDir, pki.command.crl)] : [],
      },
      board: { driver: 'sim', boards: [{ address: 0, locks: 8 }] },
      gpio: {
        driver: 'sim',
        // Fail-safe: the front entrance is a fire escape (released by the fire panel).
        outputs: [
          { name: 'front-relay', line: 17, activeLow: true, failMode: 'safe' },
          { name: 'staff-relay', line: 18, activeLow: true },
        ],
        inputs: [
          { name: 'front-contact', line: 27, kind: 'door' },
          { name: 'front-exit', line: 22, kind: 'rex' },
          { name: 'fire-panel', line: 5, kind: 'fire' },
        ],
      },
      compartments,
      doors: [
        {
          id: 'front',
          name: '正面入口 Front entrance',
          relay: 'front-relay',
          contact: 'front-contact',
          rex: 'front-exit',
          fireInput: 'fire-panel',
        },
        {
          id: 'staff',
          name: '職員通用口 Staff entrance',
          relay: 'staff-relay',
          reader: 'Staff Entrance Reader',
          fireInput: 'fire-panel',
        },
      ],
    },
    { baseDir: dataDir },
  );
}

/** Loads one VirtualJpkiCard per generated profile. */
export function demoHolders(dataDir: string, pki: TestPkiManifest): DemoHolder[] {
  return pki.profiles.map((p, i) => {
    const profile = loadCardProfile(path.resolve(dataDir, 'pki', p.dir));
    return {
      id: String(i),
      label: `${p.label} (${p.kind})`,
      kind: p.kind,
      card: new VirtualJpkiCard(profile),
      pinHint: profile.authPin,
      spki: spkiSha256(profile.authCertificate),
    };
  });
}

/**
 * The simulator page's API on the station's web server: insert/remove a virtual card, open or
 * close a compartment door, put or take an item, and the live state on `/events/sim`.
 */
export class DemoSimulator {
  #inserted: DemoHolder | undefined;
  #insertedReader: string | undefined;
  readonly #unsubscribe: (() => void)[] = [];
  constructor(
    private readonly station: Station,
    private readonly reader: SimCardReader,
    private readonly board: SimLockerBoard,
    private readonly gpio: SimGpio,
    private readonly holders: DemoHolder[],
    private readonly log: Logger,
  ) {}

  /** Registers the routes and starts publishing state. Call after the station started. */
  attach(): void {
    const web = this.station.web;
    if (!web) return;
    web.route('GET', '/api/sim/state', () => this.state());
    web.route('POST', '/api/sim/card/insert', ({ body }) => {
      const id = String((body as { holder?: unknown }).holder ?? '0');
      const holder = this.holders.find((h) => h.id === id);
      if (!holder) throw new HttpError(400, `no demo card ${JSON.stringify(id)}`);
      this.insert(holder);
      return this.state();
    });
    web.route('POST', '/api/sim/card/remove', () => {
      this.remove();
      return this.state();
    });
    web.route('POST', '/api/sim/compartment/:id/door', ({ params, body }) => {
      const c = this.#compartment(params.id!);
      if ((body as { open?: unknown }).open) this.board.openDoor(c.board, c.lock);
      else this.board.closeDoor(c.board, c.lock);
      return this.state();
    });
    web.route('POST', '/api/sim/compartment/:id/item', ({ params, body }) => {
      const c = this.#compartment(params.id!);
      if ((body as { present?: unknown }).present) this.board.putItem(c.board, c.lock);
      else this.board.takeItem(c.board, c.lock);
      return this.state();
    });
    web.route('POST', '/api/sim/door/:id', ({ params, body }) => {
      const d = this.#door(params.id!);
      if (!d.contact) throw new HttpError(400, `door ${d.id} has no contact`);
      if ((body as { open?: unknown }).open) this.gpio.openDoor(d.contact);
      else this.gpio.closeDoor(d.contact);
      this.event(`door ${d.id} ${(body as { open?: unknown }).open ? 'opened' : 'closed'}`);
      return this.state();
    });
    web.route('POST', '/api/sim/door/:id/rex', ({ params }) => {
      const d = this.#door(params.id!);
      if (!d.rex) throw new HttpError(400, `door ${d.id} has no exit button`);
      this.gpio.pressButton(d.rex);
      this.gpio.releaseButton(d.rex);
      this.event(`exit button pressed at ${d.id}`);
      return this.state();
    });
    this.#unsubscribe.push(this.gpio.on('input', () => this.publish()));
    this.#unsubscribe.push(this.gpio.on('output', () => this.publish()));
    this.#unsubscribe.push(this.board.on('change', () => this.publish()));
    this.#unsubscribe.push(this.reader.onEvent(() => this.publish()));
    this.publish();
  }

  /**
   * The simulator's back-office buttons: each sends a SIGNED command over the broker, as the
   * municipality would, and answers with the station's response.
   */
  attachOffice(office: DemoOffice): void {
    const web = this.station.web;
    if (!web) return;
    const holderOf = (body: unknown) => {
      const id = String((body as { holder?: unknown }).holder ?? '0');
      const h = this.holders.find((x) => x.id === id);
      if (!h) throw new HttpError(400, `no demo card ${JSON.stringify(id)}`);
      return h;
    };
    web.route('POST', '/api/sim/office/assign', async ({ body }) => {
      const h = holderOf(body);
      const answer = await office.send('delivery.assign', {
        deliveryId: `demo-${Date.now()}`,
        size: 'S',
        holderSpkiSha256: office.spki(h),
        pickupDeadline: new Date(Date.now() + 48 * 3600_000).toISOString(),
      });
      this.event(
        `back office: delivery for ${h.label}: ${answer.status}${answer.reason ? ` (${answer.reason})` : ''}`,
      );
      return answer;
    });
    web.route('POST', '/api/sim/office/roster', async ({ body }) => {
      const h = holderOf(body);
      const answer = await office.send('staff.roster', {
        version: Date.now(),
        staff: [
          { staffId: `demo-staff-${h.id}`, certSpkiSha256: office.spki(h), roles: ['loader'] },
        ],
      });
      this.event(`back office: ${h.label} is the loading staff: ${answer.status}`);
      return answer;
    });
    web.route('POST', '/api/sim/office/door-access', async ({ body }) => {
      const h = holderOf(body);
      const now = Date.now();
      const answer = await office.send('door.rules', {
        version: now,
        rules: [
          {
            ruleId: `demo-${h.id}`,
            who: { certSpkiSha256: [office.spki(h)] },
            doors: this.station.config.doors.map((d) => d.id),
            schedule: {
              timezone: this.station.config.station.timezone,
              weekly: [
                {
                  days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
                  from: '00:00',
                  to: '24:00',
                },
              ],
            },
            validFrom: new Date(now - 3600_000).toISOString(),
            validUntil: new Date(now + 365 * 86_400_000).toISOString(),
          },
        ],
      });
      this.event(`back office: door access for ${h.label}: ${answer.status}`);
      return answer;
    });
  }

  detach(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  /** Puts a demo card into `reader` (default: the kiosk's reader). */
  insert(holder: DemoHolder, reader?: string): void {
    if (this.#inserted) this.reader.remove(this.#insertedReader);
    this.#inserted = holder;
    this.#insertedReader = reader;
    this.reader.insert(
      {
        atr: holder.card.atr,
        respond: (apdu) => holder.card.process(apdu),
        reset: () => holder.card.reset(),
      },
      reader,
    );
    this.event(`card inserted: ${holder.label}`);
  }

  remove(): void {
    if (!this.#inserted) return;
    this.#inserted = undefined;
    this.reader.remove(this.#insertedReader);
    this.#insertedReader = undefined;
    this.event('card removed');
  }

  /** Sends a line to the simulator page's event list. */
  event(text: string): void {
    this.station.web?.publish('sim', { event: `${new Date().toLocaleTimeString()} ${text}` });
  }

  publish(): void {
    this.station.web?.publish('sim', { state: this.state() });
  }

  state() {
    const snapshot = this.board.snapshot();
    return {
      card: {
        present: this.#inserted !== undefined,
        label: this.#inserted?.label ?? '',
        holders: this.holders.map((h) => ({ id: h.id, label: h.label, pinHint: h.pinHint })),
      },
      compartments: this.station.config.compartments.map((c) => {
        const s = snapshot.find((x) => x.board === c.board && x.lock === c.lock);
        return {
          id: c.id,
          size: c.size,
          latched: s?.latched ?? true,
          occupied: s?.occupied ?? false,
          doorOpen: s?.doorOpen ?? false,
        };
      }),
      doors: this.station.config.doors.map((d) => ({
        id: d.id,
        open: d.contact ? this.gpio.inputActive(d.contact) : false,
        relayActive: this.gpio.outputState(d.relay) === 'unlocked',
        // A door with its own reader has its own PIN pad page.
        pad: d.reader ? `/door?door=${encodeURIComponent(d.id)}` : '',
      })),
    };
  }

  #door(id: string) {
    const d = this.station.config.doors.find((x) => x.id === id);
    if (!d) throw new HttpError(404, `no door ${JSON.stringify(id)}`);
    return d;
  }

  #compartment(id: string) {
    const c = this.station.config.compartments.find((x) => x.id === id);
    if (!c) throw new HttpError(404, `no compartment ${JSON.stringify(id)}`);
    return c;
  }
}

/** The demo's simulated devices, made to match its configuration. */
export function demoHardware(config: Readonly<Config>): {
  reader: SimCardReader;
  board: SimLockerBoard;
  gpio: SimGpio;
} {
  return {
    // The kiosk's reader, and the staff entrance's own reader (doors[].reader).
    reader: new SimCardReader({ readers: ['Demo Reader 00', 'Demo Staff Entrance Reader 01'] }),
    board: new SimLockerBoard({ boards: config.board.boards }),
    gpio: new SimGpio({
      chipLabel: config.gpio.chipLabel,
      outputs: config.gpio.outputs,
      inputs: config.gpio.inputs,
    }),
  };
}

export { DEMO_DATA_DIR as defaultDemoDataDir };

/**
 * Imports the demo's CRLs into its database before the station starts, so a first demo start
 * does not refuse every certificate (and raise crl_stale) for the moment until the first
 * refresh. A CRL already cached, or not newer, is left as it is.
 */
export async function primeDemoCrls(config: Readonly<Config>): Promise<void> {
  const db = openDatabase(config.storage.path, { busyTimeoutMs: config.storage.busyTimeoutMs });
  try {
    const cache = new CrlCache(new SqliteCrlStore(db), {
      toleranceHours: config.trust.crlToleranceHours,
      toleranceHoursByIssuer: config.trust.crlToleranceHoursByAnchor,
    });
    cache.load();
    const a = loadAnchors(config.trust);
    const signers = [...a.auth, ...a.sign];
    for (const source of config.trust.crlUrls) await cache.importFrom(source, { signers });
  } finally {
    db.close();
  }
}
