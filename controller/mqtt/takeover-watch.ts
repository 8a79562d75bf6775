/**
 * Counts session takeovers (the broker's DISCONNECT 0x8E: another client connected with this
 * station's client id) within a sliding window, on the monotonic clock.
 */
export class TakeoverWatch {
  #times: number[] = [];
  constructor(
    /** Takeovers in the window that count as repeated. */
    readonly threshold: number,
    readonly windowMs: number,
    private readonly nowMs: () => number,
  ) {}

  /** Notes one takeover; returns how many fell within the window, this one included. */
  note(): number {
    const now = this.nowMs();
    this.#times = [...this.#times.filter((t) => now - t <= this.windowMs), now];
    return this.#times.length;
  }

  /** True while a takeover happened within the window. */
  recent(): boolean {
    const now = this.nowMs();
    return this.#times.some((t) => now - t <= this.windowMs);
  }
}
