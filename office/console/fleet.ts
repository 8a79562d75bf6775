/**
 * The operator console's in-memory picture of the fleet, built ONLY from what the MQTT
 * contract (shared/mqtt) publishes: presence (`status`), the retained state topics,
 * heartbeats and events. Pure computation: time comes from `now()`, nothing here does I/O.
 *
 * Everything is bounded (stations, events, alarm history) so a misbehaving fleet cannot grow
 * the console without limit. Changes are collected as a delta (`takeDelta()`) that the server
 * sends to pages in batches, instead of one message per MQTT message.
 */
import type { EventMessage } from '../../shared/mqtt/events.js';
import type {
  ActiveAlarm,
  AlarmSeverity,
  AlarmsMessage,
  CompartmentState,
  CompartmentsMessage,
  CrlMessage,
  DeviceHealth,
  DoorStatus,
  DoorsMessage,
  HeartbeatMessage,
  StatusMessage,
} from '../../shared/mqtt/state.js';
import type { StationSignatureStatus } from '../../shared/mqtt/station-signature.js';
import type { TopicSuffix } from '../../shared/mqtt/topics.js';
import { validatePayload } from '../../shared/mqtt/validate.js';

/** Limits and thresholds of the fleet model. */
export interface FleetOptions {
  /** The stations' heartbeat interval (mqtt.heartbeatSec on the stations). */
  heartbeatSec: number;
  /**
   * A station whose last heartbeat is older than one interval plus this grace is shown as
   * `silent` (down, without its will having arrived yet). Default: 10 % of the interval,
   * between 0.25 and 2 s.
   */
  heartbeatGraceMs?: number;
  /** Raise `crl_nearly_stale` when the CRL's nextUpdate is closer than this. */
  crlWarnSec: number;
  /** Raise `outbox_backlog` at this outbox depth. */
  outboxWarnDepth: number;
  /** At most this many stations are tracked (more are counted as dropped). */
  maxStations: number;
  /** Events kept for the stream (ring buffer). */
  maxEvents: number;
  /** Cleared alarms kept for the history. */
  maxClearedAlarms: number;
  /** Station id -> area, from the back office's directory (default: the id without its last `-part`). */
  areas: ReadonlyMap<string, string>;
  /**
   * Acknowledgements made before a restart (from the action log), by
   * {@link alarmOccurrenceKey}: a station alarm that is still the same occurrence stays acked.
   */
  priorAcks?: ReadonlyMap<string, { by: string; at: string }>;
}

/** Identifies an alarm occurrence across console restarts: station, code, target, since. */
export function alarmOccurrenceKey(
  station: string,
  code: string,
  target: string | null | undefined,
  since: string,
): string {
  return `${station}|${code}|${target ?? ''}|${since}`;
}

/** Defaults of {@link FleetOptions}. */
export const DEFAULT_FLEET_OPTIONS: FleetOptions = {
  heartbeatSec: 30,
  crlWarnSec: 6 * 3600,
  outboxWarnDepth: 1000,
  maxStations: 10_000,
  maxEvents: 20_000,
  maxClearedAlarms: 2_000,
  areas: new Map(),
};

/** Alarm codes the console derives itself (the station's own codes come from the contract). */
export type ConsoleAlarmCode =
  | 'station_offline'
  | 'heartbeat_missing'
  | 'crl_nearly_stale'
  | 'crl_stale'
  | 'outbox_backlog'
  | 'board_unreachable';

/** One alarm occurrence (raise .. clear), station-reported or console-derived. */
export interface ConsoleAlarm {
  /** Console-wide id of this occurrence (a re-raise after clearing gets a new id). */
  id: string;
  station: string;
  code: string;
  severity: AlarmSeverity;
  target: string | null;
  /** ISO 8601: raised at (the station's `since`, or the console's clock for derived ones). */
  since: string;
  detail: string | null;
  source: 'station' | 'console';
  active: boolean;
  clearedAt: string | null;
  ack: { by: string; at: string } | null;
}

