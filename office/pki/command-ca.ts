/**
 * The command-signing CA as the office keeps it in one folder (made by `office make-signer`):
 *
 * ```
 * command-ca.pem          the CA certificate: every station's trust.commandAnchors
 * command-ca-key.pem      its key (0600): signs office certificates and the CRL
 * command-revoked.json    the revoked office certificates and the last cRLNumber
 * command-crl.pem         the current CRL, published retained on <prefix>/fleet/command-crl
 * ```
 *
 * Revoking a leaked office certificate = adding it here and publishing the new CRL: every
 * station refuses its commands (`signer_revoked`) as soon as the CRL reaches it.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  issueDevCrl,
  loadDevCredential,
  type DevCredential,
  type DevRevocation,
} from './dev-pki.js';

/** File names inside a command-CA folder. */
export const COMMAND_CA_FILES = {
  cert: 'command-ca.pem',
  key: 'command-ca-key.pem',
  revoked: 'command-revoked.json',
  crl: 'command-crl.pem',
} as const;

/** Days a CRL stays valid by default (re-issue it well before: daily, from a timer). */
export const DEFAULT_CRL_VALID_DAYS = 7;

/** Contents of command-revoked.json. */
interface RevokedFile {
  crlNumber: string;
  revoked: (DevRevocation & { subject: string })[];
}

/** What issuing a CRL produced. */
export interface IssuedCommandCrl {
  file: string;
  der: Uint8Array;
  crlNumber: string;
  thisUpdate: string;
  nextUpdate: string;
  revoked: number;
}

function writeAtomic(file: string, data: string, mode = 0o644): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
}

/** A command-CA folder. */
export class CommandCaFolder {
  constructor(readonly dir: string) {}

  file(name: keyof typeof COMMAND_CA_FILES): string {
    return path.join(this.dir, COMMAND_CA_FILES[name]);
  }

  /** Writes a new CA's certificate and key (the revocation list starts empty). */
  create(ca: DevCredential): void {
    writeFileSync(this.file('cert'), ca.certPem);
    writeFileSync(this.file('key'), ca.keyPem, { mode: 0o600 });
    this.#save({ crlNumber: '0', revoked: [] });
  }

  async #ca(): Promise<DevCredential> {
    const read = (name: 'cert' | 'key') => {
      try {
        return readFileSync(this.file(name), 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${this.file(name)}: ${(err as Error).message}`);
      }
    };
    return loadDevCredential(read('cert'), read('key'));
  }

  #load(): RevokedFile {
    const f = this.file('revoked');
    if (!existsSync(f)) return { crlNumber: '0', revoked: [] };
    return JSON.parse(readFileSync(f, 'utf8')) as RevokedFile;
  }

  #save(state: RevokedFile): void {
    writeAtomic(this.file('revoked'), `${JSON.stringify(state, null, 2)}\n`);
  }

  /**
   * Adds a certificate (PEM) issued by this CA to the revocation list; a second revocation of
   * the same serial changes nothing. Returns its serial (hex).
   * @throws Error when the certificate was not issued by this CA.
   */
  async revoke(
    certPem: string,
    reason: DevRevocation['reason'] = 'keyCompromise',
    now: Date = new Date(),
  ): Promise<string> {
    const ca = await this.#ca();
    const cert = new x509.X509Certificate(certPem);
    if (cert.issuer !== ca.cert.subject || !(await cert.verify({ publicKey: ca.cert.publicKey })))
      throw new Error(`${cert.subject} was not issued by ${ca.cert.subject}`);
    const state = this.#load();
    const serial = cert.serialNumber.toLowerCase();
    if (!state.revoked.some((r) => r.serial === serial))
      state.revoked.push({ serial, revokedAt: now.toISOString(), reason, subject: cert.subject });
    this.#save(state);
    return serial;
  }

  /** Issues the next CRL (cRLNumber + 1) over the revocation list and writes command-crl.pem. */
  async issueCrl(
    validDays: number = DEFAULT_CRL_VALID_DAYS,
    now: () => Date = () => new Date(),
  ): Promise<IssuedCommandCrl> {
    const ca = await this.#ca();
    const state = this.#load();
    const crlNumber = BigInt(state.crlNumber) + 1n;
    const at = now();
    const crl = await issueDevCrl(ca, {
      revoked: state.revoked,
      crlNumber,
      validDays,
      now: () => at,
    });
    state.crlNumber = crlNumber.toString();
    this.#save(state);
    writeAtomic(this.file('crl'), crl.pem);
    return {
      file: this.file('crl'),
      der: crl.der,
      crlNumber: crlNumber.toString(),
      thisUpdate: at.toISOString(),
      nextUpdate: new Date(at.getTime() + validDays * 86_400_000).toISOString(),
      revoked: state.revoked.length,
    };
  }
}
