/**
 * Signed commands against a real mosquitto (TLS, per-station client certificates, ACLs):
 * each bad command is rejected with its reason and changes nothing; a good one is executed
 * once and a repeat gets the same answer.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxFullError } from '../../controller/outbox/outbox.js';
import { COMMAND_JWS_TYP, type CommandResponse } from '../../shared/mqtt/commands.js';
import {
  buildCommand,
  signCommand,
  type CommandSigner,
} from '../../shared/mqtt/command-envelope.js';
import { signCompactJws } from '../../shared/mqtt/jws.js';
import { Mosquitto } from '../support/mosquitto.js';
import {
  makeCommandPki,
  Office,
  startStation,
  type CommandPki,
  type TestStation,
} from './fixtures.js';

const HOLDER = 'ab'.repeat(32);
let broker: Mosquitto;
let pki: CommandPki;
let station: TestStation;
let office: Office;

beforeAll(async () => {
  broker = await Mosquitto.start({ stations: ['st-a', 'st-b'] });
  pki = await makeCommandPki();
  station = await startStation(broker, pki, 'st-a');
  office = await Office.connect(broker);
  await station.connected();
});
afterAll(async () => {
  await office?.close();
  await station?.close();
  await broker?.dispose();
});

function assign(deliveryId: string, o: Partial<Parameters<typeof buildCommand>[2]> = {}) {
  return buildCommand(
    'delivery.assign',
    {
      deliveryId,
      size: 'M',
      holderSpkiSha256: HOLDER,
      pickupDeadline: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    },
    { station: 'st-a', ...o },
  );
}
function signed(claims: object, signer: CommandSigner = pki.signer): string {
  return JSON.stringify(signCommand(claims, signer));
}

/** What the domain and the outbox hold, to show that a refused command changed nothing. */
function snapshot() {
  return {
    handled: station.domain.handled.length,
    deliveries: station.domain.deliveries(),
    domainEvents: station.outbox
      .readFrom(0, 100_000)
      .filter((e) => e.kind !== 'command.handled')
      .map((e) => e.id),
  };
}

async function expectRejected(payload: string, reason: string, opts: { retain?: boolean } = {}) {
  const before = snapshot();
  const r = await office.send('st-a', payload, opts);
  expect(r).toMatchObject({ status: 'rejected', reason, station: 'st-a', duplicate: false });
  expect(snapshot()).toEqual(before);
  return r;
}

