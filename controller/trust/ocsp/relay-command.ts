/**
 * The `ocsp.responses` command: signed OCSP responses relayed by the back office for stations
 * that cannot reach a responder. Each response is checked exactly like a fetched one (issuing CA
 * or its delegated id-kp-OCSPSigning responder, thisUpdate/nextUpdate with the clock skew), but
 * without a nonce of ours; believed answers go into the OCSP cache until their nextUpdate.
 * Accepted when at least one answer was kept (detail: answers, refused, problem of the first
 * refused); `bad_ocsp_response` when none could be believed.
 */
import type { CommandResult, OcspResponsesBody } from '../../../shared/mqtt/commands.js';
import { OcspError } from './errors.js';

/** What the command needs from the trust component. */
export interface RelayedOcspSink {
  acceptRelayedOcsp(der: Uint8Array): number;
}

/** Executes an `ocsp.responses` command. */
export function acceptRelayedOcsp(sink: RelayedOcspSink, body: OcspResponsesBody): CommandResult {
  let answers = 0;
  let refused = 0;
  let problem: string | undefined;
  for (const b64 of body.responses) {
    try {
      answers += sink.acceptRelayedOcsp(new Uint8Array(Buffer.from(b64, 'base64')));
    } catch (err) {
      if (!(err instanceof OcspError)) throw err;
      refused++;
      problem ??= err.problem;
    }
  }
  if (answers === 0)
    return {
      accepted: false,
      reason: 'bad_ocsp_response',
      detail: { refused, problem: problem ?? 'no answer newer than the cached ones' },
    };
  return { accepted: true, detail: { answers, refused, problem: problem ?? null } };
}
