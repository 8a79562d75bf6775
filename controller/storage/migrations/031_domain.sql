-- 031: compartments, deliveries, doors, staff roster, door rules, alarms (issue 7).
-- People appear only as the SHA-256 of their certificate's SubjectPublicKeyInfo (hex).

-- One row per configured compartment; `state` is the persisted state machine.
CREATE TABLE compartments (
  id          TEXT PRIMARY KEY,
  size        TEXT NOT NULL CHECK (size IN ('S', 'M', 'L')),
  state       TEXT NOT NULL CHECK (state IN ('empty', 'reserved', 'loaded', 'opened_for_pickup',
                'collected', 'expired', 'retrieval', 'maintenance', 'fault')),
  door        TEXT NOT NULL DEFAULT 'unknown' CHECK (door IN ('open', 'closed', 'unknown')),
  delivery_id TEXT,
  -- State to go back to when a fault or maintenance ends.
  resume_state TEXT,
  updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE deliveries (
  id              TEXT PRIMARY KEY,
  compartment     TEXT NOT NULL REFERENCES compartments(id),
  holder_spki     TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('assigned', 'loaded', 'collected', 'expired',
                    'cancelled', 'retrieved')),
  pickup_deadline TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  loaded_at       TEXT,
  collected_at    TEXT,
  closed_reason   TEXT
) STRICT;
CREATE INDEX deliveries_holder ON deliveries(holder_spki, state);
CREATE INDEX deliveries_deadline ON deliveries(state, pickup_deadline);
CREATE INDEX deliveries_compartment ON deliveries(compartment, state);

CREATE TABLE doors (
  id         TEXT PRIMARY KEY,
  state      TEXT NOT NULL CHECK (state IN ('locked', 'unlocked', 'open', 'held_open', 'forced')),
  updated_at TEXT NOT NULL
) STRICT;

-- The current staff roster (replaced as a whole; version in roster_versions).
CREATE TABLE staff (
  staff_id    TEXT PRIMARY KEY,
  spki        TEXT NOT NULL,
  roles       TEXT NOT NULL,
  valid_from  TEXT,
  valid_until TEXT
) STRICT;
CREATE INDEX staff_spki ON staff(spki);

-- Versioned documents from the back office: `roster`, `door_rules`.
CREATE TABLE domain_documents (
  name       TEXT PRIMARY KEY,
  version    INTEGER NOT NULL,
  body       TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT;

CREATE TABLE alarms (
  alarm    TEXT NOT NULL,
  target   TEXT NOT NULL,
  severity TEXT NOT NULL,
  since    TEXT NOT NULL,
  detail   TEXT,
  PRIMARY KEY (alarm, target)
) STRICT;

CREATE TABLE station_mode (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  mode   TEXT NOT NULL CHECK (mode IN ('active', 'maintenance')),
  reason TEXT
) STRICT;
