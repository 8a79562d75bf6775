/**
 * A real OCSP responder for tests: `openssl ocsp -index … -CA … -rsigner … -rkey … -port …`
 * on a free port, started and stopped by the test. It answers from an OpenSSL CA index file
 * (one line per certificate: V valid / R revoked; a serial not listed is `unknown`), echoes the
 * request nonce, and sets nextUpdate `nmin` minutes after thisUpdate. OpenSSL 3.0 reads the
 * index once, so a test that revokes at the responder restarts it (`restart`).
 *
 * `openssl ocsp -port` listens on every interface; the tests talk to it on 127.0.0.1. Suites
 * using it are named test/trust/ocsp* (test/support/daemons.ts: they need openssl).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { toPem } from '../../controller/trust/testing/pki.js';
import { freePort } from './mosquitto.js';

/** One line of the CA index. */
export interface IndexEntry {
  /** Serial in hex (as in the certificate). */
  serialHex: string;
  status: 'valid' | 'revoked';
  revokedAt?: Date;
  /** CRLReason name as OpenSSL spells it (keyCompromise, superseded, ...). */
  reason?: string;
}

/** Key and certificate the responder signs with. */
export interface ResponderSigner {
  certDer: Uint8Array;
  key: KeyObject;
}

export interface OpensslOcspOptions {
  /** The CA whose certificates are answered for (its CertID hashes). */
  caDer: Uint8Array;
  signer: ResponderSigner;
  entries: IndexEntry[];
  /** Minutes until nextUpdate (default 5). */
  nmin?: number;
  /** Send the signer certificate along (default true; `-resp_no_certs` otherwise). */
  includeCerts?: boolean;
  /** Fixed port (default: a free one). */
  port?: number;
}

function opensslTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

/** The serial as OpenSSL's index holds it (BN_bn2hex: upper case, whole octets, no zero octets in front). */
function indexSerial(hex: string): string {
  let h = hex.toUpperCase().replace(/^0+/, '');
  if (h.length % 2) h = `0${h}`;
  return h || '00';
}

function indexText(entries: IndexEntry[]): string {
  return entries
    .map((e) => {
      const revoked =
        e.status === 'revoked'
          ? `${opensslTime(e.revokedAt ?? new Date())}${e.reason ? `,${e.reason}` : ''}`
          : '';
      return `${e.status === 'valid' ? 'V' : 'R'}\t491231235959Z\t${revoked}\t${indexSerial(e.serialHex)}\tunknown\t/CN=serial-${e.serialHex}\n`;
    })
    .join('');
}

/** A running `openssl ocsp` responder. */
export class OpensslOcspResponder {
  #child: ChildProcess | undefined;
  #port = 0;
  readonly #dir: string;

  private constructor(private options: OpensslOcspOptions) {
    this.#dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-ocsp-'));
  }

  /** Starts a responder and waits until it accepts connections. */
  static async start(options: OpensslOcspOptions): Promise<OpensslOcspResponder> {
    const r = new OpensslOcspResponder(options);
    try {
      await r.#spawn(options.port);
    } catch (err) {
      r.#cleanup();
      throw err;
    }
    return r;
  }

  /** http://127.0.0.1:PORT */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Stops it and starts it again on the same port with other index entries (or signer). */
  async restart(
    changes: Partial<Pick<OpensslOcspOptions, 'entries' | 'signer' | 'nmin'>>,
  ): Promise<void> {
    await this.#kill();
    this.options = { ...this.options, ...changes };
    await this.#spawn(this.#port);
  }

  /** Stops the responder and removes its files. */
  async stop(): Promise<void> {
    await this.#kill();
    this.#cleanup();
  }

  async #spawn(fixedPort?: number): Promise<void> {
    const o = this.options;
    const f = (n: string) => path.join(this.#dir, n);
    writeFileSync(f('ca.pem'), toPem(o.caDer));
    writeFileSync(f('rsigner.pem'), toPem(o.signer.certDer));
    writeFileSync(f('rkey.pem'), o.signer.key.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(f('index.txt'), indexText(o.entries));
    writeFileSync(f('index.txt.attr'), 'unique_subject = no\n');
    for (let attempt = 0; ; attempt++) {
      const port = fixedPort ?? (await freePort());
      try {
        this.#child = await this.#run(port, f);
        this.#port = port;
        return;
      } catch (err) {
        if (fixedPort !== undefined || attempt >= 3) throw err;
      }
    }
  }

  #run(port: number, f: (n: string) => string): Promise<ChildProcess> {
    const o = this.options;
    const args = [
      'ocsp',
      '-index',
      f('index.txt'),
      '-CA',
      f('ca.pem'),
      '-rsigner',
      f('rsigner.pem'),
      '-rkey',
      f('rkey.pem'),
      '-port',
      String(port),
      '-nmin',
      String(o.nmin ?? 5),
      ...(o.includeCerts === false ? ['-resp_no_certs'] : []),
    ];
    const child = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let out = '';
      const onData = (b: Buffer) => {
        out += b.toString();
        // OpenSSL prints `ACCEPT [::]:PORT` once it listens.
        if (/ACCEPT /.test(out)) {
          child.stdout.off('data', onData);
          child.off('exit', onExit);
          resolve(child);
        }
      };
      const onExit = (code: number | null) =>
        reject(new Error(`openssl ocsp exited (${code}) before listening: ${out.trim()}`));
      child.stdout.on('data', onData);
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      child.once('exit', onExit);
    });
  }

  #kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  #cleanup(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
