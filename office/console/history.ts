/**
 * The console's history: every station event it received, kept for `retentionDays`, so a
 * restarted console (or another instance sharing the database) still lists it. Events are
 * keyed on (station, event id): storing a redelivered copy is a no-op, which is what makes
 * "stored once" hold when the broker hands a QoS 1 message over again.
 */
import type { EventMessage } from '../../shared/mqtt/events.js';
import type { ConsoleEvent } from './fleet.js';

/** A place the console keeps events (SQLite in the data folder, or PostgreSQL). */
export interface HistoryStore {
  /** True when other console instances write to the same store (their events are polled). */
  readonly shared: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Stores one event. @returns false when it was already there. */
  storeEvent(station: string, e: EventMessage, receivedAt: number): Promise<boolean>;
  /** The newest `limit` events, oldest first, and the cursor of the newest. */
  recentEvents(limit: number): Promise<{ events: ConsoleEvent[]; cursor: number }>;
  /** Events stored after a cursor (another instance's), oldest first, with the new cursor. */
  eventsAfter(cursor: number, limit: number): Promise<{ events: ConsoleEvent[]; cursor: number }>;
  /** Server-side filtered page of events, newest first. */
  queryEvents(q: HistoryQuery): Promise<ConsoleEvent[]>;
  /**
   * Pickup attempts per hour (station clock) since `fromMs`, by outcome: `granted`, or
   * `denied:<reason>`; for some stations, or all.
   */
  attemptsByHour(fromMs: number, stations?: readonly string[]): Promise<AttemptCount[]>;
  /** Deletes events received before `ms`. @returns how many. */
  purgeBefore(ms: number): Promise<number>;
}

/** Pickup attempts of one outcome in one hour. */
export interface AttemptCount {
  /** Start of the hour, ms since the epoch. */
  hour: number;
  outcome: string;
  n: number;
}

/** A filter and a page over the history. */
export interface HistoryQuery {
  station?: string;
  /** Exact kind, or a prefix ending in `.`. */
  kind?: string;
  /** Station clock range, ms since the epoch, inclusive. */
  from?: number;
  to?: number;
  limit?: number;
  /** Events received before this cursor (paging back). */
  before?: number;
}

/** A stored row turned back into a console event. */
export function rowToEvent(r: {
  id: string;
  station: string;
  seq: number;
  kind: string;
  at: string;
  received_at: number | string;
  historical: number | boolean;
  data: string;
  n?: number | string;
}): ConsoleEvent {
  return {
    ...(r.n !== undefined ? { cursor: Number(r.n) } : {}),
    id: r.id,
    station: r.station,
    seq: Number(r.seq),
    kind: r.kind,
    at: r.at,
    receivedAt: Number(r.received_at),
    historical: r.historical === true || r.historical === 1,
    data: JSON.parse(r.data) as Record<string, unknown>,
  };
}
