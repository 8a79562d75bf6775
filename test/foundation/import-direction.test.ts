import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const eslint = new ESLint({ cwd: ROOT });

async function directionErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'local/import-direction')
    .map((m) => m.message);
}

describe('import direction lint rule (shared <- hardware <- controller, shared <- firmware-host)', () => {
  it('rejects hardware importing controller', async () => {
    const errors = await directionErrors(
      'hardware/x/probe.ts',
      "import { a } from '../../controller/log.js';\nexport const b = a;\n",
    );
    expect(errors).toEqual(["'hardware/' must not import from 'controller/' (allowed: shared)"]);
  });

  it('rejects shared importing hardware, and shared doing I/O', async () => {
    const errors = await directionErrors(
      'shared/probe.ts',
      "import { a } from '../hardware/x.js';\nimport { readFileSync } from 'node:fs';\nexport const b = [a, readFileSync];\n",
    );
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/'shared\/' must not import from 'hardware\/'/);
    expect(errors[1]).toMatch(/I\/O module 'node:fs'/);
  });

  it('rejects firmware-host importing hardware or controller, and re-exports count too', async () => {
    const errors = await directionErrors(
      'firmware-host/probe.ts',
      "export * from '../hardware/x.js';\nexport { y } from '../controller/y.js';\n",
    );
    expect(errors).toHaveLength(2);
  });

  it('keeps office/ on shared/ only, and office/ out of everything but test/', async () => {
    const fromOffice = await directionErrors(
      'office/console/probe.ts',
      "import { a } from '../../controller/log.js';\nimport { b } from '../../hardware/x.js';\nimport { c } from '../../shared/y.js';\nexport const d = [a, b, c];\n",
    );
    expect(fromOffice).toEqual([
      "'office/' must not import from 'controller/' (allowed: shared)",
      "'office/' must not import from 'hardware/' (allowed: shared)",
    ]);
    for (const folder of ['controller', 'shared', 'hardware', 'firmware-host', 'bench', 'tools'])
      expect(
        await directionErrors(
          `${folder}/probe.ts`,
          "import { a } from '../office/console/x.js';\nexport const b = a;\n",
        ),
      ).toHaveLength(1);
    expect(
      await directionErrors(
        'test/office/probe.ts',
        "import { a } from '../../office/console/x.js';\nexport const b = a;\n",
      ),
    ).toEqual([]);
  });

  it('accepts the allowed directions', async () => {
    expect(
      await directionErrors(
        'controller/probe.ts',
        "import { a } from '../hardware/x.js';\nimport { b } from '../shared/y.js';\nexport const c = [a, b];\n",
      ),
    ).toEqual([]);
    expect(
      await directionErrors(
        'test/probe.ts',
        "import { a } from '../controller/x.js';\nimport { b } from '../firmware-host/y.js';\nexport const c = [a, b];\n",
      ),
    ).toEqual([]);
    expect(
      await directionErrors(
        'hardware/card/probe.ts',
        "import { a } from '../gpio/x.js';\nexport const c = a;\n",
      ),
    ).toEqual([]);
  });
});

describe('layers inside controller/ (domain <- flows <- adapters <- app)', () => {
  async function layerErrors(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return (result?.messages ?? [])
      .filter((m) => m.ruleId === 'local/core-layers')
      .map((m) => m.message);
  }

  it.each([
    ['controller/domain/probe.ts', '../flows/x.js', 'domain', 'flows'],
    ['controller/domain/probe.ts', '../storage/db.js', 'domain', 'adapters'],
    ['controller/flows/probe.ts', '../storage/db.js', 'flows', 'adapters'],
    ['controller/web/probe.ts', '../app/compose.js', 'adapters', 'app'],
    ['controller/kiosk/probe.ts', '../station.js', 'adapters', 'app'],
  ])('rejects %s importing %s', async (file, source, from, to) => {
    expect(
      await layerErrors(file, `import { a } from '${source}';\nexport const b = a;\n`),
    ).toEqual([
      `controller layer '${from}' must not import '${to}' (domain <- flows <- adapters <- app)`,
    ]);
  });

  it('allows the one way, and a flow importing an adapter type only (a Logger)', async () => {
    expect(
      await layerErrors(
        'controller/app/probe.ts',
        "import { a } from '../web/server.js';\nimport { c } from '../flows/x.js';\nexport const b = [a, c];\n",
      ),
    ).toEqual([]);
    expect(
      await layerErrors(
        'controller/flows/probe.ts',
        "import type { Logger } from '../log.js';\nimport { d } from '../domain/model.js';\nexport const b: Logger | typeof d = d;\n",
      ),
    ).toEqual([]);
  });
});
