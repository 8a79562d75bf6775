import type { CommandCrlState } from '../../shared/mqtt/command-crl.js';
import type { HeartbeatMessage } from '../../shared/mqtt/state.js';
import type { StationTopics } from '../../shared/mqtt/topics.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Link } from './link.js';
import type { LinkAlarms } from './link-alarms.js';
import type { StationPublisher } from './station-publisher.js';
import type { StatePart, StateProvider } from './types.js';

/** Every retained state topic, in the order they are published on connect. */
export const STATE_PARTS: readonly StatePart[] = ['compartments', 'doors', 'alarms', 'crl'];

/** What the retained state and the heartbeat are made of. */
export interface RetainedStateSources {
  topics: StationTopics;
  state: StateProvider;
  outbox: Outbox;
  /** The gateway's own alarms (clock, takeover, command CRL). */
  alarms: LinkAlarms;
  /** The command CA's CRL freshness, when the station checks command signers against it. */
  commandCrl?: ((at: Date) => CommandCrlState) | undefined;
  heartbeatSec: number;
  version: string;
  now: () => Date;
  startedAtMs: number;
}

/**
 * The retained `state/*` topics (republished on every connect and after each change) and
 * the heartbeat, built from the StateProvider plus what only the link knows: the outbox
 * alarms, the link alarms and the command CRL.
 */
export class RetainedState {
  constructor(
    private readonly s: RetainedStateSources,
    private readonly publisher: StationPublisher,
  ) {}

  publish(link: Link | undefined, part: StatePart): void {
    if (!link?.connected) return;
    const now = this.s.now();
    const at = now.toISOString();
    const { state, topics } = this.s;
    const opts = { qos: 1 as const, retain: true };
    const send = (topic: string, body: object) =>
      this.publisher.publish(link, topic, { v: 1, at, ...body }, opts);
    switch (part) {
      case 'compartments':
        send(topics.compartments, { compartments: state.compartments() });
        break;
      case 'doors':
        send(topics.doors, { doors: state.doors() });
        break;
      case 'alarms':
        send(topics.alarms, { alarms: this.#alarms(at) });
        break;
      case 'crl':
        send(topics.crl, {
          ...state.crl(),
          ...(this.s.commandCrl ? { command: this.s.commandCrl(now) } : {}),
        });
        break;
    }
  }

  #alarms(at: string) {
    const alarms = this.s.state
      .alarms()
      .filter((a) => a.alarm !== 'outbox_filling' && a.alarm !== 'outbox_full');
    alarms.push(...this.s.alarms.list());
    if (this.s.outbox.reserveOnly)
      alarms.push({ alarm: 'outbox_full', severity: 'critical', since: at });
    else if (this.s.outbox.fillingAlarm)
      alarms.push({ alarm: 'outbox_filling', severity: 'warning', since: at });
    return alarms;
  }

  heartbeat(link: Link | undefined): void {
    if (!link?.connected) return;
    const now = this.s.now();
    const { state } = this.s;
    const hb: HeartbeatMessage = {
      v: 1,
      at: now.toISOString(),
      session: link.session,
      uptimeSec: Math.max(0, Math.round((now.getTime() - this.s.startedAtMs) / 1000)),
      intervalSec: this.s.heartbeatSec,
      version: this.s.version,
      outboxDepth: this.s.outbox.depth(),
      crlAgeSec: state.crl().ageSec,
      hardware: state.hardware(),
      mode: state.mode(),
    };
    const auditHead = state.auditHead?.();
    if (auditHead) hb.auditHead = auditHead;
    this.publisher.publish(link, this.s.topics.heartbeat, hb, { qos: 0 });
  }
}
