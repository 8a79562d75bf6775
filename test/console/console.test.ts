/**
 * The operator console in a real browser (playwright-core + Debian's Chromium) against
 * mosquitto (TLS, per-station certificates, ACLs) with three running stations — each a child
 * process with the real MQTT gateway and outbox (test/console/station-process.ts) — and the
 * console started exactly as an operator would: `jpki-locker console --broker ...`.
 *
 * Acceptance (issue 8):
 * - a station going offline shows within one heartbeat interval (crash: SIGKILL -> will;
 *   hung or cut off: SIGSTOP -> no heartbeat -> `silent`);
 * - an alarm appears and can be acknowledged (audited with the operator's name);
 * - a remote open reaches the station and its answer shows; maintenance mode and a deadline
 *   extension too.
 * Screenshots go to test-artifacts/console/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, issueDevCert } from '../../controller/mqtt/dev-pki.js';
import { ActionLog } from '../../controller/console/action-log.js';
import { CliProcess, ROOT } from '../support/cli.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';

const HEARTBEAT_SEC = 3;
const STATIONS = ['nakano-01', 'nakano-02', 'suginami-01'];
const ARTIFACTS = path.join(ROOT, 'test-artifacts/console');
const SCRIPT = path.join(ROOT, 'test/console/station-process.ts');

/** A station child process with its output. */
class StationProcess {
  child!: ChildProcess;
  out = '';
  #waiters: { re: RegExp; resolve: () => void }[] = [];
  constructor(
    readonly id: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}
  start(): void {
    this.child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      this.#waiters = this.#waiters.filter((w) => !(w.re.test(this.out) && (w.resolve(), true)));
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
  }
  waitFor(re: RegExp, ms = 20_000): Promise<void> {
    if (re.test(this.out)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.id}: no ${re} in:\n${this.out}`)), ms);
      this.#waiters.push({
        re,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }
  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGCONT');
    this.child.kill(signal);
    await exited;
  }
}

describe('operator console (browser, mosquitto, running stations)', () => {
  let dir: string;
  let broker: Mosquitto;
  let consoleProc: CliProcess;
  let consoleUrl: string;
  let browser: Browser;
  let page: Page;
  const stations = new Map<string, StationProcess>();
  const actionLog = () => path.join(dir, 'actions.jsonl');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'console-test-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    broker = await Mosquitto.start({ stations: STATIONS });
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
    for (const id of STATIONS) {
      const u = broker.user(id);
      const s = new StationProcess(id, {
        ST_ID: id,
        ST_DB: path.join(dir, `${id}.db`),
        ST_URL: broker.tlsUrl,
        ST_CA: ca,
        ST_CERT: file(`${id}.pem`, u.cert),
        ST_KEY: file(`${id}-key.pem`, u.key),
        ST_ANCHOR: anchor,
        ST_HEARTBEAT_SEC: String(HEARTBEAT_SEC),
      });
      s.start();
      stations.set(id, s);
    }
    const office = broker.user('office');
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
      file('office.pem', office.cert),
      '--key',
      file('office-key.pem', office.key),
      '--sign-key',
      file('signer-key.pem', signer.keyPem),
      '--sign-cert',
      file('signer.pem', signer.certPem),
      '--action-log',
      actionLog(),
      '--heartbeat-sec',
      String(HEARTBEAT_SEC),
      '--log-level',
      'warn',
    ]);
    await consoleProc.waitFor(/console listening on (http:\/\/\S+)/);
    consoleUrl = /console listening on (http:\/\/\S+)/.exec(consoleProc.stdout)![1]!;
    await Promise.all([...stations.values()].map((s) => s.waitFor(/ready \d+/)));
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${consoleUrl}/?lang=en`);
    await page.fill('#operator', 'alice');
    await page.dispatchEvent('#operator', 'change');
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of stations.values()) await s.kill('SIGTERM').catch(() => undefined);
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
    await expect.poll(() => row('nakano-01').textContent()).toContain('0.1.0-sim');
    const text = (await row('nakano-01').textContent()) ?? '';
    expect(text).toContain('nakano'); // area
    expect(text).toMatch(/1h/); // CRL age from the heartbeat
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
    await victim.kill('SIGKILL');
    // The broker publishes the station's retained will as soon as the connection drops.
    await row('suginami-01')
      .and(page.locator('[data-presence="offline"]'))
      .waitFor({ timeout: HEARTBEAT_SEC * 1000 });
    const delayMs = Date.now() - t0;
    console.log(`killed station shown offline after ${delayMs} ms`);
    await expect
      .poll(() =>
        page.locator('.alarm[data-code="station_offline"][data-station="suginami-01"]').count(),
      )
      .toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'station-offline.png') });
  });

  it('shows a hung station (no heartbeat, connection still open) as silent within one interval after its heartbeat is due', async () => {
    const victim = stations.get('nakano-02')!;
    // Wait for a fresh heartbeat, then freeze the process: the worst case for detection.
    const before = await page.evaluate(async () => {
      const r = await fetch('/api/snapshot');
      const s = (await r.json()) as { stations: { id: string; lastHeartbeatAt: number }[] };
      return s.stations.find((x) => x.id === 'nakano-02')!.lastHeartbeatAt;
    });
    await expect
      .poll(
        async () =>
          page.evaluate(async () => {
            const r = await fetch('/api/snapshot');
            const s = (await r.json()) as { stations: { id: string; lastHeartbeatAt: number }[] };
            return s.stations.find((x) => x.id === 'nakano-02')!.lastHeartbeatAt;
          }),
        { timeout: HEARTBEAT_SEC * 2000, interval: 50 },
      )
      .not.toBe(before);
    const t0 = Date.now();
    victim.child.kill('SIGSTOP');
    // Due in one interval; `silent` once it is late by the grace (10 %, >= 250 ms).
    await row('nakano-02')
      .and(page.locator('[data-presence="silent"]'))
      .waitFor({ timeout: HEARTBEAT_SEC * 1000 + 1000 });
    const delayMs = Date.now() - t0;
    console.log(
      `hung station shown silent after ${delayMs} ms (interval ${HEARTBEAT_SEC * 1000} ms)`,
    );
    expect(await page.locator('[data-count="silent"]').textContent()).toContain('1');
    await page.screenshot({ path: path.join(ARTIFACTS, 'station-silent.png') });
    victim.child.kill('SIGCONT');
    await expect
      .poll(() => row('nakano-02').getAttribute('data-presence'), { timeout: 15_000 })
      .toBe('online');
  });

  it('shows a station alarm, newest first, and lets the operator acknowledge it (audited)', async () => {
    stations.get('nakano-01')!.send('alarm door_held_open main');
    const alarm = page.locator('.alarm[data-code="door_held_open"][data-station="nakano-01"]');
    await alarm.waitFor({ timeout: 10_000 });
    expect(await page.locator('.alarm').first().getAttribute('data-code')).toBe('door_held_open');
    await page.screenshot({ path: path.join(ARTIFACTS, 'alarm-raised.png') });
    await alarm.locator('button.ack').click();
    await expect.poll(() => alarm.getAttribute('data-acked')).toBe('true');
    expect(await alarm.textContent()).toContain('Acknowledged by alice');
    const log = readFileSync(actionLog(), 'utf8');
    expect(log).toContain('"action":"alarm.ack"');
    expect(log).toContain('"operator":"alice"');
    // The door's state shows in the station's detail.
    await row('nakano-01').click();
    await page.locator('.door[data-door="main"][data-status="held_open"]').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'alarm-acknowledged.png') });
  });

  it('sends a signed remote open that reaches the station, and shows its answer', async () => {
    await row('nakano-01').click();
    await page.locator('#detail-body[data-station="nakano-01"] #d-grid .cell').first().waitFor();
    expect(
      await page.locator('#d-grid .cell[data-compartment="A02"]').getAttribute('data-status'),
    ).toBe('loaded');
    await page.selectOption('#open-target', 'compartment:A03');
    await page.fill('#open-reason', 'ticket 5521: resident locked out');
    await page.click('#f-open button[type="submit"]');
    const answer = page.locator('#d-actions tr[data-status="accepted"]');
    await answer.waitFor({ timeout: 10_000 });
    expect(await answer.textContent()).toContain('alice');
    // It reached the station (verified there by the trust engine, then executed).
    await stations.get('nakano-01')!.waitFor(/executed remote\.open \{"compartment":"A03"/);
    // Its actuation event comes back on the event stream.
    await page
      .locator('#event-list li[data-kind="actuation"][data-station="nakano-01"]')
      .waitFor({ timeout: 10_000 });
    // A refusal shows its reason code: A05 is in fault.
    await page.selectOption('#open-target', 'compartment:A05');
    await page.click('#f-open button[type="submit"]');
    await page.locator('#d-actions tr[data-status="rejected"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#d-actions tr[data-status="rejected"]').textContent()).toContain(
      'hardware_fault',
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'remote-open-answered.png') });
    const log = ActionLog.verify(actionLog());
    expect(log.ok).toBe(true);
    expect(readFileSync(actionLog(), 'utf8')).toMatch(
      /"action":"command\.answered".*"status":"accepted"/,
    );
  });

  it('switches maintenance mode and extends a deadline with signed commands', async () => {
    await page.fill('#maint-reason', 'lock replacement');
    await page.click('#f-maint button[data-on="1"]');
    await expect
      .poll(() => page.locator('#d-mode').getAttribute('data-mode'), { timeout: 10_000 })
      .toBe('maintenance');
    await page.click('#f-maint button[data-on="0"]');
    await expect
      .poll(() => page.locator('#d-mode').getAttribute('data-mode'), { timeout: 10_000 })
      .toBe('active');
    await page.selectOption('#extend-delivery', 'D-2026-000001');
    await page.fill('#extend-deadline', '2030-01-31T18:00');
    await page.click('#f-extend button[type="submit"]');
    await stations
      .get('nakano-01')!
      .waitFor(/executed delivery\.extend \{"deliveryId":"D-2026-000001"/);
    await expect
      .poll(() => page.locator('#d-actions tr[data-status="accepted"]').count(), {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(4);
  });

  it('filters the event stream by station and kind, and speaks Japanese', async () => {
    await page.selectOption('#ev-kind', 'station.mode');
    await expect.poll(() => page.locator('#event-list li').count()).toBeGreaterThanOrEqual(2);
    const kinds = await page
      .locator('#event-list li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(new Set(kinds)).toEqual(new Set(['station.mode']));
    await page.selectOption('#ev-kind', '');
    await page.click('[data-lang="ja"]');
    expect(await page.locator('h1').textContent()).toBe('運用コンソール');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-ja.png') });
  });
});
