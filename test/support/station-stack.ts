/**
 * One station over the real stack, for the end-to-end suites (test/flows/e2e-*.test.ts):
 * - a private pcscd + vpcd (its two readers) where the virtual JPKI cards go in;
 * - the Kerong board emulator on the far end of a socat pty pair (`board.driver: kerong`);
 * - a private mosquitto with TLS and ACLs: the station logs in with its client certificate
 *   (`mqtt.ca/cert/key` on the TLS listener, CN = station id), the back office with an office
 *   certificate on the office listener, and signs its commands with a test office key;
 * - the daemon as its own process: `jpki-locker start --config FILE`, or a test launcher
 *   (`daemonEntry`, e.g. test/support/gpio-station.ts for a GPIO the test can play);
 * - the kiosk as the page sees it (SSE + its HTTP API).
 *
 * The configuration is the base below with `config(stack)`'s sections merged over it (one level
 * deep: `{ mqtt: { outboxMaxEvents } }` keeps the rest of `mqtt`). Before the daemon starts, the
 * CRLs (`crls`, default the test PKI's current ones) are imported with `jpki-locker crl import`
 * and `beforeDaemon` runs (a stale CRL, an outage's backlog in the database, ...).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { BoardEmulator } from '../../firmware-host/board-emulator/index.js';
import { VirtualJpkiCard } from '../../firmware-host/jpki-card/jpki-card.js';
import { VpcdConnector } from '../../firmware-host/jpki-card/vpcd.js';
import { BackOffice, KioskClient } from '../../controller/demo/demo-script.js';
import { spkiSha256 } from '../../controller/domain/identity.js';
import type { KioskState } from '../../controller/flows/screens.js';
import type { EventMessage } from '../../shared/mqtt/events.js';
import { CliProcess, runCli } from './cli.js';
import { createDevCa, issueDevCert, issueDevCrl, type DevCredential } from './dev-pki.js';
import { Mosquitto, freePort } from './mosquitto.js';
import { startPcscd, type PrivatePcscd } from './pcscd.js';
import { createPtyPair, type PtyPair } from './socat.js';
import { getTestPki, type TestPki } from './test-pki.js';

/** How long a suite waits for any one screen or event. */
export const STACK_WAIT_MS = 20_000;

export interface StationStackOptions {
  /** Station id (also its broker user and certificate CN). */
  station: string;
  name: string;
  mode?: 'locker' | 'door' | 'both';
  /** Compartments A01..A0n on board 0 (default 4). */
  locks?: number;
  /** Connect a back office (signed commands; default true). */
  office?: boolean;
  /** Runs once the PKI, pcscd, broker and pty are up, before the configuration is written. */
  prepare?: (stack: StationStack) => Promise<void> | void;
  /** Sections merged over the base configuration (one level deep). */
  config?: (stack: StationStack) => Record<string, unknown>;
  /** CRL files imported before the start (default: the test PKI's authentication + signing CRLs). */
  crls?: (stack: StationStack) => Promise<string[]> | string[];
  /** Runs after the CRL import, before the daemon starts. */
  beforeDaemon?: (stack: StationStack) => Promise<void> | void;
  /** Node arguments of a test launcher run instead of `jpki-locker start` (gets `--config`'s file). */
  daemonEntry?: string[];
  /** Extra environment of the daemon. */
  env?: NodeJS.ProcessEnv;
}

/** A card in one of the vpcd readers. */
export interface InsertedStackCard {
  card: VirtualJpkiCard;
  /** Pulls it out; with `screen`, waits for that screen on `kiosk` (default: the kiosk). */
  remove(screen?: string, on?: KioskClient): Promise<void>;
}

/** See the module comment. */
export class StationStack {
  readonly dir: string;
  readonly configFile: string;
  pki!: TestPki;
  pcscd!: PrivatePcscd;
  broker!: Mosquitto;
  pty!: PtyPair;
  emulator!: BoardEmulator;
  webPort!: number;
  /** The office command CA (trusted by the station) and its signer. */
  officeCa!: DevCredential;
  signer!: DevCredential;
  #officeCrl = '';
  daemon: CliProcess | undefined;
  office!: BackOffice;
  kiosk!: KioskClient;
  readonly #extra: KioskClient[] = [];

