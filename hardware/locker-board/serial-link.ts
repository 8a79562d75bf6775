import type { SerialPort } from 'serialport';
import { HardwareLostError } from '../../shared/errors.js';

/**
 * The part of a serial port a board driver needs. `serialLink()` wraps the `serialport`
 * package; tests may wrap `SerialPortMock` the same way.
 */
export interface SerialLink {
  /** Writes and waits until the OS has sent the bytes (drain). */
  write(bytes: Uint8Array): Promise<void>;
  /** Discards received-but-unread and written-but-unsent bytes. */
  flush(): Promise<void>;
  /** Closes; idempotent. */
  close(): Promise<void>;
  onData(listener: (chunk: Uint8Array) => void): void;
  /** The port went away (unplugged, closed by the other end) or failed. */
  onClose(listener: (err?: Error) => void): void;
}

/** Opens a serial port. @throws HardwareLostError when it cannot be opened. */
export type OpenSerialLink = (path: string, baudRate: number) => Promise<SerialLink>;

/** Wraps an already-constructed serialport stream (autoOpen: false) and opens it. */
export async function linkFromPort(port: SerialPort, device = 'serial'): Promise<SerialLink> {
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err
        ? reject(
            new HardwareLostError(device, `cannot open ${port.path}: ${err.message}`, {
              cause: err,
            }),
          )
        : resolve(),
    ),
  );
  let closing = false;
  const closeListeners: Array<(err?: Error) => void> = [];
  let closedNotified = false;
  const notify = (err?: Error) => {
    if (closedNotified || closing) return;
    closedNotified = true;
    for (const l of closeListeners) l(err);
  };
  port.on('close', (err?: Error) => notify(err ?? undefined));
  port.on('error', (err: Error) => notify(err));
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        port.write(Buffer.from(bytes), (err) => {
          if (err) return reject(err);
          port.drain((e) => (e ? reject(e) : resolve()));
        });
      }),
    flush: () =>
      new Promise<void>((resolve, reject) => port.flush((e) => (e ? reject(e) : resolve()))),
    close: () =>
      new Promise<void>((resolve) => {
        if (closing || !port.isOpen) return resolve();
        closing = true;
        port.close(() => resolve());
      }),
    onData: (l) => port.on('data', (chunk: Buffer) => l(new Uint8Array(chunk))),
    onClose: (l) => closeListeners.push(l),
  };
}

/**
 * The default opener: 8N1, no flow control, over the `serialport` package (its native addon
 * is loaded on the first open, so commands that never open a port never load it).
 */
export const openSerialLink: OpenSerialLink = async (path, baudRate) => {
  const { SerialPort } = await import('serialport');
  return linkFromPort(new SerialPort({ path, baudRate, autoOpen: false }));
};
