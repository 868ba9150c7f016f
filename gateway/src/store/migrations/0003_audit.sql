-- Tamper-evident audit log (issue 4). See docs/decisions/0003-audit-partitioning.md.
--
-- Write path: a state change inserts its event into audit_pending in its own transaction; the
-- sequencer (one at a time, across every gateway process, by locking the audit_head row) moves
-- pending events into audit_events in batches, assigning seq, the hash chain and the RFC 6962
-- tree. audit_events, audit_tree_nodes and audit_checkpoints are append-only: triggers refuse
-- UPDATE, DELETE and TRUNCATE, and the application role is granted INSERT and SELECT only.

-- The application role. NOLOGIN: deployments log in as a role that is a member of it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'marac_app') THEN
    CREATE ROLE marac_app NOLOGIN;
  END IF;
EXCEPTION
  -- Several databases on one server may migrate at once; roles are server-wide.
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Events committed with their state change, waiting for a sequence number. Not part of the
-- tamper-evident log yet; the sequencer deletes each row in the transaction that appends it.
CREATE TABLE audit_pending (
  id         bigserial PRIMARY KEY,
  ts         timestamptz NOT NULL,
  body       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The single head of the log: the total order. Locked FOR UPDATE by the sequencer.
CREATE TABLE audit_head (
  id         smallint PRIMARY KEY CHECK (id = 1),
  tree_size  bigint NOT NULL CHECK (tree_size >= 0),
  head_hash  text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
  -- Right border of the Merkle tree (perfect subtree roots, largest first): the compact range.
  border     bytea[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_head (id, tree_size, head_hash) VALUES (1, 0, repeat('0', 64));

CREATE TABLE audit_events (
  seq               bigint NOT NULL CHECK (seq >= 1),
  ts                timestamptz NOT NULL,
  action            text NOT NULL,
  decision          text,
  reason_code       text,
  case_id           text,
  request_id        text,
  message_id        text,
  agreement_id      text,
  agreement_version integer,
  actor_kind        text NOT NULL,
  actor_id          text NOT NULL,
  agency_ids        text[] NOT NULL DEFAULT '{}',
  subject_tokens    text[] NOT NULL DEFAULT '{}',
  hash              text NOT NULL,
  prev_hash         text NOT NULL,
  -- The exact RFC 8785 bytes that were hashed: the export line and the Merkle leaf data.
  canonical         text NOT NULL,
  -- SHA-256(0x00 ‖ canonical): the RFC 6962 leaf hash, level 0 of the tree.
  leaf_hash         bytea NOT NULL CHECK (length(leaf_hash) = 32),
  -- A partitioned table's unique keys must include the partition key; seq is unique by
  -- construction (one sequencer at a time under the audit_head lock) and the chain proves it.
  PRIMARY KEY (seq, ts)
) PARTITION BY RANGE (ts);

CREATE INDEX audit_events_ts ON audit_events (ts);
CREATE INDEX audit_events_action ON audit_events (action, seq);
CREATE INDEX audit_events_decision ON audit_events (decision, seq) WHERE decision IS NOT NULL;
CREATE INDEX audit_events_reason ON audit_events (reason_code, seq) WHERE reason_code IS NOT NULL;
CREATE INDEX audit_events_case ON audit_events (case_id, seq) WHERE case_id IS NOT NULL;
CREATE INDEX audit_events_request ON audit_events (request_id, seq) WHERE request_id IS NOT NULL;
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_agencies ON audit_events USING gin (agency_ids);
CREATE INDEX audit_events_subjects ON audit_events USING gin (subject_tokens);

-- Catches events whose month has no partition (a clock far off); never loses an event.
CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;

-- Complete nodes of the RFC 6962 tree at every 4th level (4, 8, 12, …: about n/15 rows). Any
-- other node is hashed from at most 8 stored nodes or leaf hashes below it, so a proof still
-- needs one lookup of O(log n) rows.
CREATE TABLE audit_tree_nodes (
  level smallint NOT NULL CHECK (level >= 4 AND level < 64 AND level % 4 = 0),
  idx   bigint NOT NULL CHECK (idx >= 0),
  hash  bytea NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
);

CREATE TABLE audit_checkpoints (
  tree_size  bigint PRIMARY KEY CHECK (tree_size >= 1),
  root_hash  bytea NOT NULL CHECK (length(root_hash) = 32),
  ts         timestamptz NOT NULL,
  key_id     text NOT NULL,
  signature  text NOT NULL,
  note       text NOT NULL
);

-- Append-only, enforced below any grant: even the table owner's UPDATE or DELETE fails.
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_default_no_truncate BEFORE TRUNCATE ON audit_events_default
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_tree_nodes_append_only BEFORE UPDATE OR DELETE ON audit_tree_nodes
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_tree_nodes_no_truncate BEFORE TRUNCATE ON audit_tree_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
-- The head is updated on every batch but never removed.
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Monthly partitions, created ahead of time. SECURITY DEFINER so that the application role can
-- keep the calendar filled without owning (and so being able to drop) any audit table.
CREATE FUNCTION audit_ensure_partitions(from_ts timestamptz, months_ahead integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  month_start timestamptz;
  part_name   text;
  created     integer := 0;
BEGIN
  IF months_ahead < 0 OR months_ahead > 24 THEN
    RAISE EXCEPTION 'months_ahead must be between 0 and 24';
  END IF;
  -- Two gateways starting together must not race on CREATE TABLE.
  PERFORM pg_advisory_xact_lock(726172616304);
  FOR i IN 0..months_ahead LOOP
    month_start := date_trunc('month', from_ts, 'UTC') + make_interval(months => i);
    part_name := 'audit_events_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM');
    CONTINUE WHEN to_regclass(quote_ident(part_name)) IS NOT NULL;
    BEGIN
      EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)',
        part_name, month_start, month_start + interval '1 month');
      EXECUTE format('CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()',
        part_name);
      created := created + 1;
    EXCEPTION WHEN check_violation THEN
      -- Rows for that month already sit in the default partition (clock skew); leave them there.
      RAISE WARNING 'audit partition % not created: the default partition holds rows for it', part_name;
    END;
  END LOOP;
  RETURN created;
END
$$;

SELECT audit_ensure_partitions(now() - interval '1 month', 4);

REVOKE ALL ON audit_events, audit_tree_nodes, audit_checkpoints, audit_head, audit_pending FROM PUBLIC;
GRANT SELECT, INSERT ON audit_events, audit_tree_nodes, audit_checkpoints TO marac_app;
GRANT SELECT, UPDATE ON audit_head TO marac_app;
GRANT SELECT, INSERT, DELETE ON audit_pending TO marac_app;
GRANT USAGE ON SEQUENCE audit_pending_id_seq TO marac_app;
REVOKE ALL ON FUNCTION audit_ensure_partitions(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_ensure_partitions(timestamptz, integer) TO marac_app;
