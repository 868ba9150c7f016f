-- Information sharing agreements and their versions (policy/store). Every version is kept; a
-- version's document is frozen once it leaves draft. At most one active version per agreement.
CREATE TABLE agreements (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  title       text NOT NULL,
  created_at  timestamptz NOT NULL
);

CREATE TABLE agreement_versions (
  agreement_id  text NOT NULL REFERENCES agreements (id),
  version       integer NOT NULL CHECK (version >= 1),
  doc           jsonb NOT NULL,
  -- The same document as JSON text in the author's key order (jsonb reorders keys): what get and
  -- export return, so an exported file reads like the one that was written.
  doc_text      text NOT NULL,
  -- SHA-256 hex of the canonical (RFC 8785) document: pins exactly what was approved.
  doc_digest    text NOT NULL CHECK (doc_digest ~ '^[0-9a-f]{64}$'),
  status        text NOT NULL CHECK (status IN ('draft', 'approved', 'active', 'suspended', 'expired', 'superseded')),
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL,
  -- Everyone who wrote this version's content (creator and editors): none of them may approve it.
  authors       text[] NOT NULL,
  updated_at    timestamptz NOT NULL,
  approved_by   text,
  approved_at   timestamptz,
  activated_by  text,
  activated_at  timestamptz,
  suspended_by  text,
  suspended_at  timestamptz,
  expired_by    text,
  expired_at    timestamptz,
  superseded_at timestamptz,
  PRIMARY KEY (agreement_id, version),
  CHECK (created_by = ANY (authors)),
  -- Maker-checker, enforced by the database as well as by the service.
  CHECK (approved_by IS NULL OR NOT (approved_by = ANY (authors))),
  CHECK (status = 'draft' OR (approved_by IS NOT NULL AND approved_at IS NOT NULL)),
  CHECK (status <> 'active' OR activated_at IS NOT NULL)
);

CREATE UNIQUE INDEX agreement_versions_one_active ON agreement_versions (agreement_id) WHERE status = 'active';
CREATE INDEX agreement_versions_status ON agreement_versions (status);
