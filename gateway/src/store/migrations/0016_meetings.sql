-- Meetings, minutes and action plans (issue 14; the shared model of docs/decisions/0018).
--
-- A meeting belongs to one coordinating agency and area; its agenda lists cases in order with a
-- time slot each. Attendance is per agency. Minutes are per case per meeting; actions are per case
-- (agreed at a meeting, or later), each with an owner agency and a due date, both required.
-- Everything a person wrote about a case (minutes, action text, update notes) is only ever stored
-- sealed; the plaintext columns hold what lists, agendas, reminders and the data return need:
-- ids, dates, states, agency ids. Staff names (chair, representative) are not case data.

CREATE TABLE meetings (
  id                    text PRIMARY KEY,
  coordinator_agency_id text NOT NULL,
  marac_area            text NOT NULL,
  starts_at             timestamptz NOT NULL,
  chair                 text NOT NULL CHECK (char_length(chair) BETWEEN 1 AND 200),
  venue                 text CHECK (venue IS NULL OR char_length(venue) BETWEEN 1 AND 200),
  status                text NOT NULL DEFAULT 'PLANNED'
                          CHECK (status IN ('PLANNED', 'IN_PROGRESS', 'HELD', 'CANCELLED')),
  created_by            text NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meetings_coordinator_idx ON meetings (coordinator_agency_id, starts_at);

-- The agenda: one row per case listed, in order. A case may be listed at several meetings (a
-- deferral, a repeat); its minutes and the flags below are per listing.
CREATE TABLE meeting_cases (
  meeting_id   text NOT NULL REFERENCES meetings (id),
  case_id      text NOT NULL REFERENCES cases (id),
  position     integer NOT NULL CHECK (position >= 1),
  slot_minutes integer NOT NULL DEFAULT 15 CHECK (slot_minutes BETWEEN 5 AND 120),
  outcome      text NOT NULL DEFAULT 'LISTED' CHECK (outcome IN ('LISTED', 'HEARD', 'DEFERRED')),
  heard_at     timestamptz,
  PRIMARY KEY (meeting_id, case_id),
  CONSTRAINT meeting_cases_position_unique UNIQUE (meeting_id, position) DEFERRABLE INITIALLY DEFERRED,
  CHECK ((outcome = 'HEARD') = (heard_at IS NOT NULL))
);
CREATE INDEX meeting_cases_case_idx ON meeting_cases (case_id);

-- Who came. APOLOGIES may still have sent information (information_sent, received on a date).
CREATE TABLE meeting_attendance (
  meeting_id              text NOT NULL REFERENCES meetings (id),
  agency_id               text NOT NULL,
  status                  text NOT NULL CHECK (status IN ('PRESENT', 'APOLOGIES', 'ABSENT')),
  representative          text CHECK (representative IS NULL OR char_length(representative) BETWEEN 1 AND 200),
  information_sent        boolean NOT NULL DEFAULT false,
  information_received_on date,
  recorded_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meeting_id, agency_id),
  CHECK (information_received_on IS NULL OR information_sent)
);

-- Minutes of one case at one meeting. The sealed document (MinutesDocument in
-- gateway/src/meetings/types.ts): risks, victim's voice, information shared, decisions, crimes
-- disclosed, information not shared and why. `version` counts saves (optimistic concurrency).
CREATE TABLE case_minutes (
  meeting_id        text NOT NULL,
  case_id           text NOT NULL,
  sealed_key_id     text NOT NULL,
  sealed_iv         bytea NOT NULL,
  sealed_tag        bytea NOT NULL,
  sealed_ciphertext bytea NOT NULL,
  version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  recorded_by       text NOT NULL,
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meeting_id, case_id),
  FOREIGN KEY (meeting_id, case_id) REFERENCES meeting_cases (meeting_id, case_id)
);
CREATE INDEX case_minutes_case_idx ON case_minutes (case_id);

-- The action plan. Status values are the transfer bundle's (policy/transfer-bundle.ts), after
-- SafeLives' minutes template: done; not possible because circumstances changed; not done by the
-- agency. SURVIVOR_FEEDBACK is telling the survivor the outcome (Pan-London review).
CREATE TABLE case_actions (
  id                text PRIMARY KEY,
  case_id           text NOT NULL REFERENCES cases (id),
  meeting_id        text REFERENCES meetings (id),
  kind              text NOT NULL DEFAULT 'ACTION' CHECK (kind IN ('ACTION', 'SURVIVOR_FEEDBACK')),
  owner_agency_id   text NOT NULL,
  due_on            date NOT NULL,
  status            text NOT NULL DEFAULT 'OPEN'
                      CHECK (status IN ('OPEN', 'DONE', 'NOT_POSSIBLE_CHANGE', 'NOT_DONE_AGENCY')),
  sealed_key_id     text NOT NULL,
  sealed_iv         bytea NOT NULL,
  sealed_tag        bytea NOT NULL,
  sealed_ciphertext bytea NOT NULL,
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  closed_at         timestamptz,
  CHECK ((status = 'OPEN') = (closed_at IS NULL))
);
CREATE INDEX case_actions_case_idx ON case_actions (case_id, due_on);
CREATE INDEX case_actions_owner_open_idx ON case_actions (owner_agency_id, due_on) WHERE status = 'OPEN';
CREATE INDEX case_actions_open_due_idx ON case_actions (due_on) WHERE status = 'OPEN';

-- Dated updates to an action, by a person or an agency system. The note is sealed.
CREATE TABLE case_action_updates (
  id                text PRIMARY KEY,
  action_id         text NOT NULL REFERENCES case_actions (id),
  at                timestamptz NOT NULL DEFAULT now(),
  by_agency_id      text NOT NULL,
  by_actor          text NOT NULL,
  status            text NOT NULL CHECK (status IN ('OPEN', 'DONE', 'NOT_POSSIBLE_CHANGE', 'NOT_DONE_AGENCY')),
  sealed_key_id     text,
  sealed_iv         bytea,
  sealed_tag        bytea,
  sealed_ciphertext bytea
);
CREATE INDEX case_action_updates_action_idx ON case_action_updates (action_id, at);
