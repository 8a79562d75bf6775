import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Timers } from '../support.js';
import {
  GpioError,
  GpioUnavailableError,
  OnoffGpio,
  SimGpio,
  levelFor,
  resolveGpioNumber,
  type GpioSpec,
  type InputEvent,
  type OnoffClass,
  type PulseResult,
} from './index.js';

const fakeTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

const SPEC: GpioSpec = {
  chipLabel: 'pinctrl-bcm2711',
  outputs: [
    {
      name: 'front',
      line: 17,
      activeLow: false,
      failMode: 'secure',
      maxPulseMs: 1000,
      cooldownMs: 500,
    },
    {
      name: 'back',
      line: 27,
      activeLow: true,
      failMode: 'secure',
      maxPulseMs: 3000,
      cooldownMs: 0,
    },
    { name: 'fire', line: 22, activeLow: false, failMode: 'safe', maxPulseMs: 5000, cooldownMs: 0 },
    { name: 'side', line: 23, activeLow: true, failMode: 'safe', maxPulseMs: 5000, cooldownMs: 0 },
  ],
  inputs: [
    { name: 'front-contact', line: 5, kind: 'door', activeLow: false, debounceMs: 30 },
    { name: 'rex', line: 6, kind: 'rex', activeLow: true, debounceMs: 30 },
    { name: 'tamper', line: 13, kind: 'tamper', activeLow: true, debounceMs: 0 },
  ],
};

describe('output levels: polarity x fail mode', () => {
  it('locked / unlocked levels', () => {
    const [front, back, fire, side] = SPEC.outputs;
    // fail-secure: energise to unlock
    expect([levelFor(front!, 'locked'), levelFor(front!, 'unlocked')]).toEqual([0, 1]);
    expect([levelFor(back!, 'locked'), levelFor(back!, 'unlocked')]).toEqual([1, 0]);
    // fail-safe: energise to lock
    expect([levelFor(fire!, 'locked'), levelFor(fire!, 'unlocked')]).toEqual([1, 0]);
    expect([levelFor(side!, 'locked'), levelFor(side!, 'unlocked')]).toEqual([0, 1]);
  });
});

