import { createRequire } from 'node:module';

/** The package version (office/ sits one folder below package.json, sources and dist alike). */
export const OFFICE_VERSION: string = (() => {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
