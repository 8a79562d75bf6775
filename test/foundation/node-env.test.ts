/**
 * scripts/node-env.sh, the one place the Node.js runtime is chosen: version comparison, the
 * architecture from dpkg (32-bit ARM refused with a message), and the runtime it reports.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { testTempDir } from '../support/temp-dir.js';

const SCRIPT = path.join(ROOT, 'scripts/node-env.sh');

function bash(code: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync('bash', ['-c', `. '${SCRIPT}'; ${code}`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

describe('scripts/node-env.sh', () => {
  it('compares versions numerically', () => {
    const r = bash(
      'for p in "22.12.0 22.12.0" "v24.1.0 22.12.0" "22.9.1 22.12.0" "20.20.2 22.12.0" "100.0.0 22.12.0"; do set -- $p; jpki_version_ge $1 $2 && echo yes || echo no; done',
    );
    expect(r.stdout.trim().split('\n')).toEqual(['yes', 'yes', 'no', 'no', 'yes']);
  });

  it('refuses 32-bit Raspberry Pi OS with a message when no new enough node is there', () => {
    const dir = testTempDir('jl-node-env-');
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'dpkg'), '#!/bin/sh\necho armhf\n');
    chmodSync(path.join(bin, 'dpkg'), 0o755);
    const r = bash(`jpki_runtime='${dir}/runtime'; jpki_machine_node() { :; }; jpki_node_ensure`, {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('32-bit Raspberry Pi OS (armhf) is not supported');
    expect(r.stderr).toContain('64-bit Raspberry Pi OS');
  });

  it('maps dpkg architectures to the registry packages', () => {
    const dir = testTempDir('jl-node-env-');
    const out: string[] = [];
    for (const arch of ['amd64', 'arm64']) {
      writeFileSync(path.join(dir, 'dpkg'), `#!/bin/sh\necho ${arch}\n`);
      chmodSync(path.join(dir, 'dpkg'), 0o755);
      out.push(bash('jpki_node_arch', { PATH: `${dir}:${process.env.PATH ?? ''}` }).stdout.trim());
    }
    expect(out).toEqual(['x64', 'arm64']);
  });

  it('prints the runtime setup chose, which is the one running these tests', () => {
    const chosen = execFileSync(SCRIPT, { encoding: 'utf8' }).trim();
    expect(chosen).toBe(path.join(ROOT, '.runtime/bin/node'));
    expect(execFileSync(chosen, ['-p', 'process.version'], { encoding: 'utf8' }).trim()).toBe(
      process.version,
    );
  });
});
