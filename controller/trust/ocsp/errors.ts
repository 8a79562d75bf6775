/** Errors of the OCSP client: a field tells them apart, never the message text. */
import { JpkiLockerError } from '../../../shared/errors.js';

/**
 * Why no usable OCSP answer was obtained. Transport: `unreachable`, `timeout`, `http_error`,
 * `too_large`. The response itself: `malformed`, `responder_error` (a non-successful
 * responseStatus such as tryLater), `unsupported` (not a basic response, another version).
 * Believing it: `bad_signature`, `unauthorized_responder`, `wrong_certificate` (answers about
 * another certificate), `nonce_mismatch` (a replay), `no_nonce`, `stale` (past nextUpdate),
 * `not_yet_valid` (thisUpdate or producedAt in the future), `unknown_critical_extension`.
 * `no_url` when neither the certificate nor the configuration names a responder.
 */
export type OcspProblem =
  | 'no_url'
  | 'unreachable'
  | 'timeout'
  | 'http_error'
  | 'too_large'
  | 'malformed'
  | 'responder_error'
  | 'unsupported'
  | 'bad_signature'
  | 'unauthorized_responder'
  | 'wrong_certificate'
  | 'nonce_mismatch'
  | 'no_nonce'
  | 'stale'
  | 'not_yet_valid'
  | 'unknown_critical_extension';

/** An OCSP exchange that gave no answer to believe; `problem` says why. */
export class OcspError extends JpkiLockerError {
  constructor(
    readonly problem: OcspProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`ocsp_${problem}`, message, options);
  }
}
