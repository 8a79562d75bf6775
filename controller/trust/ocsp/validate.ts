/**
 * Whether a parsed OCSP response may be believed (RFC 6960 §3.2 and §4.2.2.2, RFC 5019 §4):
 *
 *   "1. The certificate identified in a received response corresponds to the certificate
 *       that was identified in the corresponding request;
 *    2. The signature on the response is valid;
 *    3. The identity of the signer matches the intended recipient of the request;
 *    4. The signer is currently authorized to provide a response for the certificate in
 *       question;
 *    5. The time at which the status being indicated is known to be correct (thisUpdate) is
 *       sufficiently recent;
 *    6. When available, the time at or before which newer information will be available
 *       about the status of the certificate (nextUpdate) is greater than the current time."
 *
 * Authorized signers (§4.2.2.2): the issuing CA itself, or a delegated responder whose
 * certificate the same CA issued and which carries id-kp-OCSPSigning in extendedKeyUsage.
 * Times are compared with a tolerance for clock skew (the station's mqtt.clockSkewSec).
 */
import { createHash } from 'node:crypto';
import { verifySignature } from '../algorithms.js';
import { KeyUsageBit, type Certificate } from '../certificate.js';
import { bytesEqual, toHex } from '../der.js';
import { nameKey } from '../names.js';
import { OcspError } from './errors.js';
import { subjectPublicKeyBits, type CertId } from './request.js';
import type { BasicResponse, SingleResponse } from './response.js';

/** id-kp-OCSPSigning (RFC 6960 §4.2.2.2). */
export const OCSP_SIGNING_EKU = '1.3.6.1.5.5.7.3.9';

/** CertID hash algorithms a response may use (RFC 6960 §4.1.1: any; RFC 5019: SHA-1). */
const CERT_ID_HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** What a response is checked against. */
export interface ValidateOptions {
  /** The CA that issued the certificate(s) in question. */
  issuer: Certificate;
  /** The certificate asked about; without it, every SingleResponse by `issuer` is returned. */
  certId?: CertId;
  /** The nonce sent in the request (fetched responses); absent for relayed ones. */
  nonce?: Uint8Array;
  /** Refuse a fetched response that carries no nonce (default true when `nonce` is given). */
  requireNonce?: boolean;
  now: Date;
  /** Clock-skew tolerance in milliseconds. */
  skewMs: number;
}

function digest(alg: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(alg).update(data).digest());
}

/** True when `single` is about a certificate of `issuer` (name and key hash) with `serial`. */
function matches(single: SingleResponse, issuer: Certificate, serial?: Uint8Array): boolean {
  const alg = CERT_ID_HASHES[single.certId.hashAlgorithm];
  if (!alg) return false;
  if (serial && !bytesEqual(single.certId.serial, serial)) return false;
  return (
    bytesEqual(single.certId.issuerNameHash, digest(alg, issuer.subjectDer)) &&
    bytesEqual(single.certId.issuerKeyHash, digest(alg, subjectPublicKeyBits(issuer.spki)))
  );
}

/** Does the ResponderID name this certificate (by name, or by SHA-1 of its key)? */
function identifies(resp: BasicResponse, cert: Certificate): boolean {
  const id = resp.responderId;
  if ('byName' in id) {
    try {
      return nameKey(id.byName) === cert.subjectKey;
    } catch {
      return false;
    }
  }
  return bytesEqual(id.byKey, digest('sha1', subjectPublicKeyBits(cert.spki)));
}

function within(c: Certificate, now: Date, skewMs: number): boolean {
  return (
    now.getTime() + skewMs >= c.notBefore.getTime() &&
    now.getTime() - skewMs <= c.notAfter.getTime()
  );
}

/**
 * RFC 6960 §4.2.2.2: a delegated responder certificate is issued directly by the CA that
 * issued the certificate in question, and carries id-kp-OCSPSigning. Also: valid now, and
 * digitalSignature when keyUsage is present.
 */
