/**
 * The operator console in a real browser (playwright-core + Debian's Chromium) against
 * mosquitto (TLS, per-station certificates, ACLs) with REAL running stations — each
 * `jpki-locker start --config ...` with simulated card reader, locker board and GPIO, its
 * MQTT gateway, domain and outbox — and the console started exactly as an operator would:
 * `jpki-locker console --broker ...`.
 *
 * Acceptance (issue 8):
 * - a station going offline shows within one heartbeat interval (crash: SIGKILL -> the
 *   broker publishes its will; hung or cut off: SIGSTOP -> heartbeat overdue -> `silent`);
 * - an alarm appears and can be acknowledged (audited with the operator's name). The real
 *   daemon's simulated hardware cannot be driven from outside its process, so this one
 *   station is test/console/station-process.ts: the real MQTT gateway and outbox with a
 *   scripted domain that raises `door_held_open` when told to on stdin;
 * - a remote open reaches the station and its answer shows; maintenance mode and a deadline
 *   extension (accepted, and refused with its reason code) too.
 * Screenshots go to test-artifacts/console/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ActionLog } from '../../controller/console/action-log.js';
import { createDevCa, issueDevCert } from '../../controller/mqtt/dev-pki.js';
import { makeTestPki } from '../../controller/pki/test-pki.js';
import { CliProcess, ROOT, runCli } from '../support/cli.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { launchChromium } from '../support/browser.js';

const HEARTBEAT_SEC = 3;
const STATIONS = ['nakano-01', 'nakano-02', 'suginami-01'];
/** Started later: the gateway-backed scripted station that raises an alarm on request. */
const STALE = 'koenji-01';
const SCRIPT = path.join(ROOT, 'test/console/station-process.ts');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/console');
const HOLDER = '3f0c6b1e9d2a4c5b8e7f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5';

