import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CommandSigner } from '../../shared/mqtt/command-envelope.js';
import { decodeCertificates } from '../trust/certificate.js';

export type { CommandSigner } from '../../shared/mqtt/command-envelope.js';

/**
 * Reads a signer from a PEM key file and a PEM/DER certificate file (chain: signer first),
 * for the demo's simulated back office. Building and signing are shared/mqtt/command-envelope.
 */
export function loadCommandSigner(keyFile: string, certFile: string): CommandSigner {
  const privateKey = createPrivateKey(readFileSync(keyFile));
  const chain = decodeCertificates(new Uint8Array(readFileSync(certFile)), certFile);
  return { privateKey, chain };
}
