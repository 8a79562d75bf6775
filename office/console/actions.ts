/**
 * Operator actions: remote open, maintenance mode on/off, extend a pickup deadline. Each is
 * sent as a SIGNED command (shared/mqtt/commands.ts) on the station's `cmd` topic (QoS 1,
 * never retained), matched with the station's answer on `cmd/response` by command id, and
 * audited in the {@link ActionLog} with the operator's name — before it is published.
 */
import type { CommandBodies, CommandKind, CommandResponse } from '../../shared/mqtt/commands.js';
import { buildCommand } from '../../shared/mqtt/command-envelope.js';
import { isStationId, StationTopics } from '../../shared/mqtt/topics.js';
import { validateCommandClaims } from '../../shared/mqtt/validate.js';
import type { ActionLog } from './action-log.js';
import type { CommandPeople, ConsoleSigner } from './signer.js';

/** The command kinds an operator may send from the console. */
export const CONSOLE_ACTION_KINDS = [
  'remote.open',
  'station.maintenance',
  'delivery.extend',
] as const;
/** One of {@link CONSOLE_ACTION_KINDS}. */
export type ConsoleActionKind = (typeof CONSOLE_ACTION_KINDS)[number];

/** Where an action stands. */
export type ActionStatus = 'sent' | 'accepted' | 'rejected' | 'no_answer' | 'publish_failed';

/** One operator action and the station's answer. */
export interface ActionRecord {
  commandId: string;
  station: string;
  kind: ConsoleActionKind;
  body: Record<string, unknown>;
  operator: string;
  /** The second operator, when the two-person rule applied. */
  approvedBy: string | null;
  sentAt: string;
  expiresAt: string;
  status: ActionStatus;
  /** The station's reject reason (contract reason code), or why publishing failed. */
  reason: string | null;
  detail: Record<string, unknown> | null;
  answeredAt: string | null;
  duplicate: boolean;
}

/** Why an action request was refused before anything was sent. */
export type ActionRefusal = 'no_signer' | 'bad_operator' | 'bad_station' | 'bad_kind' | 'bad_body';

/** A refused action request (a result, not an exception). */
export interface ActionRefused {
  refused: ActionRefusal;
  errors?: string[];
}

const OPERATOR_RE = /^[^\p{Cc}]{1,64}$/u;

/** Checks an operator name: 1-64 characters, no control characters. */
export function validOperator(name: unknown): name is string {
  return typeof name === 'string' && name.trim() === name && OPERATOR_RE.test(name);
}

/** Sends operator actions and tracks their answers. */
export class ConsoleActions {
  readonly #records = new Map<string, ActionRecord>();
  readonly #order: string[] = [];
  readonly #waiters = new Map<string, Set<(r: ActionRecord) => void>>();

  constructor(
    private readonly deps: {
      signer: ConsoleSigner | undefined;
      /** Publishes at QoS 1, not retained; rejects when the broker did not take it. */
      publish: (topic: string, payload: string) => Promise<void>;
      topicPrefix: string;
      log: ActionLog;
      now: () => Date;
      /** Called whenever a record changes (sent, answered, timed out). */
      onChange: (record: ActionRecord) => void;
      /** Command lifetime (default 120 s); no answer by expiry + 5 s = `no_answer`. */
      lifetimeSec?: number;
      maxRecords?: number;
    },
  ) {}

  /** True when the console can sign commands. */
  get canSign(): boolean {
    return this.deps.signer !== undefined;
  }

  /**
   * Signs, audits and publishes one action. Returns the record (status `sent`, or
   * `publish_failed`), or a refusal when the request itself is unusable.
   */
  async send(
    people: CommandPeople,
    station: unknown,
    kind: unknown,
    body: unknown,
  ): Promise<ActionRecord | ActionRefused> {
    const signer = this.deps.signer;
    if (!signer) return { refused: 'no_signer' };
    const refused = this.check(station, kind, body);
    if (refused) return refused;
    const operator = people.operator;
    if (!validOperator(operator)) return { refused: 'bad_operator' };
    if (typeof station !== 'string') return { refused: 'bad_station' };
    const { claims, message } = signer.sign(
      station,
      kind as CommandKind,
      body as CommandBodies[CommandKind],
      {
        people,
        ...(this.deps.lifetimeSec !== undefined ? { lifetimeSec: this.deps.lifetimeSec } : {}),
      },
    );
    // Checked again as signed: nothing off-contract goes out.
    const checked = validateCommandClaims(claims);
    if (!checked.ok) return { refused: 'bad_body', errors: checked.errors };
    const record: ActionRecord = {
      commandId: claims.id,
      station,
      kind: kind as ConsoleActionKind,
      body: body as Record<string, unknown>,
      operator,
      approvedBy: people.approvedBy ?? null,
      sentAt: claims.issuedAt,
      expiresAt: claims.expiresAt,
      status: 'sent',
      reason: null,
      detail: null,
      answeredAt: null,
      duplicate: false,
    };
    this.deps.log.append({
      operator,
      action: 'command.sent',
      station,
      ref: claims.id,
      detail: {
        kind,
        body,
        expiresAt: claims.expiresAt,
        ...(people.approvedBy ? { approvedBy: people.approvedBy } : {}),
      },
    });
    this.#remember(record);
    try {
      await this.deps.publish(
        new StationTopics(station, this.deps.topicPrefix).command,
        JSON.stringify(message),
      );
    } catch (err) {
      record.status = 'publish_failed';
      record.reason = (err as Error).message;
      this.deps.log.append({
        operator,
        action: 'command.unanswered',
        station,
        ref: claims.id,
        detail: { status: 'publish_failed', reason: record.reason },
      });
    }
    this.deps.onChange(record);
    return record;
  }