/** One event as kept by the console. */
export interface ConsoleEvent {
  id: string;
  station: string;
  seq: number;
  kind: string;
  /** Station clock (ISO 8601). */
  at: string;
  /** Console clock, ms since the epoch. */
  receivedAt: number;
  historical: boolean;
  data: Record<string, unknown>;
  /** Row number in the console's history (page back with `/api/events?before=`). */
  cursor?: number;
  /** The station signature's verdict (absent when the console checks none). */
  signature?: StationSignatureStatus;
}

/** Per-station figures for the fleet list (small: sent for every change). */
export interface StationSummary {
  id: string;
  area: string;
  /**
   * `online` (status online and heartbeats on time), `silent` (online but no heartbeat for
   * more than one interval: probably down, its will not yet published), `offline` (status
   * offline: will or clean stop), `unknown` (no status seen yet).
   */
  presence: 'online' | 'silent' | 'offline' | 'unknown';
  /** Null until a status message was seen. */
  online: boolean | null;
  session: number | null;
  version: string | null;
  /** Console clock (ms) of the last heartbeat / of any message. */
  lastHeartbeatAt: number | null;
  lastSeenAt: number | null;
  uptimeSec: number | null;
  outboxDepth: number | null;
  crlAgeSec: number | null;
  crlStale: boolean | null;
  crlNextUpdate: string | null;
  mode: 'active' | 'maintenance' | null;
  hardware: Record<string, DeviceHealth>;
  /** Active alarms, unacknowledged ones, and the worst active severity. */
  alarms: number;
  unacked: number;
  severity: AlarmSeverity | null;
  /** Compartment counts by status, door counts. */
  compartments: { total: number; free: number; loaded: number; problem: number };
  doors: { total: number; problem: number };
}

/** Everything about one station (the detail panel). */
export interface StationDetail extends StationSummary {
  compartmentList: CompartmentState[];
  doorList: { door: string; status: DoorStatus }[];
  crl: Omit<CrlMessage, 'v'> | null;
  statusAt: string | null;
}

/** Changes since the previous delta. */
export interface FleetDelta {
  stations: StationSummary[];
  events: ConsoleEvent[];
  alarms: ConsoleAlarm[];
}

/** Counters for the console's own health. */
export interface FleetStats {
  messages: number;
  /** Events taken from the broker by this instance (not those pulled from a shared history). */
  events: number;
  /** Payloads that failed the contract's schema, by topic suffix. */
  rejected: Record<string, number>;
  duplicateEvents: number;
  droppedStations: number;
}

/** An alarm as wanted by a source (the station's codes, or the console's own). */
type AlarmSpec = Omit<ActiveAlarm, 'alarm'> & { alarm: string };

interface StationRecord {
  summary: StationSummary;
  compartments: CompartmentState[];
  doors: { door: string; status: DoorStatus }[];
  crl: Omit<CrlMessage, 'v'> | null;
  statusAt: string | null;
  maxSeq: number;
  /** The station was seen signing: from then on an unsigned event is suspect too. */
  signs: boolean;
  /** Console clock (ms) when the current `online` arrived. */
  onlineAt: number | null;
  /** The station's heartbeat interval from its heartbeat (`intervalSec`), when it says it. */
  heartbeatSec?: number;
  /** Active alarms by `code|target`. */
  active: Map<string, ConsoleAlarm>;
}

/** Event filter for {@link FleetModel.events}. */
export interface EventQuery {
  station?: string;
  /** Exact kind, or a prefix ending in `.` (e.g. `delivery.`). */
  kind?: string;
  /** ms since the epoch (station clock of the event), inclusive. */
  from?: number;
  to?: number;
  limit?: number;
}

const PROBLEM_COMPARTMENT = new Set(['fault', 'jammed', 'open', 'expired']);
const PROBLEM_DOOR = new Set(['held_open', 'forced', 'fault', 'unknown']);
const SEVERITY_RANK: Record<AlarmSeverity, number> = { info: 0, warning: 1, critical: 2 };

