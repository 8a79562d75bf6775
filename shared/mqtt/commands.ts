/**
 * Commands, back office -> station, and their answers.
 *
 * On the wire a command is `{"jws": "<compact JWS>"}` published (QoS 1, NOT retained) on
 * `jpki-locker/v1/<station>/cmd`. The JWS (RFC 7515, compact serialisation) has:
 *   - protected header `{ "alg": "ES256" | "ES384" | "RS256" | "PS256" | "EdDSA",
 *     "typ": "jpki-locker-command+jws", "x5c": [leaf, intermediate...] }` (RFC 7515 §4.1.6:
 *     base64 (not base64url) DER certificates, the signer's first);
 *   - payload: a {@link CommandClaims} JSON object.
 * The station checks, in order: JSON shape, JWS shape, signature over the leaf key, the x5c
 * chain against its command-signing anchors (purpose `command`), the station id, the
 * validity window, the replay cache, then hands the command to the domain.
 */

/** SHA-256 (lower-case hex) of a certificate's DER SubjectPublicKeyInfo: how people are named. */
export type SpkiSha256 = string;
/** Pattern of {@link SpkiSha256}. */
export const SPKI_SHA256_PATTERN = '^[0-9a-f]{64}$';

/** The `typ` header value of a command JWS. */
export const COMMAND_JWS_TYP = 'jpki-locker-command+jws';
/** JWS algorithms a station accepts. */
export const COMMAND_JWS_ALGS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const;
export type CommandJwsAlg = (typeof COMMAND_JWS_ALGS)[number];

/** Longest compact JWS in a command message (the `cmd` schema's maxLength). */
export const MAX_COMMAND_JWS_LENGTH = 262_144;
/**
 * Largest `cmd` payload in bytes (`{"jws":"..."}` around the longest JWS): a station refuses a
 * bigger one as `too_large` before parsing anything.
 */
export const MAX_COMMAND_PAYLOAD_BYTES = MAX_COMMAND_JWS_LENGTH + 64;
/**
 * The MQTT 5 Maximum Packet Size a station announces on CONNECT: the broker does not forward
 * it a bigger packet at all (MQTT 5 §3.1.2.11.4), so such a payload never reaches its memory.
 */
export const STATION_MAX_PACKET_BYTES = MAX_COMMAND_PAYLOAD_BYTES + 4096;

/** Compartment sizes. */
export type CompartmentSize = 'S' | 'M' | 'L';

/** Assign a delivery (an issued document) to a compartment, for one holder. */
export interface DeliveryAssignBody {
  deliveryId: string;
  /** A given compartment, or (exclusive) a size and the station picks a free one. */
  compartment?: string;
  size?: CompartmentSize;
  /** The holder: SHA-256 of their user-authentication certificate's SubjectPublicKeyInfo. */
  holderSpkiSha256: SpkiSha256;
  /** ISO 8601 instant after which the delivery is expired and goes back. */
  pickupDeadline: string;
  /**
   * The code printed on the envelope by the back office (QR or Code 128), exactly as the
   * scanner reads it ({@link ENVELOPE_CODE_PATTERN}). When loading, the station opens this
   * delivery's compartment only for this code; unique among the station's open deliveries
   * (`duplicate_delivery` with `detail.envelopeCode` otherwise). Without it the loader picks
   * the delivery on the kiosk screen.
   */
  envelopeCode?: string;
}
/**
 * An envelope code: 4-128 printable ASCII characters without spaces (what a Code 128 symbol
 * carries; a QR code is given the same payload).
 */
