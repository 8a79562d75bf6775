import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResponse } from '../../shared/mqtt/commands.js';
import { CommandVerifier } from '../../controller/mqtt/command-verifier.js';
import { createDevCa, issueDevCert, type DevCredential } from '../support/dev-pki.js';
import { AnchorCommandSignerTrust } from '../../controller/mqtt/signer-trust.js';
import { ActionLog } from '../../office/console/action-log.js';
import { ConsoleActions, type ActionRecord } from '../../office/console/actions.js';
import { KeyConsoleSigner } from '../../office/console/signer.js';

/** The one clock of this file: the CA, the signer and the verifiers all read it. */
const T0 = Date.parse('2026-11-24T05:00:00.000Z');
let ca: DevCredential;
let signerCred: DevCredential;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'console-actions-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  const at = () => new Date(T0);
  ca = await createDevCa('Test command CA', { now: at });
  signerCred = await issueDevCert(ca, { commonName: 'console', usage: 'command', now: at });
});
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(o: { signer?: boolean; publishFails?: boolean } = {}) {
  const dir = tmp();
  let now = T0;
  const clock = () => new Date(now);
  writeFileSync(path.join(dir, 'key.pem'), signerCred.keyPem);
  writeFileSync(path.join(dir, 'cert.pem'), signerCred.certPem);
  const signer = KeyConsoleSigner.fromFiles(
    path.join(dir, 'key.pem'),
    path.join(dir, 'cert.pem'),
    clock,
  );
  const published: { topic: string; payload: string }[] = [];
  const changes: ActionRecord[] = [];
  const log = new ActionLog(path.join(dir, 'actions.jsonl'), clock);
  const actions = new ConsoleActions({
    signer: o.signer === false ? undefined : signer,
    publish: async (topic, payload) => {
      if (o.publishFails) throw new Error('broker not connected');
      published.push({ topic, payload });
    },
    topicPrefix: 'jpki-locker/v1',
    log,
    now: clock,
    onChange: (r) => changes.push({ ...r }),
  });
  return {
    dir,
    actions,
    published,
    changes,
    log,
    advance: (ms: number) => (now += ms),
    clock,
  };
}

const answer = (r: ActionRecord, over: Partial<CommandResponse> = {}): CommandResponse => ({
  v: 1,
  commandId: r.commandId,
  kind: r.kind,
  station: r.station,
  status: 'accepted',
  duplicate: false,
  at: '2026-11-24T05:00:01.000Z',
  ...over,
});

