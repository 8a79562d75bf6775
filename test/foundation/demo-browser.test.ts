import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactDir, launchChromium } from '../support/browser.js';
import { CliProcess } from '../support/cli.js';
import { freeLoopbackPort } from '../support/ports.js';

// The README's run command starts `jpki-locker demo`; this drives the same command.
describe('demo station in Chromium', () => {
  let demo: CliProcess;
  let browser: Browser;
  let base: string;
  let data: string | undefined;

  beforeAll(async () => {
    data = mkdtempSync(path.join(os.tmpdir(), 'jl-demo-'));
    const [webPort, brokerPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    demo = new CliProcess([
      'demo',
      '--data',
      data,
      '--port',
      String(webPort),
      '--broker-port',
      String(brokerPort),
    ]);
    await demo.waitFor('jpki-locker demo is running');
    base = `http://127.0.0.1:${webPort}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (demo) {
      demo.kill('SIGTERM');
      expect((await demo.exited).code).toBe(0);
    }
    if (data) rmSync(data, { recursive: true, force: true });
  });

  it('renders the station screen and the simulator, and both react to a simulated card insertion', async () => {
    const shots = artifactDir('foundation');
    const kiosk = await browser.newPage({ viewport: { width: 1024, height: 600 } });
    const sim = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await kiosk.goto(`${base}/`);
    await sim.goto(`${base}/simulator`);
    // data-rev: rendered (kiosk.html itself already says data-screen="idle").
    await kiosk.waitForSelector('body[data-rev][data-screen="idle"]');
    await sim.waitForSelector('body[data-ready="true"]');
    expect(await sim.locator('#compartments .cell').count()).toBe(8);
    await expect.poll(() => sim.locator('#card-status').getAttribute('data-present')).toBe('false');
    await kiosk.screenshot({ path: path.join(shots, 'kiosk-idle.png') });

    await sim.selectOption('#holder', '0');
    await sim.click('#insert-card');
    await sim.waitForSelector('#card-status[data-present="true"]');
    // The station screen leaves its idle screen when the card goes in.
    await kiosk.waitForSelector('body:not([data-screen="idle"])');
    await kiosk.screenshot({ path: path.join(shots, 'kiosk-card-inserted.png') });
    await sim.screenshot({ path: path.join(shots, 'simulator-card-inserted.png') });

    await sim.click('#remove-card');
    await sim.waitForSelector('#card-status[data-present="false"]');
    await kiosk.waitForSelector('body[data-screen="idle"]');

    // The back-office button sends a signed command through the embedded broker.
    await sim.click('#assign');
    await expect
      .poll(() => sim.textContent('#office-answer'), { timeout: 20_000 })
      .toContain('"status": "accepted"');
    expect(await sim.textContent('#office-answer')).toContain('"compartment": "A0');
  });
});
