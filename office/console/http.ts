/**
 * The console's HTTP(S) front: the only way into the console from a browser, so every
 * request passes the same gate before any route sees it:
 *
 * 1. the `Host` header must be one of the console's names (DNS rebinding: a foreign page
 *    that resolves its own name to our address still sends its own name);
 * 2. every response carries a CSP without inline script (`script-src 'self'`,
 *    `frame-ancestors 'none'`), `X-Frame-Options: DENY`, `nosniff`, `no-referrer`, no-store;
 * 3. a route names the least role it needs; the session comes from an HttpOnly,
 *    SameSite=Strict cookie (see {@link ConsoleHttpAuth});
 * 4. a mutation (any POST) must be `application/json`, carry no foreign `Origin`, and (once
 *    logged in) echo the session's CSRF token in `x-csrf-token`.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { roleAtLeast, type Role } from './roles.js';

/** An answer other than 200: `{ "error": reason }` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The logged-in account a request acts for. */
export interface SessionView {
  user: string;
  role: Role;
  csrf: string;
}

/** How the front learns who is calling. */
export interface ConsoleHttpAuth {
  /** The session of a cookie token, or undefined (unknown, expired). */
  session(token: string): SessionView | undefined;
  /** With `--no-login`: the account every request acts as. */
  anonymous?: SessionView;
}

/** Who may call a route: nobody logged in (`public`), or at least this role. */
export type Access = 'public' | Role;

/** What a route handler gets. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  body: unknown;
  /** Present on every route but `public` ones. */
  session: SessionView | undefined;
  /** The cookie token of the request (login/logout). */
  token: string | undefined;
}

type Handler = (c: RouteContext) => unknown;

interface Route {
  method: 'GET' | 'POST';
  parts: string[];
  access: Access;
  handler: Handler;
}

/** Settings of the front. */
export interface ConsoleHttpOptions {
  host: string;
  port: number;
  /** Accepted `Host` names (without port); loopback names when empty. */
  allowedHosts: string[];
  tls?: { cert: Buffer; key: Buffer };
  staticDir: string;
  /** Extra static files: URL path -> absolute file (a library from node_modules). */
  files?: Record<string, string>;
}

/** Name of the session cookie. */
export const SESSION_COOKIE = 'jl_console';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const MAX_BODY_BYTES = 64 * 1024;
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** True for an address or name that stays on this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The name part of a Host header (`name:port`, `[v6]:port`), lower case. */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d{1,5})?$/.exec(header.trim().toLowerCase());
  return m?.[1];
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

/** The console's web server: the gate, JSON routes, static files and one SSE channel. */
export class ConsoleHttp {
  readonly #routes: Route[] = [];
  readonly #listeners = new Set<{ res: ServerResponse; token: string | undefined }>();
  readonly #allowed: Set<string>;
  #server: Server | undefined;

  constructor(
    private readonly options: ConsoleHttpOptions,
    private readonly auth: ConsoleHttpAuth,
    private readonly log: Logger,
  ) {
    const names = options.allowedHosts.length > 0 ? options.allowedHosts : LOOPBACK_NAMES;
    this.#allowed = new Set(names.map((n) => n.toLowerCase()));
  }

  /** Registers a route; `pattern` may hold `:name` segments. */
  route(method: 'GET' | 'POST', pattern: string, access: Access, handler: Handler): void {
    this.#routes.push({ method, parts: pattern.split('/').filter(Boolean), access, handler });
  }

  /** Sends one message to every page on the live channel whose session is still valid. */
  publish(data: unknown): void {
    const line = `data: ${JSON.stringify(data)}\n\n`;
    for (const l of this.#listeners) {
      if (!this.#sessionOf(l.token)) {
        l.res.end();
        this.#listeners.delete(l);
      } else l.res.write(line);
    }
  }

