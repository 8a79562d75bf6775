import { statfsSync } from 'node:fs';
import path from 'node:path';
import type { CardReader } from '../hardware/card/card-reader.js';
import type { Gpio } from '../hardware/gpio/index.js';
import type { LockerBoard } from '../hardware/locker-board/index.js';
import type { AlarmCode, AlarmSeverity } from '../shared/mqtt/state.js';
import { CLOCK_FLOOR } from './doctor/checks.js';
import type { Component } from './lifecycle.js';
import type { Logger } from './log.js';
import { crlAlarm, type CrlStatus } from './trust/types.js';
import type { MissingCrlStatus } from './trust/crl-cache.js';

/** What the monitor raises and clears alarms through (the domain, which records each with its event). */
export interface AlarmSink {
  raiseAlarm(alarm: AlarmCode, severity: AlarmSeverity, target?: string, detail?: string): void;
  clearAlarm(alarm: AlarmCode, target?: string): void;
  alarms(): { alarm: AlarmCode; target?: string }[];
}

/** The freshness side of the trust component. */
export interface CrlFreshnessSource {
  freshness(at?: Date): (CrlStatus | MissingCrlStatus)[];
  onFreshnessChange(listener: () => void): () => void;
}

export interface HealthMonitorOptions {
  alarms: () => AlarmSink;
  trust: CrlFreshnessSource;
  card?: CardReader | undefined;
  board?: LockerBoard | undefined;
  /** Boards that were not answering when the monitor started. */
  faultedBoards?: () => readonly number[];
  gpio?: Gpio | undefined;
  /** Names of the GPIO inputs wired to tamper switches. */
  tamperInputs?: readonly string[];
  /** The database file: the disk it lives on is watched. */
  storagePath: string;
  /** Raise disk_low below this many free megabytes (default 200). */
  diskLowMb?: number;
  /** How often disk and clock are checked (default 60 s). */
  intervalMs?: number;
  now: () => Date;
  log: Logger;
  /** Free bytes on the disk holding `dir` (injected for tests). */
  freeBytes?: (dir: string) => number;
}

/** The alarm codes this monitor owns: it raises them and clears them when the cause is gone. */
const OWNED: readonly AlarmCode[] = [
  'crl_stale',
  'crl_not_yet_valid',
  'board_unreachable',
  'reader_gone',
  'disk_low',
  'clock_wrong',
  'tamper',
];

function defaultFreeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * Turns the station's own health into alarms (field-notes checklist item 4): a CRL stale or
 * missing beyond its tolerance (pickups are refused), a locker board not answering, no card
 * reader or a lost PC/SC service, little disk left, a clock before this build's date, a
 * tamper switch. Each alarm is raised once with its event and audit row, and cleared when
 * the cause is gone; alarms of these kinds left from a previous run are re-checked at start.
 */
export class HealthMonitor implements Component {
  readonly name = 'health';
  readonly #o: HealthMonitorOptions;
  readonly #unsubscribe: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** What is wrong now: `code|target` -> [severity, detail]. */
  readonly #wanted = new Map<string, [AlarmSeverity, string]>();
  #faulted = new Set<number>();
  #readerGone = false;

  constructor(options: HealthMonitorOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const o = this.#o;
    this.#faulted = new Set(o.faultedBoards?.() ?? []);
    if (o.board) {
      this.#unsubscribe.push(
        o.board.on('fault', (f) => {
          this.#faulted.add(f.board);
          this.#evaluate();
        }),
        o.board.on('recovered', ({ board }) => {
          this.#faulted.delete(board);
          this.#evaluate();
        }),
      );
    }
    if (o.card) {
      this.#readerGone = o.card.readers().length === 0;
      this.#unsubscribe.push(
        o.card.onEvent((e) => {
          if (e.type === 'service-lost') this.#readerGone = true;
          else if (
            e.type === 'reader-added' ||
            e.type === 'service-restored' ||
            e.type === 'reader-removed'
          )
            this.#readerGone = (o.card?.readers().length ?? 0) === 0;
          else return;
          this.#evaluate();
        }),
      );
    }
    if (o.gpio && o.tamperInputs?.length) {
      this.#unsubscribe.push(
        o.gpio.on('input', (e) => {
          if (e.kind === 'tamper') this.#evaluate();
        }),
      );
    }
    this.#unsubscribe.push(o.trust.onFreshnessChange(() => this.#evaluate()));
    this.#evaluate();
    this.#timer = setInterval(() => this.#evaluate(), o.intervalMs ?? 60_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  /** Re-checks every cause now and brings the alarms in line (also runs on each event). */
  check(): void {
    this.#evaluate();
  }

  #evaluate(): void {
    const o = this.#o;
    const now = o.now();
    this.#wanted.clear();
    const want = (code: AlarmCode, target: string, severity: AlarmSeverity, detail: string) =>
      this.#wanted.set(`${code}|${target}`, [severity, detail]);

    for (const s of o.trust.freshness(now)) {
      const alarm = crlAlarm(s.verdict);
      if (alarm) {
        want(
          alarm,
          `crl:${s.issuerKeySha256.slice(0, 16)}`,
          'critical',
          `${s.verdict}: ${s.issuer}`,
        );
      }
    }
    for (const b of this.#faulted) want('board_unreachable', `board:${b}`, 'critical', 'no answer');
    if (o.card && this.#readerGone)
      want('reader_gone', 'reader', 'critical', 'no card reader available');
    try {
      const freeMb =
        (o.freeBytes ?? defaultFreeBytes)(path.dirname(path.resolve(o.storagePath))) / 1e6;
      if (freeMb < (o.diskLowMb ?? 200))
        want('disk_low', 'disk', 'warning', `${Math.floor(freeMb)} MB free`);
    } catch (err) {
      o.log.warn({ err }, 'cannot read free disk space');
    }
    if (now < CLOCK_FLOOR || now.getUTCFullYear() >= 2100) {
      want('clock_wrong', 'clock', 'critical', `clock reads ${now.toISOString()}`);
    }
    for (const name of o.tamperInputs ?? []) {
      try {
        if (o.gpio?.inputActive(name))
          want('tamper', `input:${name}`, 'critical', 'tamper switch open');
      } catch {
        /* an input that is not configured is a config matter, checked at start-up */
      }
    }

    let sink: AlarmSink;
    try {
      sink = o.alarms();
    } catch {
      return; // the domain is not started yet
    }
    const active = new Set(
      sink
        .alarms()
        .filter((a) => OWNED.includes(a.alarm))
        .map((a) => `${a.alarm}|${a.target ?? ''}`),
    );
    for (const [key, [severity, detail]] of this.#wanted) {
      if (active.has(key)) continue;
      const [code, target] = key.split('|') as [AlarmCode, string];
      o.log.warn({ alarm: code, target, detail }, 'alarm raised');
      sink.raiseAlarm(code, severity, target, detail);
    }
    for (const key of active) {
      if (this.#wanted.has(key)) continue;
      const [code, target] = key.split('|') as [AlarmCode, string];
      o.log.info({ alarm: code, target }, 'alarm cleared');
      sink.clearAlarm(code, target);
    }
  }
}
