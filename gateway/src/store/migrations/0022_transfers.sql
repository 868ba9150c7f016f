-- MARAC-to-MARAC transfers (issue 16; docs/decisions/0029-transfers.md).
--
-- A coordinator offers a case to another area's coordinator under an inter-area agreement. The
-- bundle is built from the case and released through the policy engine when the offer is made;
-- what the receiver may see (the released bundle and the subjects as the transfer request flow
-- releases them) is stored sealed, never in plain text. Plain columns hold ids, areas, states,
-- reason codes and times only. When the receiver accepts, a case opens in its area and
-- `to_case_id` links it to the original.
--
-- No foreign key to `cases`: the retention purge deletes a case's rows on its own schedule, and a
-- transfer row must not hold a purge up (the purge deletes the transfers of the cases it purges).
CREATE TABLE transfers (
  id                          text PRIMARY KEY CHECK (id ~ '^trf_[0-9a-f]{32}$'),
  from_case_id                text NOT NULL,
  from_coordinator_agency_id  text NOT NULL,
  from_marac_area             text NOT NULL,
  to_coordinator_agency_id    text NOT NULL,
  to_marac_area               text NOT NULL,
  agreement_id                text NOT NULL,
  agreement_version           integer NOT NULL,
  status                      text NOT NULL DEFAULT 'OFFERED'
                                CHECK (status IN ('OFFERED', 'ACCEPTED', 'REFUSED', 'WITHDRAWN')),
  -- The released bundle and subjects, sealed (aad = `transfer:<id>`).
  bundle_key_id               text NOT NULL,
  bundle_iv                   bytea NOT NULL,
  bundle_tag                  bytea NOT NULL,
  bundle_ciphertext           bytea NOT NULL,
  -- The receiver's reason code when it refuses (never free text: nothing personal in a plain column).
  refusal_reason              text CHECK (refusal_reason IS NULL OR refusal_reason ~ '^[A-Z][A-Z_]{2,63}$'),
  to_case_id                  text,
  offered_by                  text NOT NULL,
  offered_at                  timestamptz NOT NULL,
  decided_by                  text,
  decided_at                  timestamptz,
  CHECK (from_coordinator_agency_id <> to_coordinator_agency_id),
  CHECK ((status = 'ACCEPTED') = (to_case_id IS NOT NULL)),
  CHECK ((status = 'REFUSED') = (refusal_reason IS NOT NULL)),
  CHECK ((status = 'OFFERED') = (decided_at IS NULL)),
  CHECK ((decided_at IS NULL) = (decided_by IS NULL))
);
-- One live offer (or accepted transfer) of a case to one area at a time.
CREATE UNIQUE INDEX transfers_one_live_per_pair ON transfers (from_case_id, to_coordinator_agency_id)
  WHERE status IN ('OFFERED', 'ACCEPTED');
CREATE INDEX transfers_incoming_idx ON transfers (to_coordinator_agency_id, offered_at DESC);
CREATE INDEX transfers_outgoing_idx ON transfers (from_coordinator_agency_id, offered_at DESC);
CREATE INDEX transfers_from_case_idx ON transfers (from_case_id);
CREATE INDEX transfers_to_case_idx ON transfers (to_case_id) WHERE to_case_id IS NOT NULL;
