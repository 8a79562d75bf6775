import type { KeyObject } from 'node:crypto';
import type { IClientOptions, IPublishPacket } from 'mqtt';
import type { StatusMessage } from '../../shared/mqtt/state.js';
import {
  signStationPayload,
  STATION_SIGNATURE_PROPERTY,
} from '../../shared/mqtt/station-signature.js';
import type { StationTopics } from '../../shared/mqtt/topics.js';
import type { Logger } from '../log.js';
import type { Link } from './link.js';

/** How the station publishes. */
export interface PublisherSettings {
  topics: StationTopics;
  protocolVersion: 4 | 5;
  version: string;
  /** With MQTT 5 every message carries the station's `jpki-sig` (shared/mqtt/station-signature.ts). */
  stationSigner?: { privateKey: KeyObject; chain: Uint8Array[] } | undefined;
  log: Logger;
  now: () => Date;
}

/** Publish options of one message. */
export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
  properties?: IPublishPacket['properties'];
}

/**
 * Everything the station says goes through here: JSON, signed (MQTT 5 user property
 * `jpki-sig` over the exact bytes and the topic) when the station has a key; presence
 * (`status` online on connect, the will, `offline` on a clean stop).
 */
export class StationPublisher {
  constructor(private readonly s: PublisherSettings) {}

  /** Publishes on a connected link (nothing when it is not). */
  publish(link: Link, topic: string, payload: unknown, opts: PublishOptions): void {
    if (!link.connected) return;
    const text = JSON.stringify(payload);
    link.client.publish(
      topic,
      text,
      { ...opts, ...this.signed(topic, text, opts.properties) },
      (err) => {
        if (err) this.s.log.warn({ topic, err: err.message }, 'publish failed');
      },
    );
  }

  /** Publishes `text` and reports the PUBACK (QoS 1 events). */
  publishText(
    link: Link,
    topic: string,
    text: string,
    done: (err: Error | undefined) => void,
  ): void {
    link.client.publish(topic, text, { qos: 1, ...this.signed(topic, text) }, (err) => done(err));
  }

  /** MQTT 5 properties with the station's signature of `text` on `topic` (none without a key). */
  signed(
    topic: string,
    text: string,
    properties: IPublishPacket['properties'] = undefined,
  ): { properties?: IPublishPacket['properties'] } {
    const signer = this.s.stationSigner;
    if (!signer || this.s.protocolVersion !== 5) return properties ? { properties } : {};
    const sig = signStationPayload(topic, Buffer.from(text), signer.privateKey, signer.chain);
    return {
      properties: {
        ...properties,
        userProperties: { ...properties?.userProperties, [STATION_SIGNATURE_PROPERTY]: sig },
      },
    };
  }

  /** The retained will `offline` of a connection. */
  will(session: number): NonNullable<IClientOptions['will']> {
    const text = JSON.stringify({ v: 1, state: 'offline', session } satisfies StatusMessage);
    return {
      topic: this.s.topics.status,
      payload: Buffer.from(text),
      ...this.signed(this.s.topics.status, text),
      qos: 1,
      retain: true,
    };
  }

  /** Retained `online` (birth message) of a new connection. */
  online(link: Link): void {
    const online: StatusMessage = {
      v: 1,
      state: 'online',
      session: link.session,
      version: this.s.version,
      at: this.s.now().toISOString(),
    };
    this.publish(link, this.s.topics.status, online, { qos: 1, retain: true });
  }

  /** On a clean stop: retained `offline`, then the connection is closed (each step bounded). */
  async goodbye(link: Link): Promise<void> {
    if (link.connected) {
      const offline: StatusMessage = {
        v: 1,
        state: 'offline',
        session: link.session,
        at: this.s.now().toISOString(),
      };
      const text = JSON.stringify(offline);
      await Promise.race([
        link.client.publishAsync(this.s.topics.status, text, {
          qos: 1,
          retain: true,
          ...this.signed(this.s.topics.status, text),
        }),
        delay(2000),
      ]).catch(() => undefined);
    }
    await Promise.race([link.client.endAsync(false), delay(2000)]).catch(() => undefined);
    link.client.end(true);
  }
}

/** Resolves after `ms` without keeping the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
