-- Retention of whole cases (issue 17 item 7; docs/decisions/0024-retention-case-keys.md).
--
-- Each case (and each referral, until and after it is accepted) has its own 256-bit data key.
-- Everything sealed about the case is sealed under it (key id `case:<caseId>`, `referral:<id>`);
-- the data key itself is stored wrapped (sealed) under the master sealing key, aad = its key id.
-- At the end of the agreement's retention the purge job deletes the case's rows and destroys the
-- key (crypto-shredding): a copy of the case's rows in an earlier backup of the data no longer
-- opens, whatever else the holder has, once no copy of the key store from before the purge is
-- left (the key store is backed up separately and briefly: docs/operations.md §8).
--
-- The key store is a schema of its own so that the data backups can leave it out
-- (`pg_dump --exclude-schema=keystore`) and the key store can be backed up on its own schedule.
CREATE SCHEMA IF NOT EXISTS keystore;

CREATE TABLE keystore.case_keys (
  -- `case:<caseId>` or `referral:<referralId>`: the key id the sealed columns carry.
  key_id              text PRIMARY KEY CHECK (key_id ~ '^(case|referral):[A-Za-z0-9._-]{1,64}$'),
  wrapped_key_id      text,
  wrapped_iv          bytea,
  wrapped_tag         bytea,
  wrapped_ciphertext  bytea,
  created_at          timestamptz NOT NULL DEFAULT now(),
  -- Destroyed: the wrapped key is gone; the row stays so that the id is never given a new key.
  destroyed_at        timestamptz,
  CHECK ((destroyed_at IS NULL) = (wrapped_ciphertext IS NOT NULL)),
  CHECK ((destroyed_at IS NULL) = (wrapped_key_id IS NOT NULL AND wrapped_iv IS NOT NULL AND wrapped_tag IS NOT NULL))
);

GRANT USAGE ON SCHEMA keystore TO marac_app;
-- No DELETE: a key is destroyed by clearing its wrapped columns, never by removing its row.
GRANT SELECT, INSERT, UPDATE ON keystore.case_keys TO marac_app;

-- What is left of a purged case: ids and dates, so that the audit log's case ids still resolve
-- (to "purged at the end of the retention period"). Nothing about the people.
CREATE TABLE purged_cases (
  case_id               text PRIMARY KEY,
  coordinator_agency_id text NOT NULL,
  status                text NOT NULL CHECK (status IN ('WITHDRAWN', 'CLOSED')),
  created_at            timestamptz NOT NULL,
  status_changed_at     timestamptz NOT NULL,
  retention_days        integer NOT NULL CHECK (retention_days >= 1),
  purged_at             timestamptz NOT NULL
);
CREATE INDEX purged_cases_coordinator_idx ON purged_cases (coordinator_agency_id, purged_at DESC);

-- The purge scan: closed and withdrawn cases by the date they ended.
CREATE INDEX IF NOT EXISTS cases_ended_idx ON cases (status_changed_at) WHERE status IN ('WITHDRAWN', 'CLOSED');
-- Returned referrals by the date they were returned.
CREATE INDEX IF NOT EXISTS referrals_returned_idx ON referrals (decided_at) WHERE status = 'RETURNED';
-- Idempotency rows by age (they are kept for a bounded time, IDEMPOTENCY_RETENTION_DAYS).
CREATE INDEX IF NOT EXISTS idempotency_keys_created_idx ON idempotency_keys (created_at);