export const ENVELOPE_CODE_PATTERN = '^[!-~]{4,128}$';
/** Cancel a delivery (before pickup): the compartment is freed for retrieval. */
export interface DeliveryCancelBody {
  deliveryId: string;
  reason?: string;
}
/** Move a delivery's pickup deadline. */
export interface DeliveryExtendBody {
  deliveryId: string;
  pickupDeadline: string;
}
/** Staff roles. */
export type StaffRole = 'loader' | 'retrieval' | 'maintenance' | 'door';
/** The full staff roster (replaces the previous one; versioned). */
export interface StaffRosterBody {
  /** Monotonic version; a lower or equal version is rejected as `stale_version`. */
  version: number;
  staff: {
    staffId: string;
    certSpkiSha256: SpkiSha256;
    roles: StaffRole[];
    validFrom?: string;
    validUntil?: string;
  }[];
}
/** A weekly time window, local time of the schedule's time zone. */
export interface WeeklyWindow {
  days: ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[];
  /** HH:MM, inclusive. */
  from: string;
  /** HH:MM, exclusive; `24:00` allowed. */
  to: string;
}
/** One door rule. */
export interface DoorRule {
  ruleId: string;
  /** Who: certificate hashes and/or group names (groups defined in the same document). */
  who: { certSpkiSha256?: SpkiSha256[]; groups?: string[] };
  /** Which doors (door ids). */
  doors: string[];
  schedule: {
    /** IANA time zone, e.g. Asia/Tokyo. */
    timezone: string;
    weekly: WeeklyWindow[];
    /** YYYY-MM-DD dates (local) on which `holidayWindows` apply instead of `weekly`. */
    holidays?: string[];
    /** Windows on holidays; empty or absent = no access on holidays. */
    holidayWindows?: Omit<WeeklyWindow, 'days'>[];
  };
  /** ISO 8601 validity window of the rule. */
  validFrom: string;
  validUntil: string;
}
/** The full door-rule set (replaces the previous one; versioned). */
export interface DoorRulesBody {
  version: number;
  groups?: Record<string, SpkiSha256[]>;
  rules: DoorRule[];
}
/**
 * What becomes of the delivery in a compartment opened remotely by staff:
 * - `handed_over_at_counter`: staff take the document to the counter and hand it to the
 *   holder there (delivery -> `handed_over`);
 * - `retrieved`: staff take it back to the office (delivery -> `retrieved`);
 * - `inspection`: staff take it out to inspect it (delivery -> `inspection`).
 * In every case the compartment is free once it is closed again.
 */
export const REMOTE_OPEN_DISPOSITIONS = [
  'handed_over_at_counter',
  'retrieved',
  'inspection',
] as const;
/** A {@link REMOTE_OPEN_DISPOSITIONS} value. */
export type RemoteOpenDisposition = (typeof REMOTE_OPEN_DISPOSITIONS)[number];

/** Open a door or a compartment remotely. */
export interface RemoteOpenBody {
  /** Exactly one of door / compartment. */
  door?: string;
  compartment?: string;
  /** Why (free text, shown in the audit log; no personal data). */
  reason: string;
  /**
   * Compartments only: what happens to the delivery inside. Without it the delivery stays
   * where it is (the compartment is opened and watched until it closes). Refused with
   * `unknown_delivery` when the compartment holds no delivery.
   */
  disposition?: RemoteOpenDisposition;
}
/**
 * Take one compartment out of service (`enabled: true`: state `maintenance`, no pickups or
 * loading, its delivery kept) or put it back (`enabled: false`: back to the state it had).
 */
export interface CompartmentMaintenanceBody {
  compartment: string;
  enabled: boolean;
  reason?: string;
}
/**
 * Clear a compartment's fault (`fault` / `jammed`) after someone checked it. The station
 * asks the board first: unless it reports the latch closed the command is refused with
 * `latch_open` (or `hardware_fault` when the board does not answer) and the fault stays.
 */
export interface CompartmentClearBody {
  compartment: string;
  reason?: string;
}
/** Enter or leave maintenance mode (no pickups; staff only). */
export interface MaintenanceBody {
  enabled: boolean;
  reason?: string;
}
/** A new CRL is available: fetch it, check its hash, install it. */
export interface CrlAvailableBody {
  url: string;
  /** SHA-256 (hex) of the CRL file as downloaded. */
  sha256: string;
}
/**
 * Signed OCSP responses (RFC 6960 OCSPResponse, DER, base64) relayed by the back office for the
 * certificates this station serves (holders with pending deliveries, staff, people with door
 * rules), for stations that cannot reach a responder. Each is checked like a fetched one
 * (signed by the issuing CA or its delegated responder, time window) and kept until its
 * nextUpdate; decisions from them carry revocationSource `ocsp-cache`.
 */
