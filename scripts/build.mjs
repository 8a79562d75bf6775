// Compiles the daemon to dist/ (tsc) and copies the files it reads at run time beside the
// compiled code: SQL migrations and the web pages. The systemd unit runs dist/, which starts
// faster than compiling TypeScript on the fly.
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(
  process.execPath,
  [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
for (const dir of [
  'controller/storage/migrations',
  'controller/web/static',
  'office/console/static',
]) {
  cpSync(path.join(root, dir), path.join(root, 'dist', dir), {
    recursive: true,
    filter: (src) => !src.endsWith('.ts'),
  });
}
writeFileSync(path.join(root, 'dist/BUILT'), new Date().toISOString() + '\n');
console.log('built dist/ (run: node dist/controller/cli/main.js --help)');
