import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from '../../shared/errors.js';

/** Where a station's configuration is looked for when `--config` is not given. */
const DEFAULT_STATION_CONFIG = '/etc/jpki-locker/config.yaml';
/** The station's own default `mqtt.url`. */
const DEFAULT_BROKER_URL = 'mqtt://127.0.0.1:1883';

/**
 * The broker URL (`mqtt.url`) of a station's configuration file: the office's default when
 * no `--url` is given (the station's default without a file or key). Only this key is read;
 * the station checks the rest of its file. @throws UsageError for an unusable file or URL.
 */
export function brokerUrlFromStationConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const chosen = file ?? env.JPKI_LOCKER_CONFIG ?? DEFAULT_STATION_CONFIG;
  if (chosen === DEFAULT_STATION_CONFIG && !existsSync(chosen)) return DEFAULT_BROKER_URL;
  let url: unknown;
  try {
    url = (parse(readFileSync(chosen, 'utf8')) as { mqtt?: { url?: unknown } } | null)?.mqtt?.url;
  } catch (err) {
    throw new UsageError(`${chosen}: ${(err as Error).message}`);
  }
  if (url === undefined) return DEFAULT_BROKER_URL;
  if (typeof url !== 'string' || !/^(mqtts?|wss?):\/\/\S+$/.test(url))
    throw new UsageError(`${chosen}: mqtt.url must be an mqtt:// or mqtts:// URL`);
  return url;
}