  /** Ends the live channel of every page of one session (logout). */
  disconnect(token: string): void {
    for (const l of this.#listeners)
      if (l.token === token) {
        l.res.end();
        this.#listeners.delete(l);
      }
  }

  get secure(): boolean {
    return this.options.tls !== undefined;
  }

  get address(): AddressInfo {
    const a = this.#server?.address();
    if (!a || typeof a === 'string') throw new Error('console is not listening');
    return a;
  }

  /** Base URL, e.g. http://127.0.0.1:8090. */
  get url(): string {
    const a = this.address;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.secure ? 'https' : 'http'}://${host}:${a.port}`;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.log.error({ err }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'internal' }));
      });
    };
    const tls = this.options.tls;
    const server = tls
      ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler)
      : createHttpServer(handler);
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.#server as (Server & { closeAllConnections?: () => void }) | undefined;
    if (!server) return;
    this.#server = undefined;
    for (const l of this.#listeners) l.res.end();
    this.#listeners.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    });
  }

  #sessionOf(token: string | undefined): SessionView | undefined {
    return this.auth.anonymous ?? (token ? this.auth.session(token) : undefined);
  }

  #headers(res: ServerResponse): void {
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    res.setHeader('cache-control', 'no-store');
    if (this.secure) res.setHeader('strict-transport-security', 'max-age=31536000');
  }

  #fail(res: ServerResponse, status: number, reason: string): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: reason }));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#headers(res);
    const name = hostName(req.headers.host);
    if (!name || !this.#allowed.has(name)) return this.#fail(res, 421, 'host not allowed');
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const method = req.method ?? 'GET';
    const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const parts = url.pathname.split('/').filter(Boolean);
    if (method === 'GET' && url.pathname === '/events/fleet')
      return this.#subscribe(req, res, token);
    for (const route of this.#routes) {
      if (route.method !== method || route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const match = route.parts.every((p, i) => {
        if (!p.startsWith(':')) return p === parts[i];
        params[p.slice(1)] = decodeURIComponent(parts[i]!);
        return true;
      });
      if (match)
        return this.#run(route, { req, res, url, params, body: {}, session: undefined, token });
    }
    if (method === 'GET') return this.#static(url.pathname, res);
    this.#fail(res, 404, 'not found');
  }

  async #run(route: Route, c: RouteContext): Promise<void> {
    try {
      if (route.method === 'POST') this.#checkMutation(c.req);
      if (route.access !== 'public') {
        const session = this.#sessionOf(c.token);
        if (!session) throw new HttpError(401, 'login required');
        if (
          route.method === 'POST' &&
          !this.auth.anonymous &&
          c.req.headers['x-csrf-token'] !== session.csrf
        )
          throw new HttpError(403, 'csrf token missing or wrong');
        if (!roleAtLeast(session.role, route.access))
          throw new HttpError(403, `role ${route.access} required`);
        c.session = session;
      }
      if (route.method === 'POST') c.body = await readJsonBody(c.req);
      const result = await route.handler(c);
      if (!c.res.headersSent && !c.res.writableEnded) {
        c.res.writeHead(200, { 'content-type': 'application/json' });
        c.res.end(JSON.stringify(result ?? { ok: true }));
      }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      this.#fail(c.res, err.status, err.reason);
    }
  }

  /**
   * A mutation must be JSON (a cross-site form cannot send that without a CORS preflight,
   * which is never approved here) and, when the browser names its origin, come from ours.
   */
  #checkMutation(req: IncomingMessage): void {
    const type = req.headers['content-type'] ?? '';
    if (!type.toLowerCase().startsWith('application/json'))
      throw new HttpError(415, 'content-type must be application/json');
    const origin = req.headers.origin;
    const own = `${this.secure ? 'https' : 'http'}://${req.headers.host ?? ''}`;
    if (origin !== undefined && origin.toLowerCase() !== own.toLowerCase())
      throw new HttpError(403, 'cross-origin request refused');
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      throw new HttpError(403, 'cross-site request refused');
  }

  #subscribe(req: IncomingMessage, res: ServerResponse, token: string | undefined): void {
    if (!this.#sessionOf(token)) return this.#fail(res, 401, 'login required');
    res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive' });
    res.write(': connected\n\n');
    const entry = { res, token };
    this.#listeners.add(entry);
    req.on('close', () => this.#listeners.delete(entry));
  }

  async #static(pathname: string, res: ServerResponse): Promise<void> {
    const dir = path.resolve(this.options.staticDir);
    const file =
      this.options.files?.[pathname] ??
      path.resolve(dir, pathname === '/' ? 'index.html' : pathname.slice(1));
    if (!this.options.files?.[pathname] && !file.startsWith(dir + path.sep))
      return this.#fail(res, 404, 'not found');
    try {
      const data = await readFile(file);
      res.writeHead(200, {
        'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      });
      res.end(data);
    } catch {
      this.#fail(res, 404, 'not found');
    }
  }
}
