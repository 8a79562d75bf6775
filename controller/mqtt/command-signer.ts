import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type {
  CommandBodies,
  CommandClaimsOf,
  CommandKind,
  CommandMessage,
} from '../../shared/mqtt/commands.js';
import { decodeCertificates } from '../trust/certificate.js';
import { signCompactJws } from './jws.js';

/** A back-office signing identity: the key and its certificate chain (signer first, DER). */
export interface CommandSigner {
  privateKey: KeyObject;
  chain: Uint8Array[];
}

/** Reads a signer from a PEM key file and a PEM/DER certificate file (chain: signer first). */
export function loadCommandSigner(keyFile: string, certFile: string): CommandSigner {
  const privateKey = createPrivateKey(readFileSync(keyFile));
  const chain = decodeCertificates(new Uint8Array(readFileSync(certFile)), certFile);
  return { privateKey, chain };
}

/** Options of {@link buildCommand}. */
export interface BuildCommandOptions {
  station: string;
  /** Command id (default: a fresh UUID). */
  id?: string;
  now?: Date;
  /** Seconds from now until expiresAt (default 300). */
  lifetimeSec?: number;
  notBefore?: Date;
  expiresAt?: Date;
}

/** Builds the claims of a command. */
export function buildCommand<K extends CommandKind>(
  kind: K,
  body: CommandBodies[K],
  o: BuildCommandOptions,
): CommandClaimsOf<K> {
  const now = o.now ?? new Date();
  const notBefore = o.notBefore ?? now;
  const expiresAt = o.expiresAt ?? new Date(now.getTime() + (o.lifetimeSec ?? 300) * 1000);
  return {
    v: 1,
    id: o.id ?? randomUUID(),
    station: o.station,
    kind,
    issuedAt: now.toISOString(),
    notBefore: notBefore.toISOString(),
    expiresAt: expiresAt.toISOString(),
    body,
  };
}

/** Signs claims into the `cmd` topic payload. */
export function signCommand(claims: object, signer: CommandSigner): CommandMessage {
  return { jws: signCompactJws(JSON.stringify(claims), signer.privateKey, signer.chain) };
}
