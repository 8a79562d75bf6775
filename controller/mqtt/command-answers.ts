import type { IPublishPacket } from 'mqtt';
import type {
  CommandKind,
  CommandRejectReason,
  CommandResponse,
} from '../../shared/mqtt/commands.js';
import type { StationTopics } from '../../shared/mqtt/topics.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';
import type { RefusedCommand } from './command-verifier.js';
import type { Link } from './link.js';
import type { RefusalFilter } from './refusal-filter.js';
import type { StationPublisher } from './station-publisher.js';

/** Sends one answer on `cmd/response`. */
export type Answer = (r: Omit<CommandResponse, 'v' | 'station' | 'at'>) => void;

/** What answering needs. */
export interface CommandAnswersDeps {
  stationId: string;
  topics: StationTopics;
  protocolVersion: 4 | 5;
  outbox: Outbox;
  refusals: RefusalFilter;
  publisher: StationPublisher;
  log: Logger;
  now: () => Date;
  /** The gateway's current link (the command's own may be gone by the time it is answered). */
  current: () => Link | undefined;
}

/**
 * Answers on `cmd/response` (with MQTT 5 the request's correlation data echoed) and
 * refusals: the first copy of a content is logged and, when the signer was verified,
 * recorded as `command.handled`; further copies only count; answers are rate-limited.
 */
export class CommandAnswers {
  constructor(private readonly d: CommandAnswersDeps) {}

  /** An answerer for one request. */
  to(packet: IPublishPacket | undefined): Answer {
    const correlationData = packet?.properties?.correlationData;
    return (r) => {
      const response: CommandResponse = {
        v: 1,
        ...r,
        station: this.d.stationId,
        at: this.d.now().toISOString(),
      };
      const current = this.d.current();
      if (current)
        this.d.publisher.publish(current, this.d.topics.response, response, {
          qos: 1,
          ...(correlationData && this.d.protocolVersion === 5
            ? { properties: { correlationData } }
            : {}),
        });
    };
  }

  /**
   * A refusal (by SHA-256 of the payload): 2,000 replays of a captured command cost one
   * outbox row and a few rate-limited answers.
   */
  refuse(answer: Answer, contentHash: string, refused: RefusedCommand): void {
    const d = this.d.refusals.refuse(contentHash);
    const fields = {
      commandId: refused.commandId,
      kind: refused.kind,
      reason: refused.reason,
      detail: refused.detail,
    };
    if (d.first) {
      this.d.log.warn(fields, 'command rejected');
      if (refused.authenticated)
        this.audit(refused.commandId, refused.kind, 'rejected', refused.reason);
    } else {
      this.d.log.debug({ ...fields, copies: d.copies }, 'command rejected again');
    }
    if (d.answer)
      answer({
        commandId: refused.commandId,
        kind: refused.kind,
        status: 'rejected',
        reason: refused.reason,
        ...(refused.answerDetail ? { detail: refused.answerDetail } : {}),
        duplicate: !d.first,
      });
  }

  /** A payload above the size limit, refused without reading it. */
  refuseTooLarge(bytes: number): void {
    this.refuse(this.to(undefined), `too_large:${bytes}`, {
      ok: false,
      reason: 'too_large',
      commandId: null,
      kind: null,
      authenticated: false,
      detail: `${bytes} bytes`,
    });
  }

  /** Records a refusal as `command.handled` (an outbox that is full only loses the event). */
  audit(
    commandId: string | null,
    kind: CommandKind | null,
    status: 'accepted' | 'rejected',
    reason: CommandRejectReason,
  ): void {
    try {
      this.d.outbox.append({ kind: 'command.handled', data: { commandId, kind, status, reason } });
    } catch (err) {
      this.d.log.error({ err }, 'cannot record a command refusal');
    }
  }
}
