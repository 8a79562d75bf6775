import fs from 'node:fs';
import path from 'node:path';
import { GpioUnavailableError } from './gpio.js';

/** One gpiochip as the legacy sysfs interface describes it. */
export interface GpioChipInfo {
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

/** Lists /sys/class/gpio/gpiochip* (or the same layout under `sysfsRoot`, for tests). */
export function listGpioChips(sysfsRoot = '/sys/class/gpio'): GpioChipInfo[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(sysfsRoot);
  } catch (err) {
    throw new GpioUnavailableError('not_accessible', `cannot read ${sysfsRoot}`, { cause: err });
  }
  const chips: GpioChipInfo[] = [];
  for (const name of entries.filter((e) => /^gpiochip\d+$/.test(e)).sort()) {
    const read = (f: string) => fs.readFileSync(path.join(sysfsRoot, name, f), 'utf8').trim();
    try {
      chips.push({
        name,
        label: read('label'),
        base: Number(read('base')),
        ngpio: Number(read('ngpio')),
      });
    } catch {
      // A chip directory without the usual files is skipped.
    }
  }
  return chips;
}

/**
 * The legacy sysfs GPIO number of `line` on the chip labelled `chipLabel`: base + line.
 * Recent Raspberry Pi OS kernels give the SoC chip a base such as 512, so BCM 17 is 529
 * there and 17 on older kernels; hard-coding either breaks the other.
 * @throws GpioUnavailableError{chip_not_found | line_out_of_range | not_accessible}.
 */
export function resolveGpioNumber(
  line: number,
  chipLabel: string,
  sysfsRoot = '/sys/class/gpio',
): number {
  const chips = listGpioChips(sysfsRoot);
  const chip = chips.find((c) => c.label === chipLabel);
  if (!chip)
    throw new GpioUnavailableError(
      'chip_not_found',
      `no gpiochip labelled "${chipLabel}" under ${sysfsRoot} (found: ${chips.map((c) => c.label).join(', ') || 'none'})`,
    );
  if (!Number.isInteger(line) || line < 0 || line >= chip.ngpio)
    throw new GpioUnavailableError(
      'line_out_of_range',
      `line ${line} is not 0-${chip.ngpio - 1} on ${chip.name} (${chipLabel})`,
    );
  return chip.base + line;
}
