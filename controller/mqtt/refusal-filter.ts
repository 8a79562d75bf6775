/** Settings of a {@link RefusalFilter}. */
export interface RefusalFilterOptions {
  /** How long a refused payload is remembered (default 1 h). */
  windowMs: number;
  /** Most payload hashes remembered (default 10,000; the oldest is forgotten first). */
  maxEntries: number;
  /** Answers to refused or repeated commands per second, sustained (default 5). */
  answersPerSec: number;
  /** Answers allowed in a burst (default 20). */
  burst: number;
}

/** What to do with one refusal. */
export interface RefusalDecision {
  /** First refusal of this content within the window: log it and record it (outbox event). */
  first: boolean;
  /** An answer may be sent (rate limit not exceeded). */
  answer: boolean;
  /** Copies of this content refused so far, this one included. */
  copies: number;
}

/**
 * Makes refusals cost nothing: a captured command replayed thousands of times (expired,
 * foreign, forged) is logged and recorded once per content hash (SHA-256 of the payload
 * bytes), and the answers to refusals and repeats are rate-limited by a token bucket.
 * Time is the injected monotonic clock (ms), so a wall-clock jump does not reset it.
 */
export class RefusalFilter {
  readonly #o: RefusalFilterOptions;
  readonly #nowMs: () => number;
  readonly #seen = new Map<string, { at: number; copies: number }>();
  #tokens: number;
  #refilledAt: number;
  /** Answers withheld by the rate limit since the last time it was read. */
  #withheld = 0;

  constructor(options: Partial<RefusalFilterOptions>, nowMs: () => number) {
    this.#o = { windowMs: 3_600_000, maxEntries: 10_000, answersPerSec: 5, burst: 20, ...options };
    this.#nowMs = nowMs;
    this.#tokens = this.#o.burst;
    this.#refilledAt = nowMs();
  }

  /** Notes one refusal of the payload with SHA-256 `contentHash`. */
  refuse(contentHash: string): RefusalDecision {
    const now = this.#nowMs();
    const seen = this.#seen.get(contentHash);
    const first = !seen || now - seen.at > this.#o.windowMs;
    const copies = first ? 1 : seen.copies + 1;
    this.#seen.delete(contentHash);
    this.#seen.set(contentHash, { at: first ? now : seen.at, copies });
    while (this.#seen.size > this.#o.maxEntries) this.#seen.delete(this.#seen.keys().next().value!);
    return { first, answer: this.allowAnswer(), copies };
  }

  /** Takes one answer token (also for answers repeated to duplicates); false when exhausted. */
  allowAnswer(): boolean {
    const now = this.#nowMs();
    this.#tokens = Math.min(
      this.#o.burst,
      this.#tokens + ((now - this.#refilledAt) / 1000) * this.#o.answersPerSec,
    );
    this.#refilledAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#withheld++;
    return false;
  }

  /** Answers withheld since the last call (for a periodic log line); resets the count. */
  takeWithheld(): number {
    const n = this.#withheld;
    this.#withheld = 0;
    return n;
  }
}
