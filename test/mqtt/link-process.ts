/**
 * Bundles test/mqtt/link-station.ts once and starts it as a child process against a test
 * broker (the station's own TLS certificate) with its files in `dir`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { MIGRATIONS_DIR } from '../../controller/storage/db.js';
import type { Mosquitto } from '../support/mosquitto.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The bundled script (under node_modules/.cache so its packages resolve); remove with `rm`. */
export async function bundleLinkStation(): Promise<{ file: string; rm: () => void }> {
  const cache = path.join(HERE, '../../node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const out = mkdtempSync(path.join(cache, 'link-station-'));
  const file = path.join(out, 'link-station.mjs');
  await build({
    entryPoints: [path.join(HERE, 'link-station.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: file,
    logLevel: 'error',
  });
  return { file, rm: () => rmSync(out, { recursive: true, force: true }) };
}

/** A running child station. */
export interface LinkChild {
  proc: ChildProcess;
  /** Resolves with the session once connected; rejects if the child exits first. */
  ready: Promise<number>;
  /** Resolves with the exit code (or signal) when the child is gone. */
  exited: Promise<number | string | null>;
  stderr(): string;
}

/** Writes the credentials into `dir` and starts the child. */
export function startLinkStation(
  bundle: string,
  broker: Mosquitto,
  station: string,
  anchorPem: string,
  dir: string,
  extraEnv: Record<string, string> = {},
): LinkChild {
  const u = broker.user(station);
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const proc = spawn(process.execPath, [bundle], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      LINK_DB: path.join(dir, 'station.db'),
      LINK_URL: broker.tlsUrl,
      LINK_CA: file('ca.pem', broker.ca.certPem),
      LINK_CERT: file('cert.pem', u.cert),
      LINK_KEY: file('key.pem', u.key),
      LINK_ANCHOR: file('anchor.pem', anchorPem),
      LINK_STATION: station,
      LINK_MIGRATIONS: MIGRATIONS_DIR,
      LINK_ACTUATIONS: path.join(dir, 'actuations.log'),
      ...extraEnv,
    },
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const exited = new Promise<number | string | null>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const ready = new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`link station exited (${code}): ${err}`)));
  });
  ready.catch(() => undefined);
  return { proc, ready, exited, stderr: () => err };
}
