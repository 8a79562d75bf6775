import { existsSync, readFileSync } from 'node:fs';

/** The package version, read once from package.json (beside the sources, or above dist/). */
export const VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'jpki-locker') return pkg.version;
    }
  }
  return '0.0.0';
})();
