-- Audit bodies are JSON of 2 to 6 kB (an answer's event lists every field path it carried), so
-- PostgreSQL compresses them with pglz on every insert: once into audit_pending and again into
-- audit_events. pglz cost about a tenth of PostgreSQL's time on the answer path; lz4 compresses
-- JSON almost as well at a fraction of the CPU. Where the server was built without lz4 the
-- default (pglz) stays: nothing else depends on it. Existing values keep their method.
DO $$
DECLARE
  part regclass;
BEGIN
  ALTER TABLE audit_pending ALTER COLUMN body SET COMPRESSION lz4;
  -- New partitions take the parent's method; the parent's ALTER does not reach existing ones.
  ALTER TABLE audit_events ALTER COLUMN canonical SET COMPRESSION lz4;
  FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'audit_events'::regclass LOOP
    EXECUTE format('ALTER TABLE %s ALTER COLUMN canonical SET COMPRESSION lz4', part);
  END LOOP;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available in this server; audit bodies stay pglz-compressed';
END
$$;
