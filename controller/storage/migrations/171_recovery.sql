-- 171: recovery (issue 17). A delivery taken out by staff through a remote.open with a
-- disposition ends `handed_over` (given at the counter) or `inspection` (taken out to be
-- inspected), besides `retrieved`. SQLite cannot change a CHECK constraint in place: the
-- table is rebuilt with the same rows (closed_at from 170 included).
CREATE TABLE deliveries_new (
  id              TEXT PRIMARY KEY,
  compartment     TEXT NOT NULL REFERENCES compartments(id),
  holder_spki     TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('assigned', 'loaded', 'collected', 'expired',
                    'cancelled', 'retrieved', 'handed_over', 'inspection')),
  pickup_deadline TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  loaded_at       TEXT,
  collected_at    TEXT,
  closed_reason   TEXT,
  closed_at       TEXT,
  -- The code printed on the envelope (delivery.assign envelopeCode): scanned at loading.
  envelope_code   TEXT
) STRICT;
INSERT INTO deliveries_new(id, compartment, holder_spki, state, pickup_deadline, created_at,
  loaded_at, collected_at, closed_reason, closed_at)
  SELECT id, compartment, holder_spki, state, pickup_deadline, created_at, loaded_at,
    collected_at, closed_reason, closed_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_holder ON deliveries(holder_spki, state);
CREATE INDEX deliveries_deadline ON deliveries(state, pickup_deadline);
CREATE INDEX deliveries_compartment ON deliveries(compartment, state);
CREATE INDEX deliveries_envelope ON deliveries(envelope_code);
