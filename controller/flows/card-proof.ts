/**
 * The card-proof sequence, shared by the kiosk and `jpki-locker card prove`, from
 * docs/jpki-card.md "Proving the card holder is present": read the authentication
 * certificate (EF 000A), let the caller validate it BEFORE any PIN, read the tries left
 * (empty VERIFY, spends nothing), VERIFY the typed PIN, sign DigestInfo(SHA-256(nonce)),
 * verify the signature with the certificate's key.
 */
import { randomBytes } from 'node:crypto';
import { spkiSha256, verifyNonceSignature } from '../domain/identity.js';
import type { Secret } from '../../shared/secret.js';
import type { HolderCard } from '../domain/ports.js';

/** How a proof ended. */
export type ProofResult =
  | { outcome: 'proven'; spkiSha256: string; certificate: Uint8Array }
  | {
      outcome: 'refused';
      reason: 'certificate_rejected' | 'pin_blocked' | 'wrong_pin' | 'bad_signature';
      triesLeft?: number;
      spkiSha256: string;
      certificate: Uint8Array;
    };

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
}

/** Runs the sequence on an open card session. Card errors reject (the caller ends the session). */
export async function proveCardHolder(card: HolderCard, steps: ProofSteps): Promise<ProofResult> {
  const guard = <T>(p: Promise<T>): Promise<T> => (steps.guard ? steps.guard(p) : p);
  const certificate = await guard(card.readAuthCertificate());
  const spki = spkiSha256(certificate);
  const refused = (
    reason: Extract<ProofResult, { outcome: 'refused' }>['reason'],
    triesLeft?: number,
  ): ProofResult => ({
    outcome: 'refused',
    reason,
    ...(triesLeft === undefined ? {} : { triesLeft }),
    spkiSha256: spki,
    certificate,
  });
  if (!(await guard(Promise.resolve(steps.checkCertificate(certificate, spki)))))
    return refused('certificate_rejected');
  // The blocked state is read from the card in every session (never remembered).
  const status = await guard(card.pinStatus());
  if (status.blocked || status.triesLeft === 0) return refused('pin_blocked', 0);
  let triesLeft = status.triesLeft;
  let wrong = false;
  for (;;) {
    const pin = await steps.pin(triesLeft, wrong);
    if (!pin) return refused('wrong_pin', triesLeft);
    const v = await guard(card.verifyPin(pin));
    if (v.outcome === 'ok') break;
    if (v.outcome === 'blocked' || v.triesLeft === 0) return refused('pin_blocked', 0);
    triesLeft = v.triesLeft;
    wrong = true;
    steps.onWrongPin?.(triesLeft);
  }
  const nonce = steps.nonce?.() ?? new Uint8Array(randomBytes(32));
  const signature = await guard(card.signNonce(nonce));
  if (!verifyNonceSignature(certificate, nonce, signature)) return refused('bad_signature');
  return { outcome: 'proven', spkiSha256: spki, certificate };
}
