/**
 * A value that must never reach a log, a screen or the wire by accident: a PIN, a password,
 * a private key. Serialising it (JSON, string conversion, util.inspect) yields `[redacted]`;
 * only an explicit `reveal()` gives the value back, so every use is greppable.
 */
export class Secret<T = string> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  /** The wrapped value. Call it only where the value is actually consumed. */
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret([redacted])';
  }
}
