/**
 * The station's card session, as shown on the kiosk screen: card in -> certificate read and
 * checked (chain, validity, CRL) BEFORE the PIN is asked -> PIN typed on the screen, showing
 * the tries left (read without spending one) -> proof of presence (the card signs a fresh
 * nonce, verified with the certificate's key) -> then, by who the holder is:
 *  - a resident: their deliveries (found by the SHA-256 of the certificate's
 *    SubjectPublicKeyInfo) open together, door opening and closing observed, `collected`;
 *  - staff on the roster: reserved compartments open for loading (or expired ones for
 *    retrieval); closed + occupancy confirmed -> `loaded`;
 *  - a door user (door stations): the door rules decide, the strike is pulsed.
 * Every edge case ends on its own screen code and leaves an event and an audit row.
 *
 * Flow from docs/jpki-card.md "Proving the card holder is present": 1 SELECT AP, 2 read 000A,
 * 3 validate before the PIN, 4 tries left from an empty VERIFY, 5 VERIFY the typed PIN,
 * 6 sign DigestInfo(SHA-256(nonce)), 7 verify the signature with the certificate's key.
 */
import { createHash, randomBytes, verify as verifySignature, X509Certificate } from 'node:crypto';
import type { Logger } from '../log.js';
import { Secret } from '../../shared/secret.js';
import type { LockerDomain } from './locker-domain.js';
import type {
  CardSource,
  CertificateChecker,
  RevocationDecider,
  CompartmentHardware,
  HolderCard,
  Timers,
} from './ports.js';
import { realTimers } from './ports.js';
import { withinHours } from './schedule.js';
import type { DoorController } from './door-controller.js';

/** Screen codes: the kiosk page shows one message per code, in Japanese and English. */
export type KioskScreenName =
  | 'idle'
  | 'reading'
  | 'pin'
  | 'verifying'
  | 'opening'
  | 'open'
  | 'collected'
  | 'loading'
  | 'loaded'
  | 'retrieval'
  | 'door_open'
  | 'error';

/** Edge cases, each with its own message on the screen. */
export type KioskErrorCode =
  | 'pin_blocked'
  | 'pin_timeout'
  | 'cert_revoked'
  | 'cert_expired'
  | 'cert_untrusted'
  | 'crl_stale'
  | 'nothing_to_collect'
  | 'card_removed'
  | 'card_error'
  | 'proof_failed'
  | 'door_not_opened'
  | 'door_left_open'
  | 'lock_failed'
  | 'deadline_passed'
  | 'outside_hours'
  | 'maintenance_mode'
  | 'door_denied'
  | 'cancelled';

/** What the kiosk page renders; published on the `kiosk` SSE channel. */
export interface KioskState {
  screen: KioskScreenName;
  /** Increments on every change, so a page can ignore stale messages. */
  rev: number;
  error?: KioskErrorCode;
  /** Reason code from the trust engine or door rules, for the detail line. */
  reason?: string;
  triesLeft?: number;
  /** The last PIN typed was wrong. */
  wrongPin?: boolean;
  compartments?: {
    id: string;
    state: 'opening' | 'open' | 'closed' | 'failed' | 'not_opened' | 'left_open';
  }[];
  /** The screen offers "try again" (a lock that did not open). */
  canRetry?: boolean;
  door?: string;
  station: {
    name: string;
    hours: { open: string; close: string };
    open: boolean;
    mode: string;
    alarms: number;
    /** Pickups are refused until a current CRL arrives (alarm crl_stale): shown on the idle screen. */
    crlStale: boolean;
  };
}

export interface KioskSessionOptions {
  stationName: string;
  timezone: string;
  hours: { open: string; close: string };
  mode: 'locker' | 'door' | 'both';
  pinTimeoutSec: number;
  doorOpenTimeoutSec: number;
  doorLeftOpenSec: number;
  /** How long a final screen stays before going back to idle (card still in). */
  resultScreenSec?: number;
  now: () => Date;
  nonce?: () => Uint8Array;
  timers?: Timers;
}

