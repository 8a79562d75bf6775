/**
 * OCSP responses (RFC 6960 §4.2.1), parsed with the bounds-checked DER reader. Broken input
 * throws DerError / OcspError; whether a well-formed response may be believed is decided in
 * validate.ts.
 *
 *   OCSPResponse ::= SEQUENCE { responseStatus OCSPResponseStatus,
 *        responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
 *   OCSPResponseStatus ::= ENUMERATED { successful (0), malformedRequest (1),
 *        internalError (2), tryLater (3), sigRequired (5), unauthorized (6) }
 *   ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
 *   BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData,
 *        signatureAlgorithm AlgorithmIdentifier, signature BIT STRING,
 *        certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 *   ResponseData ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
 *        responderID ResponderID, producedAt GeneralizedTime,
 *        responses SEQUENCE OF SingleResponse,
 *        responseExtensions [1] EXPLICIT Extensions OPTIONAL }
 *   ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }
 *   SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus,
 *        thisUpdate GeneralizedTime, nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL,
 *        singleExtensions [1] EXPLICIT Extensions OPTIONAL }
 *   CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo,
 *        unknown [2] IMPLICIT UnknownInfo }
 *   RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime,
 *        revocationReason [0] EXPLICIT CRLReason OPTIONAL }
 */
import { readSignatureAlgorithm, type SignatureAlgorithm } from '../algorithms.js';
import { parseCertificate, type Certificate } from '../certificate.js';
import {
  bitStringBytes,
  contents,
  DerReader,
  encoding,
  readHeader,
  readOid,
  readSmallInt,
  readTimeMs,
  Tag,
  type Tlv,
} from '../der.js';
import { DerError } from '../errors.js';
import type { CertId } from './request.js';
import { OcspError } from './errors.js';

/** id-pkix-ocsp-basic. */
const BASIC_RESPONSE_OID = '1.3.6.1.5.5.7.48.1.1';
/** id-pkix-ocsp-nonce. */
export const NONCE_EXTENSION_OID = '1.3.6.1.5.5.7.48.1.2';

