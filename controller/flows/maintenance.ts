/**
 * Maintenance staff at the kiosk (role `maintenance`): after their card is proven, every
 * compartment in `fault` is checked — the board is asked for its latch — and cleared when the
 * latch reads closed, exactly as the back office's `compartment.clear` does (the same
 * {@link RecoveryFlow} step, recorded with the staff member as the actor). The screen lists
 * each compartment: cleared (`closed`) or still faulted (`failed`).
 */
import { Actors, type StaffGrant } from '../domain/model.js';
import type { Ledger } from './ledger/ledger.js';
import type { RecoveryFlow } from './recovery.js';
import type { FlowUi, ScreenCompartment } from './screens.js';

/** See the module comment. */
export class MaintenanceFlow {
  constructor(
    private readonly ledger: Ledger,
    private readonly recovery: RecoveryFlow,
  ) {}

  /** True for maintenance staff when some compartment is in fault. */
  applies(staff: StaffGrant | undefined): boolean {
    return !!staff?.roles.includes('maintenance') && this.#faulted().length > 0;
  }

  async run(staffSpki: string, ui: FlowUi): Promise<void> {
    const actor = Actors.staff(staffSpki);
    const shown: ScreenCompartment[] = [];
    for (const id of this.#faulted()) {
      const r = await this.recovery.clearFault(id, actor, 'checked at the kiosk');
      shown.push({ id, state: r.accepted ? 'closed' : 'failed' });
      ui.show({ screen: 'retrieval', compartments: [...shown] });
    }
  }

  #faulted(): string[] {
    return this.ledger.compartments
      .all()
      .filter((c) => c.state === 'fault')
      .map((c) => c.id);
  }
}