describe('signed commands', () => {
  it('a valid command is executed once and answered accepted', async () => {
    const r = await office.send('st-a', signed(assign('D-1')));
    expect(r).toMatchObject({
      status: 'accepted',
      kind: 'delivery.assign',
      detail: { compartment: 'A01' },
    });
    expect(station.domain.deliveries()).toHaveLength(1);
    await office.until(
      () => office.events.some((e) => e.kind === 'delivery.assigned'),
      10_000,
      'the event',
    );
  });

  it('a repeated command gets the same answer without acting twice', async () => {
    const payload = signed(assign('D-2'));
    const first = await office.send('st-a', payload);
    const handled = station.domain.handled.length;
    const again = await office.send('st-a', payload);
    expect(again).toEqual({ ...first, duplicate: true, at: again.at });
    expect(station.domain.handled.length).toBe(handled);
    expect(station.domain.deliveries().filter((d) => d.delivery_id === 'D-2')).toHaveLength(1);
  });

  it('unsigned: alg none, an empty signature, or no x5c chain', async () => {
    const claims = JSON.stringify(assign('D-x'));
    const h = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const p = Buffer.from(claims).toString('base64url');
    await expectRejected(
      JSON.stringify({ jws: `${h({ alg: 'none', typ: COMMAND_JWS_TYP })}.${p}.` }),
      'unsigned',
    );
    const good = signCommand(JSON.parse(claims), pki.signer).jws.split('.');
    await expectRejected(JSON.stringify({ jws: `${good[0]}.${good[1]}.` }), 'unsigned');
    const noChain = signCompactJws(claims, pki.signer.privateKey, [], { x5c: undefined });
    await expectRejected(JSON.stringify({ jws: noChain }), 'unsigned');
  });

  it('signed by an untrusted key', async () => {
    await expectRejected(signed(assign('D-x'), pki.rogue), 'untrusted_signer');
  });

  it('signed by a trusted CA certificate that is not for commands', async () => {
    await expectRejected(signed(assign('D-x'), pki.wrongUsage), 'untrusted_signer');
  });

  it('a signature that does not match (tampered payload)', async () => {
    const [h, , s] = signCommand(assign('D-x'), pki.signer).jws.split('.');
    const evil = Buffer.from(JSON.stringify(assign('D-evil'))).toString('base64url');
    await expectRejected(JSON.stringify({ jws: `${h}.${evil}.${s}` }), 'bad_signature');
  });

  it('addressed to another station', async () => {
    const r = await expectRejected(signed(assign('D-x', { station: 'st-b' })), 'wrong_station');
    expect(r.commandId).not.toBeNull();
  });

  it('expired, and not yet valid', async () => {
    const past = new Date(Date.now() - 3_600_000);
    await expectRejected(signed(assign('D-x', { now: past, lifetimeSec: 60 })), 'expired');
    const later = new Date(Date.now() + 3_600_000);
    await expectRejected(
      signed(assign('D-x', { notBefore: later, expiresAt: new Date(later.getTime() + 60_000) })),
      'not_yet_valid',
    );
  });

  it('valid for too long', async () => {
    await expectRejected(signed(assign('D-x', { lifetimeSec: 7 * 86_400 })), 'lifetime_too_long');
  });

  it('replayed: the id of an executed command reused for other content', async () => {
    const id = randomUUID();
    expect((await office.send('st-a', signed(assign('D-3', { id })))).status).toBe('accepted');
    await expectRejected(signed(assign('D-4', { id })), 'replayed');
  });

  it('retained: never executed, however well signed', async () => {
    const claims = assign('D-retained');
    const r = await expectRejected(signed(claims), 'retained', { retain: true });
    expect(r.commandId).toBe(claims.id);
    await office.client.publishAsync(station.gateway.topics.command, '', { qos: 1, retain: true });
  });

  it('malformed: not JSON, no jws, not a JWS, claims that fail the schema', async () => {
    await expectRejected('{not json', 'malformed');
    await expectRejected(JSON.stringify({ command: 'open' }), 'malformed');
    await expectRejected(JSON.stringify({ jws: 'a.b' }), 'malformed');
    await expectRejected(JSON.stringify({ jws: '!!!.@@@.###' }), 'malformed');
    const bad = { ...assign('D-x'), body: { deliveryId: 'D-x', holderSpkiSha256: 'Yamada Taro' } };
    await expectRejected(signed(bad), 'malformed');
    await expectRejected(signed({ ...assign('D-x'), kind: 'door.explode' }), 'malformed');
  });

  it('a full outbox: the command is refused, still answered once, and a repeat gets that answer', async () => {
    const outbox = station.outbox;
    const append = outbox.append.bind(outbox);
    outbox.append = () => {
      throw new OutboxFullError(1_000_000);
    };
    const payload = signed(assign('D-full'));
    try {
      const r = await office.send('st-a', payload);
      expect(r).toMatchObject({ status: 'rejected', duplicate: false });
      expect(station.domain.deliveries().filter((d) => d.delivery_id === 'D-full')).toEqual([]);
    } finally {
      outbox.append = append;
    }
    const again = await office.send('st-a', payload);
    expect(again).toMatchObject({ status: 'rejected', duplicate: true });
  });

  it('every answer matches the response schema, and the station keeps working', async () => {
    const { validatePayload } = await import('../../shared/mqtt/validate.js');
    for (const r of office.responses) {
      const v = validatePayload('cmd/response', r as CommandResponse);
      expect(v.ok ? [] : v.errors).toEqual([]);
    }
    const r = await office.send(
      'st-a',
      signed(buildCommand('delivery.cancel', { deliveryId: 'D-1' }, { station: 'st-a' })),
    );
    expect(r.status).toBe('accepted');
  });
});