/** Thrown inside the flow to end it on an error screen. */
class FlowEnd extends Error {
  constructor(
    readonly code: KioskErrorCode,
    readonly reason?: string,
  ) {
    super(code);
  }
}

/** SHA-256 (hex) of a certificate's DER SubjectPublicKeyInfo: how people are named. */
export function spkiSha256(der: Uint8Array): string {
  const cert = new X509Certificate(der);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

const CERT_SCREEN: Record<string, KioskErrorCode> = {
  revoked: 'cert_revoked',
  expired: 'cert_expired',
  not_yet_valid: 'cert_expired',
  crl_stale: 'crl_stale',
  no_crl: 'crl_stale',
  ocsp_unavailable: 'crl_stale',
};
const CERT_WIRE: Record<string, string> = {
  revoked: 'cert_revoked',
  expired: 'cert_expired',
  not_yet_valid: 'cert_expired',
  crl_stale: 'crl_stale',
  no_crl: 'crl_stale',
  // trust.ocsp.mode require without an answer: the status could not be confirmed.
  ocsp_unavailable: 'crl_stale',
  ocsp_unknown: 'cert_untrusted',
};

/**
 * One card at a time. Listens for card insertion; the web routes feed it the typed PIN,
 * "cancel" and "try again". Publishes every screen change through `publish`.
 */
export class KioskSession {
  #state: KioskState;
  #rev = 0;
  #busy = false;
  #insertPending = false;
  /** Fires on stop(): door observation ends, the flow settles. */
  readonly #stopping = new AbortController();
  #abort: AbortController | undefined;
  #pinWaiter: { resolve: (pin: Secret) => void; reject: (e: Error) => void } | undefined;
  #retryWaiter: { resolve: (retry: boolean) => void } | undefined;
  #unsubscribe: (() => void) | undefined;
  #unsubscribeAlarms: (() => void) | undefined;
  #idleTimer: unknown;
  readonly #timers: Timers;
  /** Resolves when the current flow ends (tests, demo). */
  #flow: Promise<void> = Promise.resolve();
  /** Time from the PIN's arrival to the unlock command(s) sent, for the benchmark. */
  lastPinToUnlockMs: number | undefined;
  #pinAt = 0;

  constructor(
    private readonly domain: LockerDomain,
    private readonly cards: CardSource,
    private readonly checker: CertificateChecker,
    private readonly lockers: CompartmentHardware | undefined,
    private readonly doors: DoorController | undefined,
    private readonly publish: (state: KioskState) => void,
    private readonly log: Logger,
    private readonly options: KioskSessionOptions,
  ) {
    this.#timers = options.timers ?? realTimers;
    this.#state = { screen: 'idle', rev: 0, station: this.#station() };
  }

  /** Current screen. */
  get state(): KioskState {
    return this.#state;
  }

  /** Resolves when the flow in progress (if any) has ended. */
  get settled(): Promise<void> {
    return this.#flow;
  }

  /** Starts listening for cards and shows the idle screen. */
  start(): void {
    this.#unsubscribe = this.cards.onCard((e) => {
      if (e === 'inserted') this.#onInserted();
      else this.#onRemoved();
    });
    // The idle screen shows the station's status: refresh it when alarms or the mode change.
    this.#unsubscribeAlarms = this.domain.onStateChange((part) => {
      if (part !== 'alarms') return;
      this.#state = { ...this.#state, rev: ++this.#rev, station: this.#station() };
      this.publish(this.#state);
    });
    this.#show({ screen: 'idle' });
  }

  stop(): void {
    this.#unsubscribeAlarms?.();
    this.#unsubscribeAlarms = undefined;
    this.#stopping.abort();
    this.retry(false);
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#abort?.abort(new FlowEnd('cancelled'));
    this.#timers.clearTimeout(this.#idleTimer);
  }

  /** Republishes the idle screen (hours, status changed). */
  refreshIdle(): void {
    if (this.#state.screen === 'idle') this.#show({ screen: 'idle' });
  }

  /**
   * A PIN typed on the screen. Returns false when no PIN is being asked. A malformed PIN
   * (not exactly 4 digits) is refused by the caller before it gets here: it never reaches
   * the card and never spends a try.
   */
  submitPin(pin: Secret): boolean {
    const w = this.#pinWaiter;
    if (!w || this.#state.screen !== 'pin') return false;
    this.#pinWaiter = undefined;
    this.#pinAt = performance.now();
    w.resolve(pin);
    return true;
  }

  /** "Cancel" on the screen: ends the session without spending anything. */
  cancel(): boolean {
    if (!this.#abort) return false;
    if (this.#state.screen === 'open' || this.#state.screen === 'loading') return false;
    this.#abort.abort(new FlowEnd('cancelled'));
    return true;
  }

  /** "Try again" (true) or "go to the counter" (false) after a lock did not open. */
  retry(again: boolean): boolean {
    const w = this.#retryWaiter;
    if (!w) return false;
    this.#retryWaiter = undefined;
    w.resolve(again);
    return true;
  }

  #station(): KioskState['station'] {
    return {
      name: this.options.stationName,
      hours: this.options.hours,
      open: withinHours(this.options.hours, this.options.timezone, this.options.now()),
      mode: this.domain.mode(),
      alarms: this.domain.alarms().length,
      crlStale: this.domain.alarms().some((a) => a.alarm === 'crl_stale'),
    };
  }

  #show(s: Omit<KioskState, 'rev' | 'station'>): void {
    this.#state = { ...s, rev: ++this.#rev, station: this.#station() };
    this.publish(this.#state);
  }

  #onInserted(): void {
    if (this.#busy) {
      // The previous flow is winding down (its last screen is up): start once it has.
      this.#insertPending = true;
      return;
    }
    this.#busy = true;
    this.#timers.clearTimeout(this.#idleTimer);
    const abort = new AbortController();
    this.#abort = abort;
    this.#show({ screen: 'reading' });
    this.#flow = this.#run(abort.signal)
      .catch((err: unknown) => this.#ended(err, abort.signal))
      .finally(() => {
        this.#abort = undefined;
        this.#busy = false;
        this.#pinWaiter = undefined;
        this.#retryWaiter = undefined;
        if (this.#insertPending) {
          this.#insertPending = false;
          this.#onInserted();
          return;
        }
        if (this.#state.screen !== 'idle') {
          this.#idleTimer = this.#timers.setTimeout(
            () => this.#show({ screen: 'idle' }),
            (this.options.resultScreenSec ?? 10) * 1000,
          );
        }
      });
  }

  #onRemoved(): void {
    this.#insertPending = false;
    if (this.#abort && !this.#pastPointOfNoReturn) {
      this.#abort.abort(new FlowEnd('card_removed'));
    } else if (!this.#busy) {
      this.#timers.clearTimeout(this.#idleTimer);
      this.#show({ screen: 'idle' });
    }
  }

  /** True once locks were opened: removing the card no longer cancels anything. */
  #pastPointOfNoReturn = false;
  #spki: string | null = null;
  /** Which revocation source decided this card's certificate check (for the attempt event). */
  #source: RevocationDecider | undefined;

  /** Records a pickup attempt with the revocation source of this card's check. */
  #attempt(
    result: 'granted' | 'denied',
    reason: string,
    spki: string | null,
    extra: Parameters<LockerDomain['recordPickupAttempt']>[3] = {},
  ): void {
    this.domain.recordPickupAttempt(result, reason, spki, {
      ...extra,
      ...(this.#source ? { revocationSource: this.#source } : {}),
    });
  }

  #ended(err: unknown, signal: AbortSignal): void {
    const end =
      err instanceof FlowEnd
        ? err
        : signal.reason instanceof FlowEnd
          ? signal.reason
          : new FlowEnd('card_error', (err as { code?: string })?.code ?? 'card_error');
    if (!(err instanceof FlowEnd) && !(signal.reason instanceof FlowEnd))
      this.log.warn({ err }, 'card session failed');
    if (end.code === 'cancelled') {
      this.#attempt('denied', 'cancelled', this.#spki);
      this.#show({ screen: 'idle' });
      return;
    }
    if (!['door_not_opened', 'door_left_open', 'lock_failed', 'door_denied'].includes(end.code)) {
      const wire =
        end.code === 'cert_revoked' || end.code === 'cert_expired' || end.code === 'cert_untrusted'
          ? end.code
          : end.code === 'pin_blocked'
            ? 'pin_locked'
            : end.code === 'nothing_to_collect'
              ? 'no_delivery'
              : end.code;
      this.#attempt('denied', wire, this.#spki);
    }
    this.#show({ screen: 'error', error: end.code, ...(end.reason ? { reason: end.reason } : {}) });
  }

  async #run(signal: AbortSignal): Promise<void> {
    this.#pastPointOfNoReturn = false;
    this.#spki = null;
    this.#source = undefined;
    let card: HolderCard | undefined;
    try {
      card = await this.#guard(signal, this.cards.open());
      const der = await this.#guard(signal, card.readAuthCertificate());
      const spki = spkiSha256(der);
      this.#spki = spki;
      const now = this.options.now();
      // 3. Validate chain, validity and revocation before asking for the PIN.
      const check = await this.#guard(
        signal,
        Promise.resolve(this.checker.checkAuthCertificate(der, now)),
      );
      this.#source = check.source;
      if (!check.valid) {
        this.domain.record({
          kind: 'denial',
          action: 'card.certificate',
          actor: `holder:${spki}`,
          outcome: 'denied',
          reason: check.reason,
        });
        throw new FlowEnd(
          CERT_SCREEN[check.reason] ?? 'cert_untrusted',
          CERT_WIRE[check.reason] ?? check.reason,
        );
      }
      const staff = this.domain.staffRoles(spki, now);
      if (!staff && this.options.mode !== 'door') {
        if (this.domain.mode() === 'maintenance') throw new FlowEnd('maintenance_mode');
        if (!withinHours(this.options.hours, this.options.timezone, now))
          throw new FlowEnd('outside_hours');
      }
      // 4-5. Tries left (never spending one), then the PIN typed on the screen.
      const status = await this.#guard(signal, card.pinStatus());
      if (status.blocked || status.triesLeft === 0) throw new FlowEnd('pin_blocked');
      let triesLeft = status.triesLeft;
      let wrongPin = false;
      for (;;) {
        this.#show({ screen: 'pin', triesLeft, ...(wrongPin ? { wrongPin } : {}) });
        const pin = await this.#waitPin(signal);
        this.#show({ screen: 'verifying' });
        const outcome = await this.#guard(signal, card.verifyPin(pin));
        if (outcome.outcome === 'ok') break;
        if (outcome.outcome === 'blocked' || outcome.triesLeft === 0) {
          this.domain.record({
            kind: 'denial',
            action: 'pickup.pin',
            actor: `holder:${spki}`,
            outcome: 'denied',
            reason: 'pin_blocked',
            details: { triesLeft: 0 },
          });
          throw new FlowEnd('pin_blocked');
        }
        triesLeft = outcome.triesLeft;
        wrongPin = true;
        this.#attempt('denied', 'wrong_pin', spki, { triesLeft });
      }
      // 6-7. Proof of presence: the card signs a fresh nonce; the certificate's key verifies it.
      const nonce = this.options.nonce?.() ?? randomBytes(32);
      const signature = await this.#guard(signal, card.signNonce(nonce));
      const key = new X509Certificate(der).publicKey;
      if (!verifySignature('sha256', nonce, key, signature)) throw new FlowEnd('proof_failed');
      this.domain.record({
        kind: 'attempt',
        action: 'card.presence',
        actor: `holder:${spki}`,
        outcome: 'ok',
      });
      await card.close();
      card = undefined;
      // Who is this?
      if (
        staff &&
        this.domain.reservedCompartments().length > 0 &&
        staff.roles.includes('loader')
      ) {
        await this.#loading(spki, signal);
        return;
      }
      if (
        staff &&
        this.domain.expiredCompartments().length > 0 &&
        staff.roles.includes('retrieval')
      ) {
        await this.#retrieval(spki, signal);
        return;
      }
      if (
        this.options.mode === 'door' ||
        (this.options.mode === 'both' && this.domain.deliveriesForHolder(spki).length === 0)
      ) {
        await this.#door(spki);
        return;
      }
      await this.#pickup(spki, signal);
    } finally {
      await card?.close();
    }
  }

  /** Races a card call against removal / cancel. */
  async #guard<T>(signal: AbortSignal, p: Promise<T>): Promise<T> {
    if (signal.aborted) throw signal.reason;
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

  #waitPin(signal: AbortSignal): Promise<Secret> {
    return new Promise<Secret>((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => {
        this.#pinWaiter = undefined;
        reject(new FlowEnd('pin_timeout'));
      }, this.options.pinTimeoutSec * 1000);
      const onAbort = () => {
        this.#timers.clearTimeout(timer);
        reject(signal.reason as Error);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#pinWaiter = {
        resolve: (pin) => {
          this.#timers.clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(pin);
        },
        reject,
      };
    });
  }

  async #pickup(spki: string, signal: AbortSignal): Promise<void> {
    this.domain.expireDue();
    const mine = this.domain.deliveriesForHolder(spki);
    const ready = mine.filter(
      (d) => d.state === 'loaded' && this.domain.compartment(d.compartment)?.state === 'loaded',
    );
    if (ready.length === 0) {
      if (mine.some((d) => d.state === 'expired')) throw new FlowEnd('deadline_passed');
      throw new FlowEnd('nothing_to_collect');
    }
    if (!this.lockers) throw new FlowEnd('lock_failed', 'no_board');
    this.#pastPointOfNoReturn = true;
    let pending = ready.map((d) => ({ id: d.compartment, deliveryId: d.id }));
    const opened: string[] = [];
    for (;;) {
      this.#show({
        screen: 'opening',
        compartments: pending.map((p) => ({ id: p.id, state: 'opening' as const })),
      });
      const results = await this.#unlockAll(
        pending.map((p) => p.id),
        'pickup',
        spki,
      );
      for (const [i, p] of pending.entries()) {
        const r = results[i]!;
        if (r.opened) {
          this.domain.markOpenedForPickup(p.id);
          this.#attempt('granted', 'ok', spki, {
            deliveryId: p.deliveryId,
            compartment: p.id,
          });
          opened.push(p.id);
        } else {
          this.domain.markFault(p.id, r.reason, 'pickup');
        }
      }
      pending = pending.filter((_, i) => !results[i]!.opened);
      if (pending.length === 0) break;
      // Some did not open: offer to try again or to go to the counter.
      this.#show({
        screen: 'error',
        error: 'lock_failed',
        canRetry: true,
        compartments: [
          ...opened.map((id) => ({ id, state: 'open' as const })),
          ...pending.map((p) => ({ id: p.id, state: 'failed' as const })),
        ],
      });
      const again = await new Promise<boolean>((resolve) => {
        this.#retryWaiter = { resolve };
        const t = this.#timers.setTimeout(
          () => this.retry(false),
          this.options.pinTimeoutSec * 1000,
        );
        void t;
      });
      if (!again) {
        this.#attempt('denied', 'lock_failed', spki, {
          compartment: pending[0]!.id,
        });
        if (opened.length === 0) {
          this.#show({
            screen: 'error',
            error: 'lock_failed',
            compartments: pending.map((p) => ({ id: p.id, state: 'failed' as const })),
          });
          return;
        }
        break;
      }
      for (const p of pending) this.domain.clearFault(p.id);
      // clearFault put them back to `loaded`; unlock again.
    }
    void signal;
    await this.#observeDoors(opened, {
      onClosedAfterOpen: (id) => {
        // Closed on the document still inside (item sensor): nothing was collected.
        if (this.lockers!.occupied(id) === true) {
          this.domain.markNotOpened(id);
          return 'not_opened';
        }
        this.domain.markCollected(id, spki);
        return 'closed';
      },
      onNeverOpened: (id) => this.domain.markNotOpened(id),
      openScreen: 'open',
    });
  }

  async #unlockAll(ids: string[], cause: 'pickup' | 'load' | 'retrieval', spki: string) {
    const started = this.#pinAt;
    const promises = ids.map((id) => this.lockers!.unlock(id));
    // Every unlock command is now on its way: the benchmark's end point.
    if (started) this.lastPinToUnlockMs = performance.now() - started;
    const results = await Promise.all(
      promises.map((p) =>
        p.catch((e: unknown) => ({
          opened: false as const,
          reason: (e as { code?: string })?.code ?? 'board_error',
        })),
      ),
    );
    ids.forEach((id, i) =>
      this.domain.recordActuation(
        'compartment',
        id,
        cause,
        results[i]!.opened,
        `${cause === 'pickup' ? 'holder' : 'staff'}:${spki}`,
        results[i]!.opened ? '' : (results[i] as { reason: string }).reason,
      ),
    );
    return results;
  }

  /**
   * Watches each opened compartment's door: never opened within doorOpenTimeoutSec ->
   * `onNeverOpened` (the latch re-locked); opened and left open longer than doorLeftOpenSec
   * -> alarm and a "please close" screen; opened then closed -> `onClosedAfterOpen`.
   */
  async #observeDoors(
    ids: string[],
    handlers: {
      /** Returns 'not_opened' when the door closed on an untouched item (nothing taken). */
      onClosedAfterOpen: (id: string) => 'closed' | 'not_opened' | void;
      onNeverOpened: (id: string) => void;
      openScreen: 'open' | 'loading' | 'retrieval';
    },
  ): Promise<void> {
    const lockers = this.lockers!;
    type St = 'open' | 'closed' | 'not_opened' | 'left_open';
    const st = new Map<string, St | 'waiting'>(ids.map((id) => [id, 'waiting']));
    const wasOpened = new Set<string>();
    const timers: unknown[] = [];
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const render = () => {
      const leftOpen = [...st.values()].includes('left_open');
      this.#show({
        screen: leftOpen ? 'error' : handlers.openScreen,
        ...(leftOpen ? { error: 'door_left_open' as const } : {}),
        compartments: ids.map((id) => {
          const s = st.get(id)!;
          return { id, state: s === 'waiting' ? 'open' : s };
        }),
      });
    };
    const check = () => {
      if ([...st.values()].every((s) => s === 'closed' || s === 'not_opened')) finish();
    };
    const onOpen = (id: string) => {
      if (st.get(id) !== 'waiting') return;
      wasOpened.add(id);
      st.set(id, 'open');
      this.domain.setCompartmentDoor(id, 'open');
      timers.push(
        this.#timers.setTimeout(() => {
          if (st.get(id) !== 'open') return;
          st.set(id, 'left_open');
          this.domain.raiseAlarm(
            'door_held_open',
            'warning',
            `compartment:${id}`,
            'door_left_open',
          );
          render();
        }, this.options.doorLeftOpenSec * 1000),
      );
      render();
    };
    const onClosed = (id: string) => {
      const s = st.get(id);
      if (s !== 'open' && s !== 'left_open') return;
      this.domain.setCompartmentDoor(id, 'closed');
      if (s === 'left_open') this.domain.clearAlarm('door_held_open', `compartment:${id}`);
      st.set(id, handlers.onClosedAfterOpen(id) === 'not_opened' ? 'not_opened' : 'closed');
      render();
      check();
    };
    const onStop = () => finish();
    this.#stopping.signal.addEventListener('abort', onStop, { once: true });
    if (this.#stopping.signal.aborted) finish();
    const unsubscribe = lockers.onDoorChange((id, open) => {
      if (!st.has(id)) return;
      if (open) onOpen(id);
      else onClosed(id);
    });
    // A door may already be open by the time we subscribed.
    for (const id of ids) if (lockers.doorState(id) === 'open') onOpen(id);
    timers.push(
      this.#timers.setTimeout(() => {
        for (const id of ids) {
          if (st.get(id) === 'waiting') {
            st.set(id, 'not_opened');
            handlers.onNeverOpened(id);
          }
        }
        render();
        check();
      }, this.options.doorOpenTimeoutSec * 1000),
    );
    render();
    try {
      await done;
    } finally {
      unsubscribe();
      this.#stopping.signal.removeEventListener('abort', onStop);
      for (const t of timers) this.#timers.clearTimeout(t);
    }
    if (this.#stopping.signal.aborted) return;
    const outcome = [...st.values()];
    if (outcome.every((s) => s === 'not_opened')) {
      this.#show({
        screen: 'error',
        error: 'door_not_opened',
        compartments: ids.map((id) => ({ id, state: 'not_opened' as const })),
      });
      return;
    }
    const final: KioskScreenName =
      handlers.openScreen === 'open'
        ? 'collected'
        : handlers.openScreen === 'loading'
          ? 'loaded'
          : 'retrieval';
    this.#show({
      screen: final,
      compartments: ids.map((id) => ({
        id,
        state: st.get(id) === 'not_opened' ? ('not_opened' as const) : ('closed' as const),
      })),
    });
  }

  async #loading(staffSpki: string, _signal: AbortSignal): Promise<void> {
    if (!this.lockers) throw new FlowEnd('lock_failed', 'no_board');
    this.#pastPointOfNoReturn = true;
    const ids = this.domain.reservedCompartments().map((c) => c.id);
    const results = await this.#unlockAll(ids, 'load', staffSpki);
    const opened = ids.filter((_, i) => results[i]!.opened);
    ids.forEach((id, i) => {
      const r = results[i]!;
      if (!r.opened) this.domain.markFault(id, r.reason, 'load');
    });
    if (opened.length === 0) throw new FlowEnd('lock_failed');
    await this.#observeDoors(opened, {
      onClosedAfterOpen: (id) => {
        // Occupancy confirmed by the item sensor when the board has one.
        const occupied = this.lockers!.occupied(id);
        if (occupied === false) {
          this.domain.record({
            kind: 'denial',
            action: 'delivery.load',
            actor: `staff:${staffSpki}`,
            target: `compartment:${id}`,
            outcome: 'denied',
            reason: 'not_occupied',
          });
          return;
        }
        this.domain.markLoaded(id, staffSpki);
      },
      onNeverOpened: (id) =>
        this.domain.record({
          kind: 'actuation',
          action: 'compartment.relock',
          actor: `staff:${staffSpki}`,
          target: `compartment:${id}`,
          outcome: 'ok',
          reason: 'door_not_opened',
        }),
      openScreen: 'loading',
    });
  }

  async #retrieval(staffSpki: string, _signal: AbortSignal): Promise<void> {
    if (!this.lockers) throw new FlowEnd('lock_failed', 'no_board');
    this.#pastPointOfNoReturn = true;
    const ids = this.domain.expiredCompartments().map((c) => c.id);
    const results = await this.#unlockAll(ids, 'retrieval', staffSpki);
    const opened = ids.filter((_, i) => results[i]!.opened);
    for (const id of opened) this.domain.startRetrieval(id);
    if (opened.length === 0) throw new FlowEnd('lock_failed');
    await this.#observeDoors(opened, {
      onClosedAfterOpen: (id) => this.domain.finishRetrieval(id, staffSpki),
      onNeverOpened: (id) => this.domain.tx(() => this.domain.setCompartment(id, 'expired')),
      openScreen: 'retrieval',
    });
  }

  async #door(spki: string): Promise<void> {
    if (!this.doors) throw new FlowEnd('door_denied', 'no_door');
    const result = await this.doors.requestAccess(spki);
    if (!result.granted) throw new FlowEnd('door_denied', result.reason);
    this.#pastPointOfNoReturn = true;
    this.#show({ screen: 'door_open', door: result.door });
  }
}
