-- 170: retention (issue 17). Records are kept only as long as retention.* allows; the audit
-- chain stays verifiable across what was pruned.
--
-- audit_base: the last row pruned from the front of the chain (seq and hash). Verification
-- starts from it instead of the genesis hash. It only moves forward.
CREATE TABLE audit_base (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT NOT NULL
) STRICT;

-- Signed checkpoints of the chain's head, written before every pruning run (and kept: they
-- are the evidence that survives the pruning). jws: compact JWS signed with the station key.
CREATE TABLE audit_checkpoints (
  seq  INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  at   TEXT NOT NULL,
  jws  TEXT NOT NULL
) STRICT;

-- A redacted row keeps its place in the chain (seq, time, kind, links and hash) but loses its
-- content: attempts (personal, pseudonymous) are redacted after retention.attemptsDays while
-- the chain around them is kept longer.
ALTER TABLE audit_log ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0 CHECK (redacted IN (0, 1));

DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (OLD.redacted = 0 AND NEW.redacted = 1 AND NEW.seq = OLD.seq AND NEW.at = OLD.at
  AND NEW.kind = OLD.kind AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
  AND NEW.action = '' AND NEW.actor = '' AND NEW.target = '' AND NEW.outcome = ''
  AND NEW.reason = '' AND NEW.details = '{}')
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only (a row can only be redacted)');
END;

-- Rows can be deleted only at or below the recorded base (the pruner moves the base first).
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > coalesce((SELECT seq FROM audit_base WHERE id = 1), 0)
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only (rows are pruned only below the chain base)');
END;

CREATE TRIGGER audit_base_forward BEFORE UPDATE ON audit_base
WHEN NEW.seq < OLD.seq
BEGIN
  SELECT RAISE(ABORT, 'audit_base only moves forward');
END;

CREATE TRIGGER audit_base_no_delete BEFORE DELETE ON audit_base
BEGIN
  SELECT RAISE(ABORT, 'audit_base cannot be deleted');
END;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit checkpoints are kept as written');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit checkpoints are kept as written');
END;

-- When a delivery was closed (collected, cancelled, retrieved, handed over, inspection): the
-- retention period of deliveries runs from here.
ALTER TABLE deliveries ADD COLUMN closed_at TEXT;
