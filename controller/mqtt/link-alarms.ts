import type { ActiveAlarm, AlarmCode, AlarmSeverity } from '../../shared/mqtt/state.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';

/**
 * The alarms the gateway itself raises about the link (`clock_jump`, `session_takeover`):
 * each raise and clear is an outbox event (recorded before it is announced), and the active
 * ones join the retained `state/alarms`.
 */
export class LinkAlarms {
  readonly #active = new Map<AlarmCode, ActiveAlarm>();
  constructor(
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly now: () => Date,
    /** Called after a change, to republish `state/alarms`. */
    private readonly changed: () => void,
  ) {}

  /** The active link alarms. */
  list(): ActiveAlarm[] {
    return [...this.#active.values()];
  }

  isActive(code: AlarmCode): boolean {
    return this.#active.has(code);
  }

  raise(alarm: AlarmCode, severity: AlarmSeverity, detail: string): void {
    if (this.#active.has(alarm)) return;
    this.#record({ kind: 'alarm.raised', data: { alarm, severity, detail: detail.slice(0, 500) } });
    this.#active.set(alarm, { alarm, severity, since: this.now().toISOString(), detail });
    this.log.error({ alarm, detail }, 'alarm raised');
    this.changed();
  }

  clear(alarm: AlarmCode): void {
    if (!this.#active.delete(alarm)) return;
    this.#record({ kind: 'alarm.cleared', data: { alarm } });
    this.log.warn({ alarm }, 'alarm cleared');
    this.changed();
  }

  #record(
    event:
      | {
          kind: 'alarm.raised';
          data: { alarm: AlarmCode; severity: AlarmSeverity; detail: string };
        }
      | { kind: 'alarm.cleared'; data: { alarm: AlarmCode } },
  ): void {
    try {
      this.outbox.append(event);
    } catch (err) {
      this.log.error({ err, alarm: event.data.alarm }, 'cannot record a link alarm');
    }
  }
}
