-- 001: station metadata and the key/value settings store.
CREATE TABLE station_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Every start and clean stop, to tell crashes apart from shutdowns.
CREATE TABLE station_runs (
  id         INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  stopped_at TEXT,
  version    TEXT NOT NULL,
  exit_reason TEXT
) STRICT;
