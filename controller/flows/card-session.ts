/**
 * One card at the kiosk, from insertion to the last screen: the card proof (certificate
 * checked BEFORE the PIN, tries read without spending one, PIN, signed nonce), then by who
 * the holder is — staff loading or retrieving, a door user, or a resident collecting.
 * Every ending has its own screen code and leaves an event and an audit row; `run` never
 * rejects (a fault ends the session on a screen with a reason, never the process). While
 * the reader, the boards or the outbox make pickups impossible (the station's alarms) a card
 * ends at once on the out-of-service screen: nothing is read from it and no PIN is asked. A
 * stale CRL is left to the certificate check, still before any PIN: with trust.ocsp an OCSP
 * answer may decide, and without one the card is refused as `crl_stale` (event and audit).
 */
import type { Logger } from '../log.js';
import type { AttemptReason } from '../../shared/mqtt/events.js';
import { outOfServiceReasons } from '../domain/decisions.js';
import { type StaffGrant } from '../domain/model.js';
import type { CertificateChecker, HolderCard } from '../domain/ports.js';
import { withinHours } from '../domain/schedule.js';
import { proveCardHolder } from './card-proof.js';
import { completeReceipt, draftReceipt, type ReceiptDraft } from './receipt.js';
import type { Receipt } from '../../shared/mqtt/receipt.js';
import type { DoorController } from './door-access.js';
import type { Ledger } from './ledger/ledger.js';
import type { LoadingFlow } from './loading.js';
import type { MaintenanceFlow } from './maintenance.js';
import type { PickupFlow } from './pickup.js';
import type { RetrievalFlow } from './retrieval.js';
import { attemptReasonOf, FlowEnd, type FlowUi, type KioskErrorCode } from './screens.js';

export interface CardSessionSettings {
  /** The station id named in collection receipts. */
  stationId?: string;
  timezone: string;
  hours: { open: string; close: string };
  mode: 'locker' | 'door' | 'both';
  /** Never ask for the PIN when only one try is left (the resident goes to the counter). */
  refuseLastTry: boolean;
  nonce?: () => Uint8Array;
  /**
   * The session runs on this door's own reader (`doors[].reader`), with its own PIN surface:
   * the card asks for this door only (no lockers, no staff tasks, no opening hours), and the
   * locker kiosk's screen is never touched.
   */
  door?: string;
}

/** The trust engine's refusal -> screen code and recorded reason. */
const CERT_SCREEN: Record<string, [KioskErrorCode, AttemptReason]> = {
  revoked: ['cert_revoked', 'cert_revoked'],
  expired: ['cert_expired', 'cert_expired'],
  not_yet_valid: ['cert_expired', 'cert_expired'],
  crl_stale: ['crl_stale', 'crl_stale'],
  crl_not_yet_valid: ['crl_not_yet_valid', 'crl_not_yet_valid'],
  no_crl: ['crl_stale', 'crl_stale'],
  // trust.ocsp.mode require and no believable answer: the status could not be confirmed.
  ocsp_unavailable: ['crl_stale', 'crl_stale'],
};

/** Thrown when no session may start: only the outbox's safety reserve is left. */
class OutOfService extends Error {}

/** The flows a proven holder can reach. */
export interface HolderFlows {
  pickup: PickupFlow;
  loading: LoadingFlow;
  retrieval: RetrievalFlow;
  doors: DoorController | undefined;
  /** Maintenance staff clearing checked faults (absent: not offered). */
  maintenance?: MaintenanceFlow;
}

