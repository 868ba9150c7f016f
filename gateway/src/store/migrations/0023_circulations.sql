-- When a coordinator circulated a meeting's research packs (before it) or minutes (after it) to
-- each party agency of each case on its agenda (meetings/meeting-circulation.ts). Ids, a kind and
-- a time only: what was released is in the CIRCULATED audit event of each (case, agency). A case
-- purged by retention takes its rows with it (ON DELETE CASCADE).
CREATE TABLE meeting_circulations (
  meeting_id     text NOT NULL REFERENCES meetings (id),
  case_id        text NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('pack', 'minutes')),
  agency_id      text NOT NULL,
  circulated_at  timestamptz NOT NULL,
  PRIMARY KEY (meeting_id, case_id, kind, agency_id)
);
CREATE INDEX meeting_circulations_case_idx ON meeting_circulations (case_id);