  private constructor(readonly options: StationStackOptions) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), `jpki-${options.station}-`));
    this.configFile = path.join(this.dir, 'station.yaml');
  }

  /** Starts everything; the daemon is ready, the office sees it online, the kiosk is open. */
  static async start(options: StationStackOptions): Promise<StationStack> {
    const s = new StationStack(options);
    try {
      await s.#start();
    } catch (err) {
      await s.stop().catch(() => undefined);
      throw err;
    }
    return s;
  }

  async #start(): Promise<void> {
    const o = this.options;
    const [pki, pcscd, broker, pty, officeCa] = await Promise.all([
      getTestPki(),
      startPcscd({ setEnv: false }),
      Mosquitto.start({ stations: [o.station] }),
      createPtyPair(),
      createDevCa(`${o.station} office command CA`),
    ]);
    Object.assign(this, { pki, pcscd, broker, pty, officeCa });
    this.signer = await issueDevCert(officeCa, {
      commonName: `${o.station} office`,
      usage: 'command',
    });
    // The office CA's CRL, installed at start (trust.commandCrlFiles): the station checks
    // every command signer against it by default.
    this.#officeCrl = (
      await issueDevCrl(officeCa, { revoked: [], crlNumber: 1n, validDays: 30 })
    ).pem;
    this.emulator = new BoardEmulator({ addresses: [0] });
    await this.emulator.attach(pty.b);
    this.webPort = await freePort();
    await o.prepare?.(this);
    writeFileSync(this.configFile, stringify(this.#config()));
    for (const file of (await o.crls?.(this)) ?? this.#currentCrls()) {
      const crl = await runCli(['crl', 'import', file, '-c', this.configFile]);
      expect(crl.code, crl.stdout + crl.stderr).toBe(0);
    }
    await o.beforeDaemon?.(this);
    await this.startDaemon();
    this.kiosk = new KioskClient(this.webUrl);
    await this.kiosk.open();
  }

  #file(name: string, text: string): string {
    const f = path.join(this.dir, name);
    writeFileSync(f, text);
    return f;
  }

  #currentCrls(): string[] {
    const m = this.pki.manifest;
    return [path.join(this.pki.dir, m.crls.auth), path.join(this.pki.dir, m.crls.sign)];
  }

  #config(): Record<string, unknown> {
    const o = this.options;
    const m = this.pki.manifest;
    const user = this.broker.user(o.station);
    const locks = o.locks ?? 4;
    const base: Record<string, unknown> = {
      station: { id: o.station, name: o.name, mode: o.mode ?? 'locker', timezone: 'Asia/Tokyo' },
      log: { level: 'info', format: 'json' },
      storage: { path: this.dbFile },
      web: { host: '127.0.0.1', port: this.webPort },
      mqtt: {
        url: this.broker.tlsUrl,
        ca: this.#file('broker-ca.pem', this.broker.ca.certPem),
        cert: this.#file('station.pem', user.cert),
        key: this.#file('station-key.pem', user.key),
        heartbeatSec: 30,
      },
      card: { driver: 'pcsc', reader: this.readerName(0) },
      trust: {
        authAnchors: [path.join(this.pki.dir, m.roots.auth)],
        signAnchors: [path.join(this.pki.dir, m.roots.sign)],
        commandAnchors: [this.#file('office-ca.pem', this.officeCa.certPem)],
        commandCrlFiles: [this.#file('office-crl.pem', this.#officeCrl)],
        crlRefreshMinutes: 0,
      },
      board: { driver: 'kerong', port: this.pty.a, boards: [{ address: 0, locks }] },
      compartments: Array.from({ length: locks }, (_, i) => ({
        id: `A0${i + 1}`,
        board: 0,
        lock: i + 1,
        size: 'M',
      })),
      pickup: { pinTimeoutSec: 60, doorOpenTimeoutSec: 5, doorLeftOpenSec: 30 },
    };
    for (const [key, value] of Object.entries(o.config?.(this) ?? {})) {
      const was = base[key];
      base[key] =
        was && typeof was === 'object' && !Array.isArray(was) && value && !Array.isArray(value)
          ? { ...was, ...(value as object) }
          : value;
    }
    return base;
  }

  /** The station's database file. */
  get dbFile(): string {
    return path.join(this.dir, 'station.db');
  }

  get webUrl(): string {
    return `http://127.0.0.1:${this.webPort}`;
  }

  /** Starts the daemon (again) and waits for `station ready`; connects the office the first time. */
  async startDaemon(): Promise<CliProcess> {
    const o = this.options;
    this.daemon = new CliProcess(
      o.daemonEntry ? [this.configFile] : ['start', '--config', this.configFile],
      {
        env: {
          PCSCLITE_CSOCK_NAME: this.pcscd.socketPath,
          JPKI_LOCKER_LOG_LEVEL: 'info',
          ...o.env,
        },
        ...(o.daemonEntry ? { entry: o.daemonEntry, ipc: true } : {}),
      },
    );
    await this.daemon.waitFor('station ready');
    if (o.office !== false && !this.office) await this.#connectOffice();
    return this.daemon;
  }

  async #connectOffice(): Promise<void> {
    const office = this.broker.user('office');
    this.office = await BackOffice.connect(
      this.broker.officeUrl,
      { privateKey: this.signer.privateKey, chain: [this.signer.certDer] },
      this.options.station,
      'jpki-locker/v1',
      () => {},
      { ca: this.broker.ca.certPem, cert: office.cert, key: office.key, rejectUnauthorized: true },
    );
    if (!this.office.status.seen.some((s) => s.state === 'online'))
      await this.office.status.next(
        (s) => s.state === 'online',
        'the station online',
        STACK_WAIT_MS,
      );
  }

  /** The SPKI hash of a test PKI profile's authentication certificate. */
  spki(label: string): string {
    return spkiSha256(this.pki.profile(label).authCertificate);
  }

  pinOf(label: string): string {
    return this.pki.profile(label).authPin;
  }

  /** The name of vpcd reader `i` (0 or 1; 0: the kiosk's by default). */
  readerName(i: 0 | 1): string {
    return this.pcscd.readerNames[i];
  }

  /** A door reader's own PIN surface (opened; closed with the stack). */
  async doorPad(door: string): Promise<KioskClient> {
    const pad = this.kiosk.forDoor(door);
    await pad.open();
    this.#extra.push(pad);
    return pad;
  }

  /** Puts `card` (default: a fresh one of `label`'s profile) into vpcd reader `reader`. */
  async insert(
    label: string,
    card?: VirtualJpkiCard,
    reader: 0 | 1 = 0,
  ): Promise<InsertedStackCard> {
    card ??= new VirtualJpkiCard(this.pki.profile(label));
    const connector = new VpcdConnector(card, { port: this.pcscd.vpcdPort + reader });
    await connector.insert();
    return {
      card,
      remove: async (screen = 'idle', on = this.kiosk) => {
        const next = on.next(screen, STACK_WAIT_MS);
        await connector.remove();
        await next;
      },
    };
  }

  /** The next event matching `pred` at the broker (register before acting). */
  event<K extends EventMessage['kind']>(
    kind: K,
    pred: (data: Extract<EventMessage, { kind: K }>['data']) => boolean = () => true,
  ): Promise<Extract<EventMessage, { kind: K }>> {
    return this.office.events.next(
      (e) => e.kind === kind && pred(e.data as never),
      kind,
      STACK_WAIT_MS,
    ) as Promise<Extract<EventMessage, { kind: K }>>;
  }

  /** The current kiosk screen, as the page reads it on load. */
  async currentScreen(api = '/api/kiosk'): Promise<KioskState> {
    const res = await fetch(`${this.webUrl}${api}/state`);
    expect(res.status).toBe(200);
    return (await res.json()) as KioskState;
  }

  /** Stops the daemon (SIGTERM) and everything else; removes the folder. Idempotent. */
  async stop(): Promise<void> {
    if (process.env.E2E_DUMP && this.daemon)
      writeFileSync(process.env.E2E_DUMP, this.daemon.stdout + this.daemon.stderr);
    for (const k of [this.kiosk, ...this.#extra]) k?.close();
    await this.office?.close().catch(() => {});
    if (this.daemon && this.daemon.child.exitCode === null) {
      this.daemon.kill('SIGTERM');
      await this.daemon.exited;
    }
    await this.emulator?.close();
    await this.pty?.close();
    await this.pcscd?.stop();
    await this.broker?.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
