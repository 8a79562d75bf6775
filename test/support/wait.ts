/**
 * The one way a test waits for something to happen: `waitFor(condition, what, options)`.
 *
 * The condition is checked at once, then again each time one of the given emitters emits one of
 * the given events (a message arrived, a line was printed, a process exited), so a test wakes
 * on the event it needs rather than on a timer. Where no event announces the change (a row
 * written by another process, a port that starts listening) it is also checked every `pollMs`.
 * A deadline turns a wait that never ends into an error that says what was awaited — never a
 * silent hang; a condition that throws ends the wait with its error.
 *
 * The deadline is a guard, not a measurement: no test asserts how long something took.
 */
/** What a wait listens to: anything with on/off (node EventEmitter, mqtt.js client, …). */
export interface Emitter {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** An emitter and the events that may make the condition true. */
export type Wake = readonly [emitter: Emitter, ...events: string[]];

export interface WaitOptions {
  /** Give up after this long (default 30 s, or $JPKI_LOCKER_TEST_WAIT_MS). */
  timeoutMs?: number;
  /** Emitters whose events re-check the condition. */
  wake?: readonly Wake[];
  /** Re-check this often as well (default 25 ms; 0: only on events). */
  pollMs?: number;
  /** Adds to the timeout message what was seen last (e.g. a count). */
  detail?: () => string;
}

/** The default deadline of a wait. */
export const WAIT_MS = Number(process.env.JPKI_LOCKER_TEST_WAIT_MS ?? 30_000);

/** Waits until `condition` holds; rejects with "timed out waiting for <what>" at the deadline. */
export function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: WaitOptions = {},
): Promise<void> {
  const { timeoutMs = WAIT_MS, wake = [], pollMs = 25, detail } = options;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let checking = false;
    let again = false;
    const listeners: [Emitter, string, () => void][] = [];
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      if (poll) clearInterval(poll);
      for (const [e, name, l] of listeners) e.off(name, l);
      if (err) reject(err);
      else resolve();
    };
    const check = async () => {
      if (done) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          if (await condition()) return finish();
        } while (again && !done);
      } catch (err) {
        finish(err as Error);
      } finally {
        checking = false;
      }
    };
    const deadline = setTimeout(() => {
      const seen = detail ? ` (${detail()})` : '';
      finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`));
    }, timeoutMs);
    const poll = pollMs > 0 ? setInterval(() => void check(), pollMs) : undefined;
    for (const [emitter, ...events] of wake) {
      for (const name of events) {
        const l = () => void check();
        emitter.on(name, l);
        listeners.push([emitter, name, l]);
      }
    }
    void check();
  });
}
