/** The ledger's retained state, CRL freshness and device health for the MQTT gateway. */
import type { StateProvider, StatePart } from '../mqtt/types.js';
import type { ActiveAlarm, CrlState, DeviceHealth } from '../../shared/mqtt/state.js';
import type { Ledger } from '../flows/ledger/ledger.js';

/** The domain's state for the gateway's retained topics. */
export class DomainStateProvider implements StateProvider {
  readonly #listeners = new Set<(part: StatePart) => void>();
  constructor(
    private readonly ledger: Ledger,
    private readonly crlState: () => CrlState,
    private readonly health: () => Record<string, DeviceHealth>,
    private readonly head: () => { seq: number; hash: string } | undefined = () => undefined,
  ) {}
  compartments() {
    return this.ledger.compartmentStates();
  }
  doors() {
    return this.ledger.doorStates();
  }
  alarms(): ActiveAlarm[] {
    return this.ledger.alarms.alarms();
  }
  crl(): CrlState {
    return this.crlState();
  }
  hardware(): Record<string, DeviceHealth> {
    return this.health();
  }
  mode(): 'active' | 'maintenance' {
    return this.ledger.alarms.mode();
  }
  /** The audit chain's head, published in the heartbeat (rewriting the chain shows outside). */
  auditHead(): { seq: number; hash: string } | undefined {
    return this.head();
  }
  onChange(listener: (part: StatePart) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  /** Tells the gateway a part changed (it republishes the retained topic). */
  changed(part: StatePart): void {
    for (const l of this.#listeners) l(part);
  }
}
