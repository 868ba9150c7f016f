-- The minutes as circulated (docs/decisions/0033). A partner agency reads a case's minutes from a
-- meeting only once they have been circulated to it, and then the version circulated to it, not
-- whatever the coordinator has saved since (a draft still being corrected). case_minutes holds
-- only the latest save, so each circulated version is kept here: the very sealed bytes of that
-- version (same key, same additional data: meeting id and case id), copied when the coordinator
-- circulates. Nothing is unsealed or sealed again to copy it; purging the case destroys its key
-- and, through the cascade from case_minutes, these rows.
CREATE TABLE circulated_minutes (
  meeting_id        text NOT NULL,
  case_id           text NOT NULL,
  version           integer NOT NULL CHECK (version >= 1),
  sealed_key_id     text NOT NULL,
  sealed_iv         bytea NOT NULL,
  sealed_tag        bytea NOT NULL,
  sealed_ciphertext bytea NOT NULL,
  circulated_at     timestamptz NOT NULL,
  PRIMARY KEY (meeting_id, case_id, version),
  FOREIGN KEY (meeting_id, case_id) REFERENCES case_minutes (meeting_id, case_id) ON DELETE CASCADE
);

-- Which version each agency was circulated. NULL for a pack and for minutes circulated before this
-- migration, whose version nobody recorded: those agencies see the minutes again once the
-- coordinator circulates them again (never a version nobody circulated).
ALTER TABLE meeting_circulations ADD COLUMN minutes_version integer;
ALTER TABLE meeting_circulations ADD CONSTRAINT meeting_circulations_minutes_version
  CHECK (minutes_version IS NULL OR kind = 'minutes');
ALTER TABLE meeting_circulations ADD CONSTRAINT meeting_circulations_minutes_copy
  FOREIGN KEY (meeting_id, case_id, minutes_version) REFERENCES circulated_minutes (meeting_id, case_id, version) ON DELETE CASCADE;
