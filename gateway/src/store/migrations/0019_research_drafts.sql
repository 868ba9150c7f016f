-- Research drafts (issue 15, decision 0021): agency staff answering in the browser may save what
-- they have typed and come back to it. One sealed draft per message (the form's fields, sealed
-- like the answer itself: what a person types about a case is never a plaintext column). The
-- draft goes when the answer is made, and with its message.
CREATE TABLE research_drafts (
  message_id        text PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  agency_id         text NOT NULL,
  sealed_key_id     text NOT NULL,
  sealed_iv         bytea NOT NULL,
  sealed_tag        bytea NOT NULL,
  sealed_ciphertext bytea NOT NULL,
  saved_at          timestamptz NOT NULL
);

-- Agency staff sign in (roles agency_researcher and agency_representative, principal.ts): their
-- sessions need the roles the 0005 check did not know yet.
ALTER TABLE people_sessions DROP CONSTRAINT people_sessions_roles_check;
ALTER TABLE people_sessions ADD CONSTRAINT people_sessions_roles_check CHECK (
  roles <@ ARRAY['coordinator','ig_officer','auditor','admin','agency_researcher','agency_representative']::text[]
  AND cardinality(roles) > 0
);
