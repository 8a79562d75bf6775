/**
 * Guarded CRL intake: every CRL the station reads from a network or a file comes through here,
 * so an attacker on the path (plain-http trust.crlUrls, a compromised mirror) cannot exhaust
 * memory, disk or time before the CRL's signature can be checked:
 *
 * - a byte cap, checked against Content-Length (or the file size) and while streaming;
 * - an overall deadline, a minimum rate (fewer than `minRateBytes` in any `minRateWindowMs`
 *   aborts) and the caller's AbortSignal, all ending the transfer with a CrlError saying why;
 * - Content-Length kept: a body shorter or longer than declared is refused;
 * - `file:` sources and paths are opened only when they are regular files (never a device
 *   such as /dev/zero, a FIFO or a directory).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { CrlError } from './errors.js';

/** Limits of one intake (trust.crlMaxBytes, crlDownloadTimeoutSec, crlMinRate*). */
export interface IntakeLimits {
  maxBytes: number;
  deadlineMs: number;
  /** 0: no minimum rate. */
  minRateBytes: number;
  minRateWindowMs: number;
}

/** The defaults of the configuration schema. */
export const DEFAULT_INTAKE_LIMITS: IntakeLimits = {
  maxBytes: 512 * 1024 * 1024,
  deadlineMs: 600_000,
  minRateBytes: 64 * 1024,
  minRateWindowMs: 30_000,
};

/** Timer functions (injected so tests can drive them). */
export interface IntakeTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const REAL_TIMERS: IntakeTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/** What an opened source delivers. */
export interface OpenedCrl {
  chunks: AsyncIterable<Uint8Array>;
  totalBytes: number | undefined;
  etag?: string | undefined;
  lastModified?: string | undefined;
}

/** Options of openCrlSource. */
export interface IntakeOptions {
  limits?: Partial<IntakeLimits>;
  signal?: AbortSignal | undefined;
  fetch?: typeof fetch;
  /** Extra request headers (conditional GET). */
  headers?: Record<string, string>;
  timers?: IntakeTimers;
}

/**
 * The watchdog of one transfer: deadline, minimum rate and the caller's signal, merged into
 * one AbortSignal; `reason` says which fired.
 */
class Watchdog {
  readonly controller = new AbortController();
  reason: CrlError | undefined;
  #windowBytes = 0;
  readonly #handles: { timeout: unknown; interval: unknown };
  readonly #onAbort: () => void;

