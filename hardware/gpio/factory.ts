import type { DriverLog, Timers } from '../support.js';
import type { Gpio, GpioSpec } from './gpio.js';
import { OnoffGpio } from './onoff-gpio.js';
import { SimGpio } from './sim-gpio.js';

/** What the factory needs; the `gpio` section of the station config fits as is. */
export interface GpioSettings extends GpioSpec {
  driver: 'onoff' | 'sim' | 'none';
}

/** `onoff` -> OnoffGpio, `sim` -> SimGpio, `none` -> undefined (no GPIO at this station). */
export function createGpio(
  settings: GpioSettings,
  deps: { log?: DriverLog; timers?: Timers; sysfsRoot?: string } = {},
): Gpio | undefined {
  const spec: GpioSpec = {
    chipLabel: settings.chipLabel,
    outputs: settings.outputs,
    inputs: settings.inputs,
  };
  switch (settings.driver) {
    case 'none':
      return undefined;
    case 'sim':
      return new SimGpio(spec, deps);
    case 'onoff':
      return new OnoffGpio(spec, deps);
  }
}