function authorizedDelegate(
  cand: Certificate,
  issuer: Certificate,
  opts: ValidateOptions,
): boolean {
  if (cand.issuerKey !== issuer.subjectKey) return false;
  if (
    cand.authorityKeyId &&
    issuer.subjectKeyId &&
    !bytesEqual(cand.authorityKeyId, issuer.subjectKeyId)
  )
    return false;
  const key = issuer.publicKey();
  if (typeof key === 'string' || !cand.signatureAlgorithm) return false;
  if (!verifySignature(cand.signatureAlgorithm, key, cand.tbs, cand.signature)) return false;
  if (!cand.extKeyUsage?.includes(OCSP_SIGNING_EKU)) return false;
  if (cand.keyUsage && !cand.keyUsage.has(KeyUsageBit.digitalSignature)) return false;
  if (cand.unknownCritical.length) return false;
  return within(cand, opts.now, opts.skewMs);
}

/** Finds the signer named by the ResponderID and checks it may answer for `issuer`. */
function responder(resp: BasicResponse, opts: ValidateOptions): Certificate {
  const { issuer } = opts;
  if (identifies(resp, issuer)) return issuer;
  const named = resp.certs.filter((c) => identifies(resp, c));
  if (named.length === 0)
    throw new OcspError(
      'unauthorized_responder',
      'the response is signed by neither the issuing CA nor a responder certificate it carries',
    );
  const ok = named.find((c) => authorizedDelegate(c, issuer, opts));
  if (!ok)
    throw new OcspError(
      'unauthorized_responder',
      'the responder certificate is not an OCSP signer issued by the certificate issuer',
    );
  return ok;
}

/**
 * Checks a parsed response and returns the SingleResponses it vouches for (exactly one when
 * `certId` is given). @throws OcspError with the reason it cannot be believed.
 */
export function validateOcspResponse(resp: BasicResponse, opts: ValidateOptions): SingleResponse[] {
  const { issuer, now, skewMs } = opts;
  // 1. The certificate(s) asked about.
  const singles = resp.responses.filter((s) => matches(s, issuer, opts.certId?.serial));
  if (singles.length === 0)
    throw new OcspError(
      'wrong_certificate',
      opts.certId
        ? `the response does not answer for serial ${toHex(opts.certId.serial)} of this issuer`
        : 'the response answers for no certificate of this issuer',
    );
  // 2-4. The signer and its signature.
  const signer = responder(resp, opts);
  const key = signer.publicKey();
  if (typeof key === 'string' || !resp.signatureAlgorithm)
    throw new OcspError(
      'bad_signature',
      'the response signature algorithm or key is not supported',
    );
  if (!verifySignature(resp.signatureAlgorithm, key, resp.tbs, resp.signature))
    throw new OcspError(
      'bad_signature',
      'the response signature does not verify with the responder key',
    );
  if (resp.unknownCritical.length)
    throw new OcspError(
      'unknown_critical_extension',
      `critical response extension ${resp.unknownCritical.join(', ')}`,
    );
  // The nonce (RFC 8954 §2.1): the response must echo ours, else it may be a replay.
  if (opts.nonce) {
    if (resp.nonceExtension === undefined) {
      if (opts.requireNonce ?? true)
        throw new OcspError('no_nonce', 'the response carries no nonce (it may be a replay)');
    } else if (!nonceEchoed(resp.nonceExtension, opts.nonce))
      throw new OcspError('nonce_mismatch', 'the response nonce is not the one sent (a replay)');
  }
  // 5-6. Times.
  const t = now.getTime();
  if (resp.producedAt.getTime() > t + skewMs)
    throw new OcspError('not_yet_valid', 'producedAt is in the future');
  for (const s of singles) {
    if (s.thisUpdate.getTime() > t + skewMs)
      throw new OcspError('not_yet_valid', 'thisUpdate is in the future');
    if (s.nextUpdate ? s.nextUpdate.getTime() < t - skewMs : !opts.nonce)
      throw new OcspError(
        'stale',
        s.nextUpdate
          ? `the response was valid until ${s.nextUpdate.toISOString()}`
          : 'the response has no nextUpdate and no nonce: its freshness cannot be told',
      );
  }
  return singles;
}

/** The nonce extension holds `Nonce ::= OCTET STRING`; some responders put the raw octets. */
function nonceEchoed(extValue: Uint8Array, nonce: Uint8Array): boolean {
  if (bytesEqual(extValue, nonce)) return true;
  return (
    extValue.length === nonce.length + 2 &&
    extValue[0] === 0x04 &&
    extValue[1] === nonce.length &&
    bytesEqual(extValue.subarray(2), nonce)
  );
}
