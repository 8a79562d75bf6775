-- 015: CRL index rows in the signed layout (controller/trust/crl-index.ts: two's complement,
-- sign-extended; serial_format 1) and the entries of indirect CRLs (RFC 5280 §5.3.3
-- certificateIssuer) kept per certificate issuer. Rows of format 0 (serial magnitudes) are
-- read as positive serials.
ALTER TABLE trust_crl ADD COLUMN serial_format INTEGER NOT NULL DEFAULT 0;

CREATE TABLE trust_crl_entry_issuer_index (
  crl_id         INTEGER NOT NULL REFERENCES trust_crl (id) ON DELETE CASCADE,
  cert_issuer    TEXT NOT NULL,     -- GeneralName key of the entries' certificate issuer (names.ts)
  serial_width   INTEGER NOT NULL,
  rows           BLOB NOT NULL,
  PRIMARY KEY (crl_id, cert_issuer)
) STRICT;

-- The index rows of a CRL in parts of at most 4 MiB (part 0, 1, ...): written and read one part
-- at a time, so persisting or loading a 10,000,000-entry index never holds a second copy of it.
-- trust_crl_index stays readable for rows written before this migration.
CREATE TABLE trust_crl_index_part (
  crl_id INTEGER NOT NULL REFERENCES trust_crl (id) ON DELETE CASCADE,
  part   INTEGER NOT NULL,
  rows   BLOB NOT NULL,
  PRIMARY KEY (crl_id, part)
) STRICT;
