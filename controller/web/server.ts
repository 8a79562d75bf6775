import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Component } from '../lifecycle.js';
import { listenError } from '../listen-error.js';
import type { Logger } from '../log.js';

/** Folder of the static pages (kiosk, simulator, their scripts and styles). */
export const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

/** A request body or parameter that cannot be used: answered 400 with the reason. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface RouteRequest {
  req: IncomingMessage;
  url: URL;
  /** Path parameters from `:name` segments. */
  params: Record<string, string>;
  /** The parsed JSON body (POST/PUT); `{}` when empty. */
  body: unknown;
}

/** A handler returns a JSON-serialisable value (sent as 200) or writes the response itself. */
export type RouteHandler = (r: RouteRequest, res: ServerResponse) => unknown;

interface Route {
  method: string;
  parts: string[];
  handler: RouteHandler;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
};

const MAX_BODY_BYTES = 64 * 1024;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  // Every route reads fields of an object: `null`, arrays and scalars are refused here.
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'body must be a JSON object');
  return body;
}

/**
 * The station's local web server: static pages, a small JSON API that components register
 * routes on, and server-sent-event channels (`GET /events/<channel>`) for live screens. It
 * listens on loopback by default; nothing here is meant for the network.
 */
export class WebServer implements Component {
  readonly name = 'web';
  readonly #routes: Route[] = [];
  readonly #channels = new Map<string, Set<ServerResponse>>();
  /** Last message per channel, replayed to a page that connects later. */
  readonly #lastMessage = new Map<string, string>();
  #server: Server | undefined;

  constructor(
    private readonly options: {
      host: string;
      port: number;
      staticDir?: string;
      pages?: Record<string, string>;
      /**
       * The static files served besides `pages` (an allowlist of names in `staticDir`);
       * default: any file there.
       */
      files?: readonly string[];
      /** The SSE channels pages may open (default: any). */
      channels?: readonly string[];
      /** Open SSE connections per channel (default 16); more are answered 503. */
      maxSubscribers?: number;
      /**
       * Mutating requests (POST, PUT, DELETE) need `content-type: application/json`, a Host
       * header naming this server (its `host`, `localhost`, loopback, or `hosts`), and no
       * foreign Origin: a cross-origin page or a DNS-rebound name cannot drive the API.
       */
      strict?: boolean;
      /** More Host names accepted in strict mode (without the port). */
      hosts?: readonly string[];
    },
    private readonly log: Logger,
  ) {}

  /** Registers a JSON route; `pattern` may hold `:name` segments. */
  route(method: 'GET' | 'POST' | 'PUT' | 'DELETE', pattern: string, handler: RouteHandler): void {
    this.#routes.push({ method, parts: pattern.split('/').filter(Boolean), handler });
  }

  /** Sends an event to every page listening on `channel` (and keeps it for late joiners). */
  publish(channel: string, data: unknown): void {
    const line = `data: ${JSON.stringify(data)}\n\n`;
    this.#lastMessage.set(channel, line);
    for (const res of this.#channels.get(channel) ?? []) res.write(line);
  }

  /** The address actually bound (useful with port 0). */
  get address(): AddressInfo {
    const a = this.#server?.address();
    if (!a || typeof a === 'string') throw new Error('web server is not listening');
    return a;
  }

  /** Base URL of the running server, e.g. http://127.0.0.1:8080. */
  get url(): string {
    const a = this.address;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.log.error({ err }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'internal' }));
      });
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: unknown) =>
        reject(
          listenError(err, this.options.host, this.options.port, 'web.port (the demo: --port)'),
        );
      server.once('error', failed);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    this.log.info({ url: this.url }, 'web server listening');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    for (const set of this.#channels.values()) for (const res of set) res.end();
    this.#channels.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-store');
    const parts = url.pathname.split('/').filter(Boolean);
    if (method === 'GET' && parts[0] === 'events' && parts.length === 2) {
      this.#subscribe(parts[1]!, req, res);
      return;
    }
    const mutating = method === 'POST' || method === 'PUT' || method === 'DELETE';
    if (mutating && this.options.strict) {
      const refusal = this.#refuseForeign(req);
      if (refusal) {
        res.writeHead(refusal.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: refusal.reason }));
        return;
      }
    }
    for (const route of this.#routes) {
      if (route.method !== method || route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const match = route.parts.every((p, i) => {
        if (p.startsWith(':')) {
          params[p.slice(1)] = decodeURIComponent(parts[i]!);
          return true;
        }
        return p === parts[i];
      });
      if (!match) continue;
      try {
        const body = method === 'POST' || method === 'PUT' ? await readBody(req) : {};
        const result = await route.handler({ req, url, params, body }, res);
        if (!res.headersSent && !res.writableEnded) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(result ?? { ok: true }));
        }
      } catch (err) {
        if (err instanceof HttpError) {
          res.writeHead(err.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: err.reason }));
          return;
        }
        throw err;
      }
      return;
    }
    if (method === 'GET') {
      await this.#static(url.pathname, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
  }

  /** Host names this server answers to in strict mode (without the port). */
  #hostNames(): Set<string> {
    return new Set(
      ['localhost', '127.0.0.1', '[::1]', '::1', this.options.host, ...(this.options.hosts ?? [])]
        .filter((h) => h && h !== '0.0.0.0' && h !== '::')
        .map((h) => h.toLowerCase()),
    );
  }

  /** Why a mutating request is refused in strict mode (undefined: it may go on). */
  #refuseForeign(req: IncomingMessage): HttpError | undefined {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json')
      return new HttpError(415, 'content-type must be application/json');
    const port = this.#server ? String(this.address.port) : String(this.options.port);
    const names = this.#hostNames();
    const hostOk = (value: string | undefined) => {
      if (!value) return false;
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(value.toLowerCase());
      return !!m && names.has(m[1]!) && (m[2] ?? '80') === port;
    };
    if (!hostOk(req.headers.host)) return new HttpError(403, 'host not allowed');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (!hostOk(host)) return new HttpError(403, 'origin not allowed');
    }
    return undefined;
  }

  #subscribe(channel: string, req: IncomingMessage, res: ServerResponse): void {
    if (this.options.channels && !this.options.channels.includes(channel)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'no such channel' }));
      return;
    }
    const existing = this.#channels.get(channel);
    if ((existing?.size ?? 0) >= (this.options.maxSubscribers ?? 16)) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'too many listeners' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive' });
    res.write(': connected\n\n');
    const last = this.#lastMessage.get(channel);
    if (last) res.write(last);
    let set = this.#channels.get(channel);
    if (!set) this.#channels.set(channel, (set = new Set()));
    set.add(res);
    req.on('close', () => {
      set.delete(res);
      if (set.size === 0 && this.#channels.get(channel) === set) this.#channels.delete(channel);
    });
  }

  async #static(pathname: string, res: ServerResponse): Promise<void> {
    const dir = this.options.staticDir ?? STATIC_DIR;
    const page = this.options.pages?.[pathname];
    const rel = page ?? (pathname === '/' ? 'index.html' : pathname.slice(1));
    if (!page && this.options.files && !this.options.files.includes(rel)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const file = path.resolve(dir, rel);
    if (!file.startsWith(path.resolve(dir) + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const data = await readFile(file);
      res.writeHead(200, {
        'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      });
      res.end(data);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  }
}
