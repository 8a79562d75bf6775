import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { Component } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { listenError } from '../listen-error.js';

/**
 * An in-process MQTT broker (aedes; MQTT 3.1.1 only) for the demo: no persistence, loopback
 * only. The station and the back-office simulator connect to it like to any broker.
 */
export class EmbeddedBroker implements Component {
  readonly name = 'embedded-broker';
  #broker: Aedes | undefined;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly log: Logger,
  ) {}

  /** The port actually bound (useful with port 0). */
  get boundPort(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? this.port;
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker();
    this.#broker = broker;
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      broker.handle(socket);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: unknown) =>
        reject(listenError(err, this.host, this.port, '--broker-port'));
      server.once('error', failed);
      server.listen(this.port, this.host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    this.log.info(
      { url: `mqtt://${this.host}:${this.boundPort}` },
      'embedded MQTT broker listening',
    );
  }

  async stop(): Promise<void> {
    const server = this.#server;
    const broker = this.#broker;
    this.#server = undefined;
    this.#broker = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
}
