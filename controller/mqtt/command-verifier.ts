import { createHash } from 'node:crypto';
import type {
  CommandClaims,
  CommandKind,
  CommandRejectReason,
} from '../../shared/mqtt/commands.js';
import { COMMAND_KINDS } from '../../shared/mqtt/commands.js';
import { validateCommandClaims, validatePayload } from '../../shared/mqtt/validate.js';
import { parseCertificate } from '../trust/certificate.js';
import { parseCompactJws, publicKeyFromSpki, verifyJwsSignature } from '../../shared/mqtt/jws.js';
import type { CommandSignerTrust } from './signer-trust.js';

/** Limits applied to every command. */
export interface CommandPolicy {
  stationId: string;
  /** Tolerated clock difference for notBefore / expiresAt. */
  clockSkewSec: number;
  /** Longest accepted expiresAt - notBefore (bounds the replay cache). */
  maxLifetimeSec: number;
}

/** A command that passed every envelope check (the replay cache is checked by the caller). */
export interface CheckedCommand {
  ok: true;
  claims: CommandClaims;
  /** SHA-256 (hex) of the signed payload bytes: same id + same hash = the same command. */
  contentHash: string;
  signerSpkiSha256: string;
}

/** A refused command, with what could be read of it (for the answer). */
export interface RefusedCommand {
  ok: false;
  reason: CommandRejectReason;
  commandId: string | null;
  kind: CommandKind | null;
  /** True when the signature and signer were verified (the refusal is worth auditing). */
  authenticated: boolean;
  /** Extra facts for the log, e.g. the trust reason. No personal data. */
  detail?: string;
  /** Facts the answer carries (what the operator can do about it). */
  answerDetail?: Record<string, string>;
}

/**
 * Trust reasons about the command CA's CRL, as refusal reasons: a signer on the CRL, or no
 * CRL to check it with (every command is refused until a current one is installed).
 */
const CRL_REFUSALS: Readonly<Record<string, CommandRejectReason>> = {
  revoked: 'signer_revoked',
  crl_missing: 'command_crl_missing',
  bad_crl: 'command_crl_missing',
  crl_stale: 'command_crl_stale',
  // A command CRL dated in the future is not used (trust/types.ts crlProblem); the command
  // side counts it as stale, as its alarm does (command-crl-intake.ts).
  crl_not_yet_valid: 'command_crl_stale',
};

/** What an operator does about a missing or stale command CRL. */
export const COMMAND_CRL_FIX =
  'publish a current CRL of the command CA (jpki-locker office command-crl --ca-dir DIR --publish); the station installs it on arrival, no command needed';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Best-effort id and kind from unverified claims, only to label an answer. */
function peek(claims: unknown): { commandId: string | null; kind: CommandKind | null } {
  if (typeof claims !== 'object' || claims === null) return { commandId: null, kind: null };
  const { id, kind } = claims as { id?: unknown; kind?: unknown };
  return {
    commandId: typeof id === 'string' && UUID.test(id) ? id : null,
    kind:
      typeof kind === 'string' && (COMMAND_KINDS as readonly string[]).includes(kind)
        ? (kind as CommandKind)
        : null,
  };
}

/**
 * The envelope checks of a command message, in order: JSON shape, JWS shape, signature over
 * the x5c leaf key, the signer's chain (trust engine, purpose `command`), then the claims'
 * schema, station id and validity window. Never throws for bad input.
 */
export class CommandVerifier {
  constructor(
    private readonly policy: CommandPolicy,
    private readonly trust: CommandSignerTrust,
  ) {}

  verify(payload: Buffer, retained: boolean, now: Date): CheckedCommand | RefusedCommand {
    const refuse = (
      reason: CommandRejectReason,
      label: { commandId: string | null; kind: CommandKind | null } = {
        commandId: null,
        kind: null,
      },
      authenticated = false,
      detail?: string,
    ): RefusedCommand => ({
      ok: false,
      reason,
      ...label,
      authenticated,
      ...(detail ? { detail } : {}),
    });

    let message: unknown;
    try {
      message = JSON.parse(payload.toString('utf8'));
    } catch {
      return refuse(retained ? 'retained' : 'malformed');
    }
    const shape = validatePayload('cmd', message);
    if (!shape.ok) return refuse(retained ? 'retained' : 'malformed');
    const jws = parseCompactJws(shape.value.jws);
    let unverified: unknown;
    if (!('problem' in jws)) {
      try {
        unverified = JSON.parse(jws.payload.toString('utf8'));
      } catch {
        unverified = undefined;
      }
    }
    const label = peek(unverified);
    // A retained command is never executed, however well signed (it would re-run on reconnect).
    if (retained) return refuse('retained', label);
    if ('problem' in jws) return refuse(jws.problem);
    if (unverified === undefined) return refuse('malformed');

    let leafSpki: Uint8Array;
    try {
      leafSpki = parseCertificate(jws.chain[0]!).spki;
    } catch {
      return refuse('malformed', label);
    }
    const key = publicKeyFromSpki(leafSpki);
    if (!key) return refuse('unsupported_algorithm', label);
    if (!verifyJwsSignature(jws, key)) return refuse('bad_signature', label);
    const verdict = this.trust.check(jws.chain, now);
    const crlRefusal = CRL_REFUSALS[verdict.reason];
    if (!verdict.valid && crlRefusal === 'signer_revoked')
      // A revoked office key in use is worth an audit row (one per content: refusal-filter).
      return refuse(crlRefusal, label, true, verdict.reason);
    if (!verdict.valid && crlRefusal)
      return {
        ...refuse(crlRefusal, label, false, verdict.reason),
        answerDetail: { fix: COMMAND_CRL_FIX },
      };
    if (!verdict.valid) return refuse('untrusted_signer', label, false, verdict.reason);

    const claims = validateCommandClaims(unverified);
    if (!claims.ok) return refuse('malformed', label, true, claims.errors.slice(0, 3).join('; '));
    const c = claims.value;
    const id = { commandId: c.id, kind: c.kind };
    if (c.station !== this.policy.stationId) return refuse('wrong_station', id, true);
    const skewMs = this.policy.clockSkewSec * 1000;
    const notBefore = Date.parse(c.notBefore);
    const expiresAt = Date.parse(c.expiresAt);
    if (!Number.isFinite(notBefore) || !Number.isFinite(expiresAt) || expiresAt < notBefore)
      return refuse('malformed', id, true, 'validity window');
    if (now.getTime() + skewMs < notBefore) return refuse('not_yet_valid', id, true);
    if (now.getTime() - skewMs > expiresAt) return refuse('expired', id, true);
    if (expiresAt - notBefore > this.policy.maxLifetimeSec * 1000)
      return refuse('lifetime_too_long', id, true);
    return {
      ok: true,
      claims: c,
      contentHash: createHash('sha256').update(jws.payload).digest('hex'),
      signerSpkiSha256: createHash('sha256').update(leafSpki).digest('hex'),
    };
  }
}
