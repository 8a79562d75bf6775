/**
 * Benchmark of the operator console (issues 8 and 16): a fleet of light simulated stations
 * (following the v1 contract: status, full retained state, heartbeats, events; spread over
 * `--connections` MQTT connections, a will each when there is one connection per station)
 * publishing into mosquitto; the console running as `jpki-locker console` with its data
 * folder and one account; the dashboard in Chromium, logged in.
 *
 * Reports (JSON on stdout):
 * - firstRenderMs: from navigation start to the first render of the fleet list
 *   (`performance.mark('fleet-first-render')` set by the page), and the station count then;
 * - eventDelayMs p50/p95/max: from an event's publication (Date.now() before publish) to the
 *   moment its row is inserted in the page (a MutationObserver records Date.now()); probe
 *   events are mixed into a steady background of events and heartbeats.
 * - consoleRssMb: the console server's resident memory (/proc/<pid>/status VmRSS) at the end.
 * Targets (issue 16): first render <= 1000 ms with 10,000 stations, delay p95 <= 300 ms.
 *
 * Usage: npx tsx bench/console/run.ts [--stations 10000] [--connections 500]
 *        [--heartbeat-sec 30] [--events-per-sec 100] [--probes 200]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { EventMessage } from '../../shared/mqtt/events.js';
import type { CompartmentState, HeartbeatMessage } from '../../shared/mqtt/state.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { CliProcess, runCli } from '../../test/support/cli.js';
import { freePort } from '../../test/support/mosquitto.js';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../test/support/browser.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const STATIONS = opt('stations', 10_000);
const CONNECTIONS = Math.min(opt('connections', 500), STATIONS);
const HEARTBEAT_SEC = opt('heartbeat-sec', 30);
const FIRST_RENDER_TARGET_MS = 1000;
const DELAY_P95_TARGET_MS = 300;
const PASSWORD = 'bench-password-1';
const EVENTS_PER_SEC = opt('events-per-sec', 100);
const PROBES = opt('probes', 200);
const AREAS = ['nakano', 'suginami', 'setagaya', 'shinjuku', 'nerima', 'ota', 'adachi', 'koto'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** One light station: a connection, a will, the retained state, a heartbeat timer, events. */
class LightStation {
  client!: MqttClient;
  /** Set when this station has its own connection (and so its own will). */
  own = false;
  seq = 0;
  readonly topics: StationTopics;
  readonly startedAt = Date.now();
  constructor(
    readonly id: string,
    readonly url: string,
  ) {
    this.topics = new StationTopics(id);
  }
  async connect(shared?: MqttClient): Promise<void> {
    this.own = shared === undefined;
    this.client =
      shared ??
      (await mqtt.connectAsync(this.url, {
        protocolVersion: 5,
        clientId: `bench-${this.id}`,
        reconnectPeriod: 0,
        keepalive: 60,
        will: {
          topic: this.topics.status,
          payload: Buffer.from(JSON.stringify({ v: 1, state: 'offline', session: 1 })),
          qos: 1,
          retain: true,
        },
      }));
    const at = new Date().toISOString();
    const compartments: CompartmentState[] = Array.from({ length: 16 }, (_, i) => ({
      compartment: `A${String(i + 1).padStart(2, '0')}`,
      size: i < 6 ? 'S' : i < 12 ? 'M' : 'L',
      status: i % 5 === 1 ? 'loaded' : 'free',
      door: 'closed',
      deliveryId: i % 5 === 1 ? `D-${this.id}-${i}` : null,
      pickupDeadline: i % 5 === 1 ? new Date(Date.now() + 86_400_000).toISOString() : null,
    }));
    const pub = (t: string, v: unknown) =>
      this.client.publishAsync(t, JSON.stringify(v), { qos: 1, retain: true });
    await pub(this.topics.status, { v: 1, state: 'online', session: 1, version: '0.1.0', at });
    await pub(this.topics.compartments, { v: 1, at, compartments });
    await pub(this.topics.doors, { v: 1, at, doors: [{ door: 'main', status: 'locked' }] });
    await pub(this.topics.alarms, { v: 1, at, alarms: [] });
    await pub(this.topics.crl, {
      v: 1,
      at,
      ageSec: 3600,
      thisUpdate: new Date(Date.now() - 3_600_000).toISOString(),
      nextUpdate: new Date(Date.now() + 20 * 3_600_000).toISOString(),
      stale: false,
    });
  }
  heartbeat(): void {
    const hb: HeartbeatMessage = {
      v: 1,
      at: new Date().toISOString(),
      session: 1,
      uptimeSec: Math.round((Date.now() - this.startedAt) / 1000),
      version: '0.1.0',
      outboxDepth: 0,
      crlAgeSec: 3600,
      hardware: { cardReader: 'ok', board0: 'ok' },
      mode: 'active',
    };
    this.client.publish(this.topics.heartbeat, JSON.stringify(hb), { qos: 0 });
  }
  /** Publishes one event; resolves with its id and the publication time. */
  event(): { id: string; publishedAt: number } {
    const id = randomUUID();
    const n = (this.seq % 16) + 1;
    const e: EventMessage = {
      v: 1,
      seq: ++this.seq,
      id,
      station: this.id,
      kind: 'pickup.attempt',
      at: new Date().toISOString(),
      historical: false,
      data: {
        result: 'denied',
        reason: 'wrong_pin',
        holderSpkiSha256: null,
        compartment: `A${String(n).padStart(2, '0')}`,
      },
    };
    const publishedAt = Date.now();
    this.client.publish(this.topics.events, JSON.stringify(e), { qos: 1 });
    return { id, publishedAt };
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-console-'));
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'mosquitto.conf'),
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_connections -1',
      'max_queued_messages 100000',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const broker: ChildProcess = spawn('mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `mqtt://127.0.0.1:${port}`;
  let consoleProc: CliProcess | undefined;
  const fleet: LightStation[] = [];
  const timers: NodeJS.Timeout[] = [];
  let browser: Browser | undefined;
  try {
    // Wait for the broker.
    for (let i = 0; ; i++) {
      try {
        const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
        await c.endAsync();
        break;
      } catch (err) {
        if (i > 50) throw err;
        await sleep(100);
      }
    }
    // The fleet connects and publishes its retained state before the console starts, the way
    // a console restart finds a running fleet.
    const tConnect = Date.now();
    for (let i = 0; i < STATIONS; i++) {
      const area = AREAS[i % AREAS.length]!;
      fleet.push(new LightStation(`${area}-${String(i).padStart(4, '0')}`, url));
    }
    const shared: MqttClient[] = [];
    if (CONNECTIONS < STATIONS)
      for (let i = 0; i < CONNECTIONS; i += 50)
        shared.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(50, CONNECTIONS - i) }, (_, k) =>
              mqtt.connectAsync(url, {
                protocolVersion: 5,
                clientId: `bench-link-${i + k}`,
                reconnectPeriod: 0,
                keepalive: 60,
              }),
            ),
          )),
        );
    for (let i = 0; i < fleet.length; i += 50)
      await Promise.all(
        fleet
          .slice(i, i + 50)
          .map((s, k) => s.connect(shared.length ? shared[(i + k) % shared.length] : undefined)),
      );
    const connectMs = Date.now() - tConnect;

    // Heartbeats spread over the interval; background events at EVENTS_PER_SEC.
    fleet.forEach((s, i) => {
      const start = setTimeout(
        () => {
          s.heartbeat();
          timers.push(setInterval(() => s.heartbeat(), HEARTBEAT_SEC * 1000));
        },
        (i / fleet.length) * HEARTBEAT_SEC * 1000,
      );
      timers.push(start);
    });
    let background = 0;
    const tick = 50;
    timers.push(
      setInterval(() => {
        const n = Math.round((EVENTS_PER_SEC * tick) / 1000);
        for (let k = 0; k < n; k++) {
          fleet[Math.floor(Math.random() * fleet.length)]!.event();
          background++;
        }
      }, tick),
    );

    const data = path.join(dir, 'console-data');
    const added = await runCli(
      ['console', 'user', 'add', 'bench', '--role', 'viewer', '--data', data],
      { input: `${PASSWORD}\n` },
    );
    if (added.code !== 0) throw new Error(`user add failed: ${added.stderr}`);
    const cport = await freePort();
    consoleProc = new CliProcess([
      'console',
      '--broker',
      url,
      '--listen',
      `127.0.0.1:${cport}`,
      '--heartbeat-sec',
      String(HEARTBEAT_SEC),
      '--data',
      data,
      '--log-level',
      'warn',
    ]);
    await consoleProc.waitFor('console listening on');
    const consoleUrl = `http://127.0.0.1:${cport}`;
    const login = await fetch(`${consoleUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bench', password: PASSWORD }),
    });
    if (!login.ok) throw new Error(`login failed: ${login.status}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const authed = { headers: { cookie } };
    // The console has the whole fleet (retained state) before the page opens.
    for (let i = 0; ; i++) {
      const r = (await (await fetch(`${consoleUrl}/api/console`, authed)).json()) as {
        stats: { messages: number };
      };
      const snap = (await (await fetch(`${consoleUrl}/api/snapshot`, authed)).json()) as {
        stations: unknown[];
      };
      if (snap.stations.length >= STATIONS) break;
      if (i > 1200)
        throw new Error(`console saw ${snap.stations.length} stations (${r.stats.messages} msgs)`);
      await sleep(100);
    }
    const tSnap = performance.now();
    const snapshotBytes = (await (await fetch(`${consoleUrl}/api/snapshot`, authed)).text()).length;
    const snapshotMs = performance.now() - tSnap;
    const tAgg = performance.now();
    await (await fetch(`${consoleUrl}/api/fleet/aggregates`, authed)).json();
    const aggregatesMs = performance.now() - tAgg;

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1500, height: 950 } });
    await context.addCookies([
      {
        name: cookie.split('=')[0]!,
        value: cookie.slice(cookie.indexOf('=') + 1),
        url: consoleUrl,
        httpOnly: true,
        sameSite: 'Strict',
      },
    ]);
    const page = await context.newPage();
    await page.addInitScript(() => {
      const seen = new Map<string, number>();
      (window as unknown as { __seen: Map<string, number> }).__seen = seen;
      new MutationObserver((records) => {
        const now = Date.now();
        for (const r of records)
          for (let i = 0; i < r.addedNodes.length; i++) {
            const n = r.addedNodes[i];
            const id = n instanceof HTMLElement ? n.dataset.eventId : undefined;
            if (id && !seen.has(id)) seen.set(id, now);
          }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(`${consoleUrl}/?lang=en`);
    await page.waitForFunction(
      () => performance.getEntriesByName('fleet-first-render').length > 0,
      undefined,
      { timeout: 30_000 },
    );
    const first = await page.evaluate(() => {
      const m = performance.getEntriesByName('fleet-first-render')[0] as PerformanceMark;
      return {
        ms: m.startTime,
        stations: (m.detail as { stations: number }).stations,
        rows: document.querySelectorAll('#fleet-list .row.st').length,
      };
    });
    await page
      .screenshot({
        path: path.join(process.cwd(), 'test-artifacts/console/bench-fleet.png'),
      })
      .catch(() => undefined);

    // Probe events: publication -> row in the page.
    await sleep(1000);
    const probes: { id: string; publishedAt: number }[] = [];
    for (let i = 0; i < PROBES; i++) {
      probes.push(fleet[Math.floor(Math.random() * fleet.length)]!.event());
      await sleep(1000 / 20);
    }
    await sleep(3000);
    const seen = await page.evaluate(
      (ids) => {
        const m = (window as unknown as { __seen: Map<string, number> }).__seen;
        return ids.map((id) => m.get(id) ?? null);
      },
      probes.map((p) => p.id),
    );
    const delays: number[] = [];
    let missing = 0;
    probes.forEach((p, i) => {
      const t = seen[i];
      if (t === null || t === undefined) missing++;
      else delays.push(t - p.publishedAt);
    });
    const consoleInfo = (await (await fetch(`${consoleUrl}/api/console`, authed)).json()) as {
      stats: unknown;
    };
    const rssKb = (() => {
      try {
        const s = readFileSync(`/proc/${consoleProc!.child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? NaN);
      } catch {
        return NaN;
      }
    })();
    const result = {
      benchmark: 'console',
      stations: STATIONS,
      connections: CONNECTIONS,
      heartbeatSec: HEARTBEAT_SEC,
      backgroundEventsPerSec: EVENTS_PER_SEC,
      fleetConnectMs: connectMs,
      snapshotBytes,
      snapshotMs: Math.round(snapshotMs),
      aggregatesMs: Math.round(aggregatesMs),
      firstRender: {
        ms: Math.round(first.ms),
        stationsAtFirstRender: first.stations,
        domRows: first.rows,
        targetMs: FIRST_RENDER_TARGET_MS,
        ok: first.ms <= FIRST_RENDER_TARGET_MS && first.stations === STATIONS,
      },
      eventDelayMs: {
        probes: PROBES,
        seen: delays.length,
        missing,
        p50: Math.round(pct(delays, 50)),
        p95: Math.round(pct(delays, 95)),
        max: Math.round(Math.max(...delays)),
        targetP95: DELAY_P95_TARGET_MS,
        ok: missing === 0 && pct(delays, 95) <= DELAY_P95_TARGET_MS,
      },
      backgroundEvents: background,
      consoleRssMb: Math.round(rssKb / 1024),
      consoleStats: consoleInfo.stats,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const t of timers) clearInterval(t);
    await browser?.close().catch(() => undefined);
    if (consoleProc) {
      consoleProc.child.kill('SIGTERM');
      await consoleProc.exited;
    }
    const clients = new Set(fleet.map((s) => s.client).filter(Boolean));
    await Promise.all([...clients].map((c) => c.endAsync(true).catch(() => undefined)));
    broker.kill('SIGTERM');
    await new Promise((r) => broker.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
