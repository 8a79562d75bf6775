/**
 * Shared pieces of the MQTT suites: command-signing PKIs, a small SQLite-backed domain
 * (CommandHandler + StateProvider), a station (database + outbox + gateway) and an office
 * client.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { CommandResponse, CommandResult } from '../../shared/mqtt/commands.js';
import type { EventMessage } from '../../shared/mqtt/events.js';
import type { CompartmentState } from '../../shared/mqtt/state.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { Secret } from '../../shared/secret.js';
import { silentLogger, type Logger } from '../../controller/log.js';
import type { CommandSigner } from '../../shared/mqtt/command-envelope.js';
import { createDevCa, issueDevCert, issueDevCrl, type DevCredential } from '../support/dev-pki.js';
import { MqttGateway, type MqttGatewayOptions } from '../../controller/mqtt/gateway.js';
import { AnchorCommandSignerTrust } from '../../controller/mqtt/signer-trust.js';
import { CommandCrl } from '../../controller/mqtt/command-crl.js';
import { MetaRepository } from '../../controller/storage/meta-repository.js';
import { parseCertificate } from '../../controller/trust/index.js';
import {
  EmptyStateProvider,
  type CommandHandler,
  type StatePart,
  type VerifiedCommand,
} from '../../controller/mqtt/types.js';
import { Outbox } from '../../controller/outbox/outbox.js';
import { openDatabase, type Db } from '../../controller/storage/db.js';
import type { Mosquitto } from '../support/mosquitto.js';

/** The back office's command-signing CA and a signer; and a rogue pair nobody trusts. */
export interface CommandPki {
  ca: DevCredential;
  signer: CommandSigner;
  rogue: CommandSigner;
  /** A certificate from the trusted CA but for TLS clients (wrong usage for commands). */
  wrongUsage: CommandSigner;
  /** The CA's CRL (DER, nothing revoked, valid 30 days): what every station installs. */
  crl: Uint8Array;
}

export async function makeCommandPki(): Promise<CommandPki> {
  const ca = await createDevCa('Test municipality command CA');
  const s = await issueDevCert(ca, { commonName: 'back office', usage: 'command' });
  const rogueCa = await createDevCa('Rogue CA');
  const r = await issueDevCert(rogueCa, { commonName: 'back office', usage: 'command' });
  const w = await issueDevCert(ca, { commonName: 'a station', usage: 'client' });
  return {
    ca,
    signer: { privateKey: s.privateKey, chain: [s.certDer] },
    rogue: { privateKey: r.privateKey, chain: [r.certDer] },
    wrongUsage: { privateKey: w.privateKey, chain: [w.certDer] },
    crl: (await issueDevCrl(ca, { revoked: [], crlNumber: 1n, validDays: 30 })).der,
  };
}

/**
 * A minimal domain on SQLite: deliveries in compartments A01..A04; every state change and
 * its event in one transaction through the outbox.
 */
