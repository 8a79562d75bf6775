/**
 * Signing of the console's commands with the wire contract's envelope
 * (shared/mqtt/command-envelope.ts: `buildCommand` makes the claims, `signCommand` the compact
 * JWS with the x5c chain), so the console and `jpki-locker office` send identical envelopes.
 * This file adds the injected clock, the operator names in the claims, and loading from files.
 */
import type {
  CommandBodies,
  CommandClaimsOf,
  CommandKind,
  CommandMessage,
} from '../../shared/mqtt/commands.js';
import {
  buildCommand,
  signCommand,
  type CommandSigner,
} from '../../shared/mqtt/command-envelope.js';
import { ConfigError } from '../../shared/errors.js';
import { loadCommandSignerFiles } from '../signer/load.js';

/** Who asked for a command and, under the two-person rule, who approved it. */
export interface CommandPeople {
  operator: string;
  approvedBy?: string;
}

/** Makes signed command envelopes for the console. */
export interface ConsoleSigner {
  /** Signs `body` of `kind` for `station`, valid from now for `lifetimeSec`. */
  sign<K extends CommandKind>(
    station: string,
    kind: K,
    body: CommandBodies[K],
    options?: { lifetimeSec?: number; people?: CommandPeople },
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
      return new KeyConsoleSigner(loadCommandSignerFiles(keyFile, certFile), now);
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
    options: { lifetimeSec?: number; people?: CommandPeople } = {},
  ): { claims: CommandClaimsOf<K>; message: CommandMessage } {
    const claims: CommandClaimsOf<K> = {
      ...buildCommand(kind, body, {
        station,
        now: this.now(),
        lifetimeSec: options.lifetimeSec ?? this.defaultLifetimeSec,
      }),
      ...(options.people ? { operator: options.people.operator } : {}),
      ...(options.people?.approvedBy ? { approvedBy: options.people.approvedBy } : {}),
    };
    return { claims, message: signCommand(claims, this.signer) };
  }
}
