/**
 * `jpki-locker demo --script <pickup|door>`: the whole story with no person. The demo station
 * runs as usual (embedded broker, simulated card reader with virtual JPKI cards from the demo's
 * test PKI, simulated locker board and GPIO); a back-office simulator connects to the broker and
 * sends SIGNED commands (office CA in the demo data folder, trusted through
 * `trust.commandAnchors`); the kiosk is driven through its HTTP API and SSE channel like the
 * page would. Every event the station publishes is printed as one JSON line.
 *
 * - `pickup`: roster (staff loader) and delivery assignment over MQTT; staff card + PIN, the
 *   compartment opens, the document goes in, the door closes (`delivery.loaded`); resident card
 *   + PIN, the compartment opens, the document is taken, the door closes
 *   (`delivery.collected`). Exit 0 once collected and the audit chain verifies.
 * - `door`: door rules over MQTT; a holder without a rule is refused (`no_rule`); the holder
 *   with a rule is granted, the front door opens and closes, and the request-to-exit button
 *   cycles it once more. Exit 0 once the door is locked again and the audit chain verifies.
 */
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { loadCardProfile } from '../../firmware-host/jpki-card/profile.js';
import type { CommandBodies, CommandKind, CommandResponse } from '../../shared/mqtt/commands.js';
import type { EventMessage } from '../../shared/mqtt/events.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { commandCrlMessage, commandCrlTopic } from '../../shared/mqtt/command-crl.js';
import { verifyAuditDb } from '../audit/audit-log.js';
import type { Config } from '../config/types.js';
import type { TestPkiManifest } from '../pki/test-pki.js';
import { spkiSha256 } from '../domain/identity.js';
import type { KioskState } from '../flows/screens.js';
import type { Logger } from '../log.js';
import { buildCommand, signCommand } from '../../shared/mqtt/command-envelope.js';
import { loadCommandSigner } from '../mqtt/command-signer.js';
import type { CommandSigner } from '../mqtt/command-signer.js';
import { Station } from '../station.js';
import { EmbeddedBroker } from './embedded-broker.js';
import {
  demoConfig,
  demoHardware,
  demoHolders,
  DemoSimulator,
  ensureDemoPki,
  type DemoHolder,
} from './demo.js';

/** The scripted stories. */
export const DEMO_SCRIPTS = ['pickup', 'door'] as const;
export type DemoScript = (typeof DEMO_SCRIPTS)[number];

/** Files of the demo's back-office signing identity (under `<data>/office/`). */
export interface OfficePkiFiles {
  /** The office CA certificate: the station's command-signing anchor. */
  caCert: string;
  signerCert: string;
  signerKey: string;
  /** The office CA's CRL: the back office publishes it retained for the station. */
  crl: string | undefined;
}

/**
 * The demo's back office: the command-signing CA and signer of the demo's test PKI
 * (controller/pki/test-pki.ts, under `<dataDir>/pki/roots/`), as absolute paths.
 */
export function officePkiFiles(dataDir: string, pki: TestPkiManifest): OfficePkiFiles {
  const dir = path.resolve(dataDir, 'pki');
  if (!pki.command) throw new Error('the demo PKI has no command signer: remove it to regenerate');
  return {
    caCert: path.join(dir, pki.command.anchor),
    signerCert: path.join(dir, pki.command.signerCert),
    signerKey: path.join(dir, pki.command.signerKey),
    crl: pki.command.crl ? path.join(dir, pki.command.crl) : undefined,
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Thrown when a step does not happen in time; the script then exits 1. */
export class DemoScriptError extends Error {
  readonly code = 'demo_script_failed';
}

/** Waits for values pushed into it; `next` registers before the action that causes the value. */
export class Waiters<T> {
  readonly seen: T[] = [];
  readonly #waiting: { pred: (v: T) => boolean; resolve: (v: T) => void }[] = [];
  push(v: T): void {
    this.seen.push(v);
    for (const w of [...this.#waiting])
      if (w.pred(v)) {
        this.#waiting.splice(this.#waiting.indexOf(w), 1);
        w.resolve(v);
      }
  }
  /** The next value matching `pred`, or a DemoScriptError after `timeoutMs`. */
  next(pred: (v: T) => boolean, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(entry), 1);
        reject(new DemoScriptError(`timed out waiting for ${what}`));
      }, timeoutMs);
      const entry = {
        pred,
        resolve: (v: T) => {
          clearTimeout(timer);
          resolve(v);
        },
      };
      this.#waiting.push(entry);
    });
  }
}

