-- Agency identity: who the agencies are and which certificates name them.
-- An agency is whoever its client certificate says; these rows are how the gateway knows which
-- certificates it issued and whether they still count (revocation, expiry, disabled agency).

CREATE TABLE agencies (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  type          text NOT NULL CHECK (type ~ '^[A-Z][A-Z_]{1,39}$'),
  delivery_mode text NOT NULL CHECK (delivery_mode IN ('pull', 'push')),
  push_url      text CHECK (push_url IS NULL OR push_url ~ '^https://'),
  marac_area    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz,
  -- Push agencies need an endpoint; pull agencies must not carry a stale one.
  CONSTRAINT agencies_push_url_matches_mode CHECK ((delivery_mode = 'push') = (push_url IS NOT NULL))
);

CREATE TABLE agency_certificates (
  serial            text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]{32}$'),
  agency_id         text NOT NULL REFERENCES agencies(id),
  fingerprint256    text NOT NULL UNIQUE CHECK (fingerprint256 ~ '^[0-9a-f]{64}$'),
  cert_pem          text NOT NULL,
  not_before        timestamptz NOT NULL,
  not_after         timestamptz NOT NULL CHECK (not_after > not_before),
  issued_at         timestamptz NOT NULL DEFAULT now(),
  revoked_at        timestamptz,
  revocation_reason text,
  CONSTRAINT agency_certificates_revocation_complete CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);
CREATE INDEX agency_certificates_agency_idx ON agency_certificates (agency_id, issued_at DESC);

-- Every gateway process caches certificate status; any change to a certificate or an agency
-- (revocation, disabling, even a manual UPDATE by an operator) tells them all on commit.
CREATE FUNCTION identity_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  IF TG_TABLE_NAME = 'agency_certificates' THEN
    PERFORM pg_notify('marac_identity', 'cert:' || r.fingerprint256);
  ELSE
    PERFORM pg_notify('marac_identity', 'agency:' || r.id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER agency_certificates_notify AFTER UPDATE OR DELETE ON agency_certificates
  FOR EACH ROW EXECUTE FUNCTION identity_notify_change();
CREATE TRIGGER agencies_notify AFTER UPDATE OR DELETE ON agencies
  FOR EACH ROW EXECUTE FUNCTION identity_notify_change();
