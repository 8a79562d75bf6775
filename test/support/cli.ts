import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The `jpki-locker` entry point. */
export const BIN = path.join(ROOT, 'bin/jpki-locker.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `jpki-locker ...args` to completion. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A long-running `jpki-locker` process whose output is watched line by line. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];

  /**
   * @param options.entry node arguments run instead of the `jpki-locker` bin (a test launcher
   *   such as `['--import', 'tsx', 'test/support/gpio-station.ts']`), `args` after them.
   * @param options.ipc open a Node IPC channel to the child (`child.send`, `child.on('message')`).
   */
  constructor(
    args: string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; entry?: string[]; ipc?: boolean } = {},
  ) {
    this.child = spawn(process.execPath, [...(options.entry ?? [BIN]), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    });
    const check = () => {
      this.#waiters = this.#waiters.filter((w) => {
        if (w.test(this.stdout + this.stderr)) {
          w.resolve();
          return false;
        }
        return true;
      });
    };
    this.child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      check();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      check();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Resolves when the combined output matches; rejects if the process exits first. */
  waitFor(pattern: RegExp | string): Promise<void> {
    const test = (s: string) =>
      typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s);
    if (test(this.stdout + this.stderr)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ test, resolve });
      void this.exited.then(({ code, signal }) =>
        reject(
          new Error(
            `process exited (${code ?? signal}) before ${String(pattern)}:\n${this.stderr}`,
          ),
        ),
      );
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }
}