export interface OcspResponsesBody {
  /** Base64 DER OCSPResponses (1-100). */
  responses: string[];
}
/** Change configuration keys (versioned). */
export interface ConfigChangeBody {
  version: number;
  /** Dotted keys -> new values, e.g. `{ "station.hours.open": "07:00" }`. */
  settings: Record<string, string | number | boolean | null>;
}

/** The bound on one remotely changeable key, checked by the `config.change` schema (refused as `malformed` at verification) on top of the station's configuration schema. */
export type RemoteKeyBound =
  { type: 'integer'; minimum: number; maximum: number } | { type: 'string'; maxLength: number };

/**
 * Keys the back office may change with a signed `config.change` command, each with a bound
 * (a timeout far above these would overflow Node's 2^31 ms timer and fire at once). Everything
 * that decides whom the station trusts, how fresh its revocation data must be, or where it
 * connects (trust anchors, CRL tolerance and refresh, broker, storage, drivers) stays in the
 * file on the station: a stolen signing key must not be able to re-point or blind the station.
 */
export const REMOTE_CONFIG_BOUNDS = {
  'station.name': { type: 'string', maxLength: 100 },
  'station.area': { type: 'string', maxLength: 100 },
  'station.hours.open': { type: 'string', maxLength: 5 },
  'station.hours.close': { type: 'string', maxLength: 5 },
  'web.defaultLanguage': { type: 'string', maxLength: 8 },
  'pickup.pinTimeoutSec': { type: 'integer', minimum: 5, maximum: 600 },
  'pickup.doorOpenTimeoutSec': { type: 'integer', minimum: 5, maximum: 600 },
  'pickup.doorLeftOpenSec': { type: 'integer', minimum: 5, maximum: 3600 },
  'mqtt.heartbeatSec': { type: 'integer', minimum: 1, maximum: 3600 },
  'log.level': { type: 'string', maxLength: 8 },
} as const satisfies Record<string, RemoteKeyBound>;

/** A key the back office may change. */
export type RemoteConfigKey = keyof typeof REMOTE_CONFIG_BOUNDS;

/** Every command kind and its body: the typed map of commands. */
export interface CommandBodies {
  'delivery.assign': DeliveryAssignBody;
  'delivery.cancel': DeliveryCancelBody;
  'delivery.extend': DeliveryExtendBody;
  'staff.roster': StaffRosterBody;
  'door.rules': DoorRulesBody;
  'remote.open': RemoteOpenBody;
  'compartment.maintenance': CompartmentMaintenanceBody;
  'compartment.clear': CompartmentClearBody;
  'station.maintenance': MaintenanceBody;
  'crl.available': CrlAvailableBody;
  'ocsp.responses': OcspResponsesBody;
  'config.change': ConfigChangeBody;
}
/** A command kind. */
export type CommandKind = keyof CommandBodies;
/** Every command kind, for validation and help texts. */
export const COMMAND_KINDS = [
  'delivery.assign',
  'delivery.cancel',
  'delivery.extend',
  'staff.roster',
  'door.rules',
  'remote.open',
  'compartment.maintenance',
  'compartment.clear',
  'station.maintenance',
  'crl.available',
  'ocsp.responses',
  'config.change',
] as const satisfies readonly CommandKind[];

/** The signed JWS payload of a command. */
export interface CommandClaimsOf<K extends CommandKind> {
  /** Contract version: 1. */
  v: 1;
  /** Unique command id (UUID); the station's replay cache keys on it. */
  id: string;
  /** The one station this command is for. */
  station: string;
  kind: K;
  /** ISO 8601 instants: when it was signed, from when and until when it may be executed. */
  issuedAt: string;
  notBefore: string;
  expiresAt: string;
  body: CommandBodies[K];
  /** The operator account that asked for it (the office console), when one did. */
  operator?: string;
  /** The second operator who approved it (two-person rule), when one had to. */
  approvedBy?: string;
}
/** Any command's claims (a discriminated union on `kind`). */
export type CommandClaims = { [K in CommandKind]: CommandClaimsOf<K> }[CommandKind];

