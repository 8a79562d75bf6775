import { execFile } from 'node:child_process';
import type { Logger } from './log.js';

/**
 * Talks to systemd through `systemd-notify` (Node has no unix datagram sockets): READY=1 once
 * the station is ready, WATCHDOG=1 at half the unit's WatchdogSec, STOPPING=1 on the way out.
 * Does nothing when not started by systemd with Type=notify (no NOTIFY_SOCKET). The unit sets
 * NotifyAccess=all so the helper process may speak for the daemon.
 */
export class SystemdWatchdog {
  readonly #enabled: boolean;
  /** How often to ping: half of WATCHDOG_USEC, or 10 s when there is no watchdog. */
  readonly intervalMs: number;
  #warned = false;
  constructor(
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.#enabled = Boolean(env.NOTIFY_SOCKET);
    const usec = Number(env.WATCHDOG_USEC ?? 0);
    this.intervalMs = usec > 0 ? Math.max(500, Math.floor(usec / 2000)) : 10_000;
  }
  #notify(...states: string[]): void {
    if (!this.#enabled) return;
    execFile('systemd-notify', [`--pid=${process.pid}`, ...states], (err) => {
      if (err && !this.#warned) {
        this.#warned = true;
        this.log.warn({ err }, 'systemd-notify failed');
      }
    });
  }
  ready(): void {
    this.#notify('--ready', 'STATUS=ready');
  }
  ping(): void {
    this.#notify('WATCHDOG=1');
  }
  stopping(): void {
    this.#notify('STOPPING=1');
  }
}
