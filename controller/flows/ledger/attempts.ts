/** Attempts and actuations: what the kiosk and the doors record about each try and each lock. */
import type { AttemptReason } from '../../../shared/mqtt/events.js';
import { Actors, type Actor, type ActuationCause, type AuditRecord } from '../../domain/model.js';
import type { RevocationDecider, UnitOfWork } from '../../domain/ports.js';

/** See the module comment. */
export class AttemptRecords {
  #revocationSource: RevocationDecider | undefined;

  constructor(private readonly uow: UnitOfWork) {}

  /**
   * The revocation source (`ocsp`, `ocsp-cache`, `crl`) that decided the certificate check of
   * the card now at the kiosk; every pickup attempt recorded until the next call carries it.
   * The card session sets it after the check and clears it when a new card comes.
   */
  setRevocationSource(source: RevocationDecider | undefined): void {
    this.#revocationSource = source;
  }

  /**
   * Records a pickup attempt (granted or denied, with its reason). `holderSpki` is null until
   * the card proved its key: the attempt is `unproven`, no hash attached. A granted attempt
   * (or `safety`: one after a lock was driven) may use the outbox's safety reserve.
   */
  recordPickupAttempt(
    result: 'granted' | 'denied',
    reason: AttemptReason,
    holderSpki: string | null,
    extra: { deliveryId?: string; compartment?: string; triesLeft?: number; safety?: boolean } = {},
  ): void {
    const source = this.#revocationSource;
    this.uow.run(
      (tx) => {
        tx.emit({
          kind: 'pickup.attempt',
          data: {
            result,
            reason,
            holderSpkiSha256: holderSpki,
            ...(extra.deliveryId ? { deliveryId: extra.deliveryId } : {}),
            ...(extra.compartment ? { compartment: extra.compartment } : {}),
            ...(source ? { revocationSource: source } : {}),
          },
        });
        tx.audit({
          kind: result === 'granted' ? 'grant' : 'denial',
          action: 'pickup',
          actor: holderSpki ? Actors.holder(holderSpki) : 'unproven',
          target: extra.compartment ? `compartment:${extra.compartment}` : '',
          outcome: result,
          reason,
          details: {
            ...(extra.triesLeft === undefined ? {} : { triesLeft: extra.triesLeft }),
            ...(source ? { revocationSource: source } : {}),
          },
        });
      },
      { safety: result === 'granted' || extra.safety === true },
    );
  }

  /**
   * Records the intent to drive outputs (before any is driven): per target an
   * `actuation.intent` event and an audit row, in the outbox's safety reserve.
   * @throws when it cannot be recorded (then nothing may be driven).
   */
  recordIntent(
    target: 'compartment' | 'door',
    ids: readonly string[],
    cause: ActuationCause,
    actor: Actor,
  ): void {
    this.uow.run(
      (tx) => {
        for (const id of ids) {
          tx.emit({ kind: 'actuation.intent', data: { target, id, cause } });
          tx.audit({
            kind: 'actuation',
            action: `${target}.unlock`,
            actor,
            target: `${target}:${id}`,
            outcome: 'intent',
            details: { cause },
          });
        }
      },
      { safety: true },
    );
  }

  /** Records a lock actuation and what the sensor read back. */
  recordActuation(
    target: 'compartment' | 'door',
    id: string,
    cause: ActuationCause,
    opened: boolean,
    actor: Actor = 'station',
    reason = '',
  ): void {
    this.uow.run(
      (tx) => {
        tx.emit({ kind: 'actuation', data: { target, id, cause, opened } });
        tx.audit({
          kind: 'actuation',
          action: `${target}.unlock`,
          actor,
          target: `${target}:${id}`,
          outcome: opened ? 'opened' : 'failed',
          reason,
          details: { cause },
        });
      },
      { safety: true },
    );
  }

  /** Records any other audit-only fact (attempts, operator actions). */
  record(entry: AuditRecord): void {
    this.uow.run((tx) => tx.audit(entry));
  }
}
