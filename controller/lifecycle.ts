import type { Logger } from './log.js';

/**
 * A part of the daemon with a lifetime: the constructor only stores what it is given,
 * `start()` acquires resources and subscribes, `stop()` releases everything it owns and is
 * safe to call after a failed or aborted start, and more than once.
 */
export interface Component {
  readonly name: string;
  /** Starts; should give up promptly (rejecting with an AbortError) when `signal` aborts. */
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

/** Thrown by `start()` when start-up was aborted by a signal. */
export class StartAbortedError extends Error {
  constructor() {
    super('start-up aborted');
    this.name = 'AbortError';
  }
}

/** Rejects with StartAbortedError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new StartAbortedError();
}

/**
 * Starts components in order and stops the started ones in reverse. If `start` is aborted or
 * one component fails, what already started is stopped before the error propagates.
 */
export class ComponentGroup {
  readonly #started: Component[] = [];
  #stopping: Promise<void> | undefined;
  constructor(
    private readonly components: readonly Component[],
    private readonly log: Logger,
  ) {}

  async start(signal: AbortSignal): Promise<void> {
    try {
      for (const c of this.components) {
        throwIfAborted(signal);
        this.log.debug({ component: c.name }, 'starting');
        this.#started.push(c);
        await c.start(signal);
        throwIfAborted(signal);
        this.log.debug({ component: c.name }, 'started');
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops every started component in reverse order; errors are logged, not thrown. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const c of [...this.#started].reverse()) {
        try {
          await c.stop();
        } catch (err) {
          this.log.error({ component: c.name, err }, 'stop failed');
        }
      }
      this.#started.length = 0;
    })();
    return this.#stopping;
  }
}

/**
 * A component built only when it starts, for parts whose constructor needs what earlier
 * components produce (the open database, the domain's handlers).
 */
export class LazyComponent<C extends Component> implements Component {
  #instance: C | undefined;
  constructor(
    readonly name: string,
    private readonly build: () => C | undefined,
  ) {}

  /** The built component, once started (undefined when `build` chose not to build one). */
  get instance(): C | undefined {
    return this.#instance;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.#instance = this.build();
    await this.#instance?.start(signal);
  }

  async stop(): Promise<void> {
    const c = this.#instance;
    this.#instance = undefined;
    await c?.stop();
  }
}
