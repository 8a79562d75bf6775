/**
 * The JPKI application's files: SELECT by AID (never by ATR), the token in EF 0006, and the
 * certificates read with READ BINARY (the first chunk gives the DER length, the rest is read
 * in chunks; the EF may be longer than the certificate). The first part of {@link JpkiClient}.
 */
import { X509Certificate } from 'node:crypto';
import { parseResponse, type ApduTransmit, type ResponseApdu } from '../../shared/apdu/apdu.js';
import { parseDerHeader } from '../../shared/apdu/der.js';
import { ApduError, CardProtocolError } from '../../shared/apdu/errors.js';
import {
  JPKI_TOKEN_LENGTH,
  JpkiFile,
  JpkiToken,
  Sw,
  readBinaryCommand,
  selectApplicationCommand,
  selectFileCommand,
} from '../../shared/apdu/jpki.js';

/** What kind of token was inserted (see JpkiFiles.identify). */
export type JpkiTokenKind = 'card' | 'phone' | 'not_jpki';

/** See the module comment. One per card session. */
export class JpkiFiles {
  #selected = false;
  #kind: JpkiTokenKind | undefined;

  constructor(
    private readonly transmit: ApduTransmit,
    /** Le of each READ BINARY chunk, 1..256. */
    private readonly chunk: number,
    /** Largest EF accepted. */
    private readonly maxFile: number,
  ) {
    if (!Number.isInteger(chunk) || chunk < 1 || chunk > 256)
      throw new RangeError('readChunkBytes is 1..256');
  }

  /** The kind `identify` found (undefined before). */
  get kind(): JpkiTokenKind | undefined {
    return this.#kind;
  }

  /** One exchange, the answer parsed. */
  async send(command: Uint8Array): Promise<ResponseApdu> {
    return parseResponse(await this.transmit(command));
  }

  /** `SELECT` the JPKI AP by AID. @throws ApduError when the card has no JPKI AP. */
  async selectApplication(): Promise<void> {
    const r = await this.send(selectApplicationCommand());
    if (r.sw !== Sw.ok) throw new ApduError(r.sw, 'select_application');
    this.#selected = true;
  }

  /** `SELECT` an EF of the JPKI AP (the AP first when not selected yet). */
  async selectFile(fid: number): Promise<void> {
    if (!this.#selected) await this.selectApplication();
    const r = await this.send(selectFileCommand(fid));
    if (r.sw !== Sw.ok) throw new ApduError(r.sw, `select_ef_${fid.toString(16).padStart(4, '0')}`);
  }

  /**
   * What was inserted: `not_jpki` when the card has no JPKI application (a transit card:
   * SELECT by AID is refused), `phone` for the Android smartphone token `JPKIAPGPSETOKEN` in
   * EF 0006 (its authentication certificate can be read only after the authentication PIN),
   * else `card` (a My Number card; an unreadable token is taken as a card). @throws
   * CardRemovedError and reader errors as any exchange.
   */
  async identify(): Promise<JpkiTokenKind> {
    try {
      await this.selectApplication();
    } catch (err) {
      if (err instanceof ApduError) return (this.#kind = 'not_jpki');
      throw err;
    }
    let token = '';
    try {
      token = await this.readToken();
    } catch (err) {
      if (!(err instanceof ApduError || err instanceof CardProtocolError)) throw err;
    }
    return (this.#kind = token === JpkiToken.phone ? 'phone' : 'card');
  }

  /** The token in EF 0006, trailing spaces/NULs removed (e.g. `JPKIAPICCTOKEN2`). */
  async readToken(): Promise<string> {
    await this.selectFile(JpkiFile.token);
    const r = await this.send(readBinaryCommand(0, JPKI_TOKEN_LENGTH));
    if (r.sw !== Sw.ok) throw new ApduError(r.sw, 'read_token');
    if (r.data.length > JPKI_TOKEN_LENGTH)
      throw new CardProtocolError('bad_length', 'token longer than 32 bytes');
    let s = '';
    for (const b of r.data) {
      if (b < 0x20 || b > 0x7e) {
        if (b === 0x00) continue;
        throw new CardProtocolError('unexpected_data', 'token is not printable ASCII');
      }
      s += String.fromCharCode(b);
    }
    return s.trim();
  }

  /**
   * Reads a DER object (a certificate) from the current EF: READ BINARY of the first chunk,
   * length from the DER header, then the rest in chunks of `readChunkBytes`.
   */
  async #readDer(step: string): Promise<Uint8Array> {
    const first = await this.send(readBinaryCommand(0, this.chunk));
    if (first.sw !== Sw.ok) throw new ApduError(first.sw, step);
    const header = parseDerHeader(first.data, this.maxFile);
    if (!header)
      throw new CardProtocolError('bad_der', `${step}: first chunk too short for a DER header`);
    if (header.tag !== 0x30) throw new CardProtocolError('bad_der', `${step}: not a SEQUENCE`);
    const total = header.totalLength;
    const out = new Uint8Array(total);
    out.set(first.data.subarray(0, Math.min(total, first.data.length)), 0);
    let have = Math.min(total, first.data.length);
    while (have < total) {
      const le = Math.min(this.chunk, total - have);
      const r = await this.send(readBinaryCommand(have, le));
      if (r.sw !== Sw.ok) throw new ApduError(r.sw, step);
      if (r.data.length === 0)
        throw new CardProtocolError('bad_read', `${step}: empty chunk at ${have}`);
      if (r.data.length > le)
        throw new CardProtocolError('bad_read', `${step}: chunk longer than Le`);
      out.set(r.data, have);
      have += r.data.length;
    }
    return out;
  }

  async #readCertificate(fid: number, step: string): Promise<Uint8Array> {
    await this.selectFile(fid);
    const der = await this.#readDer(step);
    try {
      new X509Certificate(der);
    } catch (err) {
      throw new CardProtocolError('unexpected_data', `${step}: not an X.509 certificate`, {
        cause: err,
      });
    }
    return der;
  }

  /** The user-authentication certificate (EF 000A), DER. Free read. */
  readAuthCertificate(): Promise<Uint8Array> {
    return this.#readCertificate(JpkiFile.authCertificate, 'read_auth_certificate');
  }

  /** The CA certificate that issued the authentication certificate (EF 000B), DER. */
  readAuthCaCertificate(): Promise<Uint8Array> {
    return this.#readCertificate(JpkiFile.authCaCertificate, 'read_auth_ca_certificate');
  }

  /**
   * The signature certificate (EF 0001), DER: personal data, never log it. Readable only after
   * `verifyPin('sign', ...)` succeeded, else `ApduError{sw: 0x6982}`.
   */
  readSignCertificate(): Promise<Uint8Array> {
    return this.#readCertificate(JpkiFile.signCertificate, 'read_sign_certificate');
  }

  /** The CA certificate that issued the signature certificate (EF 0002), DER. */
  readSignCaCertificate(): Promise<Uint8Array> {
    return this.#readCertificate(JpkiFile.signCaCertificate, 'read_sign_ca_certificate');
  }
}
