-- The SafeLives MARAC data return (issue 14; docs/decisions/0020-data-return.md).
--
-- The return counts what is sealed (the victim's age, sex, ethnicity, sexuality, disability, the
-- children in the household). A quarter over 100,000 cases cannot open every case, so each case
-- keeps a row of coarse return flags, written in the same transaction as the case is opened,
-- edited or accepted from a referral (gateway/src/reporting/return-facts.ts). Only booleans, a
-- count of children and agency ids/types: no name, no date, no age, no ethnic group, nothing a
-- person typed. Cases from before this migration get their row lazily, the first time a return
-- that needs them is produced (a migration cannot open the sealed columns).

CREATE TABLE case_return_facts (
  -- A purged case takes its flags with it.
  case_id               text PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
  coordinator_agency_id text NOT NULL,
  -- The agency whose referral the case was accepted from, and its type at that time; NULL when the
  -- coordinator opened the case itself (no referral recorded).
  referring_agency_id   text,
  referring_agency_type text,
  -- A MARAC repeat: a further referral within 12 months of the last (confirmed match or criterion).
  repeat                boolean NOT NULL DEFAULT false,
  victim_16_17          boolean NOT NULL DEFAULT false,
  victim_male           boolean NOT NULL DEFAULT false,
  -- From the referral's equality data only (never guessed): Black and minoritised, LGBT+, disabled.
  bme                   boolean NOT NULL DEFAULT false,
  lgbt                  boolean NOT NULL DEFAULT false,
  disabled              boolean NOT NULL DEFAULT false,
  children_count        integer NOT NULL DEFAULT 0 CHECK (children_count BETWEEN 0 AND 20),
  computed_at           timestamptz NOT NULL DEFAULT now()
);

-- The return finds a quarter's cases through the meetings (coordinator, date) and the agenda
-- (outcome HEARD); this covers the listings of one meeting by outcome.
CREATE INDEX IF NOT EXISTS meeting_cases_heard_idx ON meeting_cases (meeting_id) INCLUDE (case_id) WHERE outcome = 'HEARD';
