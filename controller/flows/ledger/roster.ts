/**
 * The staff roster and the door rules (versioned documents from the back office), the door
 * state machine and door decisions: reads, applies and records, each one unit of work.
 */
import type {
  CommandResult,
  DoorRulesBody,
  StaffRosterBody,
} from '../../../shared/mqtt/commands.js';
import { decideDoor, doorMoves, staffGrantAt } from '../../domain/decisions.js';
import {
  Actors,
  TransitionError,
  type Actor,
  type DoorDecision,
  type DoorState,
  type StaffGrant,
} from '../../domain/model.js';
import type { UnitOfWork } from '../../domain/ports.js';
import { reject } from './deliveries.js';

/** See the module comment. */
export class RosterRecords {
  constructor(private readonly uow: UnitOfWork) {}

  /** Replaces the staff roster when its version is newer. */
  applyRoster(body: StaffRosterBody, actor: Actor = Actors.backOffice): CommandResult {
    return this.uow.run((tx): CommandResult => {
      const current = tx.documents.get('roster');
      if (current && body.version <= current.version) return reject('stale_version');
      tx.staff.replace(body.staff);
      tx.documents.put('roster', body.version, JSON.stringify({ version: body.version }), tx.at);
      tx.emit({
        kind: 'roster.applied',
        data: { version: body.version, staff: body.staff.length },
      });
      tx.audit({
        kind: 'operator',
        action: 'roster.apply',
        actor,
        outcome: 'ok',
        details: { version: body.version, staff: body.staff.length },
      });
      return { accepted: true };
    });
  }

  /** The staff roles a certificate holds now (none when not on the roster or out of validity). */
  staffRoles(spki: string, at: Date = this.uow.now()): StaffGrant | undefined {
    return staffGrantAt(this.uow.read.staff.bySpki(spki), at);
  }

  /** Replaces the door rules when their version is newer. */
  applyDoorRules(body: DoorRulesBody, actor: Actor = Actors.backOffice): CommandResult {
    return this.uow.run((tx): CommandResult => {
      const current = tx.documents.get('door_rules');
      if (current && body.version <= current.version) return reject('stale_version');
      for (const r of body.rules) {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: r.schedule.timezone });
        } catch {
          return reject('malformed', { rule: r.ruleId, problem: 'unknown time zone' });
        }
      }
      tx.documents.put('door_rules', body.version, JSON.stringify(body), tx.at);
      tx.emit({
        kind: 'door-rules.applied',
        data: { version: body.version, rules: body.rules.length },
      });
      tx.audit({
        kind: 'operator',
        action: 'door_rules.apply',
        actor,
        outcome: 'ok',
        details: { ruleVersion: body.version, rules: body.rules.length },
      });
      return { accepted: true };
    });
  }

  /** The door rules in force, if any. */
  doorRules(): DoorRulesBody | undefined {
    const doc = this.uow.read.documents.get('door_rules');
    return doc ? (JSON.parse(doc.body) as DoorRulesBody) : undefined;
  }

  doorState(id: string): DoorState | undefined {
    return this.uow.read.doors.get(id);
  }

  /** Moves a door to `to`, emitting `door.state`. @throws TransitionError. */
  setDoor(id: string, to: DoorState): void {
    this.uow.run(
      (tx) => {
        const from = tx.doors.get(id);
        if (!from) throw new TransitionError('door', id, 'unknown', to);
        if (!doorMoves(id, from, to)) return;
        tx.doors.save(id, to, tx.at);
        tx.emit({ kind: 'door.state', data: { door: id, status: to } });
      },
      { safety: true },
    );
  }

  /** Whether a holder may open `door` now (see {@link decideDoor}); `unknown_door` first. */
  decideDoor(door: string, spki: string, at: Date = this.uow.now()): DoorDecision {
    if (!this.uow.read.doors.get(door)) return { granted: false, reason: 'unknown_door' };
    return decideDoor(this.doorRules(), door, spki, at);
  }

  /** Records a door decision (event + audit) in one transaction. */
  recordDoorDecision(door: string, spki: string | null, decision: DoorDecision): void {
    this.uow.run(
      (tx) => {
        tx.emit({
          kind: 'door.decision',
          data: {
            door,
            decision: decision.granted ? 'granted' : 'denied',
            reason: decision.reason,
            holderSpkiSha256: spki,
            ...(decision.ruleId ? { ruleId: decision.ruleId } : {}),
          },
        });
        tx.audit({
          kind: decision.granted ? 'grant' : 'denial',
          action: 'door.access',
          actor: spki ? Actors.holder(spki) : 'unproven',
          target: `door:${door}`,
          outcome: decision.granted ? 'granted' : 'denied',
          reason: decision.reason,
          details: decision.ruleId ? { rule: decision.ruleId } : {},
        });
      },
      { safety: decision.granted || decision.reason === 'lock_failed' },
    );
  }
}
