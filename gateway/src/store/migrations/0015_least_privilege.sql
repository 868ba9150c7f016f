-- Least privilege for the runtime role (issue 17 item 1). See SECURITY.md "Database roles".
--
-- The migration owner (whoever runs these files) owns every table; the gateway logs in as a role
-- that is a member of marac_app and owns nothing. On the audit log marac_app may only SELECT and
-- INSERT: it cannot UPDATE, DELETE or TRUNCATE, and, not being an owner, cannot switch the
-- append-only triggers off, detach a partition or drop a table. The two things the sequencer did
-- beyond INSERT (lock and move audit_head; delete the pending rows it has just sequenced) go
-- through the two SECURITY DEFINER functions below, which only ever move the log forward.

-- A schema older than PostgreSQL 15 lets everyone create objects in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO marac_app;

-- The head only moves forward, whoever asks (even the owner): a smaller tree_size is a rollback.
CREATE FUNCTION audit_head_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id <> OLD.id OR NEW.tree_size < OLD.tree_size
     OR (NEW.tree_size = OLD.tree_size AND NEW.head_hash <> OLD.head_hash) THEN
    RAISE EXCEPTION 'the audit head only moves forward' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();

-- The sequencer's lock on the head. SELECT ... FOR UPDATE needs UPDATE privilege on the table;
-- the row lock taken here lasts until the caller's transaction ends, like the caller's own would.
CREATE FUNCTION audit_lock_head(wait boolean)
RETURNS TABLE (tree_size bigint, head_hash text, border bytea[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF wait THEN
    RETURN QUERY SELECT h.tree_size, h.head_hash, h.border FROM public.audit_head h WHERE h.id = 1 FOR UPDATE;
  ELSE
    RETURN QUERY SELECT h.tree_size, h.head_hash, h.border FROM public.audit_head h WHERE h.id = 1 FOR UPDATE SKIP LOCKED;
  END IF;
END
$$;

-- Ends a sequencer batch: the events seq from_size+1 .. to_size are already in audit_events (the
-- caller inserted them in this transaction). Checks that they are there, exactly once each, that
-- they continue the chain from the current head and end at to_hash; then deletes the pending rows
-- they came from (exactly as many) and moves the head. Nothing else can delete a pending row or
-- move the head, so the runtime role cannot drop an event it committed or rewind the log.
CREATE FUNCTION audit_advance_head(from_size bigint, to_size bigint, to_hash text, to_border bytea[], pending_ids bigint[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  head    public.audit_head%ROWTYPE;
  n       bigint := to_size - from_size;
  found_n bigint;
  deleted bigint;
BEGIN
  SELECT * INTO head FROM public.audit_head WHERE id = 1 FOR UPDATE;
  IF head.tree_size <> from_size OR n < 1 OR coalesce(cardinality(pending_ids), 0) <> n THEN
    RAISE EXCEPTION 'audit head: batch does not start at the head or is empty' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT count(*) INTO found_n FROM public.audit_events e WHERE e.seq > from_size AND e.seq <= to_size;
  IF found_n <> n
     OR NOT EXISTS (SELECT 1 FROM public.audit_events e WHERE e.seq = from_size + 1 AND e.prev_hash = head.head_hash)
     OR NOT EXISTS (SELECT 1 FROM public.audit_events e WHERE e.seq = to_size AND e.hash = to_hash) THEN
    RAISE EXCEPTION 'audit head: the batch is not in the log as claimed' USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM public.audit_pending WHERE id = ANY (pending_ids);
  GET DIAGNOSTICS deleted = ROW_COUNT;
  IF deleted <> n THEN
    RAISE EXCEPTION 'audit head: pending rows do not match the batch' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE public.audit_head SET tree_size = to_size, head_hash = to_hash, border = to_border, updated_at = now() WHERE id = 1;
END
$$;

REVOKE ALL ON FUNCTION audit_lock_head(boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_advance_head(bigint, bigint, text, bytea[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_lock_head(boolean) TO marac_app;
GRANT EXECUTE ON FUNCTION audit_advance_head(bigint, bigint, text, bytea[], bigint[]) TO marac_app;

-- The partition keeper runs as the owner, so default privileges (below) would reach the new
-- partitions: it now takes every grant off each partition it creates (the log is written and read
-- through the parent, whose privileges are the ones checked).
CREATE OR REPLACE FUNCTION audit_ensure_partitions(from_ts timestamptz, months_ahead integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  month_start timestamptz;
  part_name   text;
  created     integer := 0;
BEGIN
  IF months_ahead < 0 OR months_ahead > 24 THEN
    RAISE EXCEPTION 'months_ahead must be between 0 and 24';
  END IF;
  PERFORM pg_advisory_xact_lock(726172616304);
  FOR i IN 0..months_ahead LOOP
    month_start := date_trunc('month', from_ts, 'UTC') + make_interval(months => i);
    part_name := 'audit_events_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM');
    CONTINUE WHEN to_regclass('public.' || quote_ident(part_name)) IS NOT NULL;
    BEGIN
      EXECUTE format('CREATE TABLE public.%I PARTITION OF public.audit_events FOR VALUES FROM (%L) TO (%L)',
        part_name, month_start, month_start + interval '1 month');
      EXECUTE format('CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON public.%I FOR EACH STATEMENT EXECUTE FUNCTION public.audit_refuse_change()',
        part_name);
      EXECUTE format('REVOKE ALL ON public.%I FROM PUBLIC, marac_app', part_name);
      created := created + 1;
    EXCEPTION WHEN check_violation THEN
      RAISE WARNING 'audit partition % not created: the default partition holds rows for it', part_name;
    END;
  END LOOP;
  RETURN created;
END
$$;
REVOKE ALL ON FUNCTION audit_ensure_partitions(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_ensure_partitions(timestamptz, integer) TO marac_app;

-- The audit log: read and append only (audit_head: read only; the functions above move it).
REVOKE ALL ON audit_head, audit_pending FROM marac_app;
GRANT SELECT ON audit_head TO marac_app;
GRANT SELECT, INSERT ON audit_pending TO marac_app;

-- Everything else the gateway reads and writes in the ordinary way. TRUNCATE, REFERENCES and
-- TRIGGER are never granted: the gateway does not need them.
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN
    SELECT c.oid::regclass FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND c.relname NOT LIKE 'audit\_%' AND c.relname <> 'schema_migrations'
  LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO marac_app', t);
  END LOOP;
END
$$;
GRANT SELECT ON schema_migrations TO marac_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO marac_app;

-- Tables and sequences later migrations create get the same; migrate.ts takes UPDATE, DELETE,
-- TRUNCATE, REFERENCES and TRIGGER back off every audit_* table after each run, so an audit table
-- added later is append-only for marac_app without its migration having to remember.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO marac_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO marac_app;