/** The MQTT payload on the `cmd` topic. */
export interface CommandMessage {
  /** Compact JWS whose payload is {@link CommandClaims}. */
  jws: string;
}

/**
 * Why a command was rejected. Envelope reasons are decided by the gateway; domain reasons by
 * the station's command handler.
 */
export const COMMAND_REJECT_REASONS = [
  // envelope
  'malformed', // not JSON, not a JWS, or claims/body fail the schema
  'too_large', // the payload is above MAX_COMMAND_PAYLOAD_BYTES (refused before parsing)
  'unsigned', // no signature, alg "none", or no x5c chain
  'unsupported_algorithm',
  'bad_signature', // signature does not verify over the x5c leaf key
  'untrusted_signer', // chain does not lead to a command-signing anchor (or expired, wrong usage)
  'signer_revoked', // the signer's certificate is on the command CA's CRL
  'command_crl_missing', // no valid CRL of the command CA is installed: no signer can be checked
  'command_crl_stale', // the command CA's CRL is past nextUpdate + trust.crlToleranceHours
  'wrong_station', // claims.station is not this station
  'not_yet_valid', // now < notBefore (minus clock skew)
  'expired', // now > expiresAt (plus clock skew)
  'lifetime_too_long', // expiresAt - notBefore above the station's maximum
  'retained', // arrived as a retained message
  'replayed', // the id was already used for a different command
  'in_progress', // the same command is being executed right now
  'interrupted', // the same command was being executed when the station stopped
  'clock_jump', // the station's clock jumped (or went back behind its high-water mark): no commands until it settles
  // domain
  'unknown_delivery',
  'duplicate_delivery',
  'unknown_compartment',
  'unknown_door',
  'no_compartment_available',
  'compartment_busy',
  'invalid_deadline',
  'stale_version', // a roster / rule set / config with a version not above the current one
  'maintenance_mode',
  'hardware_fault',
  'not_supported', // this station does not do that (e.g. door rules on a locker-only station)
  'crl_unavailable', // crl.available: the CRL could not be downloaded (detail.error)
  'crl_hash_mismatch', // crl.available: the downloaded file's SHA-256 is not the one signed
  'bad_crl', // crl.available: the CRL does not verify or cannot be read; the last good one stays
  'bad_ocsp_response', // ocsp.responses: not one response could be believed (detail.problem)
  'latch_open', // compartment.clear: the board does not report the latch closed; the fault stays
  'invalid_state', // the compartment is not in a state the command applies to (detail.state)
  'handler_error', // unexpected failure while executing (logged on the station)
] as const;
/** A reject reason code. */
export type CommandRejectReason = (typeof COMMAND_REJECT_REASONS)[number];

/** What the domain answers for one command. */
export type CommandResult =
  | { accepted: true; detail?: Record<string, string | number | boolean | null> }
  | {
      accepted: false;
      reason: CommandRejectReason;
      detail?: Record<string, string | number | boolean | null>;
    };

/**
 * The answer on `cmd/response` (QoS 1, not retained). A repeated command (same id and same
 * signed content) gets the stored answer again with `duplicate: true`; nothing is executed
 * twice. With MQTT 5 the request's correlation data is echoed as well.
 */
export interface CommandResponse {
  v: 1;
  /** The command id, or null when the command was too broken to read one. */
  commandId: string | null;
  kind: CommandKind | null;
  station: string;
  status: 'accepted' | 'rejected';
  /** Present when rejected. */
  reason?: CommandRejectReason;
  /** Extra facts, e.g. the compartment chosen for a delivery. No personal data. */
  detail?: Record<string, string | number | boolean | null>;
  /** True when this repeats the answer to an earlier copy of the same command. */
  duplicate: boolean;
  /** When the station answered (ISO 8601). */
  at: string;
}
