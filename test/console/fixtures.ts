/** Pieces the console suites share: a bare station link, the office's TLS files, a login. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import type { Mosquitto } from '../support/mosquitto.js';

/** A station's own MQTT connection (its certificate, the station listener), MQTT 5. */
export function connectBareStation(broker: Mosquitto, id: string): Promise<MqttClient> {
  const u = broker.user(id);
  return mqtt.connectAsync(broker.tlsUrl, {
    ca: broker.ca.certPem,
    cert: u.cert,
    key: u.key,
    clientId: id,
    protocolVersion: 5,
  });
}

/** Writes the office's broker TLS files into `dir`; the console's `--ca/--cert/--key`. */
export function officeTlsArgs(broker: Mosquitto, dir: string): string[] {
  const office = broker.user('office');
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  return [
    '--ca',
    file('ca.pem', broker.ca.certPem),
    '--cert',
    file('office.pem', office.cert),
    '--key',
    file('office-key.pem', office.key),
  ];
}

/** A `station.mode` event (valid under the contract), as the `events` payload. */
export function modeEvent(station: string, seq: number, id: string): string {
  return JSON.stringify({
    v: 1,
    seq,
    id,
    station,
    kind: 'station.mode',
    at: new Date().toISOString(),
    historical: false,
    data: { mode: seq % 2 ? 'maintenance' : 'active', reason: `step ${seq}` },
  });
}

/** A fresh browser context logged in to the console through its form. */
export async function loginPage(
  browser: Browser,
  url: string,
  user: string,
  password: string,
): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${url}/?lang=en`);
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#f-login button[type="submit"]');
  await page.locator('#main').waitFor();
  return page;
}
