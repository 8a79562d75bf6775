/**
 * The two-person rule over the real signer and the station's own command verifier: nothing
 * is published before a second operator approves, the asker cannot approve, unapproved
 * requests expire on the injected clock, and the signed claims carry both names.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CompartmentState } from '../../shared/mqtt/state.js';
import { CommandVerifier } from '../../controller/mqtt/command-verifier.js';
import { AnchorCommandSignerTrust } from '../../controller/mqtt/signer-trust.js';
import { ActionLog } from '../../office/console/action-log.js';
import { ConsoleActions } from '../../office/console/actions.js';
import { ApprovalQueue } from '../../office/console/approvals.js';
import { KeyConsoleSigner } from '../../office/console/signer.js';
import { createDevCa, issueDevCert, type DevCredential } from '../support/dev-pki.js';

const T0 = Date.parse('2026-12-01T08:00:00.000Z');
let ca: DevCredential;
let signerCred: DevCredential;
const dirs: string[] = [];

beforeAll(async () => {
  const at = () => new Date(T0);
  ca = await createDevCa('Approval test command CA', { now: at });
  signerCred = await issueDevCert(ca, { commonName: 'console', usage: 'command', now: at });
});
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const compartment = (id: string, over: Partial<CompartmentState> = {}): CompartmentState => ({
  compartment: id,
  size: 'S',
  status: 'free',
  door: 'closed',
  deliveryId: null,
  pickupDeadline: null,
  ...over,
});

function setup(kinds = ['remote.open']) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'console-approvals-'));
  dirs.push(dir);
  let now = T0;
  const clock = () => new Date(now);
  writeFileSync(path.join(dir, 'key.pem'), signerCred.keyPem);
  writeFileSync(path.join(dir, 'cert.pem'), signerCred.certPem);
  const signer = KeyConsoleSigner.fromFiles(
    path.join(dir, 'key.pem'),
    path.join(dir, 'cert.pem'),
    clock,
  );
  const published: string[] = [];
  const log = new ActionLog(path.join(dir, 'actions.jsonl'), clock);
  const actions = new ConsoleActions({
    signer,
    publish: async (_topic, payload) => void published.push(payload),
    topicPrefix: 'jpki-locker/v1',
    log,
    now: clock,
    onChange: () => {},
  });
  const queue = new ApprovalQueue({
    policy: { kinds: new Set(kinds), windowSec: 120 },
    log,
    now: clock,
    compartments: () => [
      compartment('A01'),
      compartment('A02', { status: 'loaded', deliveryId: 'D-1' }),
    ],
    send: (people, station, kind, body) => actions.send(people, station, kind, body),
    onChange: () => {},
  });
  return { queue, published, log, advance: (ms: number) => (now += ms), clock };
}

describe('two-person approval', () => {
  it('guards a door, an occupied or unknown compartment, and leaves a free compartment alone', () => {
    const { queue } = setup();
    expect(queue.needsApproval('nakano-01', 'remote.open', { door: 'front', reason: 'x' })).toBe(
      true,
    );
    expect(queue.needsApproval('nakano-01', 'remote.open', { compartment: 'A02' })).toBe(true);
    expect(queue.needsApproval('nakano-01', 'remote.open', { compartment: 'Z99' })).toBe(true);
    expect(queue.needsApproval('nakano-01', 'remote.open', { compartment: 'A01' })).toBe(false);
    expect(queue.needsApproval('nakano-01', 'station.maintenance', { enabled: true })).toBe(false);
    // Configurable per kind: with no kinds nothing waits; any other listed kind always waits.
    expect(setup([]).queue.needsApproval('nakano-01', 'remote.open', { door: 'front' })).toBe(
      false,
    );
    expect(
      setup(['station.maintenance']).queue.needsApproval('nakano-01', 'station.maintenance', {
        enabled: true,
      }),
    ).toBe(true);
  });

  it('sends nothing until another operator approves, then signs both names into the claims', async () => {
    const s = setup();
    const r = s.queue.request('alice', 'nakano-01', 'remote.open', {
      door: 'front',
      reason: 'inspection',
    });
    expect(s.published).toEqual([]);
    expect(await s.queue.approve(r.id, 'alice')).toEqual({ refused: 'same_operator' });
    expect(s.published).toEqual([]);
    const ok = await s.queue.approve(r.id, 'bob');
    expect('request' in ok && ok.request.status).toBe('approved');
    expect(s.published).toHaveLength(1);
    const verifier = new CommandVerifier(
      { stationId: 'nakano-01', clockSkewSec: 60, maxLifetimeSec: 3600 },
      new AnchorCommandSignerTrust([ca.certDer]),
    );
    const checked = verifier.verify(Buffer.from(s.published[0]!), false, s.clock());
    expect(checked.ok).toBe(true);
    if (checked.ok)
      expect(checked.claims).toMatchObject({
        kind: 'remote.open',
        body: { door: 'front' },
        operator: 'alice',
        approvedBy: 'bob',
      });
    expect(await s.queue.approve(r.id, 'carol')).toEqual({ refused: 'not_pending' });
    expect(s.log.recent(10).map((e) => [e.action, e.operator])).toEqual([
      ['command.sent', 'alice'],
      ['approval.granted', 'bob'],
      ['approval.requested', 'alice'],
    ]);
  });

  it('expires an unapproved request at the end of its window; a late approval sends nothing', async () => {
    const s = setup();
    const r = s.queue.request('alice', 'nakano-01', 'remote.open', { door: 'front', reason: 'x' });
    s.advance(119_000);
    s.queue.tick();
    expect(s.queue.list()[0]!.status).toBe('pending');
    s.advance(1_000);
    s.queue.tick();
    expect(s.queue.list()[0]!.status).toBe('expired');
    expect(await s.queue.approve(r.id, 'bob')).toEqual({ refused: 'expired' });
    expect(s.published).toEqual([]);
    expect(s.log.recent(1)[0]).toMatchObject({ action: 'approval.expired', operator: 'alice' });
  });

  it('lets only the asker withdraw a pending request', () => {
    const s = setup();
    const r = s.queue.request('alice', 'nakano-01', 'remote.open', { door: 'front', reason: 'x' });
    expect(s.queue.cancel(r.id, 'bob')).toBeUndefined();
    expect(s.queue.cancel(r.id, 'alice')?.status).toBe('cancelled');
    expect(s.published).toEqual([]);
  });
});
