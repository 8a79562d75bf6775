-- 010: the offline CRL cache (controller/trust). One row per issuer key and scope holds the
-- last good CRL's facts; its revoked serials live in trust_crl_index as one compact BLOB of
-- fixed-width sorted rows (see controller/trust/crl-index.ts), loaded without re-parsing.
CREATE TABLE trust_crl (
  id                 INTEGER PRIMARY KEY,
  issuer_key         TEXT NOT NULL,     -- canonical issuer name (controller/trust/names.ts nameKey)
  issuer             TEXT NOT NULL,     -- issuer name as printed
  issuer_spki_sha256 TEXT NOT NULL,     -- hex sha256 of the signer's SubjectPublicKeyInfo
  scope              TEXT NOT NULL,     -- hex of the issuingDistributionPoint value, '' = full
  idp                BLOB,              -- issuingDistributionPoint value
  this_update        TEXT NOT NULL,     -- ISO 8601
  next_update        TEXT,
  crl_number         TEXT,              -- decimal; of the last CRL applied (full or delta)
  full_crl_number    TEXT,              -- decimal; of the complete CRL the entries derive from
  deltas_applied     INTEGER NOT NULL DEFAULT 0,
  entries            INTEGER NOT NULL,
  serial_width       INTEGER NOT NULL,
  der_sha256         TEXT NOT NULL,     -- sha256 of the last applied CRL's signature value (identity)
  source             TEXT NOT NULL,
  imported_at        TEXT NOT NULL,
  UNIQUE (issuer_key, issuer_spki_sha256, scope)
) STRICT;

CREATE TABLE trust_crl_index (
  crl_id INTEGER PRIMARY KEY REFERENCES trust_crl (id) ON DELETE CASCADE,
  rows   BLOB NOT NULL
) STRICT;

-- Conditional-GET state and last outcome per CRL source (file path or URL).
CREATE TABLE trust_crl_source (
  source        TEXT PRIMARY KEY,
  etag          TEXT,
  last_modified TEXT,
  checked_at    TEXT NOT NULL,
  outcome       TEXT NOT NULL,
  detail        TEXT
) STRICT;
