#!/usr/bin/env node
// Entry point of the `jpki-locker` command.
//
// It runs the compiled JavaScript in dist/ (built by `npm run build`, which setup and install
// run). When dist/ is missing or older than the sources, a development checkout (one with tsx
// installed) runs the TypeScript sources through tsx instead and, on a terminal, says how to
// get the fast start back; anywhere else it refuses with the command that fixes it. An
// installed copy (no .git) trusts the dist/ it was installed with.
//
// `console` and `office` belong to the municipality's side (office/) when that folder exists;
// every other command is the station's (controller/).
import { spawnSync } from 'node:child_process';
import module from 'node:module';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The one runtime setup chose (scripts/node-env.sh: .runtime/bin/node), whose ABI the native
// addons were built for. Started by another node (an older one on PATH), the same command line
// runs again under it; JPKI_LOCKER_REEXEC guards against a loop.
const runtime = path.join(root, '.runtime/bin/node');
if (!process.env.JPKI_LOCKER_REEXEC && existsSync(runtime)) {
  let same = true;
  try {
    same = realpathSync(runtime) === realpathSync(process.execPath);
  } catch {
    same = true;
  }
  if (!same) {
    const r = spawnSync(runtime, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, JPKI_LOCKER_REEXEC: '1' },
    });
    if (r.error) {
      process.stderr.write(`jpki-locker: cannot run ${runtime}: ${r.error.message}\n`);
      process.exit(1);
    }
    if (r.signal) process.kill(process.pid, r.signal);
    process.exit(r.status ?? 1);
  }
}
/** Folders compiled into dist/ (tsconfig.build.json), whose changes make dist/ stale. */
const SOURCE_DIRS = ['shared', 'hardware', 'firmware-host', 'controller', 'office'];
const OFFICE_COMMANDS = new Set(['console', 'office']);

/** The newest modification time (ms) of a compiled source or page below `dir`. */
function newestSource(dir, newest = 0) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      if (e.name !== 'testing' && e.name !== 'node_modules')
        newest = newestSource(path.join(dir, e.name), newest);
    } else if (!e.name.endsWith('.test.ts') && !e.name.endsWith('.md')) {
      newest = Math.max(newest, statSync(path.join(dir, e.name)).mtimeMs);
    }
  }
  return newest;
}

/**
 * Whether dist/ was built after the last change to any source it is compiled from. Only a
 * development checkout (one with .git) is walked for changes: an installed copy
 * (deploy/install.sh copies no .git, and builds dist/ itself, root-owned) is as it was built,
 * so its start skips the walk over some 400 files.
 */
function distIsCurrent() {
  let built;
  try {
    built = statSync(path.join(root, 'dist/BUILT')).mtimeMs;
  } catch {
    return false;
  }
  if (!existsSync(path.join(root, '.git'))) return true;
  return SOURCE_DIRS.every((d) => newestSource(path.join(root, d)) <= built);
}

const word = process.argv.slice(2).find((a) => !a.startsWith('-'));
const side =
  OFFICE_COMMANDS.has(word ?? '') && existsSync(path.join(root, 'office'))
    ? 'office'
    : 'controller';

let entry;
if (distIsCurrent()) {
  // Node 22+: compiled code of dist/ is cached on disk (in the OS temp folder), so the next
  // start skips most of the JavaScript compilation.
  module.enableCompileCache?.();
  entry = path.join(root, `dist/${side}/cli/main.js`);
} else if (existsSync(path.join(root, 'node_modules/tsx'))) {
  if (process.stderr.isTTY && !process.env.JPKI_LOCKER_QUIET_TSX) {
    process.stderr.write(
      'jpki-locker: running from the TypeScript sources (dist/ is missing or older); `npm run build` makes it start faster\n',
    );
  }
  const { register } = await import('tsx/esm/api');
  register();
  entry = path.join(root, `${side}/cli/main.ts`);
} else {
  process.stderr.write(
    `jpki-locker: the compiled program in ${root}/dist is missing or older than its sources: run \`npm run build\` there\n`,
  );
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
await main(process.argv);