  /** Why a request cannot be sent as it stands (before any signing), or undefined. */
  check(station: unknown, kind: unknown, body: unknown): ActionRefused | undefined {
    if (typeof station !== 'string' || !isStationId(station)) return { refused: 'bad_station' };
    if (typeof kind !== 'string' || !(CONSOLE_ACTION_KINDS as readonly string[]).includes(kind))
      return { refused: 'bad_kind' };
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return { refused: 'bad_body' };
    // The contract's schema decides what a valid body is.
    const draft = buildCommand(kind as CommandKind, body as never, { station });
    const checked = validateCommandClaims(draft);
    return checked.ok ? undefined : { refused: 'bad_body', errors: checked.errors };
  }

  /** Takes a `cmd/response` message (any station); ignores answers to others' commands. */
  onResponse(station: string, resp: CommandResponse): ActionRecord | undefined {
    if (!resp.commandId) return undefined;
    const record = this.#records.get(resp.commandId);
    if (!record || record.station !== station) return undefined;
    // A repeated answer (duplicate: true) does not change a settled record.
    if (record.status === 'accepted' || record.status === 'rejected') return record;
    record.status = resp.status;
    record.reason = resp.reason ?? null;
    record.detail = resp.detail ?? null;
    record.answeredAt = resp.at;
    record.duplicate = resp.duplicate;
    this.deps.log.append({
      operator: record.operator,
      action: 'command.answered',
      station,
      ref: record.commandId,
      detail: {
        status: resp.status,
        ...(resp.reason ? { reason: resp.reason } : {}),
        ...(resp.detail ? { detail: resp.detail } : {}),
      },
    });
    this.#settled(record);
    return record;
  }

  /** Marks commands past their expiry (plus 5 s) without an answer as `no_answer`. */
  tick(): void {
    const now = this.deps.now().getTime();
    for (const record of this.#records.values()) {
      if (record.status !== 'sent') continue;
      if (now <= Date.parse(record.expiresAt) + 5000) continue;
      record.status = 'no_answer';
      this.deps.log.append({
        operator: record.operator,
        action: 'command.unanswered',
        station: record.station,
        ref: record.commandId,
        detail: { status: 'no_answer' },
      });
      this.#settled(record);
    }
  }

  /** Resolves with the record once answered (or timed out); `undefined` after `timeoutMs`. */
  waitForAnswer(commandId: string, timeoutMs: number): Promise<ActionRecord | undefined> {
    const record = this.#records.get(commandId);
    if (!record || record.status !== 'sent') return Promise.resolve(record);
    return new Promise((resolve) => {
      let set = this.#waiters.get(commandId);
      if (!set) this.#waiters.set(commandId, (set = new Set()));
      const done = (r: ActionRecord | undefined) => {
        clearTimeout(timer);
        set.delete(done);
        resolve(r);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      set.add(done);
    });
  }

  /** The newest records, newest first. */
  recent(limit = 100, station?: string): ActionRecord[] {
    const out: ActionRecord[] = [];
    for (let i = this.#order.length - 1; i >= 0 && out.length < limit; i--) {
      const r = this.#records.get(this.#order[i]!);
      if (r && (!station || r.station === station)) out.push(r);
    }
    return out;
  }

  /** Wakes every pending waiter (at shutdown). */
  close(): void {
    for (const set of this.#waiters.values()) for (const w of set) w(undefined as never);
    this.#waiters.clear();
  }

  #remember(record: ActionRecord): void {
    this.#records.set(record.commandId, record);
    this.#order.push(record.commandId);
    const max = this.deps.maxRecords ?? 2000;
    if (this.#order.length > max) {
      const old = this.#order.shift()!;
      this.#records.delete(old);
    }
  }

  #settled(record: ActionRecord): void {
    this.deps.onChange(record);
    for (const w of this.#waiters.get(record.commandId) ?? []) w(record);
    this.#waiters.delete(record.commandId);
  }
}
