/**
 * Figures of a large fleet for pictures rather than lists: counts by area and state (the
 * page's overview of 10,000 stations), and outbox depth and CRL age over time, per station
 * and per area, sampled from heartbeats (at most one sample a minute per station, the last
 * hour kept; a fixed-size ring per station, so memory stays flat).
 */
import type { StationSummary } from './fleet.js';

/** Counts of one area. */
export interface AreaCounts {
  area: string;
  total: number;
  online: number;
  silent: number;
  offline: number;
  unknown: number;
  /** Stations with at least one active alarm. */
  withAlarms: number;
  crlStale: number;
}

/** Counts by area (sorted by area), and the fleet total. */
export function aggregateFleet(stations: readonly StationSummary[]): {
  areas: AreaCounts[];
  total: AreaCounts;
} {
  const by = new Map<string, AreaCounts>();
  const blank = (area: string): AreaCounts => ({
    area,
    total: 0,
    online: 0,
    silent: 0,
    offline: 0,
    unknown: 0,
    withAlarms: 0,
    crlStale: 0,
  });
  const total = blank('');
  for (const s of stations) {
    let a = by.get(s.area);
    if (!a) by.set(s.area, (a = blank(s.area)));
    for (const c of [a, total]) {
      c.total++;
      c[s.presence]++;
      if (s.alarms > 0) c.withAlarms++;
      if (s.crlStale) c.crlStale++;
    }
  }
  return { areas: [...by.values()].sort((x, y) => x.area.localeCompare(y.area)), total };
}

/** A time series for a chart: times (ms) and one or more value columns. */
export interface Series {
  t: number[];
  outboxDepth: (number | null)[];
  crlAgeSec: (number | null)[];
}

const SLOTS = 60;
const SAMPLE_MS = 60_000;

interface Ring {
  area: string;
  /** [t, outbox, crlAge] x SLOTS; NaN = none. */
  data: Float64Array;
  next: number;
  lastAt: number;
}

/** Heartbeat samples: per station, and per area on demand. */
export class HeartbeatSeries {
  readonly #rings = new Map<string, Ring>();

  /** Takes one heartbeat's figures (ignored within a minute of the station's last sample). */
  record(
    station: string,
    area: string,
    at: number,
    outboxDepth: number,
    crlAgeSec: number | null,
  ): void {
    let r = this.#rings.get(station);
    if (!r) {
      r = { area, data: new Float64Array(SLOTS * 3).fill(NaN), next: 0, lastAt: -Infinity };
      this.#rings.set(station, r);
    }
    if (at - r.lastAt < SAMPLE_MS) return;
    r.lastAt = at;
    r.area = area;
    const i = r.next * 3;
    r.data[i] = at;
    r.data[i + 1] = outboxDepth;
    r.data[i + 2] = crlAgeSec ?? NaN;
    r.next = (r.next + 1) % SLOTS;
  }

  /** One station's samples, oldest first. */
  station(id: string): Series {
    const out: Series = { t: [], outboxDepth: [], crlAgeSec: [] };
    const r = this.#rings.get(id);
    if (!r) return out;
    for (let k = 0; k < SLOTS; k++) {
      const i = ((r.next + k) % SLOTS) * 3;
      if (Number.isNaN(r.data[i]!)) continue;
      out.t.push(r.data[i]!);
      out.outboxDepth.push(r.data[i + 1]!);
      out.crlAgeSec.push(Number.isNaN(r.data[i + 2]!) ? null : r.data[i + 2]!);
    }
    return out;
  }

  /** An area per minute: the summed outbox depth and the oldest CRL age of its stations. */
  area(area: string): Series {
    const minutes = new Map<number, { outbox: number; crl: number | null }>();
    for (const r of this.#rings.values()) {
      if (r.area !== area) continue;
      for (let k = 0; k < SLOTS; k++) {
        const i = k * 3;
        const t = r.data[i]!;
        if (Number.isNaN(t)) continue;
        const m = Math.floor(t / SAMPLE_MS) * SAMPLE_MS;
        const cell = minutes.get(m) ?? { outbox: 0, crl: null };
        cell.outbox += r.data[i + 1]!;
        const crl = r.data[i + 2]!;
        if (!Number.isNaN(crl)) cell.crl = Math.max(cell.crl ?? 0, crl);
        minutes.set(m, cell);
      }
    }
    const out: Series = { t: [], outboxDepth: [], crlAgeSec: [] };
    for (const m of [...minutes.keys()].sort((a, b) => a - b)) {
      out.t.push(m);
      out.outboxDepth.push(minutes.get(m)!.outbox);
      out.crlAgeSec.push(minutes.get(m)!.crl);
    }
    return out;
  }
}
