import { describe, expect, it } from 'vitest';
import { SimCardReader } from '../hardware/card/sim-card-reader.js';
import { SimGpio } from '../hardware/gpio/sim-gpio.js';
import { SimLockerBoard } from '../hardware/locker-board/sim-locker-board.js';
import type { AlarmCode, AlarmSeverity } from '../shared/mqtt/state.js';
import { HealthMonitor, type AlarmSink, type CrlFreshnessSource } from './health-monitor.js';
import { silentLogger } from './log.js';
import type { CrlStatus } from './trust/types.js';

class MemorySink implements AlarmSink {
  readonly active = new Map<
    string,
    { alarm: AlarmCode; target?: string; severity: AlarmSeverity }
  >();
  raiseAlarm(alarm: AlarmCode, severity: AlarmSeverity, target = ''): void {
    this.active.set(`${alarm}|${target}`, { alarm, target, severity });
  }
  clearAlarm(alarm: AlarmCode, target = ''): void {
    this.active.delete(`${alarm}|${target}`);
  }
  alarms() {
    return [...this.active.values()];
  }
  codes(): string[] {
    return [...this.active.keys()].sort();
  }
}

function crlRow(verdict: CrlStatus['verdict']): CrlStatus {
  return {
    issuer: 'C=JP, O=JPKI, OU=JPKI for user authentication',
    issuerKeySha256: 'ab'.repeat(32),
    scope: 'full',
    crlNumber: '1',
    thisUpdate: '2026-11-23T00:00:00Z',
    nextUpdate: '2026-11-24T00:00:00Z',
    entries: 0,
    ageHours: 1,
    verdict,
    importedAt: '2026-11-23T00:00:00Z',
    source: 'test',
    deltasApplied: 0,
  };
}

class FakeTrust implements CrlFreshnessSource {
  verdict: CrlStatus['verdict'] | 'missing' = 'fresh';
  listener: (() => void) | undefined;
  freshness() {
    const row = crlRow('fresh');
    return this.verdict === 'missing'
      ? [{ issuer: row.issuer, issuerKeySha256: row.issuerKeySha256, verdict: 'missing' as const }]
      : [{ ...row, verdict: this.verdict }];
  }
  onFreshnessChange(l: () => void) {
    this.listener = l;
    return () => {
      this.listener = undefined;
    };
  }
  set(v: CrlStatus['verdict'] | 'missing') {
    this.verdict = v;
    this.listener?.();
  }
}

function setup(over: { now?: Date; freeMb?: number } = {}) {
  const sink = new MemorySink();
  const trust = new FakeTrust();
  const board = new SimLockerBoard({
    boards: [{ address: 0, locks: 4, latchPolarity: 'one-is-latched', pulseMs: 500 }],
  });
  const card = new SimCardReader({ readers: ['R0'] });
  const gpio = new SimGpio({
    chipLabel: 'pinctrl-bcm2835',
    outputs: [],
    inputs: [{ name: 'lid', line: 5, kind: 'tamper', activeLow: true, debounceMs: 0 }],
  });
  let freeMb = over.freeMb ?? 5000;
  const monitor = new HealthMonitor({
    alarms: () => sink,
    trust,
    card,
    board,
    gpio,
    tamperInputs: ['lid'],
    storagePath: '/tmp/x/station.db',
    now: () => over.now ?? new Date('2026-11-24T05:00:00Z'),
    log: silentLogger(),
    freeBytes: () => freeMb * 1e6,
  });
  return { sink, trust, board, card, gpio, monitor, setFree: (mb: number) => (freeMb = mb) };
}

describe('HealthMonitor', () => {
  it('raises crl_stale when a CRL goes stale and clears it when a fresh one arrives', async () => {
    const h = setup();
    await h.board.open();
    await h.card.start();
    await h.gpio.start();
    await h.monitor.start();
    expect(h.sink.codes()).toEqual([]);
    h.trust.set('stale');
    expect(h.sink.codes()).toEqual([`crl_stale|crl:${'ab'.repeat(8)}`]);
    h.trust.set('grace');
    expect(h.sink.codes()).toEqual([]);
    h.trust.set('missing');
    expect(h.sink.codes()).toHaveLength(1);
    await h.monitor.stop();
  });

  it('raises crl_not_yet_valid (not crl_stale) for a CRL dated in the future, cleared when usable', async () => {
    const h = setup();
    await h.board.open();
    await h.card.start();
    await h.gpio.start();
    await h.monitor.start();
    h.trust.set('future');
    expect(h.sink.codes()).toEqual([`crl_not_yet_valid|crl:${'ab'.repeat(8)}`]);
    h.trust.set('fresh');
    expect(h.sink.codes()).toEqual([]);
    await h.monitor.stop();
  });

  it('raises board_unreachable for a silent board and clears it when it answers again', async () => {
    const h = setup();
    await h.board.open();
    await h.card.start();
    await h.monitor.start();
    h.board.setSilent(0);
    await h.board.status(0).catch(() => undefined);
    expect(h.sink.codes()).toEqual(['board_unreachable|board:0']);
    h.board.setSilent(0, false);
    await h.board.status(0);
    expect(h.sink.codes()).toEqual([]);
    await h.monitor.stop();
  });

  it('raises reader_gone when the PC/SC service is lost or the last reader leaves', async () => {
    const h = setup();
    await h.card.start();
    await h.monitor.start();
    h.card.loseService();
    expect(h.sink.codes()).toEqual(['reader_gone|reader']);
    h.card.restoreService();
    expect(h.sink.codes()).toEqual([]);
    h.card.removeReader('R0');
    expect(h.sink.codes()).toEqual(['reader_gone|reader']);
    await h.monitor.stop();
  });

  it('raises tamper, disk_low and clock_wrong, and clears alarms left from a previous run', async () => {
    const h = setup({ now: new Date('2001-01-01T00:00:00Z'), freeMb: 50 });
    h.sink.raiseAlarm('board_unreachable', 'critical', 'board:3'); // from before a restart
    await h.gpio.start();
    await h.card.start();
    await h.monitor.start();
    expect(h.sink.codes()).toEqual(['clock_wrong|clock', 'disk_low|disk']);
    h.gpio.setActive('lid', true);
    await expect.poll(() => h.sink.codes()).toContain('tamper|input:lid');
    h.setFree(10_000);
    h.monitor.check();
    expect(h.sink.codes()).not.toContain('disk_low|disk');
    await h.monitor.stop();
  });
});
