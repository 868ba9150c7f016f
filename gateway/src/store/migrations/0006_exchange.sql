-- Cases, research requests, per-recipient messages and stored responses.
-- Personal data (subjects, responses) is only ever stored sealed (AES-256-GCM, key id recorded).

CREATE TABLE cases (
  id                    text PRIMARY KEY,
  coordinator_agency_id text NOT NULL,
  marac_area            text NOT NULL,
  meeting_date          date NOT NULL,
  is_emergency          boolean NOT NULL DEFAULT false,
  risk_basis            jsonb NOT NULL,          -- criteria, scores, dates; the free-text rationale is sealed
  subject_facts         jsonb NOT NULL,          -- non-identifying facts the policy engine needs
  subjects_key_id       text NOT NULL,
  subjects_iv           bytea NOT NULL,
  subjects_tag          bytea NOT NULL,
  subjects_ciphertext   bytea NOT NULL,
  subject_tokens        text[] NOT NULL DEFAULT '{}',
  created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_coordinator_idx ON cases (coordinator_agency_id, created_at DESC);

CREATE TABLE research_requests (
  id                  text PRIMARY KEY,
  case_id             text NOT NULL REFERENCES cases(id),
  sender_agency_id    text NOT NULL,
  purpose             text NOT NULL,
  requested_domains   text[] NOT NULL DEFAULT '{}',
  lookback_months     integer NOT NULL,
  deadline            timestamptz NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX research_requests_case_idx ON research_requests (case_id);

-- A recipient the agreements refused: kept so the pack can say who was not asked and why.
CREATE TABLE request_refusals (
  request_id          text NOT NULL REFERENCES research_requests(id),
  recipient_agency_id text NOT NULL,
  reason_code         text NOT NULL,
  agreement_id        text,
  agreement_version   integer,
  PRIMARY KEY (request_id, recipient_agency_id)
);

CREATE TABLE messages (
  id                  text PRIMARY KEY,
  request_id          text NOT NULL REFERENCES research_requests(id),
  case_id             text NOT NULL REFERENCES cases(id),
  sender_agency_id    text NOT NULL,
  recipient_agency_id text NOT NULL,
  delivery_mode       text NOT NULL CHECK (delivery_mode IN ('pull', 'push')),
  agreement_id        text NOT NULL,
  agreement_version   integer NOT NULL,
  state               text NOT NULL CHECK (state IN
                        ('queued', 'delivered', 'acknowledged', 'responded', 'declined', 'overdue', 'failed')),
  deadline            timestamptz NOT NULL,
  attempts            integer NOT NULL DEFAULT 0,
  last_error_code     text,
  late                boolean NOT NULL DEFAULT false,
  reminded_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  delivered_at        timestamptz,
  acknowledged_at     timestamptz,
  answered_at         timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (request_id, recipient_agency_id)
);
CREATE INDEX messages_inbox_idx ON messages (recipient_agency_id, state, created_at);
CREATE INDEX messages_case_idx ON messages (case_id);
CREATE INDEX messages_open_idx ON messages (state, deadline) WHERE state IN ('queued', 'delivered', 'acknowledged');

CREATE TABLE responses (
  message_id          text PRIMARY KEY REFERENCES messages(id),
  request_id          text NOT NULL,
  responder_agency_id text NOT NULL,
  kind                text NOT NULL CHECK (kind IN ('response', 'decline')),
  decline_reason      text,
  key_id              text,
  iv                  bytea,
  tag                 bytea,
  ciphertext          bytea,
  late                boolean NOT NULL DEFAULT false,
  received_at         timestamptz NOT NULL DEFAULT now(),
  purge_after         timestamptz,
  purged_at           timestamptz
);
CREATE INDEX responses_purge_idx ON responses (purge_after) WHERE purged_at IS NULL;

-- Idempotency-Key per agency: a retry returns the first answer, never a duplicate.
CREATE TABLE idempotency_keys (
  agency_id     text NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  status        integer NOT NULL,
  body          jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agency_id, key)
);
