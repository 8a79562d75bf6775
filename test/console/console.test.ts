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
 *
 * Acceptance (issue 16), same setup, accounts made with `jpki-locker console user add`:
 * - log in, act, log out; a command without the CSRF token, with a foreign Host (a page
 *   whose name resolves to the console: DNS rebinding), from a cross-origin page, or from a
 *   viewer is refused and nothing is sent;
 * - a door `remote.open` is sent only after a second operator approves, both names in the
 *   action log and the signed claims; an unapproved one expires and is never sent;
 * - lock-out after repeated failures, with its action-log event.
 * Screenshots go to test-artifacts/console/.
 */
import { createServer, type Server } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import mqtt from 'mqtt';
import { ActionLog } from '../../office/console/action-log.js';
import { createDevCa, issueDevCert, issueDevCrl } from '../support/dev-pki.js';
import { makeTestPki } from '../../controller/pki/test-pki.js';
import { CliProcess, ROOT, runCli } from '../support/cli.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { CHROMIUM, CHROMIUM_ARGS, launchChromium } from '../support/browser.js';
import { parseCompactJws } from '../../shared/mqtt/jws.js';

const HEARTBEAT_SEC = 3;
const STATIONS = ['nakano-01', 'nakano-02', 'suginami-01'];
/** Started later: the gateway-backed scripted station that raises an alarm on request. */
const STALE = 'koenji-01';
const SCRIPT = path.join(ROOT, 'test/console/station-process.ts');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/console');
const HOLDER = '3f0c6b1e9d2a4c5b8e7f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5';
/** Seconds a guarded command waits for its second operator. */
const APPROVAL_SEC = 10;
const PASSWORDS: Record<string, string> = {
  alice: 'alice-password-1',
  bob: 'bob-password-22',
  vera: 'vera-password-3',
  locky: 'locky-password-4',
};

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
  let consolePort: number;

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
    // The command CA's CRL: the console delivers it to every station (--command-crl).
    const cmdCrl = file(
      'cmd-crl.pem',
      (await issueDevCrl(cmdCa, { revoked: [], crlNumber: 1n, validDays: 30 })).pem,
    );
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
    officeArgs = ['--url', broker.officeUrl, '--ca', ca, '--cert', officeCert, '--key', officeKey];
    officeArgs.push('--sign-key', signKey, '--sign-cert', signCert);
    const dataDir = path.join(dir, 'console-data');
    const accounts = [
      ['alice', 'operator'],
      ['bob', 'operator'],
      ['vera', 'viewer'],
      ['locky', 'operator'],
    ] as const;
    const added = await Promise.all(
      accounts.map(([name, role]) =>
        runCli(['console', 'user', 'add', name, '--role', role, '--data', dataDir], {
          input: `${PASSWORDS[name]}\n`,
        }),
      ),
    );
    for (const r of added) expect(r.code, r.stderr).toBe(0);
    const listed = await runCli(['console', 'user', 'list', '--data', dataDir]);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).name),
    ).toEqual(['alice', 'bob', 'locky', 'vera']);
    expect(listed.stdout).not.toContain('scrypt');
    const port = await freePort();
    consolePort = port;
    consoleProc = new CliProcess([
      'console',
      '--broker',
      broker.officeUrl,
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
      '--command-crl',
      cmdCrl,
      '--data',
      dataDir,
      '--action-log',
      actionLog(),
      '--approval-sec',
      String(APPROVAL_SEC),
      '--heartbeat-sec',
      String(HEARTBEAT_SEC),
      '--log-level',
      'warn',
    ]);
    await consoleProc.waitFor(/console listening on (http:\/\/\S+)/);
    consoleUrl = /console listening on (http:\/\/\S+)/.exec(consoleProc.stdout)![1]!;
    browser = await launchChromium();
    page = await loginPage(browser, 'alice');
  }, 180_000);

  /** A fresh browser context logged in through the form. */
  async function loginPage(b: Browser, user: string): Promise<Page> {
    const ctx: BrowserContext = await b.newContext({ viewport: { width: 1500, height: 950 } });
    const p = await ctx.newPage();
    await p.goto(`${consoleUrl}/?lang=en`);
    await p.locator('#login').waitFor();
    await p.fill('#login-user', user);
    await p.fill('#login-password', PASSWORDS[user]!);
    await p.click('#f-login button[type="submit"]');
    await p.locator('#main').waitFor();
    await p.waitForFunction((u) => document.getElementById('who-name')?.textContent === u, user);
    return p;
  }
  const logLines = () =>
    readFileSync(actionLog(), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            action: string;
            operator: string;
            ref: string;
            detail: Record<string, unknown>;
          },
      );
  const sentCount = () => logLines().filter((l) => l.action === 'command.sent').length;

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
    // The rule (one interval + 10 %) is the fleet model's, tested there on an injected clock;
    // here the deadline only guards against a page that never says so.
    await row('nakano-02')
      .and(page.locator('[data-presence="silent"]'))
      .waitFor({ timeout: HEARTBEAT_SEC * 4000 });
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
  it('draws the charts with uPlot under the CSP (no violation), and counts stations by area', async () => {
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await row('nakano-01').click();
    await page.locator('#chart-attempts .uplot').waitFor({ timeout: 15_000 });
    await page.locator('#chart-heartbeat .uplot').waitFor({ timeout: 15_000 });
    expect(await page.locator('#chart-scope').textContent()).toBe('nakano-01');
    await page.locator('#area-rows tr[data-area="nakano"]').waitFor({ timeout: 10_000 });
    const nakano = await page.locator('#area-rows tr[data-area="nakano"] td').allTextContents();
    expect(nakano.slice(0, 2)).toEqual(['nakano', '2']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'charts.png') });
    expect(violations).toEqual([]);
  });

  it('sends a door remote open only after a second operator approves; both names in the log and the signed claims', async () => {
    // Watch the station's command topic as the office does: what is signed goes there.
    const office = broker.user('office');
    const watcher = await mqtt.connectAsync(broker.officeUrl, {
      ca: broker.ca.certPem,
      cert: office.cert,
      key: office.key,
      protocolVersion: 5,
      clientId: `console-test-watch-${process.pid}`,
    });
    const signed: Record<string, unknown>[] = [];
    watcher.on('message', (_t, payload) => {
      const jws = parseCompactJws((JSON.parse(payload.toString()) as { jws: string }).jws);
      if (!('problem' in jws))
        signed.push(JSON.parse(jws.payload.toString()) as Record<string, unknown>);
    });
    await watcher.subscribeAsync('jpki-locker/v1/nakano-01/cmd', { qos: 1 });
    try {
      await row('nakano-01').click();
      await page.locator('#detail-body[data-station="nakano-01"] #d-grid .cell').first().waitFor();
      const before = sentCount();
      await page.selectOption('#open-target', 'door:front');
      await page.fill('#open-reason', 'ticket 7788: fire brigade inspection');
      await page.click('#f-open button[type="submit"]');
      const pending = page.locator('.approval[data-status="pending"][data-station="nakano-01"]');
      await pending.waitFor({ timeout: 10_000 });
      const id = (await pending.getAttribute('data-approval'))!;
      expect(sentCount()).toBe(before);
      expect(
        logLines().find((l) => l.action === 'approval.requested' && l.ref === id)?.operator,
      ).toBe('alice');
      // The asker cannot approve her own request (the page offers only "withdraw").
      expect(await pending.locator('button.approve').count()).toBe(0);
      const self = await page.evaluate(async (approvalId) => {
        const info = (await (await fetch('/api/console')).json()) as { session: { csrf: string } };
        const r = await fetch(`/api/approvals/${approvalId}/approve`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': info.session.csrf },
          body: '{}',
        });
        return { status: r.status, body: await r.json() };
      }, id);
      expect(self).toEqual({ status: 409, body: { error: 'same_operator' } });
      expect(sentCount()).toBe(before);

      const bob = await loginPage(browser, 'bob');
      const theirs = bob.locator(`.approval[data-approval="${id}"] button.approve`);
      await theirs.waitFor({ timeout: 10_000 });
      await bob.screenshot({ path: path.join(ARTIFACTS, 'approval-pending.png') });
      await theirs.click();
      await bob.locator(`.approval[data-approval="${id}"][data-status="approved"]`).waitFor();
      await page.locator(`.approval[data-approval="${id}"][data-status="approved"]`).waitFor();
      await expect
        .poll(
          () =>
            logLines().find((l) => l.action === 'command.sent' && l.detail.approvedBy === 'bob'),
          {
            timeout: 10_000,
          },
        )
        .toBeTruthy();
      const sent = logLines().find(
        (l) => l.action === 'command.sent' && l.detail.approvedBy === 'bob',
      )!;
      expect(sent.operator).toBe('alice');
      expect(
        logLines().find((l) => l.action === 'approval.granted' && l.ref === id)?.operator,
      ).toBe('bob');
      await expect
        .poll(
          () =>
            logLines().find((l) => l.action === 'command.answered' && l.ref === sent.ref)?.detail,
          { timeout: 15_000 },
        )
        .toMatchObject({ status: 'accepted' });
      await expect.poll(() => signed.find((c) => c.id === sent.ref)).toBeTruthy();
      expect(signed.find((c) => c.id === sent.ref)).toMatchObject({
        kind: 'remote.open',
        body: { door: 'front' },
        operator: 'alice',
        approvedBy: 'bob',
      });
      await bob.context().close();
    } finally {
      await watcher.endAsync();
    }
  });

  it('lets an unapproved door open expire without sending it', async () => {
    const before = sentCount();
    await page.selectOption('#open-target', 'door:front');
    await page.fill('#open-reason', 'nobody will approve this');
    await page.click('#f-open button[type="submit"]');
    const pending = page.locator('.approval[data-status="pending"][data-station="nakano-01"]');
    await pending.waitFor({ timeout: 10_000 });
    const id = (await pending.getAttribute('data-approval'))!;
    await page
      .locator(`.approval[data-approval="${id}"][data-status="expired"]`)
      .waitFor({ timeout: (APPROVAL_SEC + 5) * 1000 });
    expect(logLines().find((l) => l.action === 'approval.expired' && l.ref === id)?.operator).toBe(
      'alice',
    );
    expect(sentCount()).toBe(before);
  });

  it('refuses a command without CSRF token, from a viewer, from a cross-origin page or under a foreign Host; nothing is sent', async () => {
    const before = sentCount();
    const cmd = {
      kind: 'station.maintenance',
      body: { enabled: true, reason: 'should not happen' },
    };
    // Logged in, but no CSRF token.
    const noCsrf = await page.evaluate(async (b) => {
      const r = await fetch('/api/stations/nakano-01/commands', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(b),
      });
      return r.status;
    }, cmd);
    expect(noCsrf).toBe(403);
    // A viewer, with its own valid CSRF token.
    const vera = await loginPage(browser, 'vera');
    expect(await vera.locator('#f-open button[type="submit"]').isDisabled()).toBe(true);
    const asViewer = await vera.evaluate(async (b) => {
      const info = (await (await fetch('/api/console')).json()) as { session: { csrf: string } };
      const r = await fetch('/api/stations/nakano-01/commands', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': info.session.csrf },
        body: JSON.stringify(b),
      });
      return r.status;
    }, cmd);
    expect(asViewer).toBe(403);
    await vera.context().close();
    // A page on another origin, in the logged-in operator's browser, tries every way in.
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><body><form id="f" method="POST" action="${consoleUrl}/api/stations/nakano-01/commands" enctype="text/plain"><input name='{"kind":"station.maintenance","body":{"enabled":true,"reason":"x"},"y":"' value='"}'></form>
<script>
(async () => {
  const url = ${JSON.stringify(consoleUrl)} + '/api/stations/nakano-01/commands';
  const body = JSON.stringify(${JSON.stringify(cmd)});
  const out = [];
  try { await fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body }); out.push('no-cors sent'); } catch (e) { out.push('no-cors failed'); }
  try { const r = await fetch(url, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'x-csrf-token': 'guess' }, body }); out.push('cors ' + r.status); } catch (e) { out.push('cors blocked'); }
  document.title = out.join('; ');
})();
</script></body>`);
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
    const attackPort = (attacker.address() as { port: number }).port;
    try {
      const evil = await page.context().newPage();
      await evil.goto(`http://localhost:${attackPort}/`);
      await expect.poll(() => evil.title()).toMatch(/cors/);
      expect(await evil.title()).toContain('cors blocked');
      // A text/plain form post (no preflight): the browser navigates to the refusal.
      await Promise.all([
        evil.waitForURL(`${consoleUrl}/api/stations/nakano-01/commands`),
        evil
          .evaluate(() => (document.getElementById('f') as HTMLFormElement).submit())
          .catch(() => undefined),
      ]);
      expect(await evil.textContent('body')).toMatch(
        /content-type must be application\/json|login required/,
      );
      await evil.close();
    } finally {
      await new Promise((r) => attacker.close(r));
    }
    // DNS rebinding: a name of the attacker's that resolves to the console's address.
    const rebound = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP rebind.example 127.0.0.1`],
      headless: true,
    });
    try {
      const p = await rebound.newPage();
      const r = await p.goto(`http://rebind.example:${consolePort}/api/console`);
      expect(r?.status()).toBe(421);
      const posted = await p.evaluate(async (b) => {
        const res = await fetch('/api/stations/nakano-01/commands', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(b),
        });
        return res.status;
      }, cmd);
      expect(posted).toBe(421);
    } finally {
      await rebound.close();
    }
    expect(sentCount()).toBe(before);
    expect(readFileSync(actionLog(), 'utf8')).not.toContain('should not happen');
  });

  it('locks an account after repeated wrong passwords, with the event in the action log', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`${consoleUrl}/?lang=en`);
    // Each try waits for the console's answer to that login, then reads what the page says.
    const attempt = async (password: string) => {
      await p.fill('#login-user', 'locky');
      await p.fill('#login-password', password);
      const [answer] = await Promise.all([
        p.waitForResponse((r) => r.url().endsWith('/api/login')),
        p.click('#f-login button[type="submit"]'),
      ]);
      await expect.poll(() => p.locator('#login-error').textContent()).not.toBe('');
      return { status: answer.status(), text: await p.locator('#login-error').textContent() };
    };
    for (let i = 1; i <= 5; i++) {
      const r = await attempt(`wrong-password-${i}`);
      expect(r.status).toBe(i < 5 ? 401 : 423);
      expect(r.text).toMatch(i < 5 ? /Wrong/ : /Locked/);
    }
    // The right password no longer helps until the lock-out ends.
    expect(await attempt(PASSWORDS.locky!)).toMatchObject({ status: 423, text: /Locked/ });
    expect(await p.locator('#main').isHidden()).toBe(true);
    expect(
      logLines()
        .filter((l) => l.action === 'account.locked')
        .map((l) => l.operator),
    ).toEqual(['locky']);
    expect(readFileSync(actionLog(), 'utf8')).not.toMatch(/wrong-password|locky-password/);
    await ctx.close();
  });

  it('logs out: the page asks for a login again and the API refuses the old session', async () => {
    await page.click('#logout');
    await page.locator('#login').waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/snapshot')).status)).toBe(401);
    expect(logLines().some((l) => l.action === 'logout' && l.operator === 'alice')).toBe(true);
  });
});
