/**
 * What the domain needs from the parts around it, as small interfaces. Adapters in
 * `adapters.ts` fit the card client (controller/card), the trust engine (controller/trust),
 * the locker boards (hardware/locker-board), the GPIO doors (hardware/gpio) and the outbox
 * (controller/outbox) onto them; tests use the simulated ones.
 */
import type { Secret } from '../../shared/secret.js';
import type { NewEvent } from '../../shared/mqtt/events.js';

/** How a PIN verification ended. A wrong PIN is a result, not an exception. */
export type PinVerifyOutcome =
  { outcome: 'ok' } | { outcome: 'wrong'; triesLeft: number } | { outcome: 'blocked' };

/** One session with the card in the reader, speaking JPKI. Calls reject when it is removed. */
export interface HolderCard {
  /** The user-authentication certificate (EF 000A), DER. */
  readAuthCertificate(): Promise<Uint8Array>;
  /** Tries left without spending one; `blocked` when none are left. */
  pinStatus(): Promise<{ triesLeft: number; blocked: boolean }>;
  /** VERIFY with the PIN the resident typed; spends a try only when wrong. */
  verifyPin(pin: Secret): Promise<PinVerifyOutcome>;
  /**
   * Signs SHA-256(`nonce`) with the authentication key (after a successful verifyPin);
   * returns the PKCS#1 v1.5 signature.
   */
  signNonce(nonce: Uint8Array): Promise<Uint8Array>;
  /** Ends the session (resets the card's verified state). Idempotent, never throws. */
  close(): Promise<void>;
}

/** Card insertion and removal, and a way to open a session with the card present. */
export interface CardSource {
  /** Subscribes to insert/remove; returns the unsubscribe function. */
  onCard(listener: (event: 'inserted' | 'removed') => void): () => void;
  /** Opens a JPKI session with the card now present. */
  open(): Promise<HolderCard>;
}

/** Why a certificate is not accepted (the trust engine's reason codes). */
export type CertRefusal =
  | 'expired'
  | 'not_yet_valid'
  | 'revoked'
  | 'unknown_issuer'
  | 'crl_stale'
  | 'no_crl'
  | 'bad_signature'
  | 'wrong_purpose'
  | 'malformed';

/** Which revocation source decided (OCSP fetched now, a cached OCSP answer, the CRL). */
export type RevocationDecider = 'ocsp' | 'ocsp-cache' | 'crl';

/** The outcome of checking a user-authentication certificate (chain, validity, revocation). */
export type CertCheck = ({ valid: true } | { valid: false; reason: CertRefusal | string }) & {
  source?: RevocationDecider;
};

/** Checks a user-authentication certificate against anchors and cached CRLs, offline. */
export interface CertificateChecker {
  checkAuthCertificate(der: Uint8Array, at: Date): Promise<CertCheck> | CertCheck;
}

/** The result of an unlock, read back from the sensor after acting. */
export type UnlockOutcome = { opened: true } | { opened: false; reason: string };

/** The compartments' locks and door sensors (locker boards). */
export interface CompartmentHardware {
  /** Pulses the lock and reads the latch back (verify after acting). */
  unlock(compartment: string): Promise<UnlockOutcome>;
  /** Door sensor, as last known. */
  doorState(compartment: string): 'open' | 'closed' | 'unknown';
  /** Item sensor when the board has one; undefined when it cannot tell. */
  occupied(compartment: string): boolean | undefined;
  /** Door open/closed changes; returns the unsubscribe function. */
  onDoorChange(listener: (compartment: string, open: boolean) => void): () => void;
}

/** Building doors: a bounded relay pulse, the door contact and request-to-exit. */
export interface DoorHardware {
  /** Releases the strike for at most `ms`; resolves false when the relay refused (cooldown). */
  pulse(door: string, ms: number): Promise<boolean>;
  /** Ends a pulse early (door closed again). */
  relock(door: string): Promise<void>;
  /** Contact changes (true = open) and request-to-exit presses. */
  onInput(listener: (door: string, input: 'open' | 'closed' | 'rex') => void): () => void;
}

/** The transactional outbox: must be called inside the caller's SQLite transaction. */
export interface EventOutbox {
  append(event: NewEvent): unknown;
}

/** Timers, injectable so tests can use fake ones. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