describe('ConsoleActions', () => {
  it('signs a remote open that the station verifier accepts, audits it first, and records the answer', async () => {
    const s = setup();
    const r = (await s.actions.send({ operator: 'alice' }, 'nakano-01', 'remote.open', {
      compartment: 'A03',
      reason: 'ticket 5521',
    })) as ActionRecord;
    expect(r.status).toBe('sent');
    expect(s.published.map((p) => p.topic)).toEqual(['jpki-locker/v1/nakano-01/cmd']);
    // The station's own envelope checks, with the command CA as anchor.
    const verifier = new CommandVerifier(
      { stationId: 'nakano-01', clockSkewSec: 60, maxLifetimeSec: 3600 },
      new AnchorCommandSignerTrust([ca.certDer]),
    );
    const checked = verifier.verify(Buffer.from(s.published[0]!.payload), false, s.clock());
    expect(checked.ok).toBe(true);
    if (checked.ok) {
      expect(checked.claims.kind).toBe('remote.open');
      expect(checked.claims.id).toBe(r.commandId);
    }
    // Another station's verifier refuses it.
    const other = new CommandVerifier(
      { stationId: 'nakano-02', clockSkewSec: 60, maxLifetimeSec: 3600 },
      new AnchorCommandSignerTrust([ca.certDer]),
    );
    expect(other.verify(Buffer.from(s.published[0]!.payload), false, s.clock())).toMatchObject({
      ok: false,
      reason: 'wrong_station',
    });

    const waiting = s.actions.waitForAnswer(r.commandId, 5000);
    s.actions.onResponse('nakano-01', answer(r, { detail: { opened: true } }));
    expect((await waiting)!.status).toBe('accepted');
    // A repeated answer does not change the record nor the log.
    s.actions.onResponse(
      'nakano-01',
      answer(r, { status: 'rejected', reason: 'replayed', duplicate: true }),
    );
    expect(s.actions.recent()[0]!.status).toBe('accepted');
    const lines = readFileSync(s.log.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.action, l.operator, l.station])).toEqual([
      ['command.sent', 'alice', 'nakano-01'],
      ['command.answered', 'alice', 'nakano-01'],
    ]);
    expect(ActionLog.verify(s.log.file)).toEqual({ ok: true, entries: 2 });
  });

  it('ignores an answer from another station for the same id', async () => {
    const s = setup();
    const r = (await s.actions.send({ operator: 'alice' }, 'nakano-01', 'station.maintenance', {
      enabled: true,
    })) as ActionRecord;
    expect(s.actions.onResponse('nakano-02', answer(r))).toBeUndefined();
    expect(s.actions.recent()[0]!.status).toBe('sent');
  });

  it('shows a rejection with its reason code', async () => {
    const s = setup();
    const r = (await s.actions.send({ operator: 'bob' }, 'nakano-01', 'delivery.extend', {
      deliveryId: 'D-1',
      pickupDeadline: '2026-11-30T23:00:00+09:00',
    })) as ActionRecord;
    s.actions.onResponse(
      'nakano-01',
      answer(r, { status: 'rejected', reason: 'unknown_delivery' }),
    );
    expect(s.actions.recent()[0]).toMatchObject({ status: 'rejected', reason: 'unknown_delivery' });
  });

  it('refuses unusable requests before signing or sending anything', async () => {
    const s = setup();
    expect(
      await s.actions.send({ operator: '' }, 'nakano-01', 'remote.open', {
        door: 'main',
        reason: 'x',
      }),
    ).toEqual({ refused: 'bad_operator' });
    expect(
      await s.actions.send({ operator: 'a\u0007b' }, 'nakano-01', 'remote.open', {
        door: 'main',
        reason: 'x',
      }),
    ).toEqual({ refused: 'bad_operator' });
    expect(
      await s.actions.send({ operator: 'alice' }, 'Nakano/#', 'remote.open', {
        door: 'main',
        reason: 'x',
      }),
    ).toEqual({ refused: 'bad_station' });
    expect(
      await s.actions.send({ operator: 'alice' }, 'nakano-01', 'config.change', {
        version: 2,
        settings: {},
      }),
    ).toEqual({ refused: 'bad_kind' });
    const noReason = await s.actions.send({ operator: 'alice' }, 'nakano-01', 'remote.open', {
      door: 'main',
    });
    expect(noReason).toMatchObject({ refused: 'bad_body' });
    expect(await s.actions.send({ operator: 'alice' }, 'nakano-01', 'remote.open', null)).toEqual({
      refused: 'bad_body',
    });
    expect(s.published).toEqual([]);
    expect(s.actions.recent()).toEqual([]);
    const ro = setup({ signer: false });
    expect(
      await ro.actions.send({ operator: 'alice' }, 'nakano-01', 'remote.open', {
        door: 'main',
        reason: 'x',
      }),
    ).toEqual({ refused: 'no_signer' });
  });

  it('records a failed publication and, without an answer after expiry, no_answer', async () => {
    const s = setup({ publishFails: true });
    const r = (await s.actions.send({ operator: 'alice' }, 'nakano-01', 'remote.open', {
      door: 'main',
      reason: 'x',
    })) as ActionRecord;
    expect(r).toMatchObject({ status: 'publish_failed', reason: 'broker not connected' });
    const t = setup();
    const r2 = (await t.actions.send({ operator: 'alice' }, 'nakano-01', 'remote.open', {
      door: 'main',
      reason: 'x',
    })) as ActionRecord;
    t.advance(120_000);
    t.actions.tick();
    expect(t.actions.recent()[0]!.status).toBe('sent');
    t.advance(6_000);
    t.actions.tick();
    expect(t.actions.recent()[0]!.status).toBe('no_answer');
    expect(t.changes.map((c) => c.status)).toEqual(['sent', 'no_answer']);
    expect(r2.commandId).toBeTruthy();
  });
});

describe('ActionLog', () => {
  it('chains lines by hash, continues the chain after reopening, and names the first edited line', () => {
    const dir = tmp();
    const file = path.join(dir, 'log', 'a.jsonl');
    const a = new ActionLog(file);
    a.append({ operator: 'alice', action: 'alarm.ack', station: 'a-1', ref: 'x', detail: {} });
    a.append({ operator: 'alice', action: 'alarm.ack', station: 'a-2', ref: 'y', detail: {} });
    const b = new ActionLog(file);
    expect(b.recent(10).map((e) => e.ref)).toEqual(['y', 'x']);
    b.append({ operator: 'bob', action: 'alarm.ack', station: 'a-1', ref: 'z', detail: {} });
    expect(ActionLog.verify(file)).toEqual({ ok: true, entries: 3 });
    expect(b.recent(10, 'a-1').map((e) => e.ref)).toEqual(['z', 'x']);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"alice"', '"mallory"');
    writeFileSync(file, lines.join('\n'));
    expect(ActionLog.verify(file)).toEqual({ ok: false, line: 3 });
  });
});
