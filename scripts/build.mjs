// Compiles the program to dist/ (tsc) and copies the files it reads at run time beside the
// compiled code: SQL migrations and the web pages. bin/jpki-locker.js and the systemd unit run
// dist/, which starts far faster than compiling TypeScript on the fly.
//   node scripts/build.mjs              build into dist/
//   node scripts/build.mjs --out DIR    build into DIR (tests build beside, never over, dist/)
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, 'dist');
// Built beside the target and moved into place at the end, so a running bin never sees half
// a dist/ (and an interrupted build leaves the old one).
const staging = `${out}.building-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
try {
  execFileSync(
    process.execPath,
    [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      staging,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  for (const dir of [
    'controller/storage/migrations',
    'controller/web/static',
    'controller/trust/roots',
    'office/console/static',
  ]) {
    if (!existsSync(path.join(root, dir))) continue;
    cpSync(path.join(root, dir), path.join(staging, dir), {
      recursive: true,
      filter: (src) => !src.endsWith('.ts'),
    });
  }
  mkdirSync(staging, { recursive: true });
  writeFileSync(path.join(staging, 'BUILT'), new Date().toISOString() + '\n');
  rmSync(out, { recursive: true, force: true });
  renameSync(staging, out);
} catch (err) {
  rmSync(staging, { recursive: true, force: true });
  throw err;
}
console.log(
  `built ${path.relative(process.cwd(), out) || out} (run: node bin/jpki-locker.js --help)`,
);
