import type { Config } from '../config/types.js';
import type { CheckResult } from './checks.js';
import { readStationDb } from './station-db.js';

const NAME = 'command crl';

/**
 * The command CA's CRL the station checks every command signer against (trust.commandRevocation
 * `crl`, the default): installed from the database (as the broker last delivered it) and from
 * trust.commandCrlFiles. Fails while none is usable: every command is refused then.
 */
export async function commandCrlCheck(config: Readonly<Config>, now: Date): Promise<CheckResult> {
  const t = config.trust;
  if (!config.mqtt.enabled || t.commandAnchors.length === 0)
    return { name: NAME, status: 'skip', detail: 'no trust.commandAnchors', required: false };
  if (t.commandRevocation === 'off')
    return {
      name: NAME,
      status: 'skip',
      detail: 'trust.commandRevocation is off: a revoked office certificate still works here',
      required: false,
    };
  const { CommandCrl } = await import('../mqtt/command-crl.js');
  const { COMMAND_CRL_FIX } = await import('../mqtt/command-verifier.js');
  const { loadAnchors } = await import('../trust/trust-component.js');
  const fail = (detail: string): CheckResult => ({
    name: NAME,
    status: 'fail',
    detail,
    remedy: COMMAND_CRL_FIX,
    required: true,
  });
  let anchors;
  try {
    anchors = loadAnchors(t).command;
  } catch (err) {
    return fail((err as Error).message);
  }
  const db = readStationDb(config.storage.path);
  try {
    const read = db?.prepare<[string], { value: string }>(
      'SELECT value FROM station_meta WHERE key = ?',
    );
    const crl = new CommandCrl(
      () => anchors,
      { get: (key) => read?.get(key)?.value, set: () => {} },
      {
        toleranceHours: t.crlToleranceHours,
        toleranceHoursByIssuer: t.crlToleranceHoursByAnchor,
        now: () => now,
      },
    );
    const problems = await crl.load();
    for (const file of t.commandCrlFiles ?? []) {
      try {
        const { readFile } = await import('node:fs/promises');
        await crl.install(await readFile(file), file);
      } catch (err) {
        problems.push(`${file}: ${(err as Error).message}`);
      }
    }
    const s = crl.state(now);
    const detail =
      s.verdict === 'missing'
        ? 'no valid command CRL: every command is refused (command_crl_missing)'
        : `${s.verdict}, cRLNumber ${s.crlNumber}, ${s.entries} revoked, nextUpdate ${s.nextUpdate}`;
    const noted = problems.length ? `${detail}; ignored: ${problems.join('; ')}` : detail;
    if (s.verdict === 'fresh' || s.verdict === 'grace')
      return { name: NAME, status: 'ok', detail: noted, required: true };
    return fail(noted);
  } finally {
    db?.close();
  }
}