/**
 * The back-office simulator: signed commands out, answers and events in (the e2e tests use it
 * against mosquitto too).
 */
export class BackOffice {
  readonly events = new Waiters<EventMessage>();
  readonly responses = new Waiters<CommandResponse>();
  readonly status = new Waiters<{ state: string }>();
  /** Retained state messages: `part` is the topic after `state/` (compartments, doors, ...). */
  readonly state = new Waiters<{ part: string; value: Record<string, unknown> }>();
  readonly #topics: StationTopics;
  private constructor(
    private readonly client: MqttClient,
    private readonly signer: CommandSigner,
    private readonly station: string,
    prefix: string,
    print: (line: string) => void,
  ) {
    this.#topics = new StationTopics(station, prefix);
    client.on('message', (topic, payload) => {
      let value: unknown;
      try {
        value = JSON.parse(payload.toString('utf8'));
      } catch {
        return;
      }
      if (topic === this.#topics.events) {
        const e = value as EventMessage;
        print(JSON.stringify({ seq: e.seq, kind: e.kind, data: e.data }));
        this.events.push(e);
      } else if (topic === this.#topics.response) this.responses.push(value as CommandResponse);
      else if (topic === this.#topics.status) this.status.push(value as { state: string });
      else if (topic.startsWith(`${this.#topics.base}/state/`))
        this.state.push({
          part: topic.slice(this.#topics.base.length + 7),
          value: value as Record<string, unknown>,
        });
    });
  }

  static async connect(
    url: string,
    signer: CommandSigner,
    station: string,
    prefix: string,
    print: (line: string) => void,
    extra: IClientOptions = {},
  ): Promise<BackOffice> {
    const client = await connectAsync(url, {
      protocolVersion: 4,
      clientId: `demo-office-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      reconnectPeriod: 500,
      ...extra,
    });
    const office = new BackOffice(client, signer, station, prefix, print);
    await client.subscribeAsync(`${office.#topics.base}/#`, { qos: 1 });
    return office;
  }

  /**
   * Publishes the command CA's CRL retained on `<prefix>/fleet/command-crl`, as a
   * municipality's office does: the station checks every command signer against it.
   */
  async publishCommandCrl(file: string): Promise<void> {
    const bytes = await readFile(file);
    await this.client.publishAsync(
      commandCrlTopic(this.#topics.prefix),
      JSON.stringify(commandCrlMessage(bytes, new Date())),
      { qos: 1, retain: true },
    );
  }

  /** Signs and sends a command; resolves with the station's answer. */
  async send<K extends CommandKind>(kind: K, body: CommandBodies[K]): Promise<CommandResponse> {
    const claims = buildCommand(kind, body, { station: this.station });
    const answer = this.responses.next(
      (r) => r.commandId === claims.id,
      `the answer to ${kind}`,
      15_000,
    );
    await this.client.publishAsync(
      this.#topics.command,
      JSON.stringify(signCommand(claims, this.signer)),
      { qos: 1 },
    );
    return answer;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** The kiosk as the page sees it: screens from `/events/kiosk`, PIN through `/api/kiosk/pin`. */
export class KioskClient {
  readonly screens = new Waiters<KioskState>();
  readonly #abort = new AbortController();
  /** Where this surface's API lives: `/api/kiosk`, or a door reader's `/api/door/<id>`. */
  readonly api: string;
  readonly #events: string;

  /** The kiosk's screen, or (with `door`) that door reader's own PIN surface. */
  constructor(
    private readonly url: string,
    door?: string,
  ) {
    this.api = door === undefined ? '/api/kiosk' : `/api/door/${encodeURIComponent(door)}`;
    this.#events = door === undefined ? '/events/kiosk' : `/events/door-${door}`;
  }

  /** The same station's PIN surface of door `door` (its own reader). */
  forDoor(door: string): KioskClient {
    return new KioskClient(this.url, door);
  }

  async open(): Promise<void> {
    const res = await fetch(`${this.url}${this.#events}`, { signal: this.#abort.signal });
    if (!res.body) throw new DemoScriptError('no kiosk event stream');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const chunk = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            for (const line of chunk.split('\n'))
              if (line.startsWith('data: '))
                this.screens.push(JSON.parse(line.slice(6)) as KioskState);
          }
        }
      } catch {
        // closed
      }
    })();
  }

  /** Types the PIN on the pad. */
  async pin(pin: string): Promise<void> {
    const status = await this.post(`${this.api}/pin`, { pin });
    if (status !== 200) throw new DemoScriptError(`the kiosk refused the PIN: HTTP ${status}`);
  }

  /**
   * POSTs JSON to a kiosk route (`/api/kiosk/cancel`, `/api/kiosk/retry`) with the token of
   * the card session on screen, like the page; the HTTP status.
   */
  async post(route: string, body: Record<string, unknown> = {}): Promise<number> {
    const token = this.screens.seen.at(-1)?.token;
    const res = await fetch(`${this.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, ...(token ? { token } : {}) }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** The next screen named `screen` (or showing error `screen`). */
  next(screen: string, timeoutMs = 15_000): Promise<KioskState> {
    return this.screens.next(
      (s) => s.screen === screen || s.error === screen,
      `the ${screen} screen`,
      timeoutMs,
    );
  }

  close(): void {
    this.#abort.abort();
  }
}

/** Everything a story needs. */
interface StoryContext {
  station: Station;
  config: Readonly<Config>;
  office: BackOffice;
  kiosk: KioskClient;
  simulator: DemoSimulator;
  hw: ReturnType<typeof demoHardware>;
  holders: DemoHolder[];
  spki: (h: DemoHolder) => string;
  step: (text: string) => void;
}

function genuine(holders: DemoHolder[], i: number): DemoHolder {
  const h = holders.filter((x) => x.kind === 'genuine')[i];
  if (!h) throw new DemoScriptError('the demo PKI has too few genuine cards');
  return h;
}

async function pickupStory(c: StoryContext): Promise<boolean> {
  const resident = genuine(c.holders, 0);
  const staff = genuine(c.holders, 1);
  c.step('back office: staff roster');
  const roster = await c.office.send('staff.roster', {
    version: Date.now(),
    staff: [{ staffId: 'demo-staff-1', certSpkiSha256: c.spki(staff), roles: ['loader'] }],
  });
  if (roster.status !== 'accepted') throw new DemoScriptError(`roster: ${roster.reason}`);
  c.step('back office: assign a delivery');
  const deliveryId = `demo-${Date.now()}`;
  const envelopeCode = `ENV-${deliveryId}`;
  const assigned = await c.office.send('delivery.assign', {
    deliveryId,
    envelopeCode,
    size: 'S',
    holderSpkiSha256: c.spki(resident),
    pickupDeadline: new Date(Date.now() + 48 * 3600_000).toISOString(),
  });
  if (assigned.status !== 'accepted') throw new DemoScriptError(`assign: ${assigned.reason}`);
  const compartment = String(assigned.detail?.compartment ?? '');
  const wiring = c.config.compartments.find((x) => x.id === compartment);
  if (!wiring) throw new DemoScriptError(`no compartment in the answer`);

  c.step(`staff: card in, PIN, compartment ${compartment} opens`);
  let screen = c.kiosk.next('pin');
  c.simulator.insert(staff);
  await screen;
  screen = c.kiosk.next('loading');
  await c.kiosk.pin(staff.pinHint);
  await screen;
  c.step(`staff: scans the envelope of ${deliveryId}: only compartment ${compartment} opens`);
  screen = c.kiosk.screens.next(
    (s) => s.screen === 'loading' && s.loading?.current === deliveryId,
    'the open compartment on the loading screen',
    15_000,
  );
  const scanned = await c.kiosk.post('/api/kiosk/scan', { code: envelopeCode });
  if (scanned !== 200) throw new DemoScriptError(`scan: HTTP ${scanned}`);
  await screen;
  c.step('staff: document in, door closed');
  const loaded = c.office.events.next(
    (e) => e.kind === 'delivery.loaded' && e.data.deliveryId === deliveryId,
    'delivery.loaded',
    15_000,
  );
  c.hw.board.putItem(wiring.board, wiring.lock);
  c.hw.board.closeDoor(wiring.board, wiring.lock);
  await loaded;
  let idle = c.kiosk.next('idle');
  c.simulator.remove();
  await idle;

  c.step(`resident: card in, PIN, compartment ${compartment} opens`);
  screen = c.kiosk.next('pin');
  c.simulator.insert(resident);
  await screen;
  screen = c.kiosk.next('open');
  await c.kiosk.pin(resident.pinHint);
  await screen;
  c.step('resident: document taken, door closed');
  const collected = c.office.events.next(
    (e) => e.kind === 'delivery.collected' && e.data.deliveryId === deliveryId,
    'delivery.collected',
    15_000,
  );
  c.hw.board.takeItem(wiring.board, wiring.lock);
  c.hw.board.closeDoor(wiring.board, wiring.lock);
  await collected;
  idle = c.kiosk.next('idle');
  c.simulator.remove();
  await idle;
  return true;
}

async function doorStory(c: StoryContext): Promise<boolean> {
  const member = genuine(c.holders, 0);
  const stranger = genuine(c.holders, 1);
  const door = c.config.doors[0];
  if (!door) throw new DemoScriptError('the demo has no door');
  c.step(`back office: door rules (${door.id}, around the clock)`);
  const now = Date.now();
  const rules = await c.office.send('door.rules', {
    version: now,
    rules: [
      {
        ruleId: 'demo-all-hours',
        who: { certSpkiSha256: [c.spki(member)] },
        doors: c.config.doors.map((d) => d.id),
        schedule: {
          timezone: c.config.station.timezone,
          weekly: [
            { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '00:00', to: '24:00' },
          ],
        },
        validFrom: new Date(now - 3600_000).toISOString(),
        validUntil: new Date(now + 365 * 86_400_000).toISOString(),
      },
    ],
  });
  if (rules.status !== 'accepted') throw new DemoScriptError(`door rules: ${rules.reason}`);

  c.step('a holder without a rule: refused before any PIN');
  // door_denied on a door-only station, nothing_to_collect where there are lockers too.
  const refused = c.kiosk.screens.next((s) => s.screen === 'error', 'the refusal', 15_000);
  const denied = c.office.events.next(
    (e) => e.kind === 'door.decision' && e.data.decision === 'denied',
    'the denial',
    15_000,
  );
  c.simulator.insert(stranger);
  await refused;
  await denied;
  let idle = c.kiosk.next('idle');
  c.simulator.remove();
  await idle;

  c.step('the holder with a rule: card, PIN, door unlocked');
  let screen = c.kiosk.next('pin');
  c.simulator.insert(member);
  await screen;
  screen = c.kiosk.next('door_open');
  await c.kiosk.pin(member.pinHint);
  await screen;
  const doorState = (status: string) =>
    c.office.events.next(
      (e) => e.kind === 'door.state' && e.data.door === door.id && e.data.status === status,
      `door ${status}`,
      15_000,
    );
  c.step('door opened and closed');
  let next = doorState('open');
  c.hw.gpio.openDoor(door.contact);
  await next;
  next = doorState('locked');
  c.hw.gpio.closeDoor(door.contact);
  await next;
  idle = c.kiosk.next('idle');
  c.simulator.remove();
  await idle;

  if (door.rex) {
    // The relay refuses a new pulse within its cooldown after the last one (a real rule of
    // the GPIO layer); a person would not press the button that fast.
    const cooldownMs = c.config.gpio.outputs.find((o) => o.name === door.relay)?.cooldownMs ?? 0;
    await new Promise((resolve) => setTimeout(resolve, cooldownMs + 50));
    c.step('request-to-exit: button, door opened and closed');
    next = doorState('unlocked');
    c.hw.gpio.pressButton(door.rex);
    await next;
    c.hw.gpio.releaseButton(door.rex);
    next = doorState('open');
    c.hw.gpio.openDoor(door.contact);
    await next;
    next = doorState('locked');
    c.hw.gpio.closeDoor(door.contact);
    await next;
  }
  const staffDoor = c.config.doors.find((d) => d.reader);
  if (staffDoor) {
    c.step(`a card in the ${staffDoor.id} door's own reader opens that door (on its own PIN pad)`);
    const pad = c.kiosk.forDoor(staffDoor.id);
    await pad.open();
    screen = pad.next('pin');
    const reader = c.hw.reader
      .readers()
      .map((r) => r.name)
      .find((n) => n.includes(staffDoor.reader));
    c.simulator.insert(member, reader);
    await screen;
    const decided = c.office.events.next(
      (e) => e.kind === 'door.decision' && e.data.decision === 'granted',
      'the staff door decision',
      15_000,
    );
    screen = pad.next('door_open');
    await pad.pin(member.pinHint);
    const opened = await screen;
    if (
      opened.door !== staffDoor.id ||
      ((await decided).data as { door?: string }).door !== staffDoor.id
    )
      throw new DemoScriptError(`the ${staffDoor.id} reader opened another door`);
    if (c.kiosk.screens.seen.at(-1)?.screen !== 'idle')
      throw new DemoScriptError(`the ${staffDoor.id} reader's card took the kiosk's screen`);
    idle = pad.next('idle');
    c.simulator.remove();
    await idle;
    pad.close();
  }
  if (door.fireInput) {
    // Every door on this fire panel raises (and clears) its own fire_alarm: the story waits for
    // each, so none arrives after it has ended.
    const onPanel = c.config.doors
      .filter((d) => d.fireInput === door.fireInput)
      .map((d) => `door:${d.id}`);
    const alarm = (kind: 'alarm.raised' | 'alarm.cleared') =>
      Promise.all(
        onPanel.map((target) =>
          c.office.events.next(
            (e) => e.kind === kind && e.data.alarm === 'fire_alarm' && e.data.target === target,
            `${kind} fire_alarm ${target}`,
            15_000,
          ),
        ),
      );
    const cooldownMs = c.config.gpio.outputs.find((o) => o.name === door.relay)?.cooldownMs ?? 0;
    await new Promise((resolve) => setTimeout(resolve, cooldownMs + 50));
    c.step('fire alarm: the fire input releases the fail-safe door');
    let raised = alarm('alarm.raised');
    next = doorState('unlocked');
    c.hw.gpio.setActive(door.fireInput, true);
    await raised;
    await next;
    if (c.hw.gpio.outputState(door.relay) !== 'unlocked')
      throw new DemoScriptError('the fire input did not release the door');
    c.step('fire alarm cleared: the door locks at once');
    raised = alarm('alarm.cleared');
    next = doorState('locked');
    c.hw.gpio.setActive(door.fireInput, false);
    await raised;
    await next;
    if (c.hw.gpio.outputState(door.relay) !== 'locked')
      throw new DemoScriptError('the door stayed released after the fire input cleared');
  }
  return true;
}

/**
 * Runs a story against a fresh demo station (database `<dataDir>/script-<name>.db`, recreated
 * each run; test PKI and office PKI cached in `dataDir`). Resolves with the exit code: 0 when
 * the story ended as it should and the audit chain verifies, 1 otherwise, 2 for an unknown name.
 */
export async function runDemoStory(
  name: string,
  options: {
    dataDir: string;
    log: Logger;
    print?: (line: string) => void;
    signal?: AbortSignal;
  },
): Promise<number> {
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const log = options.log;
  if (!(DEMO_SCRIPTS as readonly string[]).includes(name)) {
    print(JSON.stringify({ step: 'error', message: `no demo script named ${name}` }));
    return 2;
  }
  const step = (text: string) => print(JSON.stringify({ step: text }));
  const dataDir = path.resolve(options.dataDir);
  const pki = await ensureDemoPki(dataDir);
  const officeFiles = officePkiFiles(dataDir, pki);
  const dbPath = path.join(dataDir, `script-${name}.db`);
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
  const [webPort, brokerPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const config = demoConfig(dataDir, pki, {
    webPort,
    brokerPort,
    dbPath,
    commandAnchors: [officeFiles.caCert],
  });
  const hw = demoHardware(config);
  const holders = demoHolders(dataDir, pki);
  const spkis = new Map(
    pki.profiles.map((p, i) => [
      String(i),
      spkiSha256(loadCardProfile(path.resolve(dataDir, 'pki', p.dir)).authCertificate),
    ]),
  );
  const station = new Station(config, log, {
    hardware: { card: hw.reader, board: hw.board, gpio: hw.gpio },
    preComponents: () => [
      new EmbeddedBroker('127.0.0.1', brokerPort, log.child({ component: 'broker' })),
    ],
  });
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let office: BackOffice | undefined;
  let kiosk: KioskClient | undefined;
  let simulator: DemoSimulator | undefined;
  try {
    step(`station: starting (${name})`);
    await station.start(abort.signal);
    await station.trust.refresh();
    simulator = new DemoSimulator(station, hw.reader, hw.board, hw.gpio, holders, log);
    simulator.attach();
    const signer = loadCommandSigner(officeFiles.signerKey, officeFiles.signerCert);
    office = await BackOffice.connect(
      config.mqtt.url,
      signer,
      config.station.id,
      config.mqtt.topicPrefix,
      print,
    );
    const online = office.status.next((s) => s.state === 'online', 'the station online', 15_000);
    await online;
    if (officeFiles.crl) await office.publishCommandCrl(officeFiles.crl);
    kiosk = new KioskClient(station.web!.url);
    await kiosk.open();
    const context: StoryContext = {
      station,
      config,
      office,
      kiosk,
      simulator,
      hw,
      holders,
      spki: (h) => spkis.get(h.id)!,
      step,
    };
    const story = name === 'pickup' ? pickupStory(context) : doorStory(context);
    const aborted = new Promise<never>((_, reject) => {
      if (abort.signal.aborted) reject(new DemoScriptError('interrupted'));
      abort.signal.addEventListener('abort', () => reject(new DemoScriptError('interrupted')));
    });
    const ok = await Promise.race([story, aborted]);
    const audit = verifyAuditDb(station.storage.db);
    step(`audit chain: ${audit.ok ? 'intact' : 'BROKEN'}`);
    const success = ok && audit.ok;
    step(success ? (name === 'pickup' ? 'collected' : 'door cycled') : 'failed');
    return success ? 0 : 1;
  } catch (err) {
    print(JSON.stringify({ step: 'failed', message: (err as Error).message }));
    if (!(err instanceof DemoScriptError)) log.error({ err }, 'demo script failed');
    return 1;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    kiosk?.close();
    simulator?.detach();
    await office?.close().catch(() => {});
    await station.stop();
  }
}
