/**
 * The two-person rule: a guarded command (by default a `remote.open` of a building door or
 * of a compartment holding a delivery) is not signed when an operator asks for it. It waits
 * for a second operator — another account — to approve it within `windowSec`; only then is
 * it signed, with both names in its claims (`operator`, `approvedBy`) and in the action log.
 * Unapproved requests expire (`approval.expired`). Nothing is sent for a request that is
 * never approved.
 */
import { randomUUID } from 'node:crypto';
import type { CompartmentState } from '../../shared/mqtt/state.js';
import type { ActionLog } from './action-log.js';
import type { ActionRecord, ActionRefused } from './actions.js';
import type { CommandPeople } from './signer.js';

/** Which command kinds need a second operator; `remote.open` only for doors/loaded compartments. */
export interface ApprovalPolicy {
  kinds: ReadonlySet<string>;
  windowSec: number;
}

/** The default: remote.open (of a door or an occupied compartment), five minutes. */
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  kinds: new Set(['remote.open']),
  windowSec: 300,
};

/** Where a request stands. */
export type ApprovalStatus = 'pending' | 'approved' | 'expired' | 'cancelled';

/** A guarded command waiting for (or past) its second operator. */
export interface ApprovalRequest {
  id: string;
  station: string;
  kind: string;
  body: Record<string, unknown>;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  status: ApprovalStatus;
  approvedBy: string | null;
  /** The command id once approved and sent. */
  commandId: string | null;
}

/** Why an approval was refused. */
export type ApproveRefusal = 'unknown' | 'not_pending' | 'same_operator' | 'expired';

/** What the queue needs from the console. */
export interface ApprovalDeps {
  policy: ApprovalPolicy;
  log: ActionLog;
  now: () => Date;
  /** The station's compartments as last published (to tell an occupied one). */
  compartments: (station: string) => readonly CompartmentState[];
  /** Signs and sends (ConsoleActions.send). */
  send: (
    people: CommandPeople,
    station: string,
    kind: string,
    body: Record<string, unknown>,
  ) => Promise<ActionRecord | ActionRefused>;
  onChange: (r: ApprovalRequest) => void;
}

/** Pending two-person requests. */
export class ApprovalQueue {
  readonly #requests = new Map<string, ApprovalRequest>();

  constructor(private readonly deps: ApprovalDeps) {}

  /** True when this command needs a second operator under the policy. */
  needsApproval(station: string, kind: string, body: Record<string, unknown>): boolean {
    if (!this.deps.policy.kinds.has(kind)) return false;
    if (kind !== 'remote.open') return true;
    if (typeof body.door === 'string') return true;
    const c = this.deps.compartments(station).find((x) => x.compartment === body.compartment);
    // Unknown contents count as occupied: fail closed.
    return !c || c.deliveryId !== null || c.status !== 'free';
  }

  /** Queues a request (audited) and returns it. */
  request(
    operator: string,
    station: string,
    kind: string,
    body: Record<string, unknown>,
  ): ApprovalRequest {
    const now = this.deps.now();
    const r: ApprovalRequest = {
      id: randomUUID(),
      station,
      kind,
      body,
      requestedBy: operator,
      requestedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.deps.policy.windowSec * 1000).toISOString(),
      status: 'pending',
      approvedBy: null,
      commandId: null,
    };
    this.deps.log.append({
      operator,
      action: 'approval.requested',
      station,
      ref: r.id,
      detail: { kind, body, expiresAt: r.expiresAt },
    });
    this.#requests.set(r.id, r);
    this.deps.onChange(r);
    return r;
  }

  /**
   * A second operator approves: the command is signed with both names and sent. The same
   * account that asked cannot approve.
   */
  async approve(
    id: string,
    approver: string,
  ): Promise<
    { request: ApprovalRequest; record: ActionRecord | ActionRefused } | { refused: ApproveRefusal }
  > {
    this.tick();
    const r = this.#requests.get(id);
    if (!r) return { refused: 'unknown' };
    if (r.status === 'expired') return { refused: 'expired' };
    if (r.status !== 'pending') return { refused: 'not_pending' };
    if (r.requestedBy === approver) return { refused: 'same_operator' };
    r.status = 'approved';
    r.approvedBy = approver;
    this.deps.log.append({
      operator: approver,
      action: 'approval.granted',
      station: r.station,
      ref: r.id,
      detail: { kind: r.kind, requestedBy: r.requestedBy },
    });
    const record = await this.deps.send(
      { operator: r.requestedBy, approvedBy: approver },
      r.station,
      r.kind,
      r.body,
    );
    if ('commandId' in record) r.commandId = record.commandId;
    this.deps.onChange(r);
    return { request: r, record };
  }

  /** The asking operator withdraws a pending request. */
  cancel(id: string, operator: string): ApprovalRequest | undefined {
    const r = this.#requests.get(id);
    if (!r || r.status !== 'pending' || r.requestedBy !== operator) return undefined;
    r.status = 'cancelled';
    this.deps.log.append({
      operator,
      action: 'approval.cancelled',
      station: r.station,
      ref: r.id,
      detail: {},
    });
    this.deps.onChange(r);
    return r;
  }

  /** Expires pending requests past their window. */
  tick(): void {
    const now = this.deps.now().getTime();
    for (const r of this.#requests.values()) {
      if (r.status !== 'pending' || now < Date.parse(r.expiresAt)) continue;
      r.status = 'expired';
      this.deps.log.append({
        operator: r.requestedBy,
        action: 'approval.expired',
        station: r.station,
        ref: r.id,
        detail: { kind: r.kind },
      });
      this.deps.onChange(r);
    }
    // Settled requests are kept for an hour for the pages, then forgotten.
    for (const [id, r] of this.#requests)
      if (r.status !== 'pending' && now - Date.parse(r.expiresAt) > 3600_000)
        this.#requests.delete(id);
  }

  /** Every known request, newest first. */
  list(): ApprovalRequest[] {
    return [...this.#requests.values()].reverse();
  }
}
