-- The kill switch (issue 12, class 4). Suspension needs a reason and is lifted only by a second
-- IG officer; any version that was ever in force (superseded ones too) can be suspended or
-- expired; an IG officer can remove a party from an agreement at once, for every version.

ALTER TABLE agreement_versions
  -- Why the version was suspended (free text written by an IG officer; never in the audit log,
  -- which holds its SHA-256 so the two can be matched).
  ADD COLUMN suspend_reason text,
  -- The status a resume returns to: 'active' or 'superseded' (whatever it was when suspended).
  ADD COLUMN suspended_from text CHECK (suspended_from IN ('active', 'superseded')),
  ADD COLUMN resumed_by     text,
  ADD COLUMN resumed_at     timestamptz,
  -- Maker-checker for the kill switch: whoever suspended cannot resume (a new suspension clears
  -- the last resume, so the pair always belongs to one suspension).
  ADD CONSTRAINT agreement_versions_resume_by_other CHECK (resumed_by IS NULL OR suspended_by IS NULL OR resumed_by <> suspended_by);

-- Which version is in force: the one activated last (suspended or expired, it still speaks for
-- the whole agreement).
CREATE INDEX agreement_versions_in_force ON agreement_versions (agreement_id, activated_at DESC, version DESC)
  WHERE activated_at IS NOT NULL;

-- A party an IG officer removed from an agreement: nothing is released to or from it under any
-- version while the removal stands. Lifted by a second IG officer or by a new version activated.
CREATE TABLE agreement_party_removals (
  id            bigserial PRIMARY KEY,
  agreement_id  text NOT NULL REFERENCES agreements (id),
  agency_id     text NOT NULL CHECK (agency_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  removed_by    text NOT NULL,
  removed_at    timestamptz NOT NULL,
  lifted_by     text,
  lifted_at     timestamptz,
  -- 'RESTORED' (a second officer) or 'NEW_VERSION' (a version activated after the removal).
  lifted_how    text CHECK (lifted_how IN ('RESTORED', 'NEW_VERSION')),
  CHECK ((lifted_at IS NULL) = (lifted_how IS NULL)),
  CHECK (lifted_how IS DISTINCT FROM 'RESTORED' OR lifted_by <> removed_by)
);

CREATE UNIQUE INDEX agreement_party_removals_standing ON agreement_party_removals (agreement_id, agency_id) WHERE lifted_at IS NULL;
