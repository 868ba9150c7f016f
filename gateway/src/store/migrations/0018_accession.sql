-- Accession (docs/decisions/0023-accession.md): a provider joins, or leaves, an agreement in force
-- without a new drafting round. Its IG lead signs the request (who, when, which version's digest);
-- an IG officer of the agreement approves or refuses it (never the signatory). An approval makes a
-- new version with the party added (or removed) and puts it in force through the agreement
-- lifecycle; `resulting_version` names it. Rows are never deleted: together they are the
-- agreement's accession register.
CREATE TABLE agreement_accessions (
  id                  text PRIMARY KEY CHECK (id ~ '^acc_[0-9a-f]{32}$'),
  -- Register order (two signatures in the same instant still keep the order they were made in).
  seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  agreement_id        text NOT NULL REFERENCES agreements (id),
  agency_id           text NOT NULL REFERENCES agencies (id),
  kind                text NOT NULL CHECK (kind IN ('JOIN', 'WITHDRAW')),
  status              text NOT NULL CHECK (status IN ('REQUESTED', 'APPROVED', 'REFUSED')),
  -- The version the signatory read and accepted, and its document digest.
  based_on_version    integer NOT NULL CHECK (based_on_version >= 1),
  based_on_digest     text NOT NULL CHECK (based_on_digest ~ '^[0-9a-f]{64}$'),
  signed_by           text NOT NULL,
  signed_by_name      text NOT NULL CHECK (char_length(signed_by_name) BETWEEN 1 AND 200),
  signed_at           timestamptz NOT NULL,
  decided_by          text,
  decided_by_name     text,
  decided_at          timestamptz,
  refusal_reason      text CHECK (refusal_reason IS NULL OR char_length(refusal_reason) BETWEEN 1 AND 2000),
  resulting_version   integer,
  -- Maker-checker, in the database as well as in the service.
  CHECK (decided_by IS NULL OR decided_by <> signed_by),
  CHECK ((status = 'REQUESTED') = (decided_at IS NULL)),
  CHECK (status <> 'REFUSED' OR refusal_reason IS NOT NULL),
  CHECK (status <> 'APPROVED' OR resulting_version IS NOT NULL)
);
-- One open request per agency and agreement.
CREATE UNIQUE INDEX agreement_accessions_open_idx ON agreement_accessions (agreement_id, agency_id) WHERE status = 'REQUESTED';
CREATE INDEX agreement_accessions_agreement_idx ON agreement_accessions (agreement_id, seq);
