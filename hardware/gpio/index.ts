export * from './gpio.js';
export * from './gpio-bank.js';
export * from './sim-gpio.js';
export * from './onoff-gpio.js';
export * from './sysfs.js';
export * from './factory.js';
