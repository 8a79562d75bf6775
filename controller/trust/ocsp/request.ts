/**
 * OCSP requests (RFC 6960 §4.1) in the lightweight profile of RFC 5019 §2.1: one certificate
 * per request, no requestor signature, SHA-1 CertID, plus a nonce (RFC 8954) so a replayed
 * answer is recognised.
 *
 *   OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest,
 *        optionalSignature [0] EXPLICIT Signature OPTIONAL }
 *   TBSRequest ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
 *        requestorName [1] EXPLICIT GeneralName OPTIONAL,
 *        requestList SEQUENCE OF Request,
 *        requestExtensions [2] EXPLICIT Extensions OPTIONAL }
 *   Request ::= SEQUENCE { reqCert CertID,
 *        singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 *   CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier,
 *        issuerNameHash OCTET STRING, -- Hash of issuer's DN
 *        issuerKeyHash OCTET STRING, -- Hash of issuer's public key
 *        serialNumber CertificateSerialNumber }
 */
import { createHash } from 'node:crypto';
import type { Certificate } from '../certificate.js';
import { bitStringBytes, contents, DerReader, encoding, readHeader, Tag, toHex } from '../der.js';

/** id-pkix-ocsp-nonce (RFC 6960 §4.4.1), as an encoded OBJECT IDENTIFIER. */
const NONCE_OID = new Uint8Array(Buffer.from('06092b0601050507300102', 'hex'));
/** AlgorithmIdentifier { id-sha1, NULL } (RFC 5019 §2.1.1: CertID hashes MUST use SHA-1). */
const SHA1_ALGORITHM = new Uint8Array(Buffer.from('300906052b0e03021a0500', 'hex'));
/** id-sha1 in dotted form. */
export const SHA1_OID = '1.3.14.3.2.26';

/** X.690 §8.1.3 definite length octets. */
function lengthOctets(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One DER element from a tag and its contents. */
export function derElement(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return new Uint8Array(Buffer.concat([Uint8Array.of(tag), lengthOctets(body.length), body]));
}

/** Which certificate a request or a SingleResponse is about. */
export interface CertId {
  /** Dotted OID of the hash algorithm. */
  hashAlgorithm: string;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** INTEGER contents of the serial number as encoded. */
  serial: Uint8Array;
}

/** The `serialNumber` INTEGER element of a certificate, exactly as it is encoded in its tbs. */
function serialElement(cert: Certificate): Uint8Array {
  const r = DerReader.inside(cert.tbs, readHeader(cert.tbs, 0));
  r.optional(0xa0);
  return encoding(cert.tbs, r.next(Tag.Integer, 'serialNumber'));
}

/** The subjectPublicKey BIT STRING value of a SubjectPublicKeyInfo (what issuerKeyHash hashes). */
export function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  const r = DerReader.inside(spki, readHeader(spki, 0));
  r.next(Tag.Sequence, 'algorithm');
  return bitStringBytes(spki, r.next(Tag.BitString, 'subjectPublicKey')).bytes;
}

function sha1(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(data).digest());
}

/** The SHA-1 CertID of `cert` issued by `issuer`. */
export function certIdFor(cert: Certificate, issuer: Certificate): CertId {
  const serial = serialElement(cert);
  return issuerCertId(issuer, contents(serial, readHeader(serial, 0)));
}

/** The SHA-1 CertID of the certificate with INTEGER contents `serial` issued by `issuer`. */
export function issuerCertId(issuer: Certificate, serial: Uint8Array): CertId {
  return {
    hashAlgorithm: SHA1_OID,
    issuerNameHash: sha1(issuer.subjectDer),
    issuerKeyHash: sha1(subjectPublicKeyBits(issuer.spki)),
    serial,
  };
}

/** Cache key of a CertID: the issuer key hash and the serial (the name hash adds nothing). */
export function certIdKey(id: CertId): string {
  return `${id.hashAlgorithm}:${toHex(id.issuerKeyHash)}:${toHex(id.serial)}`;
}

/** An encoded request and the nonce it carries. */
export interface OcspRequest {
  der: Uint8Array;
  certId: CertId;
  /** The nonce octets (the value inside Nonce ::= OCTET STRING). */
  nonce: Uint8Array;
}

/** Encodes a CertID (SHA-1). */
export function encodeCertId(id: CertId): Uint8Array {
  return derElement(
    Tag.Sequence,
    SHA1_ALGORITHM,
    derElement(Tag.OctetString, id.issuerNameHash),
    derElement(Tag.OctetString, id.issuerKeyHash),
    derElement(Tag.Integer, id.serial),
  );
}

/**
 * Builds the request for one certificate. RFC 8954 §2.1: the nonce is 1 to 32 octets; the
 * extension value is the DER of `Nonce ::= OCTET STRING`.
 */
export function buildOcspRequest(
  cert: Certificate,
  issuer: Certificate,
  nonce: Uint8Array,
): OcspRequest {
  if (nonce.length < 1 || nonce.length > 32) throw new RangeError('OCSP nonce must be 1-32 octets');
  const certId = certIdFor(cert, issuer);
  const nonceExt = derElement(
    Tag.Sequence,
    NONCE_OID,
    derElement(Tag.OctetString, derElement(Tag.OctetString, nonce)),
  );
  const tbs = derElement(
    Tag.Sequence,
    derElement(Tag.Sequence, derElement(Tag.Sequence, encodeCertId(certId))),
    derElement(0xa2, derElement(Tag.Sequence, nonceExt)),
  );
  return { der: derElement(Tag.Sequence, tbs), certId, nonce };
}
