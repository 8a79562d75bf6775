/**
 * Signing of the console's commands with the MQTT link's own code
 * (controller/mqtt/command-signer.ts: `buildCommand` makes the claims, `signCommand` the
 * compact JWS with the x5c chain), so the console and `jpki-locker office` send identical
 * envelopes. This file only adds the injected clock and the loading from options.
 */
import type {
  CommandBodies,
  CommandClaimsOf,
  CommandKind,
  CommandMessage,
} from '../../shared/mqtt/commands.js';
import { ConfigError } from '../../shared/errors.js';
import {
  buildCommand,
  loadCommandSigner,
  signCommand,
  type CommandSigner,
} from '../mqtt/command-signer.js';

/** Makes signed command envelopes for the console. */
export interface ConsoleSigner {
  /** Signs `body` of `kind` for `station`, valid from now for `lifetimeSec`. */
  sign<K extends CommandKind>(
    station: string,
    kind: K,
    body: CommandBodies[K],
    options?: { lifetimeSec?: number },
  ): { claims: CommandClaimsOf<K>; message: CommandMessage };
}

/** A {@link ConsoleSigner} over a loaded back-office signing identity. */
export class KeyConsoleSigner implements ConsoleSigner {
  constructor(
    private readonly signer: CommandSigner,
    private readonly now: () => Date = () => new Date(),
    /** Default lifetime of a command (stations refuse long ones: `lifetime_too_long`). */
    private readonly defaultLifetimeSec = 120,
  ) {}

  /**
   * Loads the key (PEM, unencrypted) and the certificate chain (PEM, signer first).
   * @throws ConfigError naming the unusable option.
   */
  static fromFiles(keyFile: string, certFile: string, now?: () => Date): KeyConsoleSigner {
    try {
      return new KeyConsoleSigner(loadCommandSigner(keyFile, certFile), now);
    } catch (err) {
      throw new ConfigError([
        {
          path: '--sign-key/--sign-cert',
          message: `cannot load the signer: ${(err as Error).message}`,
        },
      ]);
    }
  }

  sign<K extends CommandKind>(
    station: string,
    kind: K,
    body: CommandBodies[K],
    options: { lifetimeSec?: number } = {},
  ): { claims: CommandClaimsOf<K>; message: CommandMessage } {
    const claims = buildCommand(kind, body, {
      station,
      now: this.now(),
      lifetimeSec: options.lifetimeSec ?? this.defaultLifetimeSec,
    });
    return { claims, message: signCommand(claims, this.signer) };
  }
}