/** Area of a station id when the directory does not say: `nakano-01` -> `nakano`. */
export function defaultArea(stationId: string): string {
  const i = stationId.lastIndexOf('-');
  return i > 0 ? stationId.slice(0, i) : '';
}

const alarmKey = (code: string, target: string | null | undefined) => `${code}|${target ?? ''}`;

/** The fleet model. Feed it with {@link ingest}; ask it with the getters; run {@link tick} every second. */
export class FleetModel {
  readonly options: FleetOptions;
  readonly #stations = new Map<string, StationRecord>();
  #events: ConsoleEvent[] = [];
  /** Alarm occurrences by id (active and recently cleared). */
  readonly #alarms = new Map<string, ConsoleAlarm>();
  #cleared: string[] = [];
  #alarmSeq = 0;
  readonly #dirtyStations = new Set<string>();
  #newEvents: ConsoleEvent[] = [];
  readonly #changedAlarms = new Map<string, ConsoleAlarm>();
  readonly stats: FleetStats = {
    messages: 0,
    events: 0,
    rejected: {},
    duplicateEvents: 0,
    droppedStations: 0,
  };

  constructor(
    options: Partial<FleetOptions>,
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_FLEET_OPTIONS, ...options };
  }

  /**
   * Takes one MQTT message (already split into station and suffix by `parseTopic`).
   * Payloads that are not JSON or fail the contract's schema are counted and ignored.
   * Returns the validated payload (or undefined when rejected).
   */
  ingest(
    stationId: string,
    suffix: TopicSuffix,
    payload: Buffer | string,
    signature?: StationSignatureStatus,
  ): unknown {
    this.stats.messages++;
    let value: unknown;
    try {
      value = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
    } catch {
      this.#reject(suffix);
      return undefined;
    }
    const checked = validatePayload(suffix, value);
    if (!checked.ok) {
      this.#reject(suffix);
      return undefined;
    }
    // Commands (ours or the office's) are not station output: nothing to learn from them.
    if (suffix === 'cmd') return checked.value;
    const rec = this.#station(stationId);
    if (!rec) return undefined;
    const now = this.now();
    rec.summary.lastSeenAt = now;
    switch (suffix) {
      case 'status':
        this.#onStatus(rec, checked.value as StatusMessage);
        break;
      case 'heartbeat':
        this.#onHeartbeat(rec, checked.value as HeartbeatMessage, now);
        break;
      case 'state/compartments':
        rec.compartments = (checked.value as CompartmentsMessage).compartments;
        this.#countCompartments(rec);
        break;
      case 'state/doors':
        rec.doors = (checked.value as DoorsMessage).doors;
        this.#countDoors(rec);
        break;
      case 'state/alarms':
        this.#reconcile(rec, 'station', (checked.value as AlarmsMessage).alarms);
        break;
      case 'state/crl': {
        const { v: _v, ...crl } = checked.value as CrlMessage;
        rec.crl = crl;
        rec.summary.crlAgeSec = crl.ageSec;
        rec.summary.crlStale = crl.stale;
        rec.summary.crlNextUpdate = crl.nextUpdate;
        this.#derive(rec);
        break;
      }
      case 'events':
        this.stats.events++;
        this.#onEvent(rec, checked.value as EventMessage, now, signature);
        break;
      case 'cmd/response':
        break;
    }
    this.#dirtyStations.add(rec.summary.id);
    return checked.value;
  }

  /** Re-evaluates time-based alarms (missed heartbeats, CRL nearing nextUpdate). Call every second. */
  tick(): void {
    for (const rec of this.#stations.values()) this.#derive(rec);
  }

  /** Acknowledges an alarm occurrence; false when unknown. Idempotent (keeps the first ack). */
  acknowledge(alarmId: string, by: string): ConsoleAlarm | undefined {
    const alarm = this.#alarms.get(alarmId);
    if (!alarm) return undefined;
    if (!alarm.ack) {
      alarm.ack = { by, at: new Date(this.now()).toISOString() };
      this.#alarmChanged(alarm);
    }
    return alarm;
  }

  /** Changes since the previous call. */
  takeDelta(): FleetDelta {
    const stations: StationSummary[] = [];
    for (const id of this.#dirtyStations) {
      const rec = this.#stations.get(id);
      if (rec) stations.push(rec.summary);
    }
    this.#dirtyStations.clear();
    const delta = { stations, events: this.#newEvents, alarms: [...this.#changedAlarms.values()] };
    this.#newEvents = [];
    this.#changedAlarms.clear();
    return delta;
  }

  /** True when {@link takeDelta} would return something. */
  get hasChanges(): boolean {
    return (
      this.#dirtyStations.size > 0 || this.#newEvents.length > 0 || this.#changedAlarms.size > 0
    );
  }

  /** Every station's summary, sorted by id. */
  stations(): StationSummary[] {
    return [...this.#stations.values()]
      .map((r) => r.summary)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** One station's full picture, or undefined when never heard of. */
  station(id: string): StationDetail | undefined {
    const rec = this.#stations.get(id);
    if (!rec) return undefined;
    return {
      ...rec.summary,
      compartmentList: rec.compartments,
      doorList: rec.doors,
      crl: rec.crl,
      statusAt: rec.statusAt,
    };
  }

  /** Alarm occurrences, newest first (active and recently cleared). */
  alarms(options: { station?: string; activeOnly?: boolean } = {}): ConsoleAlarm[] {
    const out: ConsoleAlarm[] = [];
    for (const a of this.#alarms.values()) {
      if (options.station && a.station !== options.station) continue;
      if (options.activeOnly && !a.active) continue;
      out.push(a);
    }
    return out.sort((a, b) => (a.since < b.since ? 1 : a.since > b.since ? -1 : 0));
  }

  /** One alarm occurrence. */
  alarm(id: string): ConsoleAlarm | undefined {
    return this.#alarms.get(id);
  }

  /**
   * Takes events kept in the console's history (oldest first) at start-up: they are listed,
   * and each station's highest sequence number is known, so a redelivered copy is dropped.
   */
  restoreEvents(events: readonly ConsoleEvent[]): void {
    for (const e of events) {
      const rec = this.#station(e.station);
      if (!rec) continue;
      rec.maxSeq = Math.max(rec.maxSeq, e.seq);
      this.#events.push(e);
    }
    if (this.#events.length > this.options.maxEvents)
      this.#events = this.#events.slice(-this.options.maxEvents);
  }

  /**
   * Takes an event another console instance stored (shared history): listed and sent to the
   * pages like one of ours. The caller drops the ones this instance received itself.
   */
  addStoredEvent(e: ConsoleEvent): void {
    const rec = this.#station(e.station);
    if (!rec) return;
    rec.maxSeq = Math.max(rec.maxSeq, e.seq);
    this.#events.push(e);
    if (this.#events.length > this.options.maxEvents * 1.25)
      this.#events = this.#events.slice(-this.options.maxEvents);
    this.#newEvents.push(e);
  }

  /** Events matching `q`, newest first. */
  events(q: EventQuery = {}): ConsoleEvent[] {
    const limit = Math.max(1, Math.min(q.limit ?? 500, 5000));
    const out: ConsoleEvent[] = [];
    const prefix = q.kind?.endsWith('.') ? q.kind : undefined;
    for (let i = this.#events.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.#events[i]!;
      if (q.station && e.station !== q.station) continue;
      if (q.kind && (prefix ? !e.kind.startsWith(prefix) : e.kind !== q.kind)) continue;
      if (q.from !== undefined || q.to !== undefined) {
        const t = Date.parse(e.at);
        if (q.from !== undefined && t < q.from) continue;
        if (q.to !== undefined && t > q.to) continue;
      }
      out.push(e);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------

  #reject(suffix: string): void {
    this.stats.rejected[suffix] = (this.stats.rejected[suffix] ?? 0) + 1;
  }

  #station(id: string): StationRecord | undefined {
    let rec = this.#stations.get(id);
    if (rec) return rec;
    if (this.#stations.size >= this.options.maxStations) {
      this.stats.droppedStations++;
      return undefined;
    }
    rec = {
      summary: {
        id,
        area: this.options.areas.get(id) ?? defaultArea(id),
        presence: 'unknown',
        online: null,
        session: null,
        version: null,
        lastHeartbeatAt: null,
        lastSeenAt: null,
        uptimeSec: null,
        outboxDepth: null,
        crlAgeSec: null,
        crlStale: null,
        crlNextUpdate: null,
        mode: null,
        hardware: {},
        alarms: 0,
        unacked: 0,
        severity: null,
        compartments: { total: 0, free: 0, loaded: 0, problem: 0 },
        doors: { total: 0, problem: 0 },
      },
      compartments: [],
      doors: [],
      crl: null,
      statusAt: null,
      maxSeq: 0,
      signs: false,
      onlineAt: null,
      active: new Map(),
    };
    this.#stations.set(id, rec);
    return rec;
  }

  /**
   * Presence (Sparkplug-style session counter, see shared/mqtt/state.ts): an `offline` whose
   * session is older than the current `online` is a late will and is ignored.
   */
  #onStatus(rec: StationRecord, m: StatusMessage): void {
    const s = rec.summary;
    if (m.state === 'offline' && s.online === true && s.session !== null && m.session < s.session)
      return;
    s.online = m.state === 'online';
    s.session = m.session;
    rec.onlineAt = s.online ? this.now() : null;
    if (m.version) s.version = m.version;
    rec.statusAt = m.at ?? null;
    this.#derive(rec);
  }

  #onHeartbeat(rec: StationRecord, m: HeartbeatMessage, now: number): void {
    const s = rec.summary;
    s.lastHeartbeatAt = now;
    s.uptimeSec = m.uptimeSec;
    if (m.intervalSec !== undefined) rec.heartbeatSec = m.intervalSec;
    s.version = m.version;
    s.outboxDepth = m.outboxDepth;
    s.crlAgeSec = m.crlAgeSec;
    s.hardware = m.hardware;
    s.mode = m.mode;
    // A heartbeat proves the station is connected even if its `online` was missed.
    if (s.online !== true && (s.session === null || m.session >= s.session)) {
      s.online = true;
      s.session = m.session;
      rec.onlineAt = now;
    }
    this.#derive(rec);
  }

  #onEvent(
    rec: StationRecord,
    m: EventMessage,
    now: number,
    signature?: StationSignatureStatus,
  ): void {
    // A forged or foreign-signed event (or an unsigned one from a station that signs) is
    // listed as such but moves no sequence: it must not make the station's real events look
    // like duplicates.
    if (signature === 'signed') rec.signs = true;
    const suspect =
      signature === 'forged' ||
      signature === 'untrusted' ||
      (signature === 'unsigned' && rec.signs);
    // A station whose database was replaced starts again at 1.
    if (m.seq === 1 && !suspect) rec.maxSeq = 0;
    if (!suspect && m.seq <= rec.maxSeq) {
      this.stats.duplicateEvents++;
      return;
    }
    if (!suspect) rec.maxSeq = m.seq;
    const e: ConsoleEvent = {
      id: m.id,
      station: rec.summary.id,
      seq: m.seq,
      kind: m.kind,
      at: m.at,
      receivedAt: now,
      historical: m.historical,
      data: m.data as unknown as Record<string, unknown>,
      ...(signature ? { signature } : {}),
    };
    this.#events.push(e);
    if (this.#events.length > this.options.maxEvents * 1.25)
      this.#events = this.#events.slice(-this.options.maxEvents);
    this.#newEvents.push(e);
    // A forgery is shown, never believed: it changes no alarm or state.
    if (suspect) return;
    // Events tell about changes before the next retained state arrives.
    switch (m.kind) {
      case 'alarm.raised': {
        const key = alarmKey(m.data.alarm, m.data.target);
        if (!rec.active.has(key))
          this.#raise(rec, 'station', {
            alarm: m.data.alarm,
            severity: m.data.severity,
            ...(m.data.target ? { target: m.data.target } : {}),
            ...(m.data.detail ? { detail: m.data.detail } : {}),
            since: m.at,
          });
        break;
      }
      case 'alarm.cleared': {
        const a = rec.active.get(alarmKey(m.data.alarm, m.data.target));
        if (a && a.source === 'station') this.#clear(rec, a);
        break;
      }
      case 'compartment.state': {
        const c = rec.compartments.find((x) => x.compartment === m.data.compartment);
        if (c) {
          c.status = m.data.status;
          c.door = m.data.door;
          if (m.data.deliveryId !== undefined) c.deliveryId = m.data.deliveryId;
          this.#countCompartments(rec);
        }
        break;
      }
      case 'door.state': {
        const d = rec.doors.find((x) => x.door === m.data.door);
        if (d) {
          d.status = m.data.status;
          this.#countDoors(rec);
        }
        break;
      }
      case 'station.mode':
        rec.summary.mode = m.data.mode;
        break;
      default:
        break;
    }
  }

  #countCompartments(rec: StationRecord): void {
    const c = { total: rec.compartments.length, free: 0, loaded: 0, problem: 0 };
    for (const x of rec.compartments) {
      if (x.status === 'free') c.free++;
      else if (x.status === 'loaded') c.loaded++;
      if (PROBLEM_COMPARTMENT.has(x.status)) c.problem++;
    }
    rec.summary.compartments = c;
  }

  #countDoors(rec: StationRecord): void {
    rec.summary.doors = {
      total: rec.doors.length,
      problem: rec.doors.filter((d) => PROBLEM_DOOR.has(d.status)).length,
    };
  }

  #presence(rec: StationRecord, now: number): StationSummary['presence'] {
    const s = rec.summary;
    if (s.online === null) return 'unknown';
    if (!s.online) return 'offline';
    // The station's own interval when its heartbeat says it, else the fleet default.
    const intervalMs = (rec.heartbeatSec ?? this.options.heartbeatSec) * 1000;
    const grace = this.options.heartbeatGraceMs ?? Math.min(2000, Math.max(250, intervalMs * 0.1));
    // From the last heartbeat, or from when it came online (its first one may still be due).
    const last = Math.max(s.lastHeartbeatAt ?? 0, rec.onlineAt ?? 0);
    if (last > 0 && now - last > intervalMs + grace) return 'silent';
    return 'online';
  }

  /** The alarms the console raises itself from presence, heartbeats and the CRL state. */
  #derive(rec: StationRecord): void {
    const s = rec.summary;
    const now = this.now();
    const want: AlarmSpec[] = [];
    const since = new Date(now).toISOString();
    const presence = this.#presence(rec, now);
    if (presence !== s.presence) {
      s.presence = presence;
      this.#dirtyStations.add(s.id);
    }
    if (presence === 'offline')
      want.push({ alarm: 'station_offline', severity: 'critical', since });
    if (presence === 'silent')
      want.push({ alarm: 'heartbeat_missing', severity: 'critical', since });
    if (s.crlStale === true) want.push({ alarm: 'crl_stale', severity: 'critical', since });
    else if (s.crlNextUpdate) {
      const left = Date.parse(s.crlNextUpdate) - now;
      if (Number.isFinite(left) && left < this.options.crlWarnSec * 1000)
        want.push({
          alarm: 'crl_nearly_stale',
          severity: 'warning',
          since,
          detail: `nextUpdate ${s.crlNextUpdate}`,
        });
    }
    if (s.outboxDepth !== null && s.outboxDepth >= this.options.outboxWarnDepth)
      want.push({
        alarm: 'outbox_backlog',
        severity: 'warning',
        since,
        detail: `depth ${s.outboxDepth}`,
      });
    for (const [device, health] of Object.entries(s.hardware))
      if (health === 'lost' && device.startsWith('board'))
        want.push({ alarm: 'board_unreachable', severity: 'critical', target: device, since });
    this.#reconcile(rec, 'console', want);
  }

  /**
   * Makes the station's active alarms of `source` equal to `want`: raises what is new, clears
   * what is gone. An alarm already raised by the other source with the same code and target
   * is not raised twice (the station's own report wins).
   */
  #reconcile(rec: StationRecord, source: 'station' | 'console', want: readonly AlarmSpec[]): void {
    const wanted = new Map(want.map((a) => [alarmKey(a.alarm, a.target), a]));
    for (const [key, a] of rec.active)
      if (a.source === source && !wanted.has(key)) this.#clear(rec, a);
    for (const [key, w] of wanted) {
      const existing = rec.active.get(key);
      if (existing) {
        if (source === 'station' && existing.source === 'console') {
          // The station now reports it itself: take its facts over, keep the ack.
          existing.source = 'station';
          existing.severity = w.severity;
          existing.detail = w.detail ?? existing.detail;
          this.#alarmChanged(existing);
        } else if (existing.source === source && existing.detail !== (w.detail ?? null)) {
          existing.detail = w.detail ?? null;
          existing.severity = w.severity;
          this.#alarmChanged(existing);
        }
        continue;
      }
      this.#raise(rec, source, w);
    }
  }

  #raise(rec: StationRecord, source: 'station' | 'console', a: AlarmSpec): void {
    const alarm: ConsoleAlarm = {
      id: `${rec.summary.id}:${a.alarm}:${a.target ?? ''}:${++this.#alarmSeq}`,
      station: rec.summary.id,
      code: a.alarm,
      severity: a.severity,
      target: a.target ?? null,
      since: a.since,
      detail: a.detail ?? null,
      source,
      active: true,
      clearedAt: null,
      ack:
        this.options.priorAcks?.get(
          alarmOccurrenceKey(rec.summary.id, a.alarm, a.target, a.since),
        ) ?? null,
    };
    rec.active.set(alarmKey(a.alarm, a.target), alarm);
    this.#alarms.set(alarm.id, alarm);
    this.#alarmChanged(alarm);
  }

  #clear(rec: StationRecord, alarm: ConsoleAlarm): void {
    rec.active.delete(alarmKey(alarm.code, alarm.target));
    alarm.active = false;
    alarm.clearedAt = new Date(this.now()).toISOString();
    this.#alarmChanged(alarm);
    this.#cleared.push(alarm.id);
    if (this.#cleared.length > this.options.maxClearedAlarms * 1.25) {
      const drop = this.#cleared.slice(0, this.#cleared.length - this.options.maxClearedAlarms);
      this.#cleared = this.#cleared.slice(-this.options.maxClearedAlarms);
      for (const id of drop) this.#alarms.delete(id);
    }
  }

  #alarmChanged(alarm: ConsoleAlarm): void {
    this.#changedAlarms.set(alarm.id, alarm);
    const rec = this.#stations.get(alarm.station);
    if (!rec) return;
    let unacked = 0;
    let worst: AlarmSeverity | null = null;
    for (const a of rec.active.values()) {
      if (!a.ack) unacked++;
      if (worst === null || SEVERITY_RANK[a.severity] > SEVERITY_RANK[worst]) worst = a.severity;
    }
    rec.summary.alarms = rec.active.size;
    rec.summary.unacked = unacked;
    rec.summary.severity = worst;
    this.#dirtyStations.add(alarm.station);
  }
}
