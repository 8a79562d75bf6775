/**
 * The command-signing CA's CRL on the link (docs/mqtt.md, "Revoking a command signer"): the
 * office publishes it retained on `<prefix>/fleet/command-crl`; every station reads it (the
 * broker ACL lets every station read that one topic), verifies it against its own
 * `trust.commandAnchors` and checks every command signer against it. A CRL is signed by the
 * CA, so a copy from anywhere (broker, file, another office) is as good as the original.
 */
import { DEFAULT_TOPIC_PREFIX } from './topics.js';

/** The retained topic the office publishes the command CRL on (one topic for the fleet). */
export function commandCrlTopic(prefix: string = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/fleet/command-crl`;
}

/** Most bytes of a command CRL (DER): a few thousand revoked office certificates. */
export const MAX_COMMAND_CRL_BYTES = 196_608;

/** Payload on the command-CRL topic. */
export interface CommandCrlMessage {
  v: 1;
  /** When the office published it (ISO 8601); informative, the CRL's own dates decide. */
  at?: string;
  /** The CRL, DER, base64. */
  crl: string;
}

/** Freshness of a station's command CRL (in `state/crl` as `command`, and in `doctor`). */
export interface CommandCrlState {
  /** `missing`: no usable command CRL is installed (every command is refused). */
  verdict: 'fresh' | 'grace' | 'stale' | 'future' | 'missing';
  thisUpdate: string | null;
  nextUpdate: string | null;
  crlNumber: string | null;
  /** Revoked signer certificates listed. */
  entries: number;
}

/** Builds the message for a CRL. */
export function commandCrlMessage(der: Uint8Array, at: Date): CommandCrlMessage {
  return { v: 1, at: at.toISOString(), crl: Buffer.from(der).toString('base64') };
}
