-- Notifications (issue 15; docs/decisions/0022-notifications.md).
--
-- Notifications are derived from the sequenced audit log: a job reads the events after a stored
-- cursor and writes one outbox row per (event, recipient), moving the cursor in the same
-- transaction, so an event is turned into notifications exactly once. Reminders that no event
-- carries (an action due or overdue) come from a sweep keyed by the action and its due date.
-- A row is sent at most once per attempt and marked sent in one transaction with its
-- NOTIFICATION_SENT event; the send carries the row's reference (Notify `reference`, SMTP
-- Message-ID), so an attempt whose outcome was lost is looked up (Notify) or recognised by the
-- receiver (Message-ID) instead of counted twice.
--
-- No row holds anything about a case's people: ids, kinds, the link's path and a staff address.

-- Who the gateway knows: updated at every sign-in from the OIDC claims (sub, name, email, roles,
-- agency). Staff, not case subjects.
CREATE TABLE people_directory (
  user_id         text PRIMARY KEY,
  display_name    text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
  email           text CHECK (email IS NULL OR char_length(email) BETWEEN 3 AND 254),
  roles           text[] NOT NULL DEFAULT '{}',
  agency_id       text,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_directory_agency_idx ON people_directory (agency_id);

-- Per person, per kind of notification: on or off. No row: on.
CREATE TABLE notification_preferences (
  user_id    text NOT NULL,
  kind       text NOT NULL,
  enabled    boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, kind)
);

-- How far into the audit log notifications have been derived. Starts at the log's head when the
-- migration runs, so a deployment that upgrades is not told of its whole history.
CREATE TABLE notification_cursor (
  id         smallint PRIMARY KEY CHECK (id = 1),
  last_seq   bigint NOT NULL CHECK (last_seq >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO notification_cursor (id, last_seq) SELECT 1, tree_size FROM audit_head WHERE id = 1;

-- One row per (source, recipient): the source is `seq:<audit seq>` or a sweep key
-- (`action-due:<action id>:<due date>`); the recipient `person:<sub>` or `team:<agency>:<role>`.
CREATE TABLE notification_outbox (
  id              text PRIMARY KEY,
  source_key      text NOT NULL,
  recipient_key   text NOT NULL,
  kind            text NOT NULL,
  address         text NOT NULL CHECK (char_length(address) BETWEEN 3 AND 254),
  link_path       text NOT NULL CHECK (link_path LIKE '/%'),
  case_id         text,
  agency_id       text,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  -- An attempt ended without knowing whether the provider took the message (a stop or a crash
  -- mid-send): the next attempt asks Notify by reference first, or re-sends the same Message-ID.
  uncertain       boolean NOT NULL DEFAULT false,
  claimed_until   timestamptz,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error_code text,
  provider_id     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  UNIQUE (source_key, recipient_key),
  CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX notification_outbox_due_idx ON notification_outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX notification_outbox_recipient_idx ON notification_outbox (recipient_key, created_at);
