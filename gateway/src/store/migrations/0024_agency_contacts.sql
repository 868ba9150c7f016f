-- Adapter health (issue 16): when each agency's adapter last collected its inbox. A long-poll that
-- finds nothing leaves no other trace, and an adapter that has stopped polling is what an
-- administrator most needs to see. One row per agency, updated at most every few seconds.
CREATE TABLE agency_contacts (
  agency_id    text PRIMARY KEY,
  last_poll_at timestamptz NOT NULL
);
