/**
 * A test PKI (roots, CRLs, card profiles) generated once per test run and shared by the test
 * files of that run: RSA-2048 key generation is slow on 2 cores. The directory is keyed by the
 * vitest parent process and published with an atomic rename, so parallel files never see a
 * half-written one. It stays in the OS temp folder (a few KB per run; no private data).
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTestPki, type TestPkiManifest } from '../../controller/pki/test-pki.js';
import { loadCardProfile, type CardProfile } from '../../firmware-host/jpki-card/profile.js';

export interface TestPki {
  dir: string;
  manifest: TestPkiManifest;
  /** Loads a profile by label (`holder-01`, `forged-01`, `revoked-01`). Fresh object each call. */
  profile(label: string): CardProfile;
  profileDir(label: string): string;
}

/** The shared test PKI of this run (2 genuine holders, one forged, one revoked). */
export async function getTestPki(): Promise<TestPki> {
  const dir = path.join(os.tmpdir(), `jpki-locker-test-pki-${process.ppid}`);
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'jpki-locker-pki-'));
    await makeTestPki({ outDir: tmp, holders: 2 });
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another file won the race
    }
  }
  const manifest = JSON.parse(
    readFileSync(path.join(dir, 'manifest.json'), 'utf8'),
  ) as TestPkiManifest;
  const profileDir = (label: string): string => path.join(dir, 'profiles', label);
  return { dir, manifest, profileDir, profile: (label) => loadCardProfile(profileDir(label)) };
}
