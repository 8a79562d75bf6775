/**
 * History that survives (issue 16): the console (`jpki-locker console`, real process, data in
 * its own folder) is stopped while a station keeps publishing events to mosquitto; after a
 * restart on the same data folder, its persistent MQTT session (clean start false, session
 * expiry) hands over the gap, and every event of the gap is listed — once — by the API and on
 * the page, next to the events stored before the stop. A redelivered copy stays one event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { CliProcess, runCli } from '../support/cli.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { launchChromium } from '../support/browser.js';
import { connectBareStation, loginPage, modeEvent, officeTlsArgs } from './fixtures.js';

const STATION = 'gap-01';
const PASSWORD = 'history-password-1';

describe('console history across a restart (mosquitto, real console process, Chromium)', () => {
  let dir: string;
  let broker: Mosquitto;
  let station: MqttClient;
  let browser: Browser;
  let consoleArgs: string[];
  let consoleProc: CliProcess | undefined;
  let consoleUrl = '';
  let seq = 0;
  const sentIds: string[] = [];

  const startConsole = async () => {
    const p = new CliProcess(consoleArgs);
    await p.waitFor(/console listening on (http:\/\/\S+)/);
    consoleUrl = /console listening on (http:\/\/\S+)/.exec(p.stdout)![1]!;
    consoleProc = p;
  };
  const stopConsole = async () => {
    consoleProc!.child.kill('SIGTERM');
    expect((await consoleProc!.exited).code).toBe(0);
    consoleProc = undefined;
  };
  const publish = async (n: number, copy?: string) => {
    for (let i = 0; i < n; i++) {
      const id = copy ?? randomUUID();
      if (!copy) {
        seq++;
        sentIds.push(id);
      }
      const s = copy ? sentIds.indexOf(copy) + 1 : seq;
      await station.publishAsync(`jpki-locker/v1/${STATION}/events`, modeEvent(STATION, s, id), {
        qos: 1,
      });
    }
  };
  const login = (): Promise<Page> => loginPage(browser, consoleUrl, 'hana', PASSWORD);
  const storedIds = (page: Page) =>
    page.evaluate(async (s) => {
      const r = await fetch(`/api/events?station=${s}&limit=1000`);
      return ((await r.json()) as { id: string }[]).map((e) => e.id);
    }, STATION);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'console-history-'));
    broker = await Mosquitto.start({ stations: [STATION] });
    station = await connectBareStation(broker, STATION);
    const data = path.join(dir, 'console-data');
    const added = await runCli(
      ['console', 'user', 'add', 'hana', '--role', 'viewer', '--data', data],
      {
        input: `${PASSWORD}\n`,
      },
    );
    expect(added.code, added.stderr).toBe(0);
    const port = await freePort();
    consoleArgs = [
      'console',
      '--broker',
      broker.officeUrl,
      ...officeTlsArgs(broker, dir),
      '--listen',
      `127.0.0.1:${port}`,
      '--data',
      data,
      '--log-level',
      'warn',
    ];
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (consoleProc) {
      consoleProc.child.kill('SIGTERM');
      await consoleProc.exited;
    }
    await station?.endAsync(true);
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every event published while it was down, once, after a restart', async () => {
    await startConsole();
    let page = await login();
    await publish(5);
    await expect.poll(() => storedIds(page), { timeout: 15_000 }).toHaveLength(5);
    await page.context().close();

    await stopConsole();
    await publish(20); // the gap: the console is not running
    await publish(1, sentIds[3]); // and a copy of an event it already has
    await startConsole();
    page = await login();
    await expect.poll(async () => (await storedIds(page)).length, { timeout: 20_000 }).toBe(25);
    const ids = await storedIds(page);
    expect(new Set(ids).size).toBe(25);
    expect(new Set(ids)).toEqual(new Set(sentIds));
    // The page lists them: the snapshot carries the history, the event list shows the station's.
    await page.fill('#ev-station', STATION);
    await expect
      .poll(() => page.locator(`#event-list li[data-station="${STATION}"]`).count(), {
        timeout: 10_000,
      })
      .toBe(25);
    await page.context().close();
  }, 120_000);
});
