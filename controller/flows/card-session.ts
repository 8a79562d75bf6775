/**
 * One card at the kiosk, from insertion to the last screen: the card proof (certificate
 * checked BEFORE the PIN, tries read without spending one, PIN, signed nonce), then by who
 * the holder is — staff loading or retrieving, a door user, or a resident collecting.
 * Every ending has its own screen code and leaves an event and an audit row; `run` never
 * rejects (a fault ends the session on a screen with a reason, never the process).
 */
import type { Logger } from '../log.js';
import type { AttemptReason } from '../../shared/mqtt/events.js';
import { type StaffGrant } from '../domain/model.js';
import type { CertificateChecker, HolderCard } from '../domain/ports.js';
import { withinHours } from '../domain/schedule.js';
import { proveCardHolder } from './card-proof.js';
import type { DoorController } from './door-access.js';
import type { Ledger } from './ledger/ledger.js';
import type { LoadingFlow } from './loading.js';
import type { PickupFlow } from './pickup.js';
import type { RetrievalFlow } from './retrieval.js';
import { attemptReasonOf, FlowEnd, type FlowUi, type KioskErrorCode } from './screens.js';

export interface CardSessionSettings {
  timezone: string;
  hours: { open: string; close: string };
  mode: 'locker' | 'door' | 'both';
  nonce?: () => Uint8Array;
}

/** The trust engine's refusal -> screen code and recorded reason. */
const CERT_SCREEN: Record<string, [KioskErrorCode, AttemptReason]> = {
  revoked: ['cert_revoked', 'cert_revoked'],
  expired: ['cert_expired', 'cert_expired'],
  not_yet_valid: ['cert_expired', 'cert_expired'],
  crl_stale: ['crl_stale', 'crl_stale'],
  crl_not_yet_valid: ['crl_stale', 'crl_stale'],
  no_crl: ['crl_stale', 'crl_stale'],
  // trust.ocsp.mode require and no believable answer: the status could not be confirmed.
  ocsp_unavailable: ['crl_stale', 'crl_stale'],
};

/** The flows a proven holder can reach. */
export interface HolderFlows {
  pickup: PickupFlow;
  loading: LoadingFlow;
  retrieval: RetrievalFlow;
  doors: DoorController | undefined;
}

/** Races a card call against removal / cancel (the signal's reason wins). */
export function guarded<T>(signal: AbortSignal, p: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(signal.reason as Error);
        else resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? (signal.reason as Error) : e);
      },
    );
  });
}

/** See the module comment. */
export class CardSessionFlow {
  constructor(
    private readonly ledger: Ledger,
    private readonly checker: CertificateChecker,
    private readonly flows: HolderFlows,
    private readonly settings: CardSessionSettings,
    private readonly log: Logger,
  ) {}

  /** Runs one session on the card `open` connects to. Never rejects. */
  async run(open: () => Promise<HolderCard>, ui: FlowUi, signal: AbortSignal): Promise<void> {
    const state: { proven: string | null } = { proven: null };
    try {
      await this.#run(open, ui, signal, state);
    } catch (err) {
      this.#ended(err, signal, ui, state.proven);
    }
  }

