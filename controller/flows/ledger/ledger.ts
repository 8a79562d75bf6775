/**
 * The ledger: every persisted record service over one unit of work, plus the retained-state
 * projection. Built once by the composition root and handed, finished, to the flows, the
 * kiosk, the command handler and the health monitor.
 */
import type { CompartmentSize } from '../../../shared/mqtt/commands.js';
import type {
  CompartmentState as WireCompartment,
  DoorStatus,
} from '../../../shared/mqtt/state.js';
import { compartmentWire } from '../../domain/decisions.js';
import type { StatePart } from '../../domain/model.js';
import type { UnitOfWork } from '../../domain/ports.js';
import { AlarmRecords } from './alarms.js';
import { AttemptRecords } from './attempts.js';
import { CompartmentRecords } from './compartments.js';
import { DeliveryRecords } from './deliveries.js';
import { RecoveryRecords } from './recovery.js';
import { RosterRecords } from './roster.js';

/** See the module comment. */
export class Ledger {
  readonly compartments: CompartmentRecords;
  readonly deliveries: DeliveryRecords;
  readonly roster: RosterRecords;
  readonly alarms: AlarmRecords;
  readonly attempts: AttemptRecords;
  readonly recovery: RecoveryRecords;

  constructor(
    readonly uow: UnitOfWork,
    configured: {
      compartments: readonly { id: string; size: CompartmentSize }[];
      doors: readonly { id: string }[];
    },
  ) {
    this.compartments = new CompartmentRecords(uow);
    this.deliveries = new DeliveryRecords(uow);
    this.roster = new RosterRecords(uow);
    this.alarms = new AlarmRecords(uow);
    this.attempts = new AttemptRecords(uow);
    this.recovery = new RecoveryRecords(uow);
    // Rows for configured compartments and doors that have none yet.
    uow.run((tx) => {
      tx.compartments.ensure(configured.compartments, tx.at);
      tx.doors.ensure(
        configured.doors.map((d) => d.id),
        tx.at,
      );
    });
  }

  get now(): () => Date {
    return () => this.uow.now();
  }

  /** Subscribes to changes of the retained state (see {@link UnitOfWork.onStateChange}). */
  onStateChange(listener: (part: StatePart) => void): () => void {
    return this.uow.onStateChange(listener);
  }

  /** Compartments as published in `state/compartments`. */
  compartmentStates(): WireCompartment[] {
    const deliveries = this.uow.read.deliveries;
    return this.uow.read.compartments
      .all()
      .map((c) => compartmentWire(c, c.delivery_id ? deliveries.get(c.delivery_id) : undefined));
  }

  /** Doors as published in `state/doors`. */
  doorStates(): { door: string; status: DoorStatus }[] {
    return this.uow.read.doors.all().map((d) => ({ door: d.id, status: d.state }));
  }
}
