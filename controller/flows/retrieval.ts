/**
 * Retrieval: staff with the `retrieval` role open every expired compartment to take the
 * documents back; closed -> the compartment is free again.
 */
import { Actors, type StaffGrant } from '../domain/model.js';
import type { Timers } from '../domain/ports.js';
import type { CompartmentActuator } from './actuator.js';
import type { Ledger } from './ledger/ledger.js';
import { observeDoors, type DoorWatchSettings } from './observe-doors.js';
import { FlowEnd, type FlowUi } from './screens.js';

/** See the module comment. */
export class RetrievalFlow {
  constructor(
    private readonly ledger: Ledger,
    private readonly actuator: CompartmentActuator,
    private readonly timers: Timers,
    private readonly settings: DoorWatchSettings,
  ) {}

  /** True when this staff member can retrieve something now. */
  applies(staff: StaffGrant | undefined): boolean {
    return !!staff?.roles.includes('retrieval') && this.ledger.compartments.expired().length > 0;
  }

  async run(staffSpki: string, ui: FlowUi): Promise<void> {
    const { ledger } = this;
    const lockers = this.actuator.hardware;
    if (!lockers) throw new FlowEnd('lock_failed', 'no_board');
    ui.pastPointOfNoReturn();
    const ids = ledger.compartments.expired().map((c) => c.id);
    const results = await this.actuator.unlockAll(ids, 'retrieval', Actors.staff(staffSpki));
    const opened = ids.filter((_, i) => results[i]!.opened);
    for (const id of opened) ledger.compartments.startRetrieval(id);
    if (opened.length === 0) throw new FlowEnd('lock_failed');
    await observeDoors(
      { lockers, ledger, timers: this.timers, settings: this.settings },
      ui,
      opened,
      {
        onClosedAfterOpen: (id) => ledger.compartments.finishRetrieval(id, staffSpki),
        onNeverOpened: (id) => ledger.compartments.abandonRetrieval(id),
        openScreen: 'retrieval',
      },
    );
  }
}
