-- 020: the transactional outbox (controller/outbox). Every event is inserted in the same
-- transaction as the state change it reports. `seq` is the station-wide sequence number
-- (AUTOINCREMENT: never reused, also after sent events are pruned).
CREATE TABLE outbox_events (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  id   TEXT NOT NULL,       -- UUID
  kind TEXT NOT NULL,
  at   TEXT NOT NULL,       -- ISO 8601
  data TEXT NOT NULL        -- JSON, no personal data
) STRICT;

-- Delivery progress: every event with seq <= sent_upto was acknowledged (PUBACK) by the broker.
-- filling_alarm: 1 while the outbox_filling alarm is raised.
CREATE TABLE outbox_cursor (
  one           INTEGER PRIMARY KEY CHECK (one = 1),
  sent_upto     INTEGER NOT NULL,
  sent_at       TEXT,
  filling_alarm INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO outbox_cursor(one, sent_upto) VALUES (1, 0);

-- Commands already seen (replay cache) and the answer given, kept until well after expiry.
CREATE TABLE mqtt_commands (
  id           TEXT PRIMARY KEY,     -- command UUID
  content_hash TEXT NOT NULL,        -- SHA-256 of the signed claims
  kind         TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('in_progress', 'done', 'interrupted')),
  response     TEXT                  -- JSON CommandResponse once done
) STRICT;
CREATE INDEX mqtt_commands_expires ON mqtt_commands(expires_at);

-- Presence session counter (like Sparkplug bdSeq).
INSERT INTO station_meta(key, value) VALUES ('mqtt.session', '0') ON CONFLICT(key) DO NOTHING;
