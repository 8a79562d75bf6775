import { readFileSync, statSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { commandCrlMessage, commandCrlTopic } from '../../shared/mqtt/command-crl.js';
import type { Logger } from '../log.js';

/**
 * Delivers the command CA's CRL (`console --command-crl FILE`, the file `office command-crl`
 * writes): published retained on `<prefix>/fleet/command-crl` on every connect and again
 * whenever the file changes, so every station has the current one without anyone sending it.
 * The CRL is signed by the CA: the console only carries it.
 */
export class CommandCrlPublisher {
  #published = '';

  constructor(
    private readonly file: string,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  /** Publishes the file's CRL (after a connect: `force`, else only when it changed). */
  publish(client: MqttClient, force = false): void {
    let stamp: string;
    let bytes: Buffer;
    try {
      const st = statSync(this.file);
      stamp = `${st.mtimeMs}:${st.size}`;
      if (!force && stamp === this.#published) return;
      bytes = readFileSync(this.file);
    } catch (err) {
      this.log.warn(
        { file: this.file, err: (err as Error).message },
        'cannot read the command CRL',
      );
      return;
    }
    const pem = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(
      bytes.toString('latin1'),
    );
    const der = pem ? Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64') : bytes;
    client
      .publishAsync(
        commandCrlTopic(this.prefix),
        JSON.stringify(commandCrlMessage(der, this.now())),
        {
          qos: 1,
          retain: true,
        },
      )
      .then(() => {
        this.#published = stamp;
        this.log.info({ file: this.file }, 'command CRL published');
      })
      .catch((err: unknown) => this.log.warn({ err }, 'command CRL not published'));
  }
}
