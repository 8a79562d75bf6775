/**
 * The online parts of `cert`: `cert verify --ocsp | --ocsp-url URL` (OCSP before the CRLs
 * given with --crl; without --crl, no believable answer refuses), and
 * `cert status CERT --issuer CACERT [--ocsp-url URL]`, which prints the online status alone:
 *   {"status":"good"|"revoked"|"unknown","source":"ocsp","thisUpdate":…,"nextUpdate":…,
 *    "producedAt":…[,"revokedAt":…,"reason":…]}
 * or {"status":"unavailable","problem":…,"detail":…}. Exit 0 good, 1 otherwise, 2 bad input.
 */
import type { Command } from 'commander';
import type { Config } from '../../config/types.js';
import { ExitCode } from '../../exit-codes.js';
import { OcspClient } from '../../trust/ocsp/client.js';
import { verifyWithStatus, type StatusResult } from '../../trust/ocsp/policy.js';
import {
  crlReasonName,
  loadCertificates,
  type Certificate,
  type RevocationSource,
  type TrustPurpose,
} from '../../trust/index.js';
import { action, resolveConfig, UsageError } from '../context.js';
import { readFileSync } from 'node:fs';

/** --ocsp / --ocsp-url of cert verify. */
export interface OcspFlags {
  ocsp?: boolean;
  ocspUrl?: string;
}

function checkUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--ocsp-url: not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError('--ocsp-url: only http and https responders are supported');
  return url;
}

/** True when the flags ask for an online check. */
export function wantsOcsp(flags: OcspFlags): boolean {
  return flags.ocsp === true || flags.ocspUrl !== undefined;
}

function client(config: Readonly<Config>): OcspClient {
  return new OcspClient({
    clockSkewSec: config.mqtt.clockSkewSec,
    requireNonce: config.trust.ocsp.requireNonce,
  });
}

/** When no CRL was given, the CRL side knows nothing (so OCSP must answer). */
const NO_CRL: RevocationSource = { check: () => ({ state: 'missing' }) };

/** cert verify with OCSP: `prefer` over the given CRLs, `require` without any. */
export function verifyOnline(
  input: {
    leaf: Uint8Array;
    anchors: Certificate[];
    intermediates: Certificate[];
    at: Date;
    purpose: TrustPurpose;
    crl: RevocationSource | undefined;
  },
  flags: OcspFlags,
  config: Readonly<Config>,
): Promise<StatusResult> {
  return verifyWithStatus({
    leaf: input.leaf,
    intermediates: input.intermediates.map((c) => c.der),
    anchors: input.anchors,
    at: input.at,
    purpose: input.purpose,
    crl: input.crl ?? NO_CRL,
    client: client(config),
    mode: input.crl ? 'prefer' : 'require',
    url: checkUrl(flags.ocspUrl) ?? config.trust.ocsp.url,
    timeoutMs: config.trust.ocsp.timeoutMs,
  });
}

function readCert(file: string, what: string): Certificate {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return loadCertificates(bytes, file)[0]!;
  } catch (err) {
    throw new UsageError(`${what}: ${(err as Error).message}`);
  }
}

/** `cert status CERT --issuer CACERT [--ocsp-url URL]`. */
export function registerCertStatus(cert: Command): void {
  cert
    .command('status')
    .description(
      'ask the OCSP responder for the status of one certificate; prints {"status":"good"|"revoked"|"unknown"|"unavailable",...}; exit 0 good, 1 otherwise, 2 unusable input',
    )
    .argument('<cert>', 'certificate to ask about (PEM or DER)')
    .requiredOption('--issuer <file>', 'the certificate of its issuing CA')
    .option(
      '--ocsp-url <url>',
      "responder URL (default: trust.ocsp.url, then the certificate's AIA)",
    )
    .option('-c, --config <file>', 'configuration file (trust.ocsp.*, mqtt.clockSkewSec)')
    .action(
      action(async (file: string, opts: { issuer: string; ocspUrl?: string; config?: string }) => {
        const config = resolveConfig(opts.config);
        const leaf = readCert(file, 'CERT');
        const issuer = readCert(opts.issuer, '--issuer');
        const url = checkUrl(opts.ocspUrl) ?? (config.trust.ocsp.url || undefined);
        const r = await client(config).status({
          cert: leaf,
          issuer,
          ...(url ? { url } : {}),
          timeoutMs: config.trust.ocsp.timeoutMs,
          fresh: true,
        });
        if (!r.ok) {
          process.stdout.write(
            JSON.stringify({ status: 'unavailable', problem: r.problem, detail: r.detail }) + '\n',
          );
          return ExitCode.Failure;
        }
        const a = r.answer;
        const s = a.status;
        process.stdout.write(
          JSON.stringify({
            status: s.state,
            source: r.source,
            thisUpdate: a.thisUpdate.toISOString(),
            nextUpdate: a.nextUpdate?.toISOString() ?? null,
            producedAt: a.producedAt.toISOString(),
            ...(s.state === 'revoked'
              ? {
                  revokedAt: s.revokedAt.toISOString(),
                  reason: s.reasonCode === undefined ? null : crlReasonName(s.reasonCode),
                }
              : {}),
          }) + '\n',
        );
        return s.state === 'good' ? ExitCode.Ok : ExitCode.Failure;
      }),
    );
}
