-- Referrals (issue 13): a Dash RIC and the people it is about, sent by any party agency to its
-- area's coordinator, accepted into a case or returned with a reason. Everything identifying (the
-- subjects, the Dash answers, the equality data, the referrer's contact, a return reason) is only
-- ever stored sealed; the plaintext columns hold what the intake list and the audit need.

CREATE TABLE referrals (
  id                    text PRIMARY KEY,
  referring_agency_id   text NOT NULL,
  coordinator_agency_id text NOT NULL,
  marac_area            text NOT NULL,
  status                text NOT NULL CHECK (status IN ('SUBMITTED', 'ACCEPTED', 'RETURNED')),
  -- Computed from the sealed answers (count of "yes"), never typed; kept for the list and the return.
  dash_score            integer NOT NULL CHECK (dash_score BETWEEN 0 AND 24),
  -- The criteria the referrer claimed (ids only; the evidence is sealed).
  criteria_claimed      text[] NOT NULL DEFAULT '{}',
  sealed_key_id         text NOT NULL,
  sealed_iv             bytea NOT NULL,
  sealed_tag            bytea NOT NULL,
  sealed_ciphertext     bytea NOT NULL,
  -- Keyed tokens of the victim only: repeat detection and duplicate spotting, no plaintext index.
  victim_tokens         text[] NOT NULL DEFAULT '{}',
  submitted_at          timestamptz NOT NULL,
  decided_at            timestamptz,
  decided_by            text,
  case_id               text REFERENCES cases (id),
  CHECK ((status = 'ACCEPTED') = (case_id IS NOT NULL)),
  CHECK ((status = 'SUBMITTED') = (decided_at IS NULL))
);
CREATE INDEX referrals_intake_idx ON referrals (coordinator_agency_id, status, submitted_at DESC);
CREATE INDEX referrals_referrer_idx ON referrals (referring_agency_id, submitted_at DESC);
CREATE UNIQUE INDEX referrals_case_idx ON referrals (case_id) WHERE case_id IS NOT NULL;

-- An earlier case whose subjects share a keyed token with this referral's victim. Found
-- automatically at submission; the coordinator confirms or rejects it.
CREATE TABLE referral_repeat_matches (
  referral_id   text NOT NULL REFERENCES referrals (id),
  case_id       text NOT NULL REFERENCES cases (id),
  case_area     text NOT NULL,
  -- Which kinds of identifier matched: nhs-number, pnc-id, name-dob (never the values).
  matched_on    text[] NOT NULL,
  case_opened_at timestamptz NOT NULL,
  status        text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'CONFIRMED', 'REJECTED')),
  decided_at    timestamptz,
  decided_by    text,
  PRIMARY KEY (referral_id, case_id)
);

-- Repeat detection looks cases up by token (GIN over the array, used by `&&`).
CREATE INDEX IF NOT EXISTS cases_subject_tokens_gin ON cases USING gin (subject_tokens);
