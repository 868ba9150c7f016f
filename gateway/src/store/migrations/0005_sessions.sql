-- People's browser sessions (OIDC log-in). The cookie holds a random token; only its SHA-256 is
-- stored, so a read of this table does not yield usable cookies.
CREATE TABLE people_sessions (
  id            text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
  user_id       text NOT NULL,
  display_name  text NOT NULL,
  roles         text[] NOT NULL CHECK (roles <@ ARRAY['coordinator','ig_officer','auditor','admin']::text[]
                                       AND cardinality(roles) > 0),
  agency_id     text,
  created_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  csrf_token    text NOT NULL,
  revoked_at    timestamptz,
  revoked_reason text
);
CREATE INDEX people_sessions_user_idx ON people_sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX people_sessions_expires_idx ON people_sessions (expires_at);

-- A log-in in progress: what the callback needs to check the provider's answer. Keyed by the
-- OAuth `state`; bound to the browser that started it by the SHA-256 of a cookie token, so a
-- callback URL replayed in another browser (log-in CSRF) fails.
CREATE TABLE people_login_pending (
  state          text PRIMARY KEY,
  browser_hash   text NOT NULL CHECK (browser_hash ~ '^[0-9a-f]{64}$'),
  nonce          text NOT NULL,
  code_verifier  text NOT NULL,
  return_to      text NOT NULL CHECK (return_to LIKE '/%'),
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL
);
CREATE INDEX people_login_pending_expires_idx ON people_login_pending (expires_at);
