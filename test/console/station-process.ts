/**
 * A running station for the console suites, as a child process: the real MQTT gateway
 * (controller/mqtt/gateway.ts: retained will, birth with full state, heartbeats, outbox
 * delivery, signed-command verification through the trust engine, replay cache, answers) over
 * a real SQLite outbox, with a small in-memory domain standing in for the locker domain
 * (the daemon does not wire the gateway yet). The parent can SIGKILL it (crash: the broker
 * publishes the will) or SIGSTOP it (a hung station or cut network: heartbeats stop).
 *
 * Environment: ST_ID, ST_DB, ST_URL, ST_CA, ST_CERT, ST_KEY, ST_ANCHOR (PEM files),
 * ST_HEARTBEAT_SEC.
 * stdout: `ready <session>` on every connect; `executed <kind> <json body>` per command run.
 * stdin lines: `alarm <code> <target>` raises an alarm (door held open), `clear <code> <target>`.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CommandResult } from '../../shared/mqtt/commands.js';
import type {
  ActiveAlarm,
  AlarmCode,
  CompartmentState,
  CrlState,
  DeviceHealth,
  DoorStatus,
} from '../../shared/mqtt/state.js';
import { silentLogger } from '../../controller/log.js';
import { MqttGateway } from '../../controller/mqtt/gateway.js';
import { AnchorCommandSignerTrust } from '../../controller/mqtt/signer-trust.js';
import type {
  CommandHandler,
  StatePart,
  StateProvider,
  VerifiedCommand,
} from '../../controller/mqtt/types.js';
import { Outbox } from '../../controller/outbox/outbox.js';
import { openDatabase } from '../../controller/storage/db.js';

const env = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const stationId = env('ST_ID');
const db = openDatabase(env('ST_DB'));
const outbox = new Outbox(db, { stationId, maxEvents: 100_000 });

/** Six compartments (one loaded), one door; alarms raised from stdin. */
class SimDomain implements StateProvider, CommandHandler {
  readonly #listeners = new Set<(p: StatePart) => void>();
  #mode: 'active' | 'maintenance' = 'active';
  readonly #alarms: ActiveAlarm[] = [];
  readonly #doors: { door: string; status: DoorStatus }[] = [{ door: 'main', status: 'locked' }];
  readonly #compartments: CompartmentState[] = ['A01', 'A02', 'A03', 'A04', 'A05', 'A06'].map(
    (c, i) => ({
      compartment: c,
      size: i < 2 ? 'S' : i < 4 ? 'M' : 'L',
      status: c === 'A02' ? 'loaded' : c === 'A05' ? 'fault' : 'free',
      door: 'closed',
      deliveryId: c === 'A02' ? 'D-2026-000001' : null,
      pickupDeadline: c === 'A02' ? new Date(Date.now() + 2 * 86_400_000).toISOString() : null,
    }),
  );
  compartments(): CompartmentState[] {
    return this.#compartments;
  }
  doors(): { door: string; status: DoorStatus }[] {
    return this.#doors;
  }
  alarms(): ActiveAlarm[] {
    return this.#alarms;
  }
  crl(): CrlState {
    return {
      ageSec: 3600,
      thisUpdate: new Date(Date.now() - 3_600_000).toISOString(),
      nextUpdate: new Date(Date.now() + 20 * 3_600_000).toISOString(),
      stale: false,
    };
  }
  hardware(): Record<string, DeviceHealth> {
    return { cardReader: 'ok', board0: 'ok' };
  }
  mode(): 'active' | 'maintenance' {
    return this.#mode;
  }
  onChange(listener: (p: StatePart) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  #changed(...parts: StatePart[]): void {
    for (const p of parts) for (const l of this.#listeners) l(p);
  }

  raise(code: AlarmCode, target: string): void {
    if (this.#alarms.some((a) => a.alarm === code && a.target === target)) return;
    const since = new Date().toISOString();
    db.transaction(() => {
      this.#alarms.push({ alarm: code, severity: 'warning', target, since });
      const door = this.#doors.find((d) => d.door === target);
      if (door && code === 'door_held_open') {
        door.status = 'held_open';
        outbox.append({ kind: 'door.state', data: { door: target, status: 'held_open' } });
      }
      outbox.append({ kind: 'alarm.raised', data: { alarm: code, severity: 'warning', target } });
    })();
    this.#changed('alarms', 'doors');
  }

  clear(code: AlarmCode, target: string): void {
    const i = this.#alarms.findIndex((a) => a.alarm === code && a.target === target);
    if (i < 0) return;
    db.transaction(() => {
      this.#alarms.splice(i, 1);
      const door = this.#doors.find((d) => d.door === target);
      if (door) door.status = 'locked';
      outbox.append({ kind: 'alarm.cleared', data: { alarm: code, target } });
    })();
    this.#changed('alarms', 'doors');
  }

  async handle(command: VerifiedCommand): Promise<CommandResult> {
    const c = command.claims;
    process.stdout.write(`executed ${c.kind} ${JSON.stringify(c.body)}\n`);
    switch (c.kind) {
      case 'remote.open': {
        const id = c.body.compartment ?? c.body.door;
        const comp = this.#compartments.find((x) => x.compartment === c.body.compartment);
        const door = this.#doors.find((x) => x.door === c.body.door);
        if (!id || (!comp && !door))
          return { accepted: false, reason: c.body.door ? 'unknown_door' : 'unknown_compartment' };
        if (comp?.status === 'fault') return { accepted: false, reason: 'hardware_fault' };
        outbox.append({
          kind: 'actuation',
          data: { target: comp ? 'compartment' : 'door', id, cause: 'remote', opened: true },
        });
        return { accepted: true, detail: { opened: true } };
      }
      case 'station.maintenance':
        this.#mode = c.body.enabled ? 'maintenance' : 'active';
        outbox.append({
          kind: 'station.mode',
          data: { mode: this.#mode, ...(c.body.reason ? { reason: c.body.reason } : {}) },
        });
        return { accepted: true };
      case 'delivery.extend': {
        const comp = this.#compartments.find((x) => x.deliveryId === c.body.deliveryId);
        if (!comp) return { accepted: false, reason: 'unknown_delivery' };
        comp.pickupDeadline = c.body.pickupDeadline;
        outbox.append({
          kind: 'delivery.extended',
          data: { deliveryId: c.body.deliveryId, pickupDeadline: c.body.pickupDeadline },
        });
        this.#changed('compartments');
        return { accepted: true };
      }
      default:
        return { accepted: false, reason: 'not_supported' };
    }
  }
}

const domain = new SimDomain();
const gateway = new MqttGateway(
  {
    stationId,
    url: env('ST_URL'),
    protocolVersion: 5,
    tls: {
      ca: readFileSync(env('ST_CA')),
      cert: readFileSync(env('ST_CERT')),
      key: readFileSync(env('ST_KEY')),
    },
    heartbeatSec: Number(env('ST_HEARTBEAT_SEC')),
    reconnectMinMs: 200,
    reconnectMaxMs: 1000,
    version: '0.1.0-sim',
  },
  {
    db,
    outbox,
    handler: domain,
    state: domain,
    signerTrust: AnchorCommandSignerTrust.fromFiles([env('ST_ANCHOR')]),
    log: silentLogger(),
  },
);
gateway.onConnection((up) => {
  if (up) process.stdout.write(`ready ${gateway.session}\n`);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, code, target] = line.trim().split(/\s+/);
  if (verb === 'alarm' && code && target) domain.raise(code as AlarmCode, target);
  if (verb === 'clear' && code && target) domain.clear(code as AlarmCode, target);
});
const stop = () => {
  void gateway.stop().then(() => {
    db.close();
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await gateway.start(new AbortController().signal);
