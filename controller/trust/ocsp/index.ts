/**
 * The OCSP client (RFC 6960, RFC 5019 profile) of the trust engine:
 * - OcspClient.status({cert, issuer, url?, timeoutMs}) -> a believed answer (good / revoked /
 *   unknown) with its source `ocsp` or `ocsp-cache`, or the problem (timeout, bad_signature,
 *   nonce_mismatch, stale, ...);
 * - OcspClient.acceptRelayed(der, issuers): responses pushed by the back office;
 * - ocspUrlsOf(cert): responder URLs from authorityInfoAccess.
 */
export { OcspCache, type OcspAnswer, type OcspAnswerStore } from './cache.js';
export {
  OcspClient,
  httpTransport,
  ocspUrlsOf,
  type OcspClientOptions,
  type OcspOutcome,
  type OcspQuery,
  type OcspTransport,
} from './client.js';
export { OcspError, type OcspProblem } from './errors.js';
export {
  buildOcspRequest,
  certIdFor,
  certIdKey,
  type CertId,
  type OcspRequest,
} from './request.js';
export {
  parseOcspResponse,
  type BasicResponse,
  type CertStatus,
  type SingleResponse,
} from './response.js';
export { OCSP_SIGNING_EKU, validateOcspResponse, type ValidateOptions } from './validate.js';