describe('operator console (browser, mosquitto, running stations)', () => {
  let dir: string;
  let broker: Mosquitto;
  let consoleProc: CliProcess;
  let consoleUrl: string;
  let browser: Browser;
  let page: Page;
  const stations = new Map<string, CliProcess>();
  const actionLog = () => path.join(dir, 'actions.jsonl');
  let startStation: (id: string) => Promise<CliProcess>;
  let startScripted: () => ChildProcess;
  let scripted: ChildProcess | undefined;
  let officeArgs: string[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'console-test-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    broker = await Mosquitto.start({ stations: [...STATIONS, STALE] });
    const file = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const ca = file('broker-ca.pem', broker.ca.certPem);
    // The municipality's command-signing CA and the console's signer.
    const cmdCa = await createDevCa('Test municipality command CA');
    const signer = await issueDevCert(cmdCa, { commonName: 'operator console', usage: 'command' });
    const anchor = file('cmd-ca.pem', cmdCa.certPem);
    const signKey = file('signer-key.pem', signer.keyPem);
    const signCert = file('signer.pem', signer.certPem);
    // JPKI-like roots and a fresh CRL for the stations' trust engines.
    const pkiDir = path.join(dir, 'pki');
    mkdirSync(pkiDir);
    const pki = await makeTestPki({ outDir: pkiDir, holders: 1 });
    startStation = async (id: string) => {
      const u = broker.user(id);
      const p = { m: pki, d: pkiDir };
      const config = {
        station: { id, name: id, mode: 'both' },
        storage: { path: path.join(dir, `${id}.db`) },
        web: { enabled: false },
        log: { level: 'warn', format: 'json' },
        mqtt: {
          url: broker.tlsUrl,
          ca,
          cert: file(`${id}.pem`, u.cert),
          key: file(`${id}-key.pem`, u.key),
          heartbeatSec: HEARTBEAT_SEC,
          reconnectMinMs: 200,
          reconnectMaxMs: 1000,
        },
        card: { driver: 'sim' },
        trust: {
          commandAnchors: [anchor],
          authAnchors: [path.join(p.d, p.m.roots.auth)],
          signAnchors: [path.join(p.d, p.m.roots.sign)],
          crlUrls: [path.join(p.d, p.m.crls.auth)],
          crlToleranceHours: 24,
        },
        board: { driver: 'sim', boards: [{ address: 0, locks: 6 }] },
        gpio: {
          driver: 'sim',
          outputs: [{ name: 'front-relay', line: 17, activeLow: true }],
          inputs: [{ name: 'front-contact', line: 27, kind: 'door' }],
        },
        compartments: Array.from({ length: 6 }, (_, i) => ({
          id: `A0${i + 1}`,
          board: 0,
          lock: i + 1,
          size: i < 2 ? 'S' : i < 4 ? 'M' : 'L',
        })),
        doors: [{ id: 'front', name: 'Front', relay: 'front-relay', contact: 'front-contact' }],
      };
      const station = new CliProcess(['start', '--config', file(`${id}.yaml`, stringify(config))]);
      stations.set(id, station);
      return station;
    };
    for (const id of STATIONS) await startStation(id);
    startScripted = () => {
      const u = broker.user(STALE);
      const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
        cwd: ROOT,
        env: {
          ...process.env,
          ST_ID: STALE,
          ST_DB: path.join(dir, `${STALE}.db`),
          ST_URL: broker.tlsUrl,
          ST_CA: ca,
          ST_CERT: file(`${STALE}.pem`, u.cert),
          ST_KEY: file(`${STALE}-key.pem`, u.key),
          ST_ANCHOR: anchor,
          ST_HEARTBEAT_SEC: String(HEARTBEAT_SEC),
        },
        stdio: ['pipe', 'ignore', 'inherit'],
      });
      scripted = child;
      return child;
    };
    const office = broker.user('office');
    const officeCert = file('office.pem', office.cert);
    const officeKey = file('office-key.pem', office.key);
    officeArgs = ['--url', broker.tlsUrl, '--ca', ca, '--cert', officeCert, '--key', officeKey];
    officeArgs.push('--sign-key', signKey, '--sign-cert', signCert);
    const port = await freePort();
    consoleProc = new CliProcess([
      'console',
      '--broker',
      broker.tlsUrl,
      '--listen',
      `127.0.0.1:${port}`,
      '--ca',
      ca,
      '--cert',
      officeCert,
      '--key',
      officeKey,
      '--sign-key',
      signKey,
      '--sign-cert',
      signCert,
      '--action-log',
      actionLog(),
      '--heartbeat-sec',
      String(HEARTBEAT_SEC),
      '--log-level',
      'warn',
    ]);
    await consoleProc.waitFor(/console listening on (http:\/\/\S+)/);
    consoleUrl = /console listening on (http:\/\/\S+)/.exec(consoleProc.stdout)![1]!;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${consoleUrl}/?lang=en`);
    await page.fill('#operator', 'alice');
    await page.dispatchEvent('#operator', 'change');
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of stations.values()) {
      s.child.kill('SIGCONT');
      s.child.kill('SIGTERM');
      await s.exited;
    }
    if (scripted && scripted.exitCode === null) {
      const exited = new Promise((r) => scripted!.once('exit', r));
      scripted.kill('SIGTERM');
      await exited;
    }
    if (consoleProc) {
      consoleProc.child.kill('SIGTERM');
      await consoleProc.exited;
    }
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const row = (id: string) => page.locator(`.row.st[data-station="${id}"]`);

  it('lists every running station online, with heartbeat age, version, CRL age and outbox depth', async () => {
    for (const id of STATIONS)
      await expect
        .poll(() => row(id).getAttribute('data-presence'), { timeout: 15_000 })
        .toBe('online');
    // Version, heartbeat age and CRL cell once the first heartbeat is in.
    await expect
      .poll(() => row('nakano-01').locator('span').nth(3).textContent(), { timeout: 15_000 })
      .toMatch(/^\d+s$/);
    const text = (await row('nakano-01').textContent()) ?? '';
    expect(text).toContain('nakano'); // area
    expect(text).toMatch(/\d+\.\d+\.\d+/); // software version
    // Search by area narrows the list.
    await page.fill('#fleet-search', 'suginami');
    await expect.poll(() => page.locator('.row.st').count()).toBe(1);
    await page.fill('#fleet-search', '');
    await expect.poll(() => page.locator('.row.st').count()).toBe(3);
    await page.screenshot({ path: path.join(ARTIFACTS, 'fleet-online.png') });
  });

  it('shows a station whose process was killed as offline within one heartbeat interval', async () => {
    const victim = stations.get('suginami-01')!;
    const t0 = Date.now();
    victim.child.kill('SIGKILL');
    // The broker publishes the station's retained will as soon as the connection drops.
    await row('suginami-01')
      .and(page.locator('[data-presence="offline"]'))
      .waitFor({ timeout: HEARTBEAT_SEC * 1000 });
    console.log(`killed station shown offline after ${Date.now() - t0} ms`);
    await expect
      .poll(() =>
        page.locator('.alarm[data-code="station_offline"][data-station="suginami-01"]').count(),
      )
      .toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'station-offline.png') });
  });

  it('shows a hung station (connection open, no heartbeat) as silent one interval + 10 % after its last heartbeat', async () => {
    const victim = stations.get('nakano-02')!;
    const lastHeartbeat = () =>
      page.evaluate(async () => {
        const r = await fetch('/api/snapshot');
        const s = (await r.json()) as { stations: { id: string; lastHeartbeatAt: number }[] };
        return s.stations.find((x) => x.id === 'nakano-02')!.lastHeartbeatAt;
      });
    // Freeze it right after a heartbeat: the worst case for detection.
    const before = await lastHeartbeat();
    await expect
      .poll(lastHeartbeat, { timeout: HEARTBEAT_SEC * 2000, interval: 50 })
      .not.toBe(before);
    const t0 = Date.now();
    victim.child.kill('SIGSTOP');
    await row('nakano-02')
      .and(page.locator('[data-presence="silent"]'))
      .waitFor({ timeout: HEARTBEAT_SEC * 1000 + 1000 });
    console.log(
      `hung station shown silent after ${Date.now() - t0} ms (interval ${HEARTBEAT_SEC * 1000} ms)`,
    );
    expect(await page.locator('[data-count="silent"]').textContent()).toContain('1');
    await page.screenshot({ path: path.join(ARTIFACTS, 'station-silent.png') });
    victim.child.kill('SIGCONT');
    await expect
      .poll(() => row('nakano-02').getAttribute('data-presence'), { timeout: 20_000 })
      .toBe('online');
  });

  it('shows a new station alarm, newest first, and lets the operator acknowledge it (audited)', async () => {
    const child = startScripted();
    await expect
      .poll(() => row(STALE).getAttribute('data-presence'), { timeout: 30_000 })
      .toBe('online');
    child.stdin!.write('alarm door_held_open main\n');
    const alarm = page.locator(`.alarm[data-code="door_held_open"][data-station="${STALE}"]`);
    await alarm.waitFor({ timeout: 15_000 });
    expect(await page.locator('.alarm').first().getAttribute('data-station')).toBe(STALE);
    await page.screenshot({ path: path.join(ARTIFACTS, 'alarm-raised.png') });
    await alarm.locator('button.ack').click();
    await expect.poll(() => alarm.getAttribute('data-acked')).toBe('true');
    expect(await alarm.textContent()).toContain('Acknowledged by alice');
    const log = readFileSync(actionLog(), 'utf8');
    expect(log).toMatch(/"operator":"alice","action":"alarm\.ack","station":"koenji-01"/);
    await page.check('#alarm-unacked');
    await expect.poll(() => alarm.count()).toBe(0);
    await page.uncheck('#alarm-unacked');
    // The door's state shows in the station's detail.
    await row(STALE).click();
    await page.locator('.door[data-door="main"][data-status="held_open"]').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'alarm-acknowledged.png') });
    // Cleared at the station: no longer listed as active.
    child.stdin!.write('clear door_held_open main\n');
    await expect.poll(() => alarm.count(), { timeout: 15_000 }).toBe(0);
  });

  it('sends a signed remote open that reaches the station, and shows its answer', async () => {
    await row('nakano-01').click();
    await page.locator('#detail-body[data-station="nakano-01"] #d-grid .cell').first().waitFor();
    expect(await page.locator('#d-grid .cell').count()).toBe(6);
    expect(await page.locator('.door[data-door="front"]').getAttribute('data-status')).toBe(
      'locked',
    );
    await page.selectOption('#open-target', 'compartment:A03');
    await page.fill('#open-reason', 'ticket 5521: resident locked out');
    await page.click('#f-open button[type="submit"]');
    const answer = page.locator('#d-actions tr[data-status="accepted"]');
    await answer.waitFor({ timeout: 15_000 });
    expect(await answer.textContent()).toContain('alice');
    // The station's domain pulsed the lock and reported it from its outbox.
    await page
      .locator('#event-list li[data-kind="actuation"][data-station="nakano-01"]')
      .waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'remote-open-answered.png') });
    const chain = ActionLog.verify(actionLog());
    expect(chain.ok).toBe(true);
    expect(readFileSync(actionLog(), 'utf8')).toMatch(
      /"action":"command\.answered".*"status":"accepted"/,
    );
  });

  it('switches maintenance mode, and extends a deadline (accepted; refused with its reason)', async () => {
    await page.fill('#maint-reason', 'lock replacement');
    await page.click('#f-maint button[data-on="1"]');
    await expect
      .poll(() => page.locator('#d-mode').getAttribute('data-mode'), { timeout: 15_000 })
      .toBe('maintenance');
    await page.click('#f-maint button[data-on="0"]');
    await expect
      .poll(() => page.locator('#d-mode').getAttribute('data-mode'), { timeout: 15_000 })
      .toBe('active');
    // The back office assigns a delivery (the office CLI, same signer).
    const assigned = await runCli([
      'office',
      'assign',
      ...officeArgs,
      '--station',
      'nakano-01',
      '--delivery',
      'D-2026-000001',
      '--compartment',
      'A02',
      '--holder',
      HOLDER,
      '--deadline',
      new Date(Date.now() + 2 * 86_400_000).toISOString(),
    ]);
    expect(assigned.code, assigned.stderr + assigned.stdout).toBe(0);
    await page.locator('#extend-delivery option[value="D-2026-000001"]').waitFor({
      state: 'attached',
      timeout: 15_000,
    });
    await page.selectOption('#extend-delivery', 'D-2026-000001');
    // A deadline three days ahead of the real clock the station runs on (datetime-local form).
    const ahead = new Date(Date.now() + 3 * 86_400_000);
    const local = new Date(ahead.getTime() - ahead.getTimezoneOffset() * 60_000);
    await page.fill('#extend-deadline', local.toISOString().slice(0, 16));
    await page.click('#f-extend button[type="submit"]');
    await expect
      .poll(() => page.locator('#d-actions tr[data-status="accepted"]').count(), {
        timeout: 15_000,
      })
      .toBe(4);
    await page.fill('#extend-deadline', '2001-01-31T18:00');
    await page.click('#f-extend button[type="submit"]');
    const refused = page.locator('#d-actions tr[data-status="rejected"]');
    await refused.waitFor({ timeout: 15_000 });
    expect(await refused.textContent()).toContain('invalid_deadline');
    await page.screenshot({ path: path.join(ARTIFACTS, 'actions-answered.png') });
  });

  it('filters the event stream by station and kind, and speaks Japanese', async () => {
    await page.selectOption('#ev-kind', 'station.mode');
    await expect.poll(() => page.locator('#event-list li').count()).toBeGreaterThanOrEqual(2);
    const kinds = await page
      .locator('#event-list li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(new Set(kinds)).toEqual(new Set(['station.mode']));
    await page.selectOption('#ev-kind', '');
    await page.fill('#ev-station', 'koenji');
    await expect
      .poll(
        async () =>
          new Set(
            await page
              .locator('#event-list li')
              .evaluateAll((els) => els.map((e) => e.getAttribute('data-station'))),
          ),
      )
      .toEqual(new Set([STALE]));
    await page.fill('#ev-station', '');
    await page.click('[data-lang="ja"]');
    expect(await page.locator('h1').textContent()).toBe('運用コンソール');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-ja.png') });
  });
});
