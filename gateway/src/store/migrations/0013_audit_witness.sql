-- Witness cosignatures of audit checkpoints (c2sp.org/tlog-cosignature), kept with the checkpoint
-- they cosign. Append-only like the rest of the audit log: the cosignatures are what an auditor
-- trusts instead of the gateway's word, so nothing may rewrite or drop them.
CREATE TABLE audit_cosignatures (
  tree_size   bigint NOT NULL REFERENCES audit_checkpoints (tree_size),
  -- The witness's key name and 4-byte key ID (one witness may rotate keys under one name).
  witness     text NOT NULL,
  key_hash    bytea NOT NULL CHECK (length(key_hash) = 4),
  -- The time inside the cosignature (the witness's clock), and when the gateway stored it.
  cosigned_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  -- The note signature line as the witness returned it ("— <name> <base64>\n").
  line        text NOT NULL CHECK (line LIKE E'\u2014 %' AND right(line, 1) = E'\n'),
  PRIMARY KEY (tree_size, witness, key_hash)
);
CREATE INDEX audit_cosignatures_latest ON audit_cosignatures (tree_size DESC);

CREATE TRIGGER audit_cosignatures_append_only BEFORE UPDATE OR DELETE ON audit_cosignatures
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_cosignatures_no_truncate BEFORE TRUNCATE ON audit_cosignatures
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

REVOKE ALL ON audit_cosignatures FROM PUBLIC;
GRANT SELECT, INSERT ON audit_cosignatures TO marac_app;