/** OCSPResponseStatus names (RFC 6960 §4.2.1). */
export const RESPONSE_STATUS: Record<number, string> = {
  0: 'successful',
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

/** What one SingleResponse says. */
export type CertStatus =
  | { state: 'good' }
  | { state: 'revoked'; revokedAt: Date; reasonCode: number | undefined }
  | { state: 'unknown' };

/** One SingleResponse. */
export interface SingleResponse {
  certId: CertId;
  status: CertStatus;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
}

/** A parsed BasicOCSPResponse. */
export interface BasicResponse {
  /** The whole OCSPResponse encoding. */
  der: Uint8Array;
  /** The signed part (tbsResponseData encoding). */
  tbs: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm | undefined;
  signature: Uint8Array;
  responderId: { byName: Uint8Array } | { byKey: Uint8Array };
  producedAt: Date;
  responses: SingleResponse[];
  /** Nonce extension value (the DER of the Nonce OCTET STRING), when present. */
  nonceExtension: Uint8Array | undefined;
  /** OIDs of critical response extensions other than the nonce. */
  unknownCritical: string[];
  certs: Certificate[];
}

function readGeneralizedTime(r: DerReader, what: string): Date {
  const t = r.next(Tag.GeneralizedTime, what);
  return new Date(readTimeMs(r.buf, t));
}

/** CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber }. */
function readCertId(buf: Uint8Array, tlv: Tlv): CertId {
  const r = DerReader.inside(buf, tlv);
  const alg = DerReader.inside(buf, r.next(Tag.Sequence, 'hashAlgorithm'));
  const hashAlgorithm = readOid(alg, 'hashAlgorithm');
  const issuerNameHash = contents(buf, r.next(Tag.OctetString, 'issuerNameHash'));
  const issuerKeyHash = contents(buf, r.next(Tag.OctetString, 'issuerKeyHash'));
  const serial = contents(buf, r.next(Tag.Integer, 'serialNumber'));
  r.finish('CertID');
  return { hashAlgorithm, issuerNameHash, issuerKeyHash, serial };
}

function readCertStatus(buf: Uint8Array, tlv: Tlv): CertStatus {
  if (tlv.tag === 0x80) return { state: 'good' };
  if (tlv.tag === 0x82) return { state: 'unknown' };
  if (tlv.tag !== 0xa1) throw new DerError('bad_tag', 'unknown CertStatus choice', tlv.start);
  const r = DerReader.inside(buf, tlv);
  const revokedAt = readGeneralizedTime(r, 'revocationTime');
  let reasonCode: number | undefined;
  const reason = r.optional(0xa0);
  if (reason) {
    const rr = DerReader.inside(buf, reason);
    reasonCode = readSmallInt(buf, rr.next(Tag.Enumerated, 'CRLReason'), 'CRLReason');
    rr.finish('revocationReason');
  }
  r.finish('RevokedInfo');
  return { state: 'revoked', revokedAt, reasonCode };
}

function readSingleResponse(buf: Uint8Array, tlv: Tlv): SingleResponse {
  const r = DerReader.inside(buf, tlv);
  const certId = readCertId(buf, r.next(Tag.Sequence, 'certID'));
  const status = readCertStatus(buf, r.next(undefined, 'certStatus'));
  const thisUpdate = readGeneralizedTime(r, 'thisUpdate');
  let nextUpdate: Date | undefined;
  const nu = r.optional(0xa0);
  if (nu) {
    const nr = DerReader.inside(buf, nu);
    nextUpdate = readGeneralizedTime(nr, 'nextUpdate');
    nr.finish('nextUpdate');
  }
  r.optional(0xa1);
  r.finish('SingleResponse');
  return { certId, status, thisUpdate, nextUpdate };
}

/** Extensions ::= SEQUENCE OF Extension: the nonce and any other critical OIDs. */
function readResponseExtensions(
  buf: Uint8Array,
  tlv: Tlv,
): { nonce: Uint8Array | undefined; unknownCritical: string[] } {
  const outer = DerReader.inside(buf, tlv);
  const r = DerReader.inside(buf, outer.next(Tag.Sequence, 'Extensions'));
  outer.finish('responseExtensions');
  let nonce: Uint8Array | undefined;
  const unknownCritical: string[] = [];
  while (r.hasMore) {
    const er = DerReader.inside(buf, r.next(Tag.Sequence, 'Extension'));
    const oid = readOid(er, 'extnID');
    const b = er.optional(Tag.Boolean);
    const critical = b !== undefined && buf[b.valueStart] !== 0;
    const value = contents(buf, er.next(Tag.OctetString, 'extnValue'));
    er.finish('Extension');
    if (oid === NONCE_EXTENSION_OID) nonce = value;
    else if (critical) unknownCritical.push(oid);
  }
  return { nonce, unknownCritical };
}

/**
 * Parses an OCSPResponse. @throws OcspError `responder_error` for a non-successful
 * responseStatus (with the status name), `unsupported` for a response type other than basic,
 * DerError for broken DER.
 */
export function parseOcspResponse(der: Uint8Array): BasicResponse {
  const outer = readHeader(der, 0);
  if (outer.tag !== Tag.Sequence)
    throw new DerError('bad_tag', 'OCSPResponse must be a SEQUENCE', 0);
  if (outer.end !== der.length)
    throw new DerError('trailing_data', 'data after the OCSP response', outer.end);
  const r = DerReader.inside(der, outer);
  const status = readSmallInt(der, r.next(Tag.Enumerated, 'responseStatus'), 'responseStatus');
  if (status !== 0)
    throw new OcspError(
      'responder_error',
      `the responder answered ${RESPONSE_STATUS[status] ?? `status ${status}`}`,
    );
  const rb = r.next(0xa0, 'responseBytes');
  r.finish('OCSPResponse');
  const rbr = DerReader.inside(der, rb);
  const rbs = DerReader.inside(der, rbr.next(Tag.Sequence, 'ResponseBytes'));
  rbr.finish('responseBytes');
  const type = readOid(rbs, 'responseType');
  if (type !== BASIC_RESPONSE_OID)
    throw new OcspError('unsupported', `response type ${type} is not id-pkix-ocsp-basic`);
  const octets = rbs.next(Tag.OctetString, 'response');
  rbs.finish('ResponseBytes');

  const basicTlv = readHeader(der, octets.valueStart, octets.end);
  if (basicTlv.tag !== Tag.Sequence)
    throw new DerError('bad_tag', 'BasicOCSPResponse must be a SEQUENCE', octets.valueStart);
  if (basicTlv.end !== octets.end)
    throw new DerError('trailing_data', 'data after the BasicOCSPResponse', basicTlv.end);
  const basic = DerReader.inside(der, basicTlv);
  const tbsTlv = basic.next(Tag.Sequence, 'tbsResponseData');
  const signatureAlgorithm = readSignatureAlgorithm(
    der,
    basic.next(Tag.Sequence, 'signatureAlgorithm'),
  );
  const signature = bitStringBytes(der, basic.next(Tag.BitString, 'signature')).bytes;
  const certs: Certificate[] = [];
  const certsTlv = basic.optional(0xa0);
  basic.finish('BasicOCSPResponse');
  if (certsTlv) {
    const cr = DerReader.inside(der, certsTlv);
    const list = DerReader.inside(der, cr.next(Tag.Sequence, 'certs'));
    cr.finish('certs');
    while (list.hasMore) {
      const c = list.next(Tag.Sequence, 'Certificate');
      certs.push(parseCertificate(new Uint8Array(encoding(der, c))));
    }
  }

  const t = DerReader.inside(der, tbsTlv);
  const version = t.optional(0xa0);
  if (version) {
    const vr = DerReader.inside(der, version);
    const v = readSmallInt(der, vr.next(Tag.Integer, 'version'), 'version');
    if (v !== 0) throw new OcspError('unsupported', `ResponseData version ${v + 1}`);
  }
  const rid = t.next(undefined, 'responderID');
  let responderId: BasicResponse['responderId'];
  const inner = DerReader.inside(der, rid);
  if (rid.tag === 0xa1) responderId = { byName: encoding(der, inner.next(Tag.Sequence, 'byName')) };
  else if (rid.tag === 0xa2)
    responderId = { byKey: contents(der, inner.next(Tag.OctetString, 'byKey')) };
  else throw new DerError('bad_tag', 'unknown ResponderID choice', rid.start);
  inner.finish('responderID');
  const producedAt = readGeneralizedTime(t, 'producedAt');
  const list = DerReader.inside(der, t.next(Tag.Sequence, 'responses'));
  const responses: SingleResponse[] = [];
  while (list.hasMore)
    responses.push(readSingleResponse(der, list.next(Tag.Sequence, 'SingleResponse')));
  const extTlv = t.optional(0xa1);
  t.finish('ResponseData');
  const ext = extTlv
    ? readResponseExtensions(der, extTlv)
    : { nonce: undefined, unknownCritical: [] };
  return {
    der,
    tbs: encoding(der, tbsTlv),
    signatureAlgorithm,
    signature,
    responderId,
    producedAt,
    responses,
    nonceExtension: ext.nonce,
    unknownCritical: ext.unknownCritical,
    certs,
  };
}
