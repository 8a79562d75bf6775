/**
 * Signatures on what a station publishes (events, retained state, status, heartbeat,
 * answers), so that the office and the console can tell the station's words from a forgery
 * published with stolen broker credentials.
 *
 * Carried in the MQTT 5 user property `jpki-sig` (the payload itself is unchanged): a
 * detached compact JWS (RFC 7515 §7.1 and Appendix F)
 *
 *   BASE64URL(UTF8(header)) '..' BASE64URL(signature)
 *   signature over ASCII(BASE64URL(UTF8(header)) '.' BASE64URL(payload bytes))
 *   header = { "alg", "typ": "jpki-locker-station+jws", "x5c": [station cert, ...], "topic" }
 *
 * `topic` binds the signature to the topic it was published on. The station's certificate
 * is issued by the municipality (it may be the one it uses for broker TLS) and names the
 * station in its subject CN. MQTT 3.1.1 has no user properties: there everything is
 * `unsigned`. Pure computation (node:crypto), no I/O.
 */
import { X509Certificate, sign, verify, type KeyObject } from 'node:crypto';
import { COMMAND_JWS_ALGS, type CommandJwsAlg } from './commands.js';
import { algForKey, algParams, keyFitsAlg } from './jws-alg.js';

/** The user property that carries the signature. */
export const STATION_SIGNATURE_PROPERTY = 'jpki-sig';
/** The `typ` of a station signature. */
export const STATION_JWS_TYP = 'jpki-locker-station+jws';

/** What a reader may conclude about one message. */
export type StationSignatureStatus =
  /** Signed by a certificate for this station that chains to a trusted anchor. */
  | 'signed'
  /** No signature at all (MQTT 3.1.1, an old station, or a forgery that did not try). */
  | 'unsigned'
  /** A signature that does not match these bytes on this topic: altered or forged. */
  | 'forged'
  /** A valid signature, but by a certificate that is not this station's or not trusted. */
  | 'untrusted';

/** The verdict on one message. */
export interface StationSignatureVerdict {
  status: StationSignatureStatus;
  /** Why, when not `signed` (no personal data). */
  detail?: string;
}

/** Signs `payload` as published on `topic`; returns the `jpki-sig` value. */
export function signStationPayload(
  topic: string,
  payload: Uint8Array,
  privateKey: KeyObject,
  chainDer: readonly Uint8Array[],
): string {
  const alg = algForKey(privateKey);
  const header = {
    alg,
    typ: STATION_JWS_TYP,
    x5c: chainDer.map((d) => Buffer.from(d).toString('base64')),
    topic,
  };
  const h = Buffer.from(JSON.stringify(header), 'utf8').toString('base64url');
  const input = Buffer.from(`${h}.${Buffer.from(payload).toString('base64url')}`, 'ascii');
  const { hash, opts } = algParams(alg);
  return `${h}..${sign(hash, input, { key: privateKey, ...opts } as never).toString('base64url')}`;
}

function commonName(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

function withinValidity(cert: X509Certificate, at: Date): boolean {
  return Date.parse(cert.validFrom) <= at.getTime() && at.getTime() <= Date.parse(cert.validTo);
}

/**
 * Checks the signature of one message a station published on `topic`. The chain is walked
 * from the station's certificate through the x5c intermediates to one of `anchors` (DER):
 * each link issued and signed by the next, each within its validity at `at`; the station
 * certificate's CN must be `stationId`. Never throws for bad input.
 */
export function verifyStationSignature(input: {
  topic: string;
  payload: Uint8Array;
  signature: string | undefined;
  stationId: string;
  anchors: readonly Uint8Array[];
  at: Date;
}): StationSignatureVerdict {
  const { signature } = input;
  if (signature === undefined || signature === '') return { status: 'unsigned' };
  const parts = signature.split('.');
  if (parts.length !== 3 || parts[1] !== '' || !parts[0] || !parts[2])
    return { status: 'forged', detail: 'not a detached JWS' };
  let header: { alg?: unknown; typ?: unknown; x5c?: unknown; topic?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as typeof header;
  } catch {
    return { status: 'forged', detail: 'unreadable header' };
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !(COMMAND_JWS_ALGS as readonly string[]).includes(alg))
    return { status: 'forged', detail: 'algorithm' };
  if (header.typ !== STATION_JWS_TYP) return { status: 'forged', detail: 'typ' };
  if (header.topic !== input.topic) return { status: 'forged', detail: 'signed for another topic' };
  const x5c = header.x5c;
  if (
    !Array.isArray(x5c) ||
    x5c.length === 0 ||
    x5c.length > 5 ||
    !x5c.every((c) => typeof c === 'string')
  )
    return { status: 'untrusted', detail: 'no certificate' };
  let chain: X509Certificate[];
  try {
    chain = (x5c as string[]).map((c) => new X509Certificate(Buffer.from(c, 'base64')));
  } catch {
    return { status: 'untrusted', detail: 'unreadable certificate' };
  }
  const leaf = chain[0]!;
  const key = leaf.publicKey;
  if (!keyFitsAlg(alg as CommandJwsAlg, key))
    return { status: 'forged', detail: 'key does not fit alg' };
  const { hash, opts } = algParams(alg as CommandJwsAlg);
  const signed = Buffer.from(
    `${parts[0]}.${Buffer.from(input.payload).toString('base64url')}`,
    'ascii',
  );
  let ok = false;
  try {
    ok = verify(hash, signed, { key, ...opts } as never, Buffer.from(parts[2], 'base64url'));
  } catch {
    ok = false;
  }
  if (!ok) return { status: 'forged', detail: 'signature does not match' };
  if (commonName(leaf) !== input.stationId)
    return { status: 'untrusted', detail: 'certificate of another subject' };
  let anchors: X509Certificate[];
  try {
    anchors = input.anchors.map((a) => new X509Certificate(Buffer.from(a)));
  } catch {
    return { status: 'untrusted', detail: 'unreadable anchor' };
  }
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]!;
    if (!withinValidity(cert, input.at))
      return { status: 'untrusted', detail: 'certificate not valid now' };
    const anchor = anchors.find(
      (a) => a.raw.equals(cert.raw) || (cert.checkIssued(a) && cert.verify(a.publicKey)),
    );
    if (anchor)
      return withinValidity(anchor, input.at) || anchor.raw.equals(cert.raw)
        ? { status: 'signed' }
        : { status: 'untrusted', detail: 'anchor not valid now' };
    const issuer = chain[i + 1];
    if (!issuer || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey))
      return { status: 'untrusted', detail: 'does not chain to a station anchor' };
  }
  return { status: 'untrusted', detail: 'does not chain to a station anchor' };
}
