import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Link } from './link.js';
import type { StationPublisher } from './station-publisher.js';

/**
 * The outbox delivered on `events`: QoS 1 in seq order, at most the link's window in flight,
 * marked sent up to the last contiguous PUBACK; after a reconnect or restart everything not
 * acknowledged is sent again, flagged `historical` when it was stored before the connection.
 */
export class EventPump {
  #pumpScheduled = false;
  #flushScheduled = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly topic: string,
    private readonly publisher: StationPublisher,
    private readonly log: Logger,
    /** The gateway's current link. */
    private readonly current: () => Link | undefined,
  ) {}

  /** A new connection: delivery resumes after the last acknowledged event. */
  resume(link: Link): void {
    link.ackedUpto = this.outbox.sentUpto();
    link.nextSeq = link.ackedUpto + 1;
    link.liveFrom = this.outbox.lastSeq() + 1;
    link.inflight = [];
  }

  /** Events not yet read from the outbox on this link. */
  backlog(link: Link): number {
    return link.liveFrom - link.nextSeq;
  }

  /** Pumps on the next turn (coalesced). */
  schedule(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Records what the broker acknowledged (on close and stop). */
  flush(link: Link): void {
    if (link.ackedUpto > this.outbox.sentUpto()) {
      try {
        this.outbox.markSent(link.ackedUpto);
      } catch (err) {
        this.log.error({ err }, 'cannot record delivered events');
      }
    }
  }

  #pump(): void {
    const link = this.current();
    if (!link?.connected) return;
    while (link.inflight.length < link.window) {
      const rows = this.outbox.readFrom(
        link.nextSeq - 1,
        Math.min(500, link.window - link.inflight.length),
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const entry = { seq: row.seq, acked: false };
        link.inflight.push(entry);
        link.nextSeq = row.seq + 1;
        const text = JSON.stringify(this.outbox.toMessage(row, row.seq < link.liveFrom));
        this.publisher.publishText(link, this.topic, text, (err) => this.#onAck(link, entry, err));
      }
    }
  }

  #onAck(link: Link, entry: { seq: number; acked: boolean }, err: Error | undefined): void {
    if (this.current() !== link || !link.connected) return;
    if (err) {
      // The broker refused an event (MQTT 5 PUBACK reason code): retry on a new connection.
      this.log.error({ seq: entry.seq, err: err.message }, 'the broker refused an event');
      link.failed = true;
      link.client.end(true);
      return;
    }
    entry.acked = true;
    while (link.inflight.length > 0 && link.inflight[0]!.acked) {
      link.ackedUpto = link.inflight.shift()!.seq;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.flush(link);
      });
    }
    this.schedule();
  }
}
