/**
 * A signed crl.available whose URL trickles runs beside the command chain: a remote.open sent
 * meanwhile is answered at once, and the CRL command ends later with crl_unavailable (its
 * download stopped by the minimum rate), through a real mosquitto.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand, signCommand } from '../../shared/mqtt/command-envelope.js';
import type { VerifiedCommand } from '../../controller/mqtt/types.js';
import { installAvailableCrl } from '../../controller/trust/crl-command.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { Mosquitto } from '../support/mosquitto.js';
import {
  makeCommandPki,
  Office,
  startStation,
  type CommandPki,
  type TestStation,
} from './fixtures.js';

let broker: Mosquitto;
let pki: CommandPki;
let station: TestStation;
let office: Office;
let server: Server;
let base: string;
const trickling = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((_req, res) => {
    // One byte, then nothing: only the minimum rate ends this download.
    res.writeHead(200, { 'content-length': '1000' });
    res.write('0');
    trickling.add(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  broker = await Mosquitto.start({ stations: ['st-crl'] });
  pki = await makeCommandPki();
  station = await startStation(broker, pki, 'st-crl');
  const handle = station.domain.handle.bind(station.domain);
  station.domain.handle = async (command: VerifiedCommand) => {
    if (command.claims.kind !== 'crl.available') return handle(command);
    return installAvailableCrl(
      {
        importCrlFile: () => Promise.reject(new Error('not reached')),
        intakeLimits: () => ({ minRateBytes: 1024, minRateWindowMs: 1500, deadlineMs: 20_000 }),
      },
      command.claims.body as { url: string; sha256: string },
    );
  };
  office = await Office.connect(broker);
  await station.connected();
});

afterAll(async () => {
  for (const r of trickling) r.destroy();
  await office?.close();
  await station?.close();
  await broker?.dispose();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('crl.available beside the command chain', () => {
  it('a command sent while a CRL trickles in is answered at once', async () => {
    const crl = buildCommand(
      'crl.available',
      { url: `${base}/slow.crl`, sha256: 'ab'.repeat(32) },
      { station: 'st-crl' },
    );
    const open = buildCommand(
      'remote.open',
      { compartment: 'A01', reason: 'emergency' },
      { station: 'st-crl' },
    );
    await office.client.publishAsync(
      new StationTopics('st-crl').command,
      JSON.stringify(signCommand(crl, pki.signer)),
      { qos: 1 },
    );
    const opened = await office.send('st-crl', JSON.stringify(signCommand(open, pki.signer)));
    expect(opened).toMatchObject({ kind: 'remote.open', status: 'accepted' });
    // The CRL command has not been answered yet: its download is still running.
    expect(office.responses.filter((r) => r.kind === 'crl.available')).toHaveLength(0);
    await office.until(
      () => office.responses.some((r) => r.kind === 'crl.available'),
      15_000,
      'the crl.available answer',
    );
    expect(office.responses.find((r) => r.kind === 'crl.available')).toMatchObject({
      status: 'rejected',
      reason: 'crl_unavailable',
    });
  });
});
