// Screenshots of the pickup story on the 7" panel (800x480), in Japanese and English, taken
// from the real demo (`jpki-locker demo`: embedded broker, simulated reader and boards, virtual
// JPKI cards) in Debian's Chromium, so docs/screens/ stays current with the page.
//
//   node --import tsx scripts/kiosk-screens.ts [--out docs/screens]
//
// The story, per language: the back office makes card 1 the loading staff and releases a
// document for card 0; staff card + PIN, the document goes in, the door closes; then, on
// camera, the resident: idle, card on the reader, PIN pad, a wrong PIN, the PIN typed, the
// door open, collected, and the error screen of a card with nothing left to collect.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freeLoopbackPort } from '../controller/demo/demo-script.js';
import { CliProcess } from '../test/support/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--out');
const OUT = path.resolve(at > 0 ? process.argv[at + 1]! : path.join(ROOT, 'docs/screens'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface SimState {
  card: { holders: { id: string; label: string; pinHint: string }[] };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const data = mkdtempSync(path.join(tmpdir(), 'kiosk-screens-'));
  const webPort = await freeLoopbackPort();
  const brokerPort = await freeLoopbackPort();
  // The demo as a resident's station runs it (the same process the demo browser test drives).
  const demo = new CliProcess(
    ['demo', '--data', data, '--port', String(webPort), '--broker-port', String(brokerPort)],
    { env: { JPKI_LOCKER_LOG_LEVEL: 'warn' } },
  );
  const base = `http://127.0.0.1:${webPort}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    await demo.waitFor('jpki-locker demo is running');
    const api = async <T = unknown>(p: string, body?: unknown): Promise<T> => {
      const r = await fetch(base + p, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    };
    const sim = await api<SimState>('/api/sim/state');
    const genuine = sim.card.holders.filter((h) => h.label.includes('(genuine)'));
    const [resident, staff] = [genuine[0]!, genuine[1]!];
    await api('/api/sim/office/roster', { holder: staff.id });

    for (const lang of ['ja', 'en']) {
      const assigned = await api<{ status: string; detail?: { compartment?: string } }>(
        '/api/sim/office/assign',
        {
          holder: resident.id,
        },
      );
      const compartment = assigned.detail?.compartment;
      if (assigned.status !== 'accepted' || !compartment)
        throw new Error(`assign: ${JSON.stringify(assigned)}`);
      const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
      const screen = (name: string) =>
        page.waitForSelector(`body[data-screen="${name}"]`, { timeout: 15_000 });
      const shot = (n: number, name: string) =>
        page.screenshot({ path: path.join(OUT, `${lang}-${n}-${name}.png`) });
      const typePin = async (pin: string) => {
        for (const d of pin) await page.click(`.key[data-key="${d}"]`);
      };
      await page.goto(`${base}/?lang=${lang}`);
      await screen('idle');

      // Staff loads the document (not photographed).
      await api('/api/sim/card/insert', { holder: staff.id });
      await screen('pin');
      await typePin(staff.pinHint);
      await page.click('#key-ok');
      await screen('loading');
      await api(`/api/sim/compartment/${compartment}/item`, { present: true });
      await api(`/api/sim/compartment/${compartment}/door`, { open: false });
      await screen('loaded');
      await api('/api/sim/card/remove', {});
      await screen('idle');
      await page.waitForSelector(`html[data-lang="${lang}"]`);

      // The resident.
      await shot(1, 'idle');
      await api('/api/sim/card/insert', { holder: resident.id });
      await screen('pin');
      await shot(2, 'pin');
      await typePin(resident.pinHint === '0000' ? '1111' : '0000');
      await page.click('#key-ok');
      await page.waitForSelector('#tries[data-warn="yes"]', { timeout: 15_000 });
      await shot(3, 'wrong-pin');
      await typePin(resident.pinHint.slice(0, 2));
      await shot(4, 'pin-typing');
      await typePin(resident.pinHint.slice(2));
      await page.click('#key-ok');
      await screen('open');
      await api(`/api/sim/compartment/${compartment}/door`, { open: true });
      await shot(5, 'open');
      await api(`/api/sim/compartment/${compartment}/item`, { present: false });
      await api(`/api/sim/compartment/${compartment}/door`, { open: false });
      await screen('collected');
      await shot(6, 'collected');
      await api('/api/sim/card/remove', {});
      await screen('idle');
      // Back with nothing left: the resident is told so (not that the building is closed).
      await page.waitForSelector(`html[data-lang="${lang}"]`);
      await api('/api/sim/card/insert', { holder: resident.id });
      await screen('pin');
      await typePin(resident.pinHint);
      await page.click('#key-ok');
      await page.waitForSelector('body[data-screen="error"]', { timeout: 15_000 });
      await shot(7, (await page.getAttribute('body', 'data-error')) ?? 'error');
      await api('/api/sim/card/remove', {});
      await screen('idle');
      await page.close();
      console.log(`screens: ${lang} done`);
    }
  } finally {
    await browser.close();
    demo.kill('SIGTERM');
    await demo.exited;
    rmSync(data, { recursive: true, force: true });
  }
  console.log(`screens: written to ${path.relative(ROOT, OUT)}/`);
}

await main();
