import { KIOSK_LANGUAGES } from '../../shared/i18n/catalogue.js';

/**
 * The one configuration schema: defaults and a description for every key. JSON Schema
 * (draft 2020-12 subset understood by Ajv). Keys marked `x-path` are file paths resolved
 * against the configuration file's folder; `x-error` gives the message for a failed check.
 * Later components add their keys here, in their own section.
 */
import { JPKI_ROOT_NAMES } from '../trust/jpki-roots.js';

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    station: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Who this station is and when it serves residents.',
      properties: {
        id: {
          type: 'string',
          pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
          default: 'demo-station',
          description:
            'Station id used in MQTT topics and commands (lower-case letters, digits, dashes).',
          'x-error':
            'must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit',
        },
        name: {
          type: 'string',
          default: 'Demo station',
          description: 'Human-readable name shown on the kiosk.',
        },
        area: {
          type: 'string',
          default: '',
          description: 'Area or ward, used by the operator console to group stations.',
        },
        timezone: {
          type: 'string',
          default: 'Asia/Tokyo',
          description: 'IANA time zone for schedules, hours and deadlines.',
          'x-timezone': true,
        },
        hours: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description:
            'Opening hours for pickups (local time, HH:MM). open == close means always open.',
          properties: {
            open: {
              type: 'string',
              pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
              default: '00:00',
              'x-error': 'must be HH:MM',
              description: 'Opening time.',
            },
            close: {
              type: 'string',
              pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
              default: '00:00',
              'x-error': 'must be HH:MM',
              description: 'Closing time.',
            },
          },
        },
        mode: {
          type: 'string',
          enum: ['locker', 'door', 'both'],
          default: 'locker',
          description: 'What this station runs: document lockers, building doors, or both.',
        },
        help: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description:
            'Who a stuck resident can call: shown with a QR code on every kiosk error and out-of-service screen.',
          properties: {
            phone: {
              type: 'string',
              default: '',
              description:
                'Help line or intercom number, e.g. 0120-000-123 (empty: "ask at the counter").',
            },
            hours: {
              type: 'string',
              default: '',
              description:
                'When the help line answers, as shown, e.g. "平日 8:30-17:15 / weekdays".',
            },
            text: {
              type: 'string',
              default: '',
              description: 'One more line under the number, e.g. the office name.',
            },
            qr: {
              type: 'string',
              default: '',
              description: 'What the QR code holds; empty means tel:<phone>.',
            },
          },
        },
        signingKey: {
          type: 'string',
          default: '',
          'x-path': true,
          description:
            "The station's own private key (PEM): signs the audit chain's checkpoints. Without it, retention prunes nothing.",
        },
        signingCert: {
          type: 'string',
          default: '',
          'x-path': true,
          description:
            "The certificate of station.signingKey (PEM or DER), sent in the checkpoints' x5c; audit verify checks checkpoints with it.",
        },
      },
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Where the station keeps its state.',
      properties: {
        path: {
          type: 'string',
          default: './data/station.db',
          'x-path': true,
          description: 'SQLite database file (WAL mode).',
        },
        busyTimeoutMs: {
          type: 'integer',
          minimum: 0,
          maximum: 60000,
          default: 2000,
          description: 'How long to wait for a lock held by another process before failing.',
        },
      },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        'How long records are kept (days). A nightly job deletes what has expired, after signing a checkpoint of the audit chain; nothing pending or unsent is ever deleted.',
      properties: {
        deliveriesDays: {
          type: 'integer',
          minimum: 1,
          default: 90,
          description:
            'Closed deliveries (collected, cancelled, retrieved, handed over), from when they closed.',
        },
        attemptsDays: {
          type: 'integer',
          minimum: 1,
          default: 30,
          description:
            'Pickup and door attempts: their audit rows are redacted (the chain keeps their place) and their sent events deleted.',
        },
        auditDays: {
          type: 'integer',
          minimum: 1,
          default: 365,
          description: 'Audit rows: the oldest are pruned from the front of the chain.',
        },
        eventsSentDays: {
          type: 'integer',
          minimum: 1,
          default: 14,
          description: 'Events the broker acknowledged; unsent events are always kept.',
        },
        runAt: {
          type: 'string',
          pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
          default: '03:30',
          'x-error': 'must be HH:MM',
          description: 'When the nightly job runs (station time zone).',
        },
        enabled: { type: 'boolean', default: true, description: 'Run the nightly job.' },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Logging.',
      properties: {
        level: {
          type: 'string',
          enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
          default: 'info',
          description: 'Minimum level. APDU and serial hex appear only at debug.',
        },
        format: {
          type: 'string',
          enum: ['auto', 'json', 'pretty'],
          default: 'auto',
          description: 'auto: readable on a terminal, JSON otherwise (under a service manager).',
        },
      },
    },
    web: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The kiosk screen served to the local browser.',
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Serve the kiosk screen.' },
        host: {
          type: 'string',
          default: '127.0.0.1',
          description: 'Listen address. Keep it on loopback on a station.',
        },
        port: {
          type: 'integer',
          minimum: 0,
          maximum: 65535,
          default: 8080,
          description: 'Listen port (0 picks a free one).',
        },
        simulator: {
          type: 'boolean',
          default: false,
          description: 'Also serve the simulator page (demo only).',
        },
        allowRemote: {
          type: 'boolean',
          default: false,
          description:
            'Allow a web.host other than loopback (the kiosk API then answers the network; a warning is logged).',
        },
        defaultLanguage: {
          type: 'string',
          enum: [...KIOSK_LANGUAGES],
          default: 'ja',
          description:
            'Language the kiosk starts in, and returns to when a card is removed or a session ends (ja-easy: やさしい日本語).',
        },
      },
    },
    mqtt: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The link to the municipal back office.',
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Connect to the broker.' },
        url: {
          type: 'string',
          pattern: '^(mqtts?|wss?)://[^\\s/]+',
          default: 'mqtt://127.0.0.1:1883',
          description: 'Broker URL.',
          'x-error': 'must be an mqtt:// or mqtts:// URL',
        },
        embeddedBroker: {
          type: 'boolean',
          default: false,
          description: "Run an in-process broker (aedes, MQTT 3.1.1) on the url's port: demo only.",
        },
        protocolVersion: {
          type: 'integer',
          enum: [4, 5],
          default: 5,
          description:
            'MQTT protocol version (5, or 4 for 3.1.1 brokers such as the embedded one).',
        },
        clientId: {
          type: 'string',
          default: '',
          description: 'Client id; empty means jpki-locker-<station id>.',
        },
        username: { type: 'string', default: '', description: 'Broker user name.' },
        password: {
          type: 'string',
          default: '',
          'x-secret': true,
          description: 'Broker password.',
        },
        ca: {
          type: 'string',
          default: '',
          'x-path': true,
          description: 'CA certificate file for mqtts://.',
        },
        cert: {
          type: 'string',
          default: '',
          'x-path': true,
          description: "The station's client certificate file.",
        },
        key: {
          type: 'string',
          default: '',
          'x-path': true,
          description: "The station's client key file.",
        },
        topicPrefix: { type: 'string', default: 'jpki-locker/v1', description: 'Topic prefix.' },
        heartbeatSec: {
          type: 'integer',
          minimum: 1,
          maximum: 3600,
          default: 30,
          description: 'Heartbeat interval.',
        },
        reconnectMinMs: {
          type: 'integer',
          minimum: 100,
          default: 1000,
          description: 'First reconnect delay.',
        },
        reconnectMaxMs: {
          type: 'integer',
          minimum: 100,
          default: 60000,
          description: 'Longest reconnect delay (exponential back-off).',
        },
        clockSkewSec: {
          type: 'integer',
          minimum: 0,
          maximum: 3600,
          default: 60,
          description:
            "Tolerated difference between the office's and the station's clocks for a command's validity window.",
        },
        maxCommandLifetimeSec: {
          type: 'integer',
          minimum: 10,
          default: 86400,
          description: 'Commands valid for longer than this (expiresAt - notBefore) are refused.',
        },
        maxInflight: {
          type: 'integer',
          minimum: 1,
          maximum: 65535,
          default: 100,
          description: 'QoS 1 events in flight at once (also capped by the broker).',
        },
        outboxMaxEvents: {
          type: 'integer',
          minimum: 100,
          default: 1000000,
          description: 'Outbox bound; an alarm is raised at 80 %.',
        },
      },
    },
    card: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The card reader.',
      properties: {
        driver: {
          type: 'string',
          enum: ['pcsc', 'sim', 'none'],
          default: 'pcsc',
          description: 'pcsc: a real reader through pcscd; sim: the simulated reader.',
        },
        reader: {
          type: 'string',
          default: '',
          description: 'Use only readers whose name contains this text (empty: any).',
        },
      },
    },
    trust: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Trust anchors and revocation.',
      properties: {
        authAnchors: {
          type: 'array',
          items: { type: 'string', 'x-path': true, 'x-names': JPKI_ROOT_NAMES },
          default: [],
          description: `JPKI user-authentication root certificates, every generation: the shipped real roots by name (${JPKI_ROOT_NAMES.join(', ')}; pinned by SHA-256) or PEM/DER files.`,
        },
        signAnchors: {
          type: 'array',
          items: { type: 'string', 'x-path': true },
          default: [],
          description: 'JPKI digital-signature root certificates.',
        },
        commandAnchors: {
          type: 'array',
          items: { type: 'string', 'x-path': true },
          default: [],
          description: 'Roots that may sign back-office commands.',
        },
        commandRevocation: {
          enum: ['crl', 'off'],
          default: 'crl',
          description:
            'crl: every command signer is checked against the CRL of its command anchor (retained on <prefix>/fleet/command-crl, or commandCrlFiles); without a current one every command is refused (command_crl_missing / command_crl_stale). off: revoking an office certificate has no effect on this station.',
        },
        commandCrlFiles: {
          type: 'array',
          items: { type: 'string', 'x-path': true },
          default: [],
          description:
            'CRL files of the command anchors (DER or PEM) installed at start; a newer one from the broker replaces them.',
        },
        crlToleranceHours: {
          type: 'number',
          minimum: 0,
          default: 24,
          description:
            'How long past nextUpdate a CRL is still accepted; beyond it the station refuses with crl_stale.',
        },
        crlToleranceHoursByAnchor: {
          type: 'object',
          propertyNames: { pattern: '^[0-9a-f]{64}$' },
          additionalProperties: { type: 'number', minimum: 0 },
          default: {},
          description:
            'Per trust anchor tolerance overriding crlToleranceHours for the CRLs it signs: SHA-256 (hex) of the anchor public key, as crl status shows it, to hours.',
        },
        crlUrls: {
          type: 'array',
          items: { type: 'string' },
          default: [],
          description: 'Where to fetch CRLs (file paths or http(s) URLs).',
        },
        revocationFor: {
          type: 'array',
          items: { type: 'string', enum: ['auth', 'sign', 'command'] },
          default: ['auth', 'sign'],
          description:
            'Purposes whose certificates must be checked against a cached CRL (no CRL: crl_missing).',
        },
        crlRefreshMinutes: {
          type: 'integer',
          minimum: 0,
          maximum: 10080,
          default: 60,
          description:
            'How often to re-fetch crlUrls (conditional GET) and re-check CRL freshness; 0 = only at start.',
        },
        crlMaxBytes: {
          type: 'integer',
          minimum: 1024,
          default: 536870912,
          description:
            'Largest CRL accepted (bytes, 512 MiB by default): checked against Content-Length and while the CRL streams in.',
        },
        crlMaxEntries: {
          type: 'integer',
          minimum: 1,
          default: 12000000,
          description: 'Most revoked entries accepted in one CRL (counted while it streams in).',
        },
        crlMemoryMb: {
          type: 'integer',
          minimum: 1,
          default: 128,
          description:
            'Memory for looking up revoked serials, all cached CRLs together (MB; 128 suits a 1 GB Pi): 8 bytes per entry while they fit (16,000,000 entries in 128 MB); beyond it a 256 KB table per CRL, and each lookup reads a few hundred fingerprints from the CRL index file.',
        },
        crlDownloadTimeoutSec: {
          type: 'integer',
          minimum: 1,
          default: 600,
          description:
            'Overall deadline of one CRL download or import (crlUrls refresh, crl import, crl.available).',
        },
        crlMinRateBytes: {
          type: 'integer',
          minimum: 0,
          default: 65536,
          description:
            'A CRL download is aborted when fewer than this many bytes arrive in any crlMinRateWindowSec; 0 = no minimum.',
        },
        crlMinRateWindowSec: {
          type: 'integer',
          minimum: 1,
          default: 30,
          description: 'The window of crlMinRateBytes (seconds).',
        },
        ocsp: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description:
            'Online certificate status (OCSP, RFC 6960) for user-authentication certificates, before the CRL.',
          properties: {
            mode: {
              type: 'string',
              enum: ['off', 'prefer', 'require'],
              default: 'off',
              description:
                'off: CRL only. prefer: an OCSP answer within timeoutMs decides, else the CRL with its freshness rule. require: no OCSP answer means refusal. Revoked in either source wins.',
            },
            url: {
              type: 'string',
              default: '',
              description:
                "Responder URL (JPKI's responder is reached through the back office); empty: the certificate's authorityInfoAccess.",
            },
            timeoutMs: {
              type: 'integer',
              minimum: 50,
              maximum: 60000,
              default: 2000,
              description:
                'The most the online check may add to a decision: the responder is given up in time for the fallback (prefer) or the refusal (require) to be decided within it.',
            },
            requireNonce: {
              type: 'boolean',
              default: true,
              description:
                'Refuse a fetched response that does not echo the request nonce (a responder serving pre-produced answers needs false).',
            },
          },
        },
      },
    },
    board: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'RS-485 locker boards.',
      properties: {
        driver: {
          type: 'string',
          enum: ['kerong', 'sim', 'none'],
          default: 'none',
          description: 'kerong: Kerong CU16 over serial; sim: simulated.',
        },
        port: { type: 'string', default: '', description: 'Serial device, e.g. /dev/ttyUSB0.' },
        baudRate: { type: 'integer', default: 19200, description: 'Line speed.' },
        replyTimeoutMs: {
          type: 'integer',
          minimum: 10,
          default: 300,
          description: 'Wait this long for a reply.',
        },
        retries: {
          type: 'integer',
          minimum: 0,
          maximum: 3,
          default: 3,
          description: 'Retries after a failed transaction.',
        },
        boards: {
          type: 'array',
          default: [],
          description: 'Boards on the bus.',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['address'],
            properties: {
              address: {
                type: 'integer',
                minimum: 0,
                maximum: 15,
                description: 'Board address 0-15.',
              },
              locks: {
                type: 'integer',
                minimum: 1,
                maximum: 16,
                default: 16,
                description: 'Locks on this board.',
              },
              latchPolarity: {
                type: 'string',
                enum: ['one-is-latched', 'zero-is-latched'],
                default: 'one-is-latched',
                description: 'What a 1 in the latch bits means; check at commissioning.',
              },
              pulseMs: {
                type: 'integer',
                minimum: 10,
                maximum: 2550,
                default: 500,
                description: 'Unlock pulse (500 solenoid, 1000 motor).',
              },
            },
          },
        },
      },
    },
    gpio: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Relays and inputs wired to the Pi.',
      properties: {
        driver: {
          type: 'string',
          enum: ['onoff', 'sim', 'none'],
          default: 'none',
          description: 'onoff: sysfs GPIO; sim: simulated.',
        },
        chipLabel: {
          type: 'string',
          default: 'pinctrl-bcm2835',
          description: 'gpiochip label whose base offsets line numbers.',
        },
        outputs: {
          type: 'array',
          default: [],
          description: 'Relay outputs.',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'line'],
            properties: {
              name: { type: 'string', description: 'Output name referenced by doors.' },
              line: {
                type: 'integer',
                minimum: 0,
                maximum: 1023,
                description: 'Line number on the chip (BCM numbering).',
              },
              activeLow: {
                type: 'boolean',
                default: false,
                description: 'The relay energises on a low level.',
              },
              failMode: {
                type: 'string',
                enum: ['secure', 'safe'],
                default: 'secure',
                description:
                  'secure: locked without power; safe: opens without power (fire egress).',
              },
              maxPulseMs: {
                type: 'integer',
                minimum: 50,
                maximum: 30000,
                default: 5000,
                description: 'Longest unlock pulse.',
              },
              cooldownMs: {
                type: 'integer',
                minimum: 0,
                maximum: 60000,
                default: 500,
                description: 'Minimum time between pulses.',
              },
            },
          },
        },
        inputs: {
          type: 'array',
          default: [],
          description: 'Inputs: door contacts, request-to-exit buttons, tamper switches.',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'line'],
            properties: {
              name: { type: 'string', description: 'Input name referenced by doors.' },
              line: {
                type: 'integer',
                minimum: 0,
                maximum: 1023,
                description: 'Line number on the chip.',
              },
              kind: {
                type: 'string',
                enum: ['door', 'rex', 'tamper', 'fire'],
                default: 'door',
                description: 'What is wired (fire: the fire-alarm panel contact).',
              },
              activeLow: {
                type: 'boolean',
                default: true,
                description: 'Active (door open / button pressed) on a low level.',
              },
              debounceMs: {
                type: 'integer',
                minimum: 0,
                maximum: 1000,
                default: 30,
                description: 'Debounce time.',
              },
            },
          },
        },
      },
    },
    compartments: {
      type: 'array',
      default: [],
      description: 'Locker compartments: which board and lock each one is.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'board', 'lock'],
        properties: {
          id: {
            type: 'string',
            pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
            'x-error':
              'must be 1-64 letters, digits, dots, dashes or underscores (it appears in MQTT payloads)',
            description: 'Compartment label, e.g. A01.',
          },
          board: { type: 'integer', minimum: 0, maximum: 15, description: 'Board address.' },
          lock: {
            type: 'integer',
            minimum: 1,
            maximum: 16,
            description: 'Lock number on the board (from 1).',
          },
          size: {
            type: 'string',
            enum: ['S', 'M', 'L'],
            default: 'M',
            description: 'Compartment size.',
          },
        },
      },
    },
    doors: {
      type: 'array',
      default: [],
      description: 'Building doors driven by GPIO relays.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'relay'],
        properties: {
          id: {
            type: 'string',
            pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
            'x-error':
              'must be 1-64 letters, digits, dots, dashes or underscores (it appears in MQTT payloads)',
            description: 'Door id used in door rules.',
          },
          name: { type: 'string', default: '', description: 'Name shown to staff.' },
          relay: { type: 'string', description: 'Output name.' },
          contact: { type: 'string', default: '', description: 'Door-contact input name.' },
          rex: { type: 'string', default: '', description: 'Request-to-exit input name.' },
          unlockMs: {
            type: 'integer',
            minimum: 100,
            maximum: 30000,
            default: 5000,
            description: 'Unlock pulse.',
          },
          heldOpenSec: {
            type: 'integer',
            minimum: 1,
            default: 30,
            description: 'Raise held-open after this long.',
          },
          reader: {
            type: 'string',
            default: '',
            description:
              "Card reader of this door (a reader-name substring, as card.reader): a card presented there asks for this door. Empty: the door is opened from the kiosk's reader or remotely only.",
          },
          fireInput: {
            type: 'string',
            default: '',
            description:
              'GPIO input (kind fire) of the fire-alarm panel: while active a fail-safe (failMode safe) door is released; afterwards it locks and opens only on a new decision.',
          },
          antiPassbackSec: {
            type: 'integer',
            minimum: 0,
            maximum: 86400,
            default: 0,
            description:
              'Anti-passback: after a grant, the same card is refused at this door for this long (0: off).',
          },
        },
      },
    },
    pickup: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The pickup flow.',
      properties: {
        pinTimeoutSec: {
          type: 'integer',
          minimum: 5,
          default: 60,
          description: 'Give up waiting for the PIN.',
        },
        doorOpenTimeoutSec: {
          type: 'integer',
          minimum: 5,
          default: 30,
          description: 'Re-lock when the door was never opened.',
        },
        doorLeftOpenSec: {
          type: 'integer',
          minimum: 5,
          default: 120,
          description: 'Alarm when a compartment stays open.',
        },
        refuseLastTry: {
          type: 'boolean',
          default: true,
          description:
            'Never ask for the PIN when only one try is left: send the resident to the counter (the PIN is shared with other services).',
        },
      },
    },
  },
} as const;
