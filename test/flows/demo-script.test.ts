/**
 * `jpki-locker demo --script pickup|door` as a process: embedded broker, back-office simulator
 * with signed commands, virtual cards, simulated board and GPIO; exit 0 once the document is
 * collected / the door cycled, with the events printed as JSON lines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'jpki-demo-script-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function lines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('jpki-locker demo --script', () => {
  it('pickup: signed commands, staff load, resident pickup, exit 0 once collected', async () => {
    const r = await runCli(['demo', '--script', 'pickup', '--data', dataDir]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = lines(r.stdout);
    const kinds = out.map((l) => l.kind).filter(Boolean);
    for (const k of [
      'roster.applied',
      'delivery.assigned',
      'delivery.loaded',
      'delivery.collected',
    ])
      expect(kinds).toContain(k);
    expect(kinds.indexOf('delivery.loaded')).toBeLessThan(kinds.indexOf('delivery.collected'));
    expect(out.at(-1)).toEqual({ step: 'collected' });
    expect(out).toContainEqual({ step: 'audit chain: intact' });
  }, 120_000);

  it('door: refused without a rule, granted with one, door and exit button cycle, exit 0', async () => {
    const r = await runCli(['demo', '--script', 'door', '--data', dataDir]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = lines(r.stdout);
    const decisions = out
      .filter((l) => l.kind === 'door.decision')
      .map((l) => (l.data as { decision: string; reason: string }).reason);
    expect(decisions).toEqual(['no_rule', 'ok', 'ok']);
    // The staff entrance's own reader opened the staff door.
    expect(
      out.filter((l) => l.kind === 'door.decision').map((l) => (l.data as { door: string }).door),
    ).toEqual(['front', 'front', 'staff']);
    const states = out
      .filter((l) => l.kind === 'door.state' && (l.data as { door: string }).door === 'front')
      .map((l) => (l.data as { status: string }).status);
    // Card, exit button, then the fire input releasing the fail-safe door until it clears.
    expect(states).toEqual([
      'unlocked',
      'open',
      'locked',
      'unlocked',
      'open',
      'locked',
      'unlocked',
      'locked',
    ]);
    const fire = out.filter(
      (l) =>
        (l.kind === 'alarm.raised' || l.kind === 'alarm.cleared') &&
        (l.data as { alarm: string }).alarm === 'fire_alarm',
    );
    // Both doors are on the fire panel: both alarmed, only the fail-safe front one released.
    expect(fire.map((l) => `${l.kind} ${(l.data as { target: string }).target}`).sort()).toEqual([
      'alarm.cleared door:front',
      'alarm.cleared door:staff',
      'alarm.raised door:front',
      'alarm.raised door:staff',
    ]);
    expect(out.at(-1)).toEqual({ step: 'door cycled' });
  }, 120_000);

  it('an unknown script is a usage error (exit 2)', async () => {
    const r = await runCli(['demo', '--script', 'nope', '--data', dataDir]);
    expect(r.code).toBe(2);
  });
});
