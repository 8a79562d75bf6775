import type { Db } from '../storage/db.js';
import { MetaRepository } from '../storage/meta-repository.js';

/** Settings of the {@link ClockGuard}. */
export interface ClockGuardOptions {
  /**
   * Largest tolerated difference between how far the wall clock moved and how far the
   * monotonic clock moved between two observations (default 300 s). NTP slews far less.
   */
  maxJumpSec: number;
  /** How long the wall clock must run in step again before a jump counts as settled (default 600 s). */
  settleSec: number;
  /** Tolerated clock difference (the command validity skew, default 60 s). */
  skewSec: number;
}

/** What the guard thinks of the station's time right now. */
export type ClockVerdict =
  { ok: true } | { ok: false; kind: 'backwards' | 'forward'; detail: string; sinceMs: number };

const HWM_KEY = 'clock.highWaterMs';
/** The persisted mark is rewritten when it moved by at least this much (or when asked). */
const PERSIST_STEP_MS = 60_000;

/**
 * Station time that cannot be rewound. A Pi has no RTC: its clock is whatever NTP (or a
 * spoofed NTP) says. The guard keeps a persisted high-water mark of the wall clock that only
 * moves forward, and compares each wall-clock step with the monotonic clock (which no one
 * can set):
 * - the wall clock behind the mark (beyond the skew) is a backwards jump, also across a restart;
 * - a wall step that differs from the monotonic step by more than `maxJumpSec` is a jump either
 *   way (a forward jump does not move the mark);
 * - a jump settles once the wall clock has run in step with the monotonic clock for
 *   `settleSec` and is no longer behind the mark; only then does the mark follow it.
 * A forward difference at start-up is the station having been off, not a jump.
 * While a jump is unsettled the gateway refuses commands (`clock_jump`) and keeps the alarm up;
 * the replay cache is purged against the mark, never against the wall clock.
 */
export class ClockGuard {
  readonly #o: ClockGuardOptions;
  readonly #meta: MetaRepository;
  readonly #now: () => Date;
  readonly #monotonicMs: () => number;
  #mark: number;
  #persisted: number;
  #last: { wall: number; mono: number } | undefined;
  #jump: { kind: 'backwards' | 'forward'; detail: string; sinceMs: number } | undefined;
  /** Monotonic time since which the wall clock ran in step (while a jump is unsettled). */
  #steadySinceMono = 0;
  /** The latest time the office signed (real time is at least this), and where it came from. */
  #signed: { ms: number; source: string } | undefined;
  readonly #listeners = new Set<(verdict: ClockVerdict) => void>();

  constructor(
    db: Db,
    options: Partial<ClockGuardOptions>,
    now: () => Date,
    monotonicMs: () => number,
  ) {
    this.#o = { maxJumpSec: 300, settleSec: 600, skewSec: 60, ...options };
    this.#meta = new MetaRepository(db);
    this.#now = now;
    this.#monotonicMs = monotonicMs;
    this.#mark = Number(this.#meta.get(HWM_KEY) ?? 0) || 0;
    this.#persisted = this.#mark;
  }

  /** The persisted-forward-only high-water mark of station time (epoch ms; 0 before the first look). */
  get highWaterMs(): number {
    return this.#mark;
  }

  /** Subscribes to changes of the verdict (a jump detected, or settled). */
  onChange(listener: (verdict: ClockVerdict) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The current verdict without taking a new look. */
  get verdict(): ClockVerdict {
    return this.#jump ? { ok: false, ...this.#jump } : { ok: true };
  }

  /**
   * Takes a time the office signed (the command CRL's thisUpdate, retained and so delivered at
   * every connect): the real time is at least that. A wall clock behind it by more than
   * `maxJumpSec` was set back, or never saw the right time (a fresh database has no mark): a
   * backwards jump until the clock has caught up. Kept in memory only and replaced by the next
   * signed time, so an office whose own clock was wrong holds the station back only until it
   * signs again with the right time (or the station restarts).
   */
  witness(signedMs: number, source: string): ClockVerdict {
    if (Number.isFinite(signedMs)) this.#signed = { ms: signedMs, source };
    return this.observe();
  }

  /** Looks at both clocks now; returns (and on a change announces) the verdict. */
  observe(): ClockVerdict {
    const wall = this.#now().getTime();
    const mono = this.#monotonicMs();
    const skewMs = this.#o.skewSec * 1000;
    const before = this.#jump;
    const last = this.#last;
    this.#last = { wall, mono };
    let step: { kind: 'backwards' | 'forward'; detail: string } | undefined;
    if (last) {
      const drift = wall - last.wall - (mono - last.mono);
      if (Math.abs(drift) > this.#o.maxJumpSec * 1000)
        step = {
          kind: drift < 0 ? 'backwards' : 'forward',
          detail: `wall clock moved ${Math.round(drift / 1000)} s against the monotonic clock`,
        };
    }
    const behindMark = this.#mark > 0 && wall < this.#mark - skewMs;
    const signed = this.#signed;
    const behindOffice = !!signed && wall < signed.ms - this.#o.maxJumpSec * 1000;
    const behind = behindMark || behindOffice;
    if (step || (behind && !this.#jump)) {
      const kind = step?.kind ?? 'backwards';
      const detail =
        step?.detail ??
        (behindMark
          ? `wall clock ${Math.round((this.#mark - wall) / 1000)} s behind the high-water mark`
          : `wall clock ${Math.round((signed!.ms - wall) / 1000)} s behind the office's signed time (${signed!.source})`);
      this.#jump = { kind, detail, sinceMs: wall };
      this.#steadySinceMono = mono;
    } else if (this.#jump && !behind && mono - this.#steadySinceMono >= this.#o.settleSec * 1000) {
      this.#jump = undefined;
    }
    if (!this.#jump && wall > this.#mark) {
      this.#mark = wall;
      if (this.#mark - this.#persisted >= PERSIST_STEP_MS || this.#persisted === 0) this.persist();
    }
    const verdict = this.verdict;
    if (Boolean(before) !== Boolean(this.#jump)) for (const l of this.#listeners) l(verdict);
    return verdict;
  }

  /** Writes the mark (before the replay cache is purged against it). */
  persist(): void {
    if (this.#mark === this.#persisted) return;
    this.#meta.set(HWM_KEY, String(this.#mark));
    this.#persisted = this.#mark;
  }
}
