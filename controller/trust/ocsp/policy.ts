/**
 * The revocation policy with an online check (trust.ocsp.mode):
 * - `off`: the CRL alone (source `crl`).
 * - `prefer`: an OCSP answer obtained within timeoutMs decides for the leaf (source `ocsp`, or
 *   `ocsp-cache` for a cached answer); no believable answer (timeout, unreachable, bad
 *   signature, replay, stale, ...) falls back to the CRL with its freshness rule (`crl`).
 * - `require`: no believable answer means refusal (`ocsp_unavailable`).
 * Revoked in either source wins: a CRL listing the leaf refuses it whatever OCSP says. An
 * `unknown` answer refuses (`ocsp_unknown`): the issuer's own responder does not know the
 * certificate. Certificates above the leaf keep the CRL.
 */
import { verifySignature } from '../algorithms.js';
import { parseCertificate, type Certificate } from '../certificate.js';
import { bytesEqual } from '../der.js';
import { validatePath } from '../path.js';
import type {
  RevocationQuery,
  RevocationSource,
  RevocationStatus,
  TrustPurpose,
  TrustResult,
} from '../types.js';
import type { OcspClient, OcspOutcome } from './client.js';
import type { OcspProblem } from './errors.js';

/** trust.ocsp.mode. */
export type OcspMode = 'off' | 'prefer' | 'require';

/** Which source decided the revocation status (recorded with every attempt). */
export type StatusSource = 'ocsp' | 'ocsp-cache' | 'crl';

/** A path result with the deciding source and what OCSP said. */
export interface StatusResult extends TrustResult {
  source: StatusSource;
  /** The OCSP outcome when one was asked for: a state, or the problem. */
  ocsp?: { state: 'good' | 'revoked' | 'unknown' } | { problem: OcspProblem; detail: string };
}

/** One check with the online policy. */
export interface StatusCheckInput {
  leaf: Uint8Array;
  intermediates: readonly Uint8Array[];
  anchors: readonly Certificate[];
  at: Date;
  purpose: TrustPurpose;
  /** The CRL source (undefined: the purpose is not revocation-checked, OCSP is not asked). */
  crl: RevocationSource | undefined;
  client: OcspClient;
  mode: OcspMode;
  /** Responder URL (trust.ocsp.url or --ocsp-url); empty: the certificate's AIA. */
  url?: string;
  timeoutMs: number;
}

/** The issuer of `leaf` among the candidates: name chaining and a verifying signature. */
export function findIssuer(
  leaf: Certificate,
  candidates: readonly Certificate[],
): Certificate | undefined {
  return candidates.find((c) => {
    if (c.subjectKey !== leaf.issuerKey) return false;
    if (leaf.authorityKeyId && c.subjectKeyId && !bytesEqual(leaf.authorityKeyId, c.subjectKeyId))
      return false;
    const key = c.publicKey();
    if (typeof key === 'string' || !leaf.signatureAlgorithm) return false;
    return verifySignature(leaf.signatureAlgorithm, key, leaf.tbs, leaf.signature);
  });
}

function summary(o: OcspOutcome): StatusResult['ocsp'] {
  return o.ok ? { state: o.answer.status.state } : { problem: o.problem, detail: o.detail };
}

/** Validates the leaf with the CRL and, by `mode`, OCSP; see the module comment. */
export async function verifyWithStatus(input: StatusCheckInput): Promise<StatusResult> {
  const base = {
    leaf: input.leaf,
    intermediates: input.intermediates,
    anchors: input.anchors,
    at: input.at,
    purpose: input.purpose,
  };
  if (input.mode === 'off' || !input.crl)
    return { ...validatePath({ ...base, revocation: input.crl }), source: 'crl' };
  let leaf: Certificate;
  try {
    leaf = parseCertificate(input.leaf);
  } catch {
    return { valid: false, reason: 'malformed', chain: [], source: 'crl' };
  }
  // Everything but revocation first: no online question for an expired or foreign certificate.
  const offline = validatePath(base);
  const intermediates = input.intermediates.flatMap((d) => {
    try {
      return [parseCertificate(d)];
    } catch {
      return [];
    }
  });
  const issuer = findIssuer(leaf, [...input.anchors, ...intermediates]);
  if (!offline.valid || !issuer)
    return { ...validatePath({ ...base, revocation: input.crl }), source: 'crl' };

  const outcome = await input.client.status({
    cert: leaf,
    issuer,
    ...(input.url ? { url: input.url } : {}),
    timeoutMs: input.timeoutMs,
  });
  const crl = input.crl;
  let source: StatusSource = 'crl';
  const composite: RevocationSource = {
    check(q: RevocationQuery): RevocationStatus {
      const fromCrl = crl.check(q);
      if (!bytesEqual(q.cert.der, leaf.der)) return fromCrl;
      // Revoked in either source wins.
      if (fromCrl.state === 'revoked') return fromCrl;
      if (!outcome.ok) return fromCrl;
      source = outcome.source;
      const s = outcome.answer.status;
      if (s.state === 'revoked') return { state: 'revoked', reasonCode: s.reasonCode ?? 0 };
      return { state: 'good' };
    },
  };
  const r = validatePath({ ...base, revocation: composite });
  const ocsp = summary(outcome);
  if (r.valid && outcome.ok && outcome.answer.status.state === 'unknown')
    return { valid: false, reason: 'ocsp_unknown', chain: r.chain, source, ocsp };
  if (!outcome.ok && input.mode === 'require' && r.reason !== 'revoked')
    return { valid: false, reason: 'ocsp_unavailable', chain: r.chain, source: 'ocsp', ocsp };
  return { ...r, source, ocsp };
}
