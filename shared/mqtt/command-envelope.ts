/**
 * The signed command envelope as both ends build it: the claims of a command (`buildCommand`)
 * and the `cmd` topic payload, a compact JWS over them with the signer's chain in `x5c`
 * (`signCommand`). Loading a signer from files is the caller's business (I/O stays out of
 * shared/); `commandSignerFromPem` turns PEM text into a {@link CommandSigner}.
 */
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import type { CommandBodies, CommandClaimsOf, CommandKind, CommandMessage } from './commands.js';
import { signCompactJws } from './jws.js';

/** A back-office signing identity: the key and its certificate chain (signer first, DER). */
export interface CommandSigner {
  privateKey: KeyObject;
  chain: Uint8Array[];
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

const PEM_CERT = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/**
 * A signer from a PEM private key (PKCS#8 or SEC1/PKCS#1, unencrypted) and a PEM certificate
 * chain, signer first. @throws Error naming what is missing.
 */
export function commandSignerFromPem(keyPem: string, chainPem: string): CommandSigner {
  const chain = [...chainPem.matchAll(PEM_CERT)].map(
    (m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')),
  );
  if (chain.length === 0) throw new Error('no CERTIFICATE block in the certificate file');
  return { privateKey: createPrivateKey(keyPem), chain };
}