describe('SimGpio', () => {
  let gpio: SimGpio;
  beforeEach(() => {
    vi.useFakeTimers();
    gpio = new SimGpio(SPEC, { timers: fakeTimers });
  });
  afterEach(async () => {
    await gpio.stop();
    vi.useRealTimers();
  });

  it('start-up drives every output to locked before the first input is read', async () => {
    await gpio.start();
    const firstInput = gpio.journal.findIndex((op) => op.op === 'open-input' || op.op === 'read');
    const outputs = gpio.journal.filter((op) => op.op === 'open-output' || op.op === 'write');
    expect(firstInput).toBeGreaterThan(0);
    expect(gpio.journal.slice(0, firstInput)).toEqual(
      SPEC.outputs.map((o) => ({ op: 'open-output', line: o.line, level: levelFor(o, 'locked') })),
    );
    // No output was ever at its unlocked level during start-up.
    expect(outputs.every((op, i) => op.level === levelFor(SPEC.outputs[i]!, 'locked'))).toBe(true);
    for (const o of SPEC.outputs) expect(gpio.outputState(o.name)).toBe('locked');
  });

  it('a pulse never exceeds its maximum even when the caller asks for more', async () => {
    await gpio.start();
    const p = gpio.pulse('front', 60_000);
    expect(gpio.outputState('front')).toBe('unlocked');
    expect(gpio.outputLevel('front')).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(gpio.outputState('front')).toBe('unlocked');
    await vi.advanceTimersByTimeAsync(1);
    expect(gpio.outputState('front')).toBe('locked');
    expect(gpio.outputLevel('front')).toBe(0);
    expect(await p).toEqual({
      outcome: 'pulsed',
      output: 'front',
      requestedMs: 60_000,
      grantedMs: 1000,
      endedBy: 'timer',
    });
  });

  it('a pulse ends on the driver timer when the caller dies mid-pulse', async () => {
    await gpio.start();
    const caller = async () => {
      void gpio.pulse('back', 10_000); // started, never awaited
      throw new Error('caller crashed');
    };
    await expect(caller()).rejects.toThrow('caller crashed');
    expect(gpio.outputState('back')).toBe('unlocked');
    await vi.advanceTimersByTimeAsync(3000);
    expect(gpio.outputState('back')).toBe('locked');
    expect(gpio.outputLevel('back')).toBe(1); // active-low relay released
  });

  it('an aborted caller ends its pulse at once', async () => {
    await gpio.start();
    const ac = new AbortController();
    const p = gpio.pulse('fire', 4000, { signal: ac.signal });
    expect(gpio.outputLevel('fire')).toBe(0); // fail-safe: de-energised = open
    ac.abort();
    expect(gpio.outputState('fire')).toBe('locked');
    expect(await p).toMatchObject({ outcome: 'pulsed', endedBy: 'abort' });
  });

  it('refuses an overlapping pulse (busy) and one inside the cooldown', async () => {
    await gpio.start();
    const first = gpio.pulse('front', 200);
    expect(await gpio.pulse('front', 200)).toMatchObject({ outcome: 'refused', reason: 'busy' });
    await vi.advanceTimersByTimeAsync(200);
    await first;
    const r = (await gpio.pulse('front', 200)) as Extract<PulseResult, { outcome: 'refused' }>;
    expect(r).toMatchObject({ outcome: 'refused', reason: 'cooldown' });
    expect(r.retryInMs).toBe(500);
    await vi.advanceTimersByTimeAsync(500);
    const again = gpio.pulse('front', 200);
    expect(gpio.outputState('front')).toBe('unlocked');
    gpio.lock('front');
    expect(await again).toMatchObject({ outcome: 'pulsed', endedBy: 'lock' });
  });

  it('extend renews a fail-safe pulse with no relock between; still bounded; never a fail-secure one', async () => {
    await gpio.start();
    const edges: string[] = [];
    gpio.on('output', (e) => edges.push(`${e.name} ${e.state}`));
    const p = gpio.pulse('fire', 4000);
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(3000);
      expect(gpio.extend('fire', 60_000)).toBe(true); // cut to maxPulseMs (5 s) from now
      expect(gpio.outputState('fire')).toBe('unlocked');
    }
    expect(edges).toEqual(['fire unlocked']);
    // Without another renewal it locks on its own timer, maxPulseMs after the last one.
    await vi.advanceTimersByTimeAsync(4999);
    expect(gpio.outputState('fire')).toBe('unlocked');
    await vi.advanceTimersByTimeAsync(1);
    expect(gpio.outputState('fire')).toBe('locked');
    expect(await p).toMatchObject({ outcome: 'pulsed', grantedMs: 20_000, endedBy: 'timer' });
    expect(gpio.extend('fire', 1000)).toBe(false); // no pulse running
    void gpio.pulse('front', 1000);
    expect(gpio.extend('front', 1000)).toBe(false); // fail-secure: never held
    await vi.advanceTimersByTimeAsync(1000);
    expect(gpio.outputState('front')).toBe('locked');
  });

  it('lockAll() and stop() end every pulse and lock every output', async () => {
    await gpio.start();
    const a = gpio.pulse('front', 900);
    const b = gpio.pulse('side', 900);
    gpio.lockAll();
    expect(gpio.outputState('front')).toBe('locked');
    expect(gpio.outputState('side')).toBe('locked');
    expect((await a) as { endedBy: string }).toMatchObject({ endedBy: 'stop' });
    await b;
    const c = gpio.pulse('back', 900);
    await gpio.stop();
    await gpio.stop();
    expect(gpio.outputLevel('back')).toBe(levelFor(SPEC.outputs[1]!, 'locked'));
    expect(await c).toMatchObject({ endedBy: 'stop' });
    expect(await gpio.pulse('back', 100)).toMatchObject({ outcome: 'refused', reason: 'stopped' });
  });

  it('an output that cannot be driven is refused with fault, never reported as pulsed', async () => {
    await gpio.start();
    gpio.failOutput('front');
    const r = await gpio.pulse('front', 500);
    expect(r).toEqual({ outcome: 'refused', output: 'front', reason: 'fault' });
    expect(gpio.outputState('front')).toBe('locked');
    expect(gpio.outputLevel('front')).toBe(levelFor(SPEC.outputs[0]!, 'locked'));
    // Nothing pending: no timer left to fire, and a mended driver pulses at once (no cooldown).
    expect(vi.getTimerCount()).toBe(0);
    gpio.failOutput('front', false);
    const again = gpio.pulse('front', 100);
    expect(gpio.outputState('front')).toBe('unlocked');
    await vi.advanceTimersByTimeAsync(100);
    expect(await again).toMatchObject({ outcome: 'pulsed', grantedMs: 100, endedBy: 'timer' });
  });

  it('refuses a spec that puts two roles on one line (an input would float a relay)', () => {
    const clash: GpioSpec = {
      ...SPEC,
      inputs: [
        ...SPEC.inputs,
        { name: 'x', line: 17, kind: 'tamper', activeLow: true, debounceMs: 0 },
      ],
    };
    expect(() => new SimGpio(clash)).toThrow(
      expect.objectContaining({ kind: 'bad_request', message: expect.stringContaining('line 17') }),
    );
    const twoOutputs: GpioSpec = {
      ...SPEC,
      outputs: [SPEC.outputs[0]!, { ...SPEC.outputs[1]!, line: 17 }],
    };
    expect(() => new SimGpio(twoOutputs)).toThrow(GpioError);
  });

  it('before start() a pulse is refused', async () => {
    expect(await gpio.pulse('front', 100)).toMatchObject({ outcome: 'refused', reason: 'stopped' });
  });

  it('debounces inputs and emits edge events only for stable changes', async () => {
    await gpio.start();
    const events: InputEvent[] = [];
    gpio.on('input', (e) => events.push(e));
    gpio.bounce('front-contact', [1, 0, 1, 0, 1]);
    await vi.advanceTimersByTimeAsync(29);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual([{ name: 'front-contact', kind: 'door', active: true }]);
    // A glitch shorter than the debounce time is ignored.
    gpio.bounce('front-contact', [0, 1]);
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toHaveLength(1);
    gpio.closeDoor('front-contact');
    await vi.advanceTimersByTimeAsync(30);
    expect(events[1]).toEqual({ name: 'front-contact', kind: 'door', active: false });
    expect(gpio.inputActive('front-contact')).toBe(false);
  });

  it('press a button; cut a wire (the pull-up wins)', async () => {
    await gpio.start();
    const events: InputEvent[] = [];
    gpio.on('input', (e) => events.push(e));
    gpio.pressButton('rex');
    await vi.advanceTimersByTimeAsync(30);
    gpio.releaseButton('rex');
    await vi.advanceTimersByTimeAsync(30);
    gpio.pressButton('tamper'); // debounce 0: immediate
    gpio.releaseButton('tamper');
    // Cutting the door contact wire: reads 1 = active for an active-high contact (door "open").
    gpio.cutWire('front-contact');
    await vi.advanceTimersByTimeAsync(30);
    gpio.closeDoor('front-contact'); // the world changes, the cut wire does not follow
    await vi.advanceTimersByTimeAsync(30);
    expect(events).toEqual([
      { name: 'rex', kind: 'rex', active: true },
      { name: 'rex', kind: 'rex', active: false },
      { name: 'tamper', kind: 'tamper', active: true },
      { name: 'tamper', kind: 'tamper', active: false },
      { name: 'front-contact', kind: 'door', active: true },
    ]);
    gpio.mendWire('front-contact');
    await vi.advanceTimersByTimeAsync(30);
    expect(gpio.inputActive('front-contact')).toBe(false);
  });

  it('inputs set before start() are read at start (after the outputs)', async () => {
    gpio.openDoor('front-contact');
    await gpio.start();
    expect(gpio.inputActive('front-contact')).toBe(true);
  });

  it('unknown names and bad durations are typed errors', async () => {
    await gpio.start();
    expect(() => gpio.lock('nope')).toThrow(GpioError);
    expect(() => gpio.inputActive('nope')).toThrow(GpioError);
    await expect(gpio.pulse('front', -1)).rejects.toMatchObject({ kind: 'bad_request' });
    await expect(gpio.pulse('front', Number.NaN)).rejects.toBeInstanceOf(GpioError);
  });
});

