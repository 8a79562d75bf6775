/**
 * Test and demo helpers for the core: a fake JPKI card (real RSA key and certificate, PIN
 * tries like the card), a card source driven by hand, a certificate checker with a set
 * answer, and hand-fired timers. Used by unit tests, the demo scripts and the benchmark.
 */
import { sign } from 'node:crypto';
import { makeCert, makeKey, makeRoot, type TestCert } from '../../trust/testing/pki.js';
import type { Secret } from '../../../shared/secret.js';
import type { GpioSpec } from '../../../hardware/gpio/gpio.js';
import type {
  CardSource,
  CertCheck,
  CertificateChecker,
  HolderCard,
  PinVerifyOutcome,
  Timers,
} from '../../domain/ports.js';
import { spkiSha256 } from '../../domain/identity.js';

/** Error a removed card's calls reject with (like CardRemovedError). */
export class FakeCardRemovedError extends Error {
  readonly code = 'card_removed';
}

/** A card holder: an RSA key, a certificate and a PIN with 3 tries. */
export class FakeJpkiCard {
  triesLeft = 3;
  /** Counts of each command, to show that no try was spent behind the resident's back. */
  readonly calls = { verify: 0, pinStatus: 0, sign: 0, read: 0 };
  /** Milliseconds each signature takes (the card's own time, excluded from the benchmark). */
  signDelayMs = 0;
  /**
   * What the token is: a My Number `card`, a `phone` (the certificate reads only after the
   * PIN), or `not_jpki` (a transit card).
   */
  kind: 'card' | 'phone' | 'not_jpki' = 'card';
  constructor(
    readonly cert: TestCert,
    readonly pin = '1234',
  ) {}

  static make(issuer: TestCert, cn: string, pin = '1234'): FakeJpkiCard {
    const key = makeKey('rsa2048');
    return new FakeJpkiCard(makeCert({ subject: `C=JP, CN=${cn}`, key, issuer }), pin);
  }
}

let sharedRoot: TestCert | undefined;
/** One test root per process (key generation is slow). */
export function testRoot(): TestCert {
  sharedRoot ??= makeRoot('C=JP, O=JPKI, OU=JPKI for user authentication, CN=Test Root');
  return sharedRoot;
}

/** A card source whose card is inserted and removed by hand. */
export class ManualCardSource implements CardSource {
  #card: FakeJpkiCard | undefined;
  #generation = 0;
  readonly #listeners = new Set<(e: 'inserted' | 'removed') => void>();
  /** Card calls so far (every call of every session). */
  calls = 0;
  /**
   * Called before each card call with its number and name; may remove the card or throw
   * (e.g. a reader that is gone) to inject a fault at that step.
   */
  beforeCall: ((n: number, call: string) => void) | undefined;

  onCard(listener: (e: 'inserted' | 'removed') => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  insert(card: FakeJpkiCard): void {
    this.#card = card;
    this.#generation++;
    for (const l of this.#listeners) l('inserted');
  }

  remove(): void {
    this.#card = undefined;
    this.#generation++;
    for (const l of this.#listeners) l('removed');
  }

  async open(): Promise<HolderCard> {
    this.calls++;
    this.beforeCall?.(this.calls, 'open');
    const card = this.#card;
    if (!card) throw new FakeCardRemovedError('no card');
    const gen = this.#generation;
    let verified = false;
    const alive = (call: string) => {
      this.calls++;
      this.beforeCall?.(this.calls, call);
      if (gen !== this.#generation) throw new FakeCardRemovedError('card removed');
    };
    return {
      kind: async () => {
        alive('kind');
        return card.kind;
      },
      readAuthCertificate: async () => {
        alive('read');
        card.calls.read++;
        if (card.kind === 'phone' && !verified)
          throw new FakeCardRemovedError('security status not satisfied');
        return card.cert.der;
      },
      pinStatus: async () => {
        alive('pinStatus');
        card.calls.pinStatus++;
        return { triesLeft: card.triesLeft, blocked: card.triesLeft === 0 };
      },
      verifyPin: async (pin: Secret): Promise<PinVerifyOutcome> => {
        alive('verify');
        card.calls.verify++;
        if (card.triesLeft === 0) return { outcome: 'blocked' };
        if (pin.reveal() === card.pin) {
          card.triesLeft = 3;
          verified = true;
          return { outcome: 'ok' };
        }
        card.triesLeft--;
        return card.triesLeft === 0
          ? { outcome: 'blocked' }
          : { outcome: 'wrong', triesLeft: card.triesLeft };
      },
      signNonce: async (nonce: Uint8Array) => {
        alive('sign');
        card.calls.sign++;
        if (!verified) throw new FakeCardRemovedError('security status not satisfied');
        if (card.signDelayMs) await new Promise((r) => setTimeout(r, card.signDelayMs));
        return new Uint8Array(sign('sha256', nonce, card.cert.key.privateKey));
      },
      close: async () => {},
    };
  }
}

/** A checker with a settable answer (default: valid). */
export class FixedCertificateChecker implements CertificateChecker {
  answer: CertCheck = { valid: true };
  /** Per-SPKI answers override `answer`. */
  readonly bySpki = new Map<string, CertCheck>();
  checks = 0;
  checkAuthCertificate(der: Uint8Array): CertCheck {
    this.checks++;
    return this.bySpki.get(spkiSha256(der)) ?? this.answer;
  }
}

/** Timers fired by hand: `fire()` runs pending callbacks (no sleeping in tests). */
export class ManualTimers implements Timers {
  #next = 1;
  /** Monotonic milliseconds (for drivers that ask): advanced by `fire(ms)`. */
  #clock = 0;
  now(): number {
    return this.#clock;
  }
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Fires the pending timers whose delay equals `ms` (all when omitted). */
  fire(ms?: number): number {
    let n = 0;
    for (const [id, t] of [...this.pending]) {
      if (ms !== undefined && t.ms !== ms) continue;
      this.pending.delete(id);
      this.#clock += t.ms;
      t.fn();
      n++;
    }
    return n;
  }
}

/** One door `front` on a simulated GPIO: its relay, door contact and exit button. */
export const FRONT_DOOR_GPIO: GpioSpec = {
  chipLabel: 'sim',
  outputs: [
    {
      name: 'front-relay',
      line: 17,
      activeLow: true,
      failMode: 'secure',
      maxPulseMs: 3000,
      cooldownMs: 500,
    },
  ],
  inputs: [
    { name: 'front-contact', line: 27, kind: 'door', activeLow: true, debounceMs: 30 },
    { name: 'front-exit', line: 22, kind: 'rex', activeLow: true, debounceMs: 30 },
  ],
};
