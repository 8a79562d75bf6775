/**
 * The card-proof sequence, shared by the kiosk and `jpki-locker card prove`, from
 * docs/jpki-card.md "Proving the card holder is present": read the authentication
 * certificate (EF 000A), let the caller validate it BEFORE any PIN, read the tries left
 * (empty VERIFY, spends nothing), VERIFY the typed PIN, sign DigestInfo(SHA-256(nonce)),
 * verify the signature with the certificate's key.
 *
 * A smartphone (Android JPKI token `JPKIAPGPSETOKEN` in EF 0006) lets its authentication
 * certificate be read only after the PIN: for a phone the order is tries left, VERIFY, then
 * the certificate and its check, then the signature. A card without the JPKI application
 * (a transit card) ends `not_jpki` before anything else is sent.
 */
import { randomBytes } from 'node:crypto';
import { spkiSha256, verifyNonceSignature } from '../domain/identity.js';
import type { Secret } from '../../shared/secret.js';
import type { HolderCard } from '../domain/ports.js';

/** How a proof ended. */
export type ProofResult =
  | {
      outcome: 'proven';
      spkiSha256: string;
      certificate: Uint8Array;
      kind: 'card' | 'phone';
      /** What the card signed (the nonce, or the caller's message) and its signature. */
      signed: Uint8Array;
      signature: Uint8Array;
    }
  | {
      outcome: 'refused';
      reason: 'certificate_rejected' | 'pin_blocked' | 'wrong_pin' | 'bad_signature';
      triesLeft?: number;
      /** Absent for a phone refused before its certificate could be read. */
      spkiSha256?: string;
      certificate?: Uint8Array;
    }
  /** Not a JPKI token at all (no JPKI application): "this is not a My Number card". */
  | { outcome: 'not_jpki' };

type Refusal = Extract<ProofResult, { outcome: 'refused' }>;

/** The caller's part of the sequence. */
export interface ProofSteps {
  /** Validates the certificate before any PIN; false (or a throw) stops the proof. */
  checkCertificate(der: Uint8Array, spki: string): Promise<boolean> | boolean;
  /**
   * The PIN for the next VERIFY, given the tries left and whether the last one was wrong;
   * undefined stops (the proof ends `wrong_pin`).
   */
  pin(triesLeft: number, wrongPin: boolean): Promise<Secret | undefined>;
  /** Told about each wrong PIN (tries left after it). */
  onWrongPin?(triesLeft: number): void;
  /** Wraps every card call (the kiosk races them against removal and cancel). */
  guard?<T>(call: Promise<T>): Promise<T>;
  /** Nonce source (default 32 random bytes). */
  nonce?(): Uint8Array;
  /** Told that the token is a smartphone (before its PIN is asked). */
  onPhone?(): void;
  /**
   * Bytes to have the card sign instead of a bare nonce (they must hold a fresh nonce of
   * their own): a collection receipt's challenge. Asked after the PIN; undefined: a nonce.
   */
  message?(spki: string): Uint8Array | undefined;
}

/** Tries left, then VERIFY until right; a refusal, or undefined when the PIN is verified. */
async function verifyLoop(
  card: HolderCard,
  steps: ProofSteps,
  guard: <T>(p: Promise<T>) => Promise<T>,
): Promise<Omit<Refusal, 'outcome'> | undefined> {
  // The blocked state is read from the card in every session (never remembered).
  const status = await guard(card.pinStatus());
  if (status.blocked || status.triesLeft === 0) return { reason: 'pin_blocked', triesLeft: 0 };
  let triesLeft = status.triesLeft;
  let wrong = false;
  for (;;) {
    const pin = await steps.pin(triesLeft, wrong);
    if (!pin) return { reason: 'wrong_pin', triesLeft };
    const v = await guard(card.verifyPin(pin));
    if (v.outcome === 'ok') return undefined;
    if (v.outcome === 'blocked' || v.triesLeft === 0)
      return { reason: 'pin_blocked', triesLeft: 0 };
    triesLeft = v.triesLeft;
    wrong = true;
    steps.onWrongPin?.(triesLeft);
  }
}

/** Runs the sequence on an open card session. Card errors reject (the caller ends the session). */
export async function proveCardHolder(card: HolderCard, steps: ProofSteps): Promise<ProofResult> {
  const guard = <T>(p: Promise<T>): Promise<T> => (steps.guard ? steps.guard(p) : p);
  const kind = card.kind ? await guard(card.kind()) : 'card';
  if (kind === 'not_jpki') return { outcome: 'not_jpki' };
  if (kind === 'phone') {
    steps.onPhone?.();
    const pinRefusal = await verifyLoop(card, steps, guard);
    if (pinRefusal) return { outcome: 'refused', ...pinRefusal };
  }
  const certificate = await guard(card.readAuthCertificate());
  const spki = spkiSha256(certificate);
  const refused = (r: Omit<Refusal, 'outcome'>): ProofResult => ({
    outcome: 'refused',
    ...r,
    spkiSha256: spki,
    certificate,
  });
  if (!(await guard(Promise.resolve(steps.checkCertificate(certificate, spki)))))
    return refused({ reason: 'certificate_rejected' });
  if (kind === 'card') {
    const pinRefusal = await verifyLoop(card, steps, guard);
    if (pinRefusal) return refused(pinRefusal);
  }
  const signed = steps.message?.(spki) ?? steps.nonce?.() ?? new Uint8Array(randomBytes(32));
  const signature = await guard(card.signNonce(signed));
  if (!verifyNonceSignature(certificate, signed, signature))
    return refused({ reason: 'bad_signature' });
  return { outcome: 'proven', spkiSha256: spki, certificate, kind, signed, signature };
}
