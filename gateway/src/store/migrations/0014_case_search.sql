-- Cases (issue 13): a state (open, withdrawn, closed with an outcome), and keyed search tokens.
--
-- search_tokens holds HMAC tokens of normalised names, dates of birth, identifiers and the local
-- reference (exchange/case-search.ts): never a plaintext value, and a key separate from the audit
-- log's subject tokens. A migration cannot compute an HMAC, so rows from before this migration
-- keep NULL and are tokenised by the gateway (lazily, the first time their coordinator lists or
-- searches cases: case-search.ts backfillSearchTokens). A withdraw, close or reopen reason is
-- sealed with the case, never in a column.

ALTER TABLE cases ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'OPEN'
  CHECK (status IN ('OPEN', 'WITHDRAWN', 'CLOSED'));
ALTER TABLE cases ADD COLUMN IF NOT EXISTS outcome text;
ALTER TABLE cases ADD COLUMN IF NOT EXISTS status_changed_at timestamptz;
ALTER TABLE cases ADD COLUMN IF NOT EXISTS updated_at timestamptz;
ALTER TABLE cases ADD COLUMN IF NOT EXISTS search_tokens text[];
ALTER TABLE cases ADD CONSTRAINT cases_outcome_only_closed CHECK ((status = 'CLOSED') = (outcome IS NOT NULL));

-- Search: containment (`search_tokens @> $tokens`) over a GIN index; every criterion narrows.
CREATE INDEX IF NOT EXISTS cases_search_tokens_gin ON cases USING gin (search_tokens);
-- The list: one coordinator's cases by meeting date.
CREATE INDEX IF NOT EXISTS cases_list_idx ON cases (coordinator_agency_id, meeting_date, created_at DESC);
-- Rows still to tokenise (only those from before this migration).
CREATE INDEX IF NOT EXISTS cases_search_pending_idx ON cases (coordinator_agency_id) WHERE search_tokens IS NULL;
