import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ExitCode } from '../../exit-codes.js';
import {
  CertificateError,
  CrlSet,
  decodeCertificates,
  loadCertificates,
  looksLikePem,
  pemBlocks,
  TRUST_PURPOSES,
  validatePath,
  type Certificate,
  type TrustPurpose,
  type TrustResult,
} from '../../trust/index.js';
import type { Config } from '../../config/types.js';
import { action, resolveConfig, UsageError } from '../context.js';
import { registerCertStatus, verifyOnline, wantsOcsp, type OcspFlags } from './cert-ocsp.js';

function readInput(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function certsFrom(bytes: Uint8Array, source: string): Certificate[] {
  try {
    return loadCertificates(bytes, source);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** CRL bytes from a file's contents: PEM X509 CRL blocks or one DER CRL. */
function crlsFrom(bytes: Uint8Array): Uint8Array[] {
  if (!looksLikePem(bytes)) return [bytes];
  const blocks = pemBlocks(Buffer.from(bytes).toString('latin1'), ['X509 CRL', 'CRL']);
  return blocks.length ? blocks : [bytes];
}

/** A PEM string (or bare base64 DER) from a batch line. */
function pemToDer(text: string, labels: string[]): Uint8Array[] {
  if (text.includes('-----BEGIN')) return pemBlocks(text, labels);
  return [new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'))];
}

function parseAt(at: string | undefined): Date {
  if (at === undefined) return new Date();
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--at: not an ISO 8601 time: ${at}`);
  return d;
}

function parsePurpose(p: string | undefined): TrustPurpose {
  const purpose = (p ?? 'any') as TrustPurpose;
  if (!TRUST_PURPOSES.includes(purpose))
    throw new UsageError(`--purpose must be one of ${TRUST_PURPOSES.join(', ')}`);
  return purpose;
}

interface CheckInput {
  leaf: Uint8Array;
  anchors: Certificate[];
  intermediates: Certificate[];
  crls: Uint8Array[];
  at: Date;
  purpose: TrustPurpose;
  tolerance: Tolerance;
  /** Batch lines: the most intermediates allowed between anchor and leaf. */
  maxDepth?: number;
  /** Batch lines: extended-key-usage OIDs the leaf must allow. */
  ekus?: string[];
}

/** trust.crlToleranceHours and trust.crlToleranceHoursByAnchor from the configuration. */
interface Tolerance {
  toleranceHours: number;
  toleranceHoursByIssuer: Readonly<Record<string, number>>;
}

async function check(
  input: CheckInput,
  online?: { flags: OcspFlags; config: Readonly<Config> },
): Promise<TrustResult & { source?: string }> {
  const revocation = input.crls.length
    ? await CrlSet.from(input.crls, [...input.anchors, ...input.intermediates], {
        ...input.tolerance,
        now: () => input.at,
      })
    : undefined;
  if (online) return verifyOnline({ ...input, crl: revocation }, online.flags, online.config);
  const r = validatePath({
    leaf: input.leaf,
    intermediates: input.intermediates,
    anchors: input.anchors,
    at: input.at,
    purpose: input.purpose,
    revocation,
    ...(input.maxDepth !== undefined ? { maxDepth: input.maxDepth } : {}),
    ...(input.ekus ? { ekus: input.ekus } : {}),
  });
  return revocation ? { ...r, source: 'crl' } : r;
}

const OID_RE = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/** The optional "maxDepth" of a batch line: a whole number >= 0. */
function batchMaxDepth(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new UsageError('maxDepth must be a whole number of intermediates (0 or more)');
  return v;
}

/** The optional "ekus" of a batch line: an array of dotted OIDs. */
function batchEkus(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !OID_RE.test(x)))
    throw new UsageError('ekus must be an array of dotted OIDs (e.g. "1.3.6.1.5.5.7.3.2")');
  return v as string[];
}

function line(r: TrustResult & { source?: string }, id?: unknown): string {
  const out =
    id === undefined
      ? {
          valid: r.valid,
          reason: r.reason,
          chain: r.chain,
          ...(r.source ? { source: r.source } : {}),
        }
      : { id, valid: r.valid, reason: r.reason, chain: r.chain };
  return JSON.stringify(out) + '\n';
}

interface VerifyOptions extends OcspFlags {
  trust?: string[];
  intermediate?: string[];
  crl?: string[];
  at?: string;
  purpose?: string;
  batch?: boolean;
  config?: string;
}

/**
 * One batch line: {"id","trust":[pem],"intermediates":[pem],"crls":[pem],"at","purpose",
 * "maxDepth","ekus","cert":pem}; maxDepth (intermediates allowed) and ekus (OIDs the leaf must
 * allow) are optional.
 */
async function batchLine(
  text: string,
  tolerance: Tolerance,
): Promise<{ out: string; code: ExitCode; error?: string }> {
  let id: unknown;
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    id = j.id;
    const list = (v: unknown, name: string): string[] => {
      if (v === undefined) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
        throw new UsageError(`${name} must be an array of PEM strings`);
      return v as string[];
    };
    if (typeof j.cert !== 'string') throw new UsageError('cert must be a PEM string');
    const anchors = list(j.trust, 'trust').flatMap((p) =>
      certsFrom(pemToDer(p, ['CERTIFICATE'])[0] ?? new Uint8Array(), 'trust'),
    );
    if (anchors.length === 0) throw new UsageError('trust must name at least one certificate');
    const intermediates = list(j.intermediates, 'intermediates').flatMap((p) =>
      certsFrom(pemToDer(p, ['CERTIFICATE'])[0] ?? new Uint8Array(), 'intermediates'),
    );
    const crls = list(j.crls, 'crls').flatMap((p) => pemToDer(p, ['X509 CRL', 'CRL']));
    const leafDer = pemToDer(j.cert, ['CERTIFICATE'])[0];
    if (!leafDer) throw new UsageError('cert holds no CERTIFICATE');
    const r = await check({
      leaf: leafDer,
      anchors,
      intermediates,
      crls,
      at: parseAt(typeof j.at === 'string' ? j.at : undefined),
      purpose: parsePurpose(typeof j.purpose === 'string' ? j.purpose : undefined),
      tolerance,
      maxDepth: batchMaxDepth(j.maxDepth),
      ekus: batchEkus(j.ekus),
    });
    return {
      out: line(r, id),
      code: r.valid ? ExitCode.Ok : r.reason === 'malformed' ? ExitCode.Usage : ExitCode.Failure,
    };
  } catch (err) {
    const message = err instanceof SyntaxError ? 'not a JSON object' : (err as Error).message;
    // The result line keeps the documented shape; the detail goes to stderr.
    return {
      out: line({ valid: false, reason: 'malformed', chain: [] }, id ?? null),
      code: ExitCode.Usage,
      error: message,
    };
  }
}

/**
 * The positional argument a trailing variadic option swallowed: the last value of the list
 * option that appears last in argv.
 */
export function takeSwallowed<K extends string>(
  opts: Partial<Record<K, string[]>>,
  keys: K[],
  argv: string[] = process.argv,
): string | undefined {
  let best: K | undefined;
  let bestAt = -1;
  for (const k of keys) {
    const at = argv.lastIndexOf(`--${k}`);
    if (at > bestAt) {
      bestAt = at;
      best = k;
    }
  }
  if (best === undefined) return undefined;
  const list = opts[best];
  if (!list || list.length < 2) return undefined;
  return list.pop();
}

/** `cert verify`: RFC 5280 path validation from the command line. */
export function registerCert(program: Command): void {
  const cert = program.command('cert').description('check certificates');
  cert
    .command('verify')
    .description(
      'validate a certificate chain; prints {"valid":bool,"reason":string,"chain":[subject,...],"source":"ocsp"|"crl"} (source when revocation was checked); exit 0 valid, 1 invalid, 2 unusable input',
    )
    .argument('[cert]', 'certificate to check (PEM or DER)')
    .option('--trust <files...>', 'trust anchor certificates (PEM or DER)')
    .option('--intermediate <files...>', 'intermediate CA certificates')
    .option('--crl <files...>', 'CRLs to check revocation against (PEM or DER)')
    .option('--at <iso8601>', 'validation time (default: now)')
    .option('--purpose <purpose>', 'auth | sign | command | any', 'any')
    .option('--batch', 'read JSON lines from stdin, write one result line per input (with its id)')
    .option(
      '-c, --config <file>',
      'configuration file (for trust.crlToleranceHours and crlToleranceHoursByAnchor)',
    )
    .option('--ocsp', "also ask the OCSP responder in the certificate's authorityInfoAccess")
    .option('--ocsp-url <url>', 'also ask this OCSP responder (implies --ocsp)')
    .action(
      action(async (leafFile: string | undefined, opts: VerifyOptions) => {
        const config = resolveConfig(opts.config);
        const tolerance: Tolerance = {
          toleranceHours: config.trust.crlToleranceHours,
          toleranceHoursByIssuer: config.trust.crlToleranceHoursByAnchor ?? {},
        };
        if (opts.batch) {
          let worst: ExitCode = ExitCode.Ok;
          const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
          for await (const text of rl) {
            if (!text.trim()) continue;
            const { out, code, error } = await batchLine(text, tolerance);
            process.stdout.write(out);
            if (error !== undefined) process.stderr.write(`jpki-locker: batch line: ${error}\n`);
            if (code === ExitCode.Usage || (code === ExitCode.Failure && worst === ExitCode.Ok))
              worst = code;
          }
          return worst;
        }
        // `--trust a.pem b.pem cert.pem`: a variadic option swallows the positional CERT;
        // take it back from whichever list option came last on the command line.
        if (!leafFile) leafFile = takeSwallowed(opts, ['trust', 'intermediate', 'crl']);
        if (!leafFile) throw new UsageError('name the certificate to verify (or use --batch)');
        if (!opts.trust?.length) throw new UsageError('--trust: give at least one trust anchor');
        const purpose = parsePurpose(opts.purpose);
        const at = parseAt(opts.at);
        const anchors = opts.trust.flatMap((f) => certsFrom(readInput(f), f));
        const intermediates = (opts.intermediate ?? []).flatMap((f) => certsFrom(readInput(f), f));
        const crls = (opts.crl ?? []).flatMap((f) => crlsFrom(readInput(f)));
        let leaf: Uint8Array;
        try {
          const ders = decodeCertificates(readInput(leafFile), leafFile);
          leaf = ders[0]!;
        } catch (err) {
          if (err instanceof CertificateError) throw new UsageError(err.message);
          throw err;
        }
        const r = await check(
          { leaf, anchors, intermediates, crls, at, purpose, tolerance },
          wantsOcsp(opts) ? { flags: opts, config } : undefined,
        );
        process.stdout.write(line(r));
        if (r.valid) return ExitCode.Ok;
        return r.reason === 'malformed' ? ExitCode.Usage : ExitCode.Failure;
      }),
    );
  registerCertStatus(cert);
}