  #ended(err: unknown, signal: AbortSignal, ui: FlowUi, proven: string | null): void {
    const known =
      err instanceof FlowEnd ? err : signal.reason instanceof FlowEnd ? signal.reason : undefined;
    if (!known) this.log.warn({ err }, 'card session failed');
    const end =
      known ?? new FlowEnd('card_error', (err as { code?: string })?.code ?? 'card_error');
    const reason = attemptReasonOf(end);
    try {
      if (reason) this.ledger.attempts.recordPickupAttempt('denied', reason, proven);
    } catch (recordErr) {
      this.log.error({ err: recordErr }, 'session end could not be recorded');
    }
    if (end.code === 'cancelled') ui.show({ screen: 'idle' });
    else
      ui.show({ screen: 'error', error: end.code, ...(end.reason ? { reason: end.reason } : {}) });
  }

  async #run(
    open: () => Promise<HolderCard>,
    ui: FlowUi,
    signal: AbortSignal,
    state: { proven: string | null },
  ): Promise<void> {
    const guard = <T>(p: Promise<T>) => guarded(signal, p);
    this.ledger.attempts.setRevocationSource(undefined);
    const card = await guard(open());
    let staff: StaffGrant | undefined;
    let phone = false;
    try {
      const proof = await proveCardHolder(card, {
        // A smartphone: the PIN first (its certificate is readable only after it).
        onPhone: () => {
          phone = true;
        },
        guard,
        ...(this.settings.nonce ? { nonce: this.settings.nonce } : {}),
        checkCertificate: async (der, spki) => {
          const now = this.ledger.now();
          const check = await this.checker.checkAuthCertificate(der, now);
          this.ledger.attempts.setRevocationSource(check.source);
          if (!check.valid) {
            this.ledger.attempts.record({
              kind: 'denial',
              action: 'card.certificate',
              actor: 'unproven',
              outcome: 'denied',
              reason: check.reason,
            });
            const [code, reason] = CERT_SCREEN[check.reason] ?? [
              'cert_untrusted',
              'cert_untrusted',
            ];
            throw new FlowEnd(code, CERT_SCREEN[check.reason] ? reason : check.reason, reason);
          }
          staff = this.ledger.roster.staffRoles(spki, now);
          this.#checkOpen(staff, now);
          return true;
        },
        pin: async (triesLeft, wrongPin) => {
          ui.show({
            screen: 'pin',
            triesLeft,
            ...(wrongPin ? { wrongPin } : {}),
            ...(phone ? { device: 'phone' as const } : {}),
          });
          const pin = await ui.waitPin(signal);
          ui.show({ screen: 'verifying' });
          return pin;
        },
        onWrongPin: (triesLeft) =>
          this.ledger.attempts.recordPickupAttempt('denied', 'wrong_pin', null, { triesLeft }),
      });
      // A transit card or anything else without the JPKI application.
      if (proof.outcome === 'not_jpki')
        throw new FlowEnd('not_my_number_card', 'not_jpki', 'card_error');
      if (proof.outcome === 'refused') {
        if (proof.reason === 'pin_blocked') {
          this.ledger.attempts.record({
            kind: 'denial',
            action: 'pickup.pin',
            actor: 'unproven',
            outcome: 'denied',
            reason: 'pin_blocked',
            details: { triesLeft: 0 },
          });
          throw new FlowEnd('pin_blocked');
        }
        throw new FlowEnd('proof_failed');
      }
      state.proven = proof.spkiSha256;
      this.ledger.attempts.record({
        kind: 'attempt',
        action: 'card.presence',
        actor: `holder:${proof.spkiSha256}`,
        outcome: 'ok',
      });
    } finally {
      await card.close();
    }
    await this.#dispatch(state.proven, staff, ui, signal);
  }

  /** Outside hours or in maintenance, only staff (and door stations) go on. */
  #checkOpen(staff: StaffGrant | undefined, now: Date): void {
    if (staff || this.settings.mode === 'door') return;
    if (this.ledger.alarms.mode() === 'maintenance') throw new FlowEnd('maintenance_mode');
    if (!withinHours(this.settings.hours, this.settings.timezone, now))
      throw new FlowEnd('outside_hours');
  }

  async #dispatch(
    spki: string,
    staff: StaffGrant | undefined,
    ui: FlowUi,
    signal: AbortSignal,
  ): Promise<void> {
    const { pickup, loading, retrieval, doors } = this.flows;
    if (loading.applies(staff)) return loading.run(spki, ui);
    if (retrieval.applies(staff)) return retrieval.run(spki, ui);
    const mode = this.settings.mode;
    if (mode === 'door' || (mode === 'both' && !pickup.hasBusiness(spki))) {
      if (!doors) throw new FlowEnd('door_denied', 'no_door');
      const result = await doors.requestAccess(spki);
      if (!result.granted) throw new FlowEnd('door_denied', result.reason);
      ui.pastPointOfNoReturn();
      ui.show({ screen: 'door_open', door: result.door });
      return;
    }
    return pickup.run(spki, ui, signal);
  }
}