function fakeSysfs(chips: Array<{ name: string; label: string; base: number; ngpio: number }>) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jpki-sysfs-'));
  for (const c of chips) {
    fs.mkdirSync(path.join(root, c.name));
    fs.writeFileSync(path.join(root, c.name, 'label'), `${c.label}\n`);
    fs.writeFileSync(path.join(root, c.name, 'base'), `${c.base}\n`);
    fs.writeFileSync(path.join(root, c.name, 'ngpio'), `${c.ngpio}\n`);
  }
  fs.writeFileSync(path.join(root, 'export'), '');
  return root;
}

describe('GPIO numbers from /sys/class/gpio/gpiochip*/base + label', () => {
  let root: string;
  beforeEach(() => {
    root = fakeSysfs([
      { name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
      { name: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
    ]);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('adds the chip base (recent kernels: BCM 17 is 529)', () => {
    expect(resolveGpioNumber(17, 'pinctrl-bcm2711', root)).toBe(529);
    expect(resolveGpioNumber(3, 'raspberrypi-exp-gpio', root)).toBe(573);
  });
  it('an unknown label names the labels it found', () => {
    try {
      resolveGpioNumber(17, 'pinctrl-bcm2835', root);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GpioUnavailableError);
      expect((e as GpioUnavailableError).kind).toBe('chip_not_found');
      expect((e as Error).message).toContain('pinctrl-bcm2711');
    }
  });
  it('a line beyond ngpio is out of range; a missing sysfs is not accessible', () => {
    expect(() => resolveGpioNumber(58, 'pinctrl-bcm2711', root)).toThrow(
      expect.objectContaining({ kind: 'line_out_of_range' }),
    );
    expect(() => resolveGpioNumber(1, 'x', path.join(root, 'missing'))).toThrow(
      expect.objectContaining({ kind: 'not_accessible' }),
    );
  });

  it('OnoffGpio (injected onoff): resolved numbers, outputs born locked before inputs, outputs not released at stop', async () => {
    const log: string[] = [];
    class FakeOnoff {
      static accessible = true;
      constructor(
        readonly n: number,
        dir: string,
      ) {
        log.push(`new ${n} ${dir}`);
      }
      readSync(): 0 | 1 {
        log.push(`read ${this.n}`);
        return 1;
      }
      writeSync(v: 0 | 1) {
        log.push(`write ${this.n} ${v}`);
      }
      watch() {}
      unwatchAll() {}
      unexport() {
        log.push(`unexport ${this.n}`);
      }
    }
    const gpio = new OnoffGpio(SPEC, {
      sysfsRoot: root,
      onoff: FakeOnoff as unknown as OnoffClass,
    });
    await gpio.start();
    expect(log.slice(0, 4)).toEqual(['new 529 low', 'new 539 high', 'new 534 high', 'new 535 low']);
    expect(log[4]).toBe('new 517 in');
    await gpio.stop();
    expect(log.filter((l) => l.startsWith('unexport'))).toEqual([
      'unexport 517',
      'unexport 518',
      'unexport 525',
    ]);
  });

  it('OnoffGpio refuses to start with a bad label before touching any pin', async () => {
    let created = 0;
    class FakeOnoff {
      static accessible = true;
      constructor() {
        created++;
      }
    }
    const gpio = new OnoffGpio(
      { ...SPEC, chipLabel: 'nope' },
      { sysfsRoot: root, onoff: FakeOnoff as unknown as OnoffClass },
    );
    await expect(gpio.start()).rejects.toMatchObject({ kind: 'chip_not_found' });
    expect(created).toBe(0);
  });
});

describe('OnoffGpio on this machine (real onoff)', () => {
  it('fails with GpioUnavailableError{not_accessible} where GPIO is not accessible', async () => {
    const gpio = new OnoffGpio(SPEC);
    const err = await gpio.start().catch((e: unknown) => e);
    const { Gpio } = await import('onoff');
    if (Gpio.accessible) return; // on a real Pi this case does not apply
    expect(err).toBeInstanceOf(GpioUnavailableError);
    expect((err as GpioUnavailableError).kind).toBe('not_accessible');
    expect((err as GpioUnavailableError).code).toBe('hardware_lost');
    await gpio.stop();
  });
});
