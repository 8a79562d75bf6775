/**
 * The console's HTTP API. Every route names the least role it needs (office/console/http.ts
 * enforces it, and CSRF on every POST); the operator recorded for an action is the session's
 * account — an `operator` field in a request body is ignored.
 */
import type { ServerResponse } from 'node:http';
import { HttpError, SESSION_COOKIE, type SessionView } from './http.js';
import type { ConsoleServer } from './console-server.js';
import { aggregateFleet } from './fleet-stats.js';
import { OFFICE_VERSION } from '../version.js';
import { EVENT_KINDS } from '../../shared/mqtt/events.js';

function num(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function time(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new HttpError(400, 'bad time');
  return n;
}

function setCookie(res: ServerResponse, value: string, secure: boolean, clear = false): void {
  res.setHeader(
    'set-cookie',
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}${clear ? '; Max-Age=0' : ''}`,
  );
}

const user = (s: SessionView | undefined): string => s!.user;

/** Registers every API route of the console on its HTTP front. */
export function registerConsoleRoutes(c: ConsoleServer): void {
  const http = c.http;
  const log = c.actionLog;

  http.route('GET', '/api/console', 'public', ({ token }) => {
    // The CSRF token of a live session is given to our own pages again after a reload (a
    // page elsewhere cannot read this answer: no CORS, and the cookie is SameSite=Strict).
    const session = c.loginDisabled
      ? { user: c.options.noLoginOperator!, role: 'operator', csrf: '' }
      : token
        ? c.accounts.session(token)
        : undefined;
    return {
      version: OFFICE_VERSION,
      canSign: c.actions.canSign,
      login: c.loginDisabled ? 'disabled' : 'required',
      session: session ? { user: session.user, role: session.role, csrf: session.csrf } : null,
      heartbeatSec: c.fleet.options.heartbeatSec,
      broker: { url: c.options.brokerUrl, connected: c.brokerConnected },
      stats: c.fleet.stats,
      eventKinds: EVENT_KINDS,
    };
  });

  http.route('POST', '/api/login', 'public', async ({ body, res }) => {
    if (c.loginDisabled) throw new HttpError(409, 'login is disabled (--no-login)');
    const b = (body ?? {}) as { user?: unknown; password?: unknown };
    const r = await c.accounts.login(b.user, b.password);
    const name = typeof b.user === 'string' ? b.user.slice(0, 64) : '';
    if (!r.ok) {
      if (r.lockedNow)
        log.append({
          operator: name,
          action: 'account.locked',
          station: '',
          ref: name,
          detail: {},
        });
      else
        log.append({
          operator: name,
          action: 'login.failed',
          station: '',
          ref: name,
          detail: { reason: r.reason },
        });
      throw new HttpError(r.reason === 'locked' ? 423 : 401, r.reason);
    }
    log.append({
      operator: r.session.user,
      action: 'login',
      station: '',
      ref: r.session.user,
      detail: {},
    });
    setCookie(res, r.token, http.secure);
    return { csrf: r.session.csrf, user: r.session.user, role: r.session.role };
  });

  http.route('POST', '/api/logout', 'viewer', ({ token, session, res }) => {
    if (token && !c.loginDisabled) {
      c.accounts.logout(token);
      http.disconnect(token);
      log.append({
        operator: user(session),
        action: 'logout',
        station: '',
        ref: user(session),
        detail: {},
      });
    }
    setCookie(res, '', http.secure, true);
    return { ok: true };
  });

  http.route('GET', '/api/snapshot', 'viewer', () => {
    // Everything pending goes out first, so the snapshot's rev covers it.
    c.flush();
    return {
      rev: c.rev,
      now: c.now().getTime(),
      broker: { connected: c.brokerConnected },
      stations: c.fleet.stations(),
      alarms: c.fleet.alarms().slice(0, 1000),
      events: c.fleet.events({ limit: 300 }),
      actions: c.actions.recent(200),
      approvals: c.approvals.list(),
    };
  });

  http.route('GET', '/api/stations/:id', 'viewer', ({ params }) => {
    const detail = c.fleet.station(params.id!);
    if (!detail) throw new HttpError(404, 'unknown station');
    return {
      station: detail,
      alarms: c.fleet.alarms({ station: params.id! }).slice(0, 200),
      events: c.fleet.events({ station: params.id!, limit: 100 }),
      actions: c.actions.recent(50, params.id!),
    };
  });

  // Server-side filtering and paging over the whole history.
  http.route('GET', '/api/events', 'viewer', ({ url }) => {
    const q = url.searchParams;
    const from = time(q.get('from'));
    const to = time(q.get('to'));
    const limit = num(q.get('limit'));
    const before = num(q.get('before'));
    return c.history.queryEvents({
      ...(q.get('station') ? { station: q.get('station')! } : {}),
      ...(q.get('kind') ? { kind: q.get('kind')! } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(before !== undefined ? { before } : {}),
    });
  });

  http.route('GET', '/api/actions', 'viewer', ({ url }) =>
    c.actions.recent(200, url.searchParams.get('station') ?? undefined),
  );
  http.route('GET', '/api/action-log', 'viewer', ({ url }) =>
    log.recent(
      num(url.searchParams.get('limit')) ?? 200,
      url.searchParams.get('station') ?? undefined,
    ),
  );
  http.route('GET', '/api/approvals', 'viewer', () => c.approvals.list());

  // Counts by area and state: the overview of a large fleet.
  http.route('GET', '/api/fleet/aggregates', 'viewer', () => aggregateFleet(c.fleet.stations()));

  // Pictures: pickups and refusals per hour; outbox depth and CRL age over time.
  http.route('GET', '/api/charts', 'viewer', async ({ url }) => {
    const station = url.searchParams.get('station');
    const area = url.searchParams.get('area');
    const hours = Math.min(Math.max(num(url.searchParams.get('hours')) ?? 24, 1), 24 * 14);
    const from = Math.floor((c.now().getTime() - hours * 3600_000) / 3600_000) * 3600_000;
    const stations = station
      ? [station]
      : area !== null
        ? c.fleet
            .stations()
            .filter((s) => s.area === area)
            .map((s) => s.id)
        : undefined;
    return {
      from,
      attempts: await c.history.attemptsByHour(from, stations),
      heartbeat: station ? c.series.station(station) : area !== null ? c.series.area(area) : null,
    };
  });

  http.route('POST', '/api/alarms/:id/ack', 'operator', ({ params, session }) => {
    const operator = user(session);
    const alarm = c.fleet.alarm(params.id!);
    if (!alarm) throw new HttpError(404, 'unknown alarm');
    const first = alarm.ack === null;
    c.fleet.acknowledge(alarm.id, operator);
    if (first)
      log.append({
        operator,
        action: 'alarm.ack',
        station: alarm.station,
        ref: alarm.id,
        detail: { code: alarm.code, target: alarm.target, since: alarm.since },
      });
    c.flush();
    return alarm;
  });

  http.route(
    'POST',
    '/api/stations/:id/commands',
    'operator',
    async ({ params, body, session }) => {
      const b = (body ?? {}) as { kind?: unknown; body?: unknown; waitMs?: unknown };
      const operator = user(session);
      if (!c.actions.canSign) throw new HttpError(409, 'no_signer');
      const refused = c.actions.check(params.id, b.kind, b.body);
      if (refused)
        throw new HttpError(400, [refused.refused, ...(refused.errors ?? [])].join(': '));
      const station = params.id!;
      const kind = b.kind as string;
      const cmdBody = b.body as Record<string, unknown>;
      if (c.approvals.needsApproval(station, kind, cmdBody)) {
        const approval = c.approvals.request(operator, station, kind, cmdBody);
        c.flush();
        return { status: 'awaiting_approval', approval };
      }
      const r = await c.actions.send({ operator }, station, kind, cmdBody);
      if ('refused' in r)
        throw new HttpError(
          r.refused === 'no_signer' ? 409 : 400,
          [r.refused, ...(r.errors ?? [])].join(': '),
        );
      c.flush();
      const waitMs = typeof b.waitMs === 'number' ? Math.min(Math.max(0, b.waitMs), 15_000) : 0;
      if (waitMs > 0 && r.status === 'sent')
        return (await c.actions.waitForAnswer(r.commandId, waitMs)) ?? r;
      return r;
    },
  );

  http.route('POST', '/api/approvals/:id/approve', 'operator', async ({ params, session }) => {
    const r = await c.approvals.approve(params.id!, user(session));
    if ('refused' in r) throw new HttpError(r.refused === 'unknown' ? 404 : 409, r.refused);
    c.flush();
    if ('refused' in r.record) throw new HttpError(409, r.record.refused);
    return { approval: r.request, action: r.record };
  });

  http.route('POST', '/api/approvals/:id/cancel', 'operator', ({ params, session }) => {
    const r = c.approvals.cancel(params.id!, user(session));
    if (!r) throw new HttpError(409, 'not_pending_or_not_yours');
    c.flush();
    return r;
  });
}