export class TestDomain extends EmptyStateProvider implements CommandHandler {
  readonly handled: VerifiedCommand[] = [];
  readonly #listeners = new Set<(p: StatePart) => void>();
  constructor(
    readonly db: Db,
    readonly outbox: Outbox,
  ) {
    super();
    db.exec(`CREATE TABLE IF NOT EXISTS test_deliveries (
      delivery_id TEXT PRIMARY KEY, compartment TEXT NOT NULL UNIQUE, holder TEXT NOT NULL,
      deadline TEXT NOT NULL) STRICT`);
  }
  deliveries(): { delivery_id: string; compartment: string; deadline: string }[] {
    return this.db
      .prepare(
        'SELECT delivery_id, compartment, deadline FROM test_deliveries ORDER BY compartment',
      )
      .all() as never;
  }
  override compartments(): CompartmentState[] {
    const used = new Map(this.deliveries().map((d) => [d.compartment, d]));
    return ['A01', 'A02', 'A03', 'A04'].map((c) => ({
      compartment: c,
      size: 'M',
      status: used.has(c) ? 'reserved' : 'free',
      door: 'closed',
      deliveryId: used.get(c)?.delivery_id ?? null,
      pickupDeadline: used.get(c)?.deadline ?? null,
    }));
  }
  override onChange(listener: (p: StatePart) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  async handle(command: VerifiedCommand): Promise<CommandResult> {
    this.handled.push(command);
    const c = command.claims;
    switch (c.kind) {
      case 'delivery.assign': {
        const free = this.compartments().find(
          (x) =>
            x.status === 'free' && (!c.body.compartment || x.compartment === c.body.compartment),
        );
        if (!free) return { accepted: false, reason: 'no_compartment_available' };
        this.db.transaction(() => {
          this.db
            .prepare('INSERT INTO test_deliveries VALUES (?, ?, ?, ?)')
            .run(
              c.body.deliveryId,
              free.compartment,
              c.body.holderSpkiSha256,
              c.body.pickupDeadline,
            );
          this.outbox.append({
            kind: 'delivery.assigned',
            data: {
              deliveryId: c.body.deliveryId,
              compartment: free.compartment,
              holderSpkiSha256: c.body.holderSpkiSha256,
              pickupDeadline: c.body.pickupDeadline,
            },
          });
        })();
        for (const l of this.#listeners) l('compartments');
        return { accepted: true, detail: { compartment: free.compartment } };
      }
      case 'delivery.cancel': {
        const r = this.db.transaction(() => {
          const n = this.db
            .prepare('DELETE FROM test_deliveries WHERE delivery_id = ?')
            .run(c.body.deliveryId).changes;
          if (n)
            this.outbox.append({
              kind: 'delivery.cancelled',
              data: { deliveryId: c.body.deliveryId },
            });
          return n;
        })();
        for (const l of this.#listeners) l('compartments');
        return r ? { accepted: true } : { accepted: false, reason: 'unknown_delivery' };
      }
      case 'delivery.extend': {
        const n = this.db.transaction(() => {
          const n = this.db
            .prepare('UPDATE test_deliveries SET deadline = ? WHERE delivery_id = ?')
            .run(c.body.pickupDeadline, c.body.deliveryId).changes;
          if (n)
            this.outbox.append({
              kind: 'delivery.extended',
              data: { deliveryId: c.body.deliveryId, pickupDeadline: c.body.pickupDeadline },
            });
          return n;
        })();
        return n ? { accepted: true } : { accepted: false, reason: 'unknown_delivery' };
      }
      case 'remote.open':
        this.outbox.append({
          kind: 'actuation',
          data: {
            target: c.body.door ? 'door' : 'compartment',
            id: (c.body.door ?? c.body.compartment)!,
            cause: 'remote',
            opened: true,
          },
        });
        return { accepted: true };
      default:
        return { accepted: true };
    }
  }
}

/** A station under test: its database, outbox, domain and gateway. */
export interface TestStation {
  id: string;
  dir: string;
  db: Db;
  outbox: Outbox;
  domain: TestDomain;
  gateway: MqttGateway;
  /** Resolves on the next connect (immediately when connected). */
  connected(): Promise<void>;
  /** Resolves on the next disconnect (immediately when disconnected). */
  disconnected(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a station against `broker` (TLS with its client certificate unless `plain`). */
export async function startStation(
  broker: Mosquitto,
  pki: CommandPki,
  id: string,
  o: {
    plain?: boolean;
    log?: Logger;
    gateway?: Partial<MqttGatewayOptions>;
    now?: () => Date;
    monotonicMs?: () => number;
    /** Sign everything published with this station's broker TLS key and certificate. */
    sign?: boolean;
    /**
     * Command-CRL files installed at start (default: one with `pki.crl`, as a station set up
     * with trust.commandCrlFiles); `[]` for a station that gets its CRL only from the broker.
     */
    crlFiles?: string[];
  } = {},
): Promise<TestStation> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `station-${id}-`));
  const db = openDatabase(path.join(dir, 'station.db'));
  const outbox = new Outbox(db, { stationId: id, maxEvents: 1_000_000 });
  const domain = new TestDomain(db, outbox);
  const user = broker.user(id);
  const crlFile = path.join(dir, 'command-crl.der');
  writeFileSync(crlFile, pki.crl);
  const commandCrl = new CommandCrl(
    () => [parseCertificate(pki.ca.certDer)],
    new MetaRepository(db),
    {
      toleranceHours: 24,
      ...(o.now ? { now: o.now } : { now: () => new Date() }),
    },
  );
  const gateway = new MqttGateway(
    {
      stationId: id,
      url: o.plain ? broker.url : broker.tlsUrl,
      protocolVersion: 5,
      ...(o.plain
        ? { username: id, password: new Secret(user.password) }
        : {
            tls: {
              ca: Buffer.from(broker.ca.certPem),
              cert: Buffer.from(user.cert),
              key: Buffer.from(user.key),
            },
          }),
      heartbeatSec: 60,
      reconnectMinMs: 100,
      reconnectMaxMs: 500,
      version: '0.0.0-test',
      commandCrlFiles: o.crlFiles ?? [crlFile],
      ...o.gateway,
    },
    {
      db,
      outbox,
      handler: domain,
      state: domain,
      signerTrust: new AnchorCommandSignerTrust([pki.ca.certDer], commandCrl),
      commandCrl,
      log: o.log ?? silentLogger(),
      ...(o.now ? { now: o.now } : {}),
      ...(o.monotonicMs ? { monotonicMs: o.monotonicMs } : {}),
      ...(o.sign
        ? {
            stationSigner: {
              privateKey: createPrivateKey(user.key),
              chain: [new Uint8Array(new X509Certificate(user.cert).raw)],
            },
          }
        : {}),
    },
  );
  await gateway.start(new AbortController().signal);
  const waitFor = (want: boolean) =>
    new Promise<void>((resolve) => {
      if (gateway.connected === want) return resolve();
      const off = gateway.onConnection((c) => {
        if (c === want) {
          off();
          resolve();
        }
      });
    });
  return {
    id,
    dir,
    db,
    outbox,
    domain,
    gateway,
    connected: () => waitFor(true),
    disconnected: () => waitFor(false),
    async close() {
      await gateway.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Connects as `user` over TLS with its certificate (MQTT 5): `office` on the office listener
 * (its own client ids), a station on the station listener (client id = its user name).
 */
export async function connectTls(
  broker: Mosquitto,
  user: string,
  extra: IClientOptions = {},
): Promise<MqttClient> {
  const u = broker.user(user);
  return mqtt.connectAsync(user === 'office' ? broker.officeUrl : broker.tlsUrl, {
    protocolVersion: 5,
    clientId: `${user}-${Math.random().toString(36).slice(2)}`,
    ca: broker.ca.certPem,
    cert: u.cert,
    key: u.key,
    reconnectPeriod: 0,
    ...extra,
  });
}

/** The office side: sends commands, collects answers and events. */
export class Office {
  readonly responses: CommandResponse[] = [];
  readonly events: EventMessage[] = [];
  readonly retained = new Map<string, unknown>();
  readonly #waiters: (() => void)[] = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      let value: unknown;
      try {
        value = JSON.parse(payload.toString('utf8'));
      } catch {
        return;
      }
      if (topic.endsWith('/cmd/response')) this.responses.push(value as CommandResponse);
      else if (topic.endsWith('/events')) this.events.push(value as EventMessage);
      else this.retained.set(topic, value);
      for (const w of this.#waiters.splice(0)) w();
    });
  }
  static async connect(broker: Mosquitto): Promise<Office> {
    const client = await connectTls(broker, 'office');
    const office = new Office(client);
    await client.subscribeAsync('jpki-locker/v1/#', { qos: 1 });
    return office;
  }
  /** Resolves when `predicate` holds (checked after every message), or rejects after `ms`. */
  async until(predicate: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  /** Publishes a raw command payload to a station and waits for the next answer. */
  async send(
    station: string,
    payload: string | Buffer,
    opts: { retain?: boolean } = {},
  ): Promise<CommandResponse> {
    const before = this.responses.length;
    await this.client.publishAsync(new StationTopics(station).command, payload, {
      qos: 1,
      retain: opts.retain ?? false,
    });
    await this.until(() => this.responses.length > before, 10_000, 'a command response');
    return this.responses[before]!;
  }
  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
