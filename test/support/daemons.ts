/**
 * What the system suites (`test/`) need from the machine, in one place: which programs each
 * folder's suites start, how to tell whether they are installed, and how to install them.
 *
 * vitest.config.ts reads it when it builds the `system` project: a suite whose programs are
 * missing is left out with one line saying which program and how to install it — except under
 * `CI=true`, where CI installs everything (scripts/setup.sh test), so a missing program fails the
 * run instead of silently skipping suites.
 *
 * No vitest import here: the config loads this file before any test runs.
 */
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** A program (or privilege) a system suite needs. */
export interface Requirement {
  /** What the line says is missing. */
  readonly name: string;
  /** Whether this machine has it. */
  readonly present: () => boolean;
  /** How to get it. */
  readonly remedy: string;
}

function onPath(program: string): boolean {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => {
    try {
      accessSync(path.join(d, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const apt = (...packages: string[]) =>
  `apt-get install ${packages.join(' ')} (or scripts/setup.sh test)`;

/** Every requirement, by name. */
export const REQUIREMENTS = {
  pcscd: {
    name: 'pcscd',
    present: () => onPath('pcscd'),
    remedy: apt('pcscd', 'libpcsclite-dev'),
  },
  vpcd: {
    name: 'the vpcd driver (vsmartcard-vpcd)',
    present: () => existsSync('/usr/lib/pcsc/drivers/serial/libifdvpcd.so'),
    remedy: apt('vsmartcard-vpcd'),
  },
  root: {
    name: 'root (pcscd runs in a private mount namespace through unshare)',
    present: () => process.getuid?.() === 0 && onPath('unshare'),
    remedy: 'run the suite as root (sudo scripts/test.sh), with util-linux installed',
  },
  mosquitto: {
    name: 'mosquitto',
    present: () => onPath('mosquitto'),
    remedy: apt('mosquitto', 'mosquitto-clients'),
  },
  socat: { name: 'socat', present: () => onPath('socat'), remedy: apt('socat') },
  openssl: { name: 'openssl', present: () => onPath('openssl'), remedy: apt('openssl') },
  postgres: {
    name: "PostgreSQL (Debian's server programs)",
    present: () =>
      existsSync('/usr/lib/postgresql') &&
      readdirSync('/usr/lib/postgresql').some((v) =>
        existsSync(path.join('/usr/lib/postgresql', v, 'bin/postgres')),
      ),
    remedy: apt('postgresql'),
  },
  espeak: {
    name: 'espeak-ng',
    present: () => onPath('espeak-ng'),
    remedy: apt('espeak-ng') + ' or scripts/speech.sh install',
  },
  chromium: {
    name: 'chromium',
    present: () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'),
    remedy: apt('chromium', 'fonts-ipafont-gothic'),
  },
} as const satisfies Record<string, Requirement>;

type Need = keyof typeof REQUIREMENTS;
const CARD: Need[] = ['pcscd', 'vpcd', 'root'];

/**
 * What each group of system suites starts, most specific first: the first pattern that matches
 * a file decides. Patterns are folders or files relative to the repository root.
 */
export const SUITE_NEEDS: readonly { readonly pattern: string; readonly needs: readonly Need[] }[] =
  [
    { pattern: 'test/board/', needs: ['socat'] },
    { pattern: 'test/card/', needs: CARD },
    {
      pattern: 'test/console/postgres.test.ts',
      needs: ['mosquitto', 'openssl', 'chromium', 'postgres'],
    },
    { pattern: 'test/console/', needs: ['mosquitto', 'openssl', 'chromium'] },
    { pattern: 'test/flows/kiosk-speech.test.ts', needs: ['chromium', 'espeak'] },
    { pattern: 'test/flows/kiosk-', needs: ['chromium'] },
    { pattern: 'test/flows/', needs: [...CARD, 'mosquitto', 'socat', 'openssl', 'chromium'] },
    { pattern: 'test/foundation/demo-browser.test.ts', needs: ['chromium'] },
    { pattern: 'test/foundation/', needs: [] },
    { pattern: 'test/mqtt/', needs: ['mosquitto', 'openssl'] },
    { pattern: 'test/office/', needs: [] },
    { pattern: 'test/trust/', needs: ['openssl'] },
    { pattern: 'test/', needs: [] },
  ];

/** The suites this machine cannot run, and the lines that say why and how to fix it. */
export interface LeftOut {
  /** Suite files left out (relative paths). */
  readonly files: readonly string[];
  /** One line per group of suites: which programs are missing and how to install them. */
  readonly lines: readonly string[];
}

/** Which of `files` (relative paths of system suites) this machine cannot run. */
export function leftOut(files: readonly string[]): LeftOut {
  const known = new Map<Need, boolean>();
  const isMissing = (n: Need) => {
    if (!known.has(n)) known.set(n, !REQUIREMENTS[n].present());
    return known.get(n)!;
  };
  const out: string[] = [];
  const groups = new Map<string, { files: string[]; missing: Requirement[] }>();
  for (const file of files) {
    const rule = SUITE_NEEDS.find((s) => file.startsWith(s.pattern));
    const missing = (rule?.needs ?? []).filter(isMissing).map((n) => REQUIREMENTS[n]);
    if (missing.length === 0) continue;
    out.push(file);
    const g = groups.get(rule!.pattern) ?? { files: [], missing };
    g.files.push(file);
    groups.set(rule!.pattern, g);
  }
  const lines = [...groups].map(
    ([pattern, g]) =>
      `skipped ${pattern} (${g.files.length} suite${g.files.length === 1 ? '' : 's'}): needs ${g.missing
        .map((m) => m.name)
        .join(', ')}; ${[...new Set(g.missing.map((m) => m.remedy))].join('; ')}`,
  );
  return { files: out, lines };
}