  constructor(
    readonly source: string,
    readonly limits: IntakeLimits,
    readonly timers: IntakeTimers,
    readonly outer: AbortSignal | undefined,
  ) {
    const timeout = timers.setTimeout(
      () =>
        this.fail(
          new CrlError('timeout', `${source}: not complete within ${limits.deadlineMs / 1000} s`),
        ),
      limits.deadlineMs,
    );
    const interval =
      limits.minRateBytes > 0
        ? timers.setInterval(() => {
            if (this.#windowBytes < limits.minRateBytes)
              this.fail(
                new CrlError(
                  'too_slow',
                  `${source}: fewer than ${limits.minRateBytes} bytes in ${limits.minRateWindowMs / 1000} s`,
                ),
              );
            this.#windowBytes = 0;
          }, limits.minRateWindowMs)
        : undefined;
    this.#handles = { timeout, interval };
    this.#onAbort = () => this.fail(new CrlError('fetch_failed', `${source}: aborted`));
    if (outer?.aborted) this.#onAbort();
    else outer?.addEventListener('abort', this.#onAbort, { once: true });
  }

  fail(err: CrlError): void {
    if (this.reason) return;
    this.reason = err;
    this.controller.abort(err);
  }

  count(n: number): void {
    this.#windowBytes += n;
  }

  done(): void {
    this.timers.clearTimeout(this.#handles.timeout);
    if (this.#handles.interval !== undefined) this.timers.clearInterval(this.#handles.interval);
    this.outer?.removeEventListener('abort', this.#onAbort);
  }
}

/**
 * Wraps a byte stream: counts bytes against the cap and the declared length, feeds the
 * watchdog, and turns an abort into the watchdog's reason.
 */
async function* guarded(
  inner: AsyncIterable<Uint8Array>,
  dog: Watchdog,
  declared: number | undefined,
  stop: () => void,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  const abort = new Promise<never>((_, reject) => {
    const fire = () => reject(dog.reason ?? new CrlError('fetch_failed', `${dog.source}: aborted`));
    if (dog.controller.signal.aborted) fire();
    else dog.controller.signal.addEventListener('abort', fire, { once: true });
  });
  abort.catch(() => undefined);
  const it = inner[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([it.next(), abort]);
      if (next.done) break;
      const chunk = next.value;
      total += chunk.length;
      dog.count(chunk.length);
      if (total > dog.limits.maxBytes)
        throw new CrlError('too_large', `${dog.source}: larger than ${dog.limits.maxBytes} bytes`);
      if (declared !== undefined && total > declared)
        throw new CrlError('malformed', `${dog.source}: more bytes than its Content-Length`);
      yield chunk;
    }
    if (declared !== undefined && total < declared)
      throw new CrlError(
        'malformed',
        `${dog.source}: ${total} bytes arrived, Content-Length said ${declared}`,
      );
  } catch (err) {
    if (dog.reason) throw dog.reason;
    if (err instanceof CrlError) throw err;
    throw new CrlError('fetch_failed', `${dog.source}: ${(err as Error).message}`, { cause: err });
  } finally {
    dog.done();
    stop();
    void it.return?.(undefined)?.catch(() => undefined);
  }
}

function limitsOf(options: IntakeOptions): IntakeLimits {
  return { ...DEFAULT_INTAKE_LIMITS, ...options.limits };
}

/** A regular file, opened and checked (fstat on the open descriptor: no race with a swap). */
async function openFile(file: string | URL, label: string, options: IntakeOptions) {
  const limits = limitsOf(options);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new CrlError('fetch_failed', `${label}: ${(err as Error).message}`, { cause: err });
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    throw new CrlError(
      'not_a_file',
      `${label}: not a regular file (devices, FIFOs and directories are refused)`,
    );
  }
  if (st.size > limits.maxBytes) {
    await handle.close();
    throw new CrlError('too_large', `${label}: ${st.size} bytes is larger than ${limits.maxBytes}`);
  }
  const dog = new Watchdog(label, limits, options.timers ?? REAL_TIMERS, options.signal);
  return {
    chunks: guarded(readReusing(handle), dog, st.size, () => undefined),
    totalBytes: st.size,
  };
}

/**
 * Reads a file into one buffer, reused for every chunk: a consumer must use (or copy) each
 * chunk before asking for the next. A 400 MB CRL so leaves no trail of dead buffers.
 */
async function* readReusing(handle: FileHandle): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(1 << 20);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Outcome of opening an http(s) source. */
export type OpenedUrl = ({ status: 'ok' } & OpenedCrl) | { status: 'not_modified' };

/** GETs an http(s) URL under the intake's limits. */
async function openUrl(url: string, options: IntakeOptions): Promise<OpenedUrl> {
  const limits = limitsOf(options);
  const dog = new Watchdog(url, limits, options.timers ?? REAL_TIMERS, options.signal);
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(url, {
      headers: options.headers ?? {},
      signal: dog.controller.signal,
      redirect: 'follow',
    });
  } catch (err) {
    dog.done();
    if (dog.reason) throw dog.reason;
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new CrlError(
      'fetch_failed',
      `cannot fetch ${url}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`,
      { cause: err },
    );
  }
  if (res.status === 304) {
    dog.done();
    await res.body?.cancel().catch(() => undefined);
    return { status: 'not_modified' };
  }
  if (!res.ok || !res.body) {
    dog.done();
    await res.body?.cancel().catch(() => undefined);
    throw new CrlError('fetch_failed', `cannot fetch ${url}: HTTP ${res.status}`);
  }
  const header = res.headers.get('content-length');
  const declared = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  if (declared !== undefined && declared > limits.maxBytes) {
    dog.done();
    await res.body.cancel().catch(() => undefined);
    throw new CrlError(
      'too_large',
      `${url}: Content-Length ${declared} is larger than ${limits.maxBytes}`,
    );
  }
  const body = res.body;
  return {
    status: 'ok',
    chunks: guarded(body as unknown as AsyncIterable<Uint8Array>, dog, declared, () =>
      dog.controller.abort(),
    ),
    totalBytes: declared,
    etag: res.headers.get('etag') ?? undefined,
    lastModified: res.headers.get('last-modified') ?? undefined,
  };
}

/** True for http(s) URLs. */
export function isHttpSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Opens a CRL source: an http(s) URL (conditional GET headers in `options.headers`), a
 * `file:` URL or a local path. Other URL schemes are refused. @throws CrlError.
 */
export async function openCrlSource(
  source: string,
  options: IntakeOptions = {},
): Promise<OpenedUrl> {
  if (isHttpSource(source)) return openUrl(source, options);
  if (/^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source)) {
    if (!/^file:/i.test(source))
      throw new CrlError('fetch_failed', `unsupported URL scheme in ${source}`);
    return { status: 'ok', ...(await openFile(new URL(source), source, options)) };
  }
  return { status: 'ok', ...(await openFile(source, source, options)) };
}
