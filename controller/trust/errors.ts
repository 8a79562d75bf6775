import { JpkiLockerError } from '../../shared/errors.js';

/** Why a DER structure (certificate, CRL, extension) cannot be used. */
export type DerErrorKind =
  'truncated' | 'bad_length' | 'bad_tag' | 'bad_value' | 'trailing_data' | 'too_large';

/**
 * Broken DER input: truncated, an oversized or indefinite length, an unexpected tag. Thrown by
 * the parsers; the public validation API turns it into a reason code (`malformed`, `bad_crl`).
 */
export class DerError extends JpkiLockerError {
  constructor(
    readonly kind: DerErrorKind,
    message: string,
    /** Byte offset in the input where the problem was found, when known. */
    readonly offset?: number,
  ) {
    super(`der_${kind}`, offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}

/** Why a CRL was refused (its structure, signature, issuer or scope). */
export type CrlErrorKind =
  | 'malformed'
  | 'unsupported_algorithm'
  | 'unknown_issuer'
  | 'bad_signature'
  | 'signer_not_allowed'
  | 'unknown_critical_extension'
  | 'bad_dates'
  | 'not_newer'
  | 'no_base'
  | 'unsupported_scope'
  | 'fetch_failed'
  /** Larger than trust.crlMaxBytes or with more entries than trust.crlMaxEntries. */
  | 'too_large'
  /** Slower than trust.crlMinRateBytes per trust.crlMinRateWindowSec. */
  | 'too_slow'
  /** Not complete within trust.crlDownloadTimeoutSec. */
  | 'timeout'
  /** A file source that is not a regular file (a device, FIFO or directory). */
  | 'not_a_file';

/** A CRL that cannot be imported or used; `kind` says why. The last good CRL stays in use. */
export class CrlError extends JpkiLockerError {
  constructor(
    readonly kind: CrlErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`crl_${kind}`, message, options);
  }
}

/** A certificate file that holds no usable certificate (not PEM, not DER, broken). */
export class CertificateError extends JpkiLockerError {
  constructor(
    readonly kind: 'malformed' | 'unsupported_algorithm' | 'empty',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`certificate_${kind}`, message, options);
  }
}
