import { readFileSync } from 'node:fs';
import { ConfigError } from '../../shared/errors.js';
import {
  decodeCertificates,
  validatePath,
  type Certificate,
  type RevocationSource,
} from '../trust/index.js';

/** The trust engine's verdict on a command signer's chain. */
export interface SignerVerdict {
  valid: boolean;
  /** Trust reason code (`ok`, `unknown_issuer`, `expired`, `wrong_usage`, ...). */
  reason: string;
}

/** Decides whether a certificate chain may sign commands (purpose `command`). */
export interface CommandSignerTrust {
  /** `chain`: DER, the signer first, then intermediates (from the JWS x5c header). */
  check(chain: readonly Uint8Array[], at: Date): SignerVerdict;
}

/**
 * Command-signer trust through the trust engine (controller/trust, RFC 5280 path
 * validation) against the configured command-signing anchors (`trust.commandAnchors`), with
 * the command CA's CRL when given (command-crl.ts: no usable CRL answers `crl_missing` or
 * `crl_stale`, a listed signer `revoked`).
 */
export class AnchorCommandSignerTrust implements CommandSignerTrust {
  constructor(
    private readonly anchors: readonly (Uint8Array | Certificate)[],
    private readonly revocation?: RevocationSource,
  ) {}

  /** Loads the anchors from PEM or DER files. @throws ConfigError listing unreadable files. */
  static fromFiles(
    files: readonly string[],
    revocation?: RevocationSource,
  ): AnchorCommandSignerTrust {
    const problems: { path: string; message: string }[] = [];
    const anchors: Uint8Array[] = [];
    files.forEach((f, i) => {
      try {
        anchors.push(...decodeCertificates(new Uint8Array(readFileSync(f)), f));
      } catch (err) {
        problems.push({ path: `trust.commandAnchors[${i}]`, message: (err as Error).message });
      }
    });
    if (problems.length > 0) throw new ConfigError(problems);
    return new AnchorCommandSignerTrust(anchors, revocation);
  }

  check(chain: readonly Uint8Array[], at: Date): SignerVerdict {
    if (this.anchors.length === 0 || chain.length === 0)
      return { valid: false, reason: 'unknown_issuer' };
    const r = validatePath({
      leaf: chain[0]!,
      intermediates: chain.slice(1),
      anchors: this.anchors,
      at,
      purpose: 'command',
      ...(this.revocation ? { revocation: this.revocation } : {}),
    });
    return { valid: r.valid, reason: r.reason };
  }
}
