/**
 * Several console instances sharing the load (issue 16): Debian's PostgreSQL started by the
 * test on a private port and data folder, two `jpki-locker console --db postgres://…
 * --share-group console` processes against mosquitto. A station publishes; through the MQTT 5
 * shared subscription each event reaches one instance, which stores it: every event is in
 * the database exactly once, and both instances' pages list every one of them live.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { CliProcess, runCli } from '../support/cli.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { Postgres } from '../support/postgres.js';
import { connectBareStation, loginPage, modeEvent, officeTlsArgs } from './fixtures.js';

const STATION = 'share-01';
const PASSWORD = 'shared-password-1';
const EVENTS = 40;

describe('two console instances over one PostgreSQL (shared subscription)', () => {
  let dir: string;
  let db: Postgres;
  let broker: Mosquitto;
  let station: MqttClient;
  let browser: Browser;
  const consoles: { proc: CliProcess; url: string }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'console-pg-'));
    db = await Postgres.start();
    broker = await Mosquitto.start({ stations: [STATION] });
    station = await connectBareStation(broker, STATION);
    const tls = officeTlsArgs(broker, dir);
    for (const n of [1, 2]) {
      const data = path.join(dir, `console-${n}`);
      const added = await runCli(
        ['console', 'user', 'add', 'pia', '--role', 'viewer', '--data', data],
        { input: `${PASSWORD}\n` },
      );
      expect(added.code, added.stderr).toBe(0);
      const proc = new CliProcess([
        'console',
        '--broker',
        broker.officeUrl,
        ...tls,
        '--listen',
        `127.0.0.1:${await freePort()}`,
        '--data',
        data,
        '--db',
        db.url,
        '--share-group',
        'console',
        '--log-level',
        'warn',
      ]);
      await proc.waitFor(/console listening on (http:\/\/\S+)/);
      consoles.push({ proc, url: /console listening on (http:\/\/\S+)/.exec(proc.stdout)![1]! });
    }
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    for (const c of consoles) {
      c.proc.child.kill('SIGTERM');
      await c.proc.exited;
    }
    await station?.endAsync(true);
    await broker?.stop();
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const login = (url: string): Promise<Page> => loginPage(browser, url, 'pia', PASSWORD);

  it('stores each event once, and both pages show every one', async () => {
    const pages = [await login(consoles[0]!.url), await login(consoles[1]!.url)];
    // Both instances are subscribed once their pages show the broker as connected.
    for (const p of pages) await p.locator('#broker[data-state="up"]').waitFor();
    const ids: string[] = [];
    for (let seq = 1; seq <= EVENTS; seq++) {
      const id = randomUUID();
      ids.push(id);
      await station.publishAsync(`jpki-locker/v1/${STATION}/events`, modeEvent(STATION, seq, id), {
        qos: 1,
      });
    }
    await expect
      .poll(
        async () =>
          (await db.query<{ n: string }>('SELECT count(*) AS n FROM console_events'))[0]!.n,
        { timeout: 20_000 },
      )
      .toBe(String(EVENTS));
    const rows = await db.query<{ id: string }>('SELECT id FROM console_events');
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids));
    for (const p of pages)
      await expect
        .poll(() => p.locator(`#event-list li[data-station="${STATION}"]`).count(), {
          timeout: 15_000,
        })
        .toBe(EVENTS);
    // The broker handed each event to one instance of the group, not to both.
    const taken = await Promise.all(
      pages.map((p) =>
        p.evaluate(async () => {
          const r = await fetch('/api/console');
          return ((await r.json()) as { stats: { events: number } }).stats.events;
        }),
      ),
    );
    expect(taken[0]! + taken[1]!).toBe(EVENTS);
  }, 120_000);
});