/** Races a card call against removal / cancel (the signal's reason wins). */
export function guarded<T>(signal: AbortSignal, p: Promise<T>): Promise<T> {
  if (signal.aborted) {
    // The call was made: its own failure (the card is gone) is expected and not news.
    p.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
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
    if (err instanceof OutOfService) {
      // Nothing recorded in the outbox (only its safety reserve is left); the audit has it.
      ui.show({ screen: 'error', error: 'out_of_service', reason: 'outbox_full' });
      return;
    }
    const known =
      err instanceof FlowEnd ? err : signal.reason instanceof FlowEnd ? signal.reason : undefined;
    if (!known) this.log.warn({ err }, 'card session failed');
    const end =
      known ?? new FlowEnd('card_error', (err as { code?: string })?.code ?? 'card_error');
    const reason = attemptReasonOf(end);
    const outOfService = end.code === 'out_of_service';
    try {
      if (reason) this.ledger.attempts.recordPickupAttempt('denied', reason, proven);
      if (outOfService) this.#recordOutOfService({ missing: end.reason ?? '' });
    } catch (recordErr) {
      this.log.error({ err: recordErr }, 'session end could not be recorded');
    }
    if (end.code === 'cancelled') ui.show({ screen: 'idle' });
    // The screen names what is missing from the station line (station.outOfService).
    else if (outOfService) ui.show({ screen: 'out_of_service', reason: end.reason ?? '' });
    else
      ui.show({ screen: 'error', error: end.code, ...(end.reason ? { reason: end.reason } : {}) });
  }

  /** A session refused because the station is out of service: audit only (the outbox may be what is missing). */
  #recordOutOfService(details?: Record<string, string>): void {
    this.ledger.attempts.record({
      kind: 'denial',
      action: 'pickup',
      actor: 'unproven',
      outcome: 'denied',
      reason: 'out_of_service',
      ...(details ? { details } : {}),
    });
  }

  async #run(
    open: () => Promise<HolderCard>,
    ui: FlowUi,
    signal: AbortSignal,
    state: { proven: string | null },
  ): Promise<void> {
    const guard = <T>(p: Promise<T>) => guarded(signal, p);
    this.ledger.attempts.setRevocationSource(undefined);
    if (this.outOfService()) {
      this.#recordOutOfService();
      throw new OutOfService();
    }
    // After the outbox check above (it raises and clears outbox_full as the reserve comes and goes).
    const missing = outOfServiceReasons(this.ledger.alarms.alarms()).filter((r) => r !== 'crl');
    if (missing.length) throw new FlowEnd('out_of_service', missing.join(','), null);
    const card = await guard(open());
    const reader = card.reader;
    let staff: StaffGrant | undefined;
    let draft: ReceiptDraft | undefined;
    let receipt: Receipt | undefined;
    let phone = false;
    try {
      const proof = await proveCardHolder(card, {
        // A smartphone: the PIN first (its certificate is readable only after it).
        onPhone: () => {
          phone = true;
        },
        guard,
        ...(this.settings.nonce ? { nonce: this.settings.nonce } : {}),
        message: (spki) => {
          draft = this.#receiptDraft(spki, staff);
          return draft?.bytes;
        },
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
          // Nothing here for this holder: say so without spending a PIN try.
          if (!this.#hasBusiness(spki, staff)) this.#nothingHere();
          return true;
        },
        pin: async (triesLeft, wrongPin) => {
          if (this.settings.refuseLastTry && triesLeft <= 1) throw new FlowEnd('last_try');
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
      if (draft) receipt = completeReceipt(draft, proof.certificate, proof.signature);
      this.ledger.attempts.record({
        kind: 'attempt',
        action: 'card.presence',
        actor: `holder:${proof.spkiSha256}`,
        outcome: 'ok',
      });
    } finally {
      await card.close();
    }
    await this.#dispatch(state.proven, staff, ui, signal, receipt, reader);
  }

  /** A resident about to collect signs a receipt's challenge as the proof (staff: a nonce). */
  #receiptDraft(spki: string, staff: StaffGrant | undefined): ReceiptDraft | undefined {
    if (staff || !this.settings.stationId || this.#doorsOnly) return undefined;
    const ids = this.flows.pickup.readyDeliveryIds(spki);
    if (ids.length === 0) return undefined;
    const nonce = this.settings.nonce?.();
    return draftReceipt(
      this.settings.stationId,
      ids,
      this.ledger.now(),
      nonce?.length === 32 ? nonce : undefined,
    );
  }

  /**
   * True while only the outbox's safety reserve is left: no new session starts (the `outbox_full`
   * alarm is raised; cleared once there is room again).
   */
  outOfService(): boolean {
    const { alarms } = this.ledger;
    const active = alarms.alarms().some((a) => a.alarm === 'outbox_full');
    if (this.ledger.uow.reserveOnly) {
      if (!active)
        alarms.raiseAlarm('outbox_full', 'critical', '', 'only the safety reserve is left');
      return true;
    }
    if (active) alarms.clearAlarm('outbox_full');
    return false;
  }

  /**
   * Ends a session whose holder has nothing here, before any PIN: a station with doors records
   * the door decision (`no_rule`, unproven); a door-only station says "not allowed", one with
   * lockers "nothing to collect" (recorded `no_delivery`).
   */
  #nothingHere(): never {
    const doors = this.flows.doors;
    if ((this.settings.mode !== 'locker' || this.settings.door) && doors)
      this.ledger.roster.recordDoorDecision(this.settings.door ?? doors.defaultDoor, null, {
        granted: false,
        reason: 'no_rule',
      });
    // A door-only station (or a door's reader) says "not allowed"; with lockers, "nothing to collect".
    if (this.#doorsOnly) throw new FlowEnd('door_denied', 'no_rule', null);
    throw new FlowEnd('nothing_to_collect');
  }

  /**
   * Whether the holder has anything here: a delivery, a staff task (loading, retrieval, or
   * maintenance while a compartment is faulted), or a door rule.
   */
  #hasBusiness(spki: string, staff: StaffGrant | undefined): boolean {
    const { pickup, loading, retrieval, maintenance, doors } = this.flows;
    const door = this.settings.door;
    if (door !== undefined)
      return !!doors && (!!staff?.roles.includes('door') || doors.hasRuleFor(spki, door));
    const mode = this.settings.mode;
    if (loading.applies(staff) || retrieval.applies(staff)) return true;
    if (maintenance?.applies(staff)) return true;
    if (mode !== 'door' && pickup.hasBusiness(spki)) return true;
    if (mode === 'locker' || !doors) return false;
    return !!staff?.roles.includes('door') || doors.hasRuleFor(spki);
  }

  /** A door station, or a door's own reader: door access only. */
  get #doorsOnly(): boolean {
    return this.settings.mode === 'door' || this.settings.door !== undefined;
  }

  /** Outside hours or in maintenance, only staff (and door stations) go on. */
  #checkOpen(staff: StaffGrant | undefined, now: Date): void {
    if (staff || this.#doorsOnly) return;
    if (this.ledger.alarms.mode() === 'maintenance') throw new FlowEnd('maintenance_mode');
    if (!withinHours(this.settings.hours, this.settings.timezone, now))
      throw new FlowEnd('outside_hours');
  }

  async #dispatch(
    spki: string,
    staff: StaffGrant | undefined,
    ui: FlowUi,
    signal: AbortSignal,
    receipt?: Receipt,
    reader?: string,
  ): Promise<void> {
    const { pickup, loading, retrieval, doors } = this.flows;
    // A card in a door's own reader asks for that door, whatever else the holder has here.
    const atDoorReader = this.settings.door !== undefined;
    if (!atDoorReader) {
      if (loading.applies(staff)) return loading.run(spki, ui);
      if (retrieval.applies(staff)) return retrieval.run(spki, ui);
      if (this.flows.maintenance?.applies(staff)) return this.flows.maintenance.run(spki, ui);
    }
    const mode = this.settings.mode;
    if (atDoorReader || mode === 'door' || (mode === 'both' && !pickup.hasBusiness(spki))) {
      if (!doors) throw new FlowEnd('door_denied', 'no_door');
      const result = await doors.requestAccess(spki, this.settings.door ?? doors.doorFor(reader));
      // A lockers-and-door station: a resident with no rule for the doors came for a
      // document, and has none. Say that, not "the building is closed".
      if (!result.granted && mode === 'both' && result.reason === 'no_rule' && !atDoorReader)
        throw new FlowEnd('nothing_to_collect', result.reason);
      if (!result.granted) throw new FlowEnd('door_denied', result.reason);
      ui.pastPointOfNoReturn();
      ui.show({ screen: 'door_open', door: result.door });
      return;
    }
    return pickup.run(spki, ui, signal, receipt);
  }
}
