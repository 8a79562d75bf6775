import type { KioskLanguage } from '../../shared/i18n/catalogue.js';
/** The checked configuration (see schema.ts for descriptions and defaults). */
export interface Config {
  station: {
    id: string;
    name: string;
    area: string;
    timezone: string;
    hours: { open: string; close: string };
    mode: 'locker' | 'door' | 'both';
    help: { phone: string; hours: string; text: string; qr: string };
    /** PEM private key signing audit checkpoints ('' = none). */
    signingKey: string;
    /** Its certificate ('' = none). */
    signingCert: string;
  };
  storage: { path: string; busyTimeoutMs: number };
  retention: RetentionConfig;
  log: {
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    format: 'auto' | 'json' | 'pretty';
  };
  web: {
    enabled: boolean;
    host: string;
    port: number;
    simulator: boolean;
    allowRemote: boolean;
    defaultLanguage: KioskLanguage;
  };
  mqtt: {
    enabled: boolean;
    url: string;
    embeddedBroker: boolean;
    protocolVersion: 4 | 5;
    clientId: string;
    username: string;
    password: string;
    ca: string;
    cert: string;
    key: string;
    topicPrefix: string;
    heartbeatSec: number;
    reconnectMinMs: number;
    reconnectMaxMs: number;
    clockSkewSec: number;
    maxCommandLifetimeSec: number;
    maxInflight: number;
    outboxMaxEvents: number;
  };
  card: { driver: 'pcsc' | 'sim' | 'none'; reader: string };
  trust: {
    authAnchors: string[];
    signAnchors: string[];
    commandAnchors: string[];
    /**
     * `crl` (the schema's default; absent counts as `crl`): every command signer is checked
     * against the command CA's CRL. Optional only for hand-made trust settings (tests).
     */
    commandRevocation?: 'crl' | 'off';
    /** Command-CRL files installed at start (besides the retained `<prefix>/fleet/command-crl`). */
    commandCrlFiles?: string[];
    crlToleranceHours: number;
    /** SHA-256 (hex) of an anchor's SubjectPublicKeyInfo -> hours (overrides crlToleranceHours). */
    crlToleranceHoursByAnchor: Record<string, number>;
    crlUrls: string[];
    revocationFor: ('auth' | 'sign' | 'command')[];
    crlRefreshMinutes: number;
    crlMaxBytes: number;
    crlMaxEntries: number;
    /** Memory budget (MB) of the CRL lookup structures, all cached CRLs together. */
    crlMemoryMb: number;
    crlDownloadTimeoutSec: number;
    crlMinRateBytes: number;
    crlMinRateWindowSec: number;
    ocsp: {
      mode: 'off' | 'prefer' | 'require';
      url: string;
      timeoutMs: number;
      requireNonce: boolean;
    };
  };
  board: {
    driver: 'kerong' | 'sim' | 'none';
    port: string;
    baudRate: number;
    replyTimeoutMs: number;
    retries: number;
    boards: BoardConfig[];
  };
  gpio: {
    driver: 'onoff' | 'sim' | 'none';
    chipLabel: string;
    outputs: GpioOutputConfig[];
    inputs: GpioInputConfig[];
  };
  compartments: CompartmentConfig[];
  doors: DoorConfig[];
  pickup: {
    pinTimeoutSec: number;
    doorOpenTimeoutSec: number;
    doorLeftOpenSec: number;
    refuseLastTry: boolean;
  };
}

export interface BoardConfig {
  address: number;
  locks: number;
  latchPolarity: 'one-is-latched' | 'zero-is-latched';
  pulseMs: number;
}
export interface GpioOutputConfig {
  name: string;
  line: number;
  activeLow: boolean;
  failMode: 'secure' | 'safe';
  maxPulseMs: number;
  cooldownMs: number;
}
export interface GpioInputConfig {
  name: string;
  line: number;
  kind: 'door' | 'rex' | 'tamper' | 'fire';
  activeLow: boolean;
  debounceMs: number;
}
export interface CompartmentConfig {
  id: string;
  board: number;
  lock: number;
  size: 'S' | 'M' | 'L';
}
export interface DoorConfig {
  id: string;
  name: string;
  relay: string;
  contact: string;
  rex: string;
  unlockMs: number;
  heldOpenSec: number;
  /** Reader-name substring of this door's own reader ('' = none). */
  reader: string;
  /** GPIO input (kind fire) that releases this door when it is fail-safe ('' = none). */
  fireInput: string;
  /** Seconds a granted card is refused again at this door (0 = off). */
  antiPassbackSec: number;
}
export interface RetentionConfig {
  deliveriesDays: number;
  attemptsDays: number;
  auditDays: number;
  eventsSentDays: number;
  /** HH:MM, station time zone. */
  runAt: string;
  enabled: boolean;
}
