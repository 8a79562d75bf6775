import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Two linked ptys made by socat: bytes written to one end come out of the other. */
export interface PtyPair {
  /** The host's end (the driver opens this). */
  readonly a: string;
  /** The board's end (the emulator opens this). */
  readonly b: string;
  readonly dir: string;
  /** Kills socat and removes the folder; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts `socat pty,raw,echo=0,link=DIR/a pty,raw,echo=0,link=DIR/b` in a private temp folder
 * and resolves once socat reports its transfer loop (both links exist by then).
 */
export async function createPtyPair(timeoutMs = 10_000): Promise<PtyPair> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jpki-pty-'));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  // Through `setpriv --pdeathsig`: socat ends with this process even when the test worker is
  // killed before close() (a timed-out file), instead of staying behind.
  const child: ChildProcess = spawn(
    'setpriv',
    [
      '--pdeathsig',
      'SIGTERM',
      'socat',
      '-d',
      '-d',
      `pty,raw,echo=0,link=${a}`,
      `pty,raw,echo=0,link=${b}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let closed = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (closed) return;
    closed = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(
        () => reject(new Error(`socat did not start in ${timeoutMs} ms: ${err}`)),
        timeoutMs,
      );
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited (${code}): ${err}`));
      });
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('starting data transfer loop') && fs.existsSync(a) && fs.existsSync(b)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (e) {
    await close();
    throw e;
  }
  child.stderr!.resume();
  return { a, b, dir, close };
}
