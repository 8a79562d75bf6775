import { readFileSync } from 'node:fs';
import { commandSignerFromPem, type CommandSigner } from '../../shared/mqtt/command-envelope.js';

/** Reads a command signer: a PEM private key and a PEM certificate chain, signer first. */
export function loadCommandSignerFiles(keyFile: string, certFile: string): CommandSigner {
  return commandSignerFromPem(readFileSync(keyFile, 'utf8'), readFileSync(certFile, 'utf8'));
}
