import { GatewayError } from '../errors.js';

/**
 * A caller tried to append an event that does not fit the audit schema. This is a bug in the
 * caller, never the client's fault; the caller's transaction must roll back with it.
 */
export class AuditEventInvalid extends GatewayError {
  readonly code = 'AUDIT_EVENT_INVALID';
  readonly status = 500;
}

/** A value in the event looks like personal data (NHS number, phone, postcode, e-mail, date). */
export class AuditPersonalData extends GatewayError {
  readonly code = 'AUDIT_PERSONAL_DATA';
  readonly status = 500;
}

/** The log's stored state is not what the sequencer expects (tree state, chain head): stop. */
export class AuditStateCorrupt extends GatewayError {
  readonly code = 'AUDIT_STATE_CORRUPT';
  readonly status = 500;
}

/** The gateway has no checkpoint signing key configured. */
export class CheckpointKeyMissing extends GatewayError {
  readonly code = 'CHECKPOINT_KEY_MISSING';
  readonly status = 503;
}

/** Query parameters an auditor sent that we cannot use. `reason` says which rule failed. */
export class AuditQueryInvalid extends GatewayError {
  readonly code = 'AUDIT_QUERY_INVALID';
  readonly status = 400;
}

export class AuditCursorInvalid extends GatewayError {
  readonly code = 'AUDIT_CURSOR_INVALID';
  readonly status = 400;
}

/** A subject identifier that cannot be normalised (e.g. an NHS number without 10 digits). */
export class SubjectIdentifierInvalid extends GatewayError {
  readonly code = 'SUBJECT_IDENTIFIER_INVALID';
  readonly status = 400;
}

/** A proof was asked for sizes or positions the log does not (yet) have. */
export class ProofUnavailable extends GatewayError {
  readonly code = 'PROOF_UNAVAILABLE';
  readonly status = 404;
}

export class ProofRangeInvalid extends GatewayError {
  readonly code = 'PROOF_RANGE_INVALID';
  readonly status = 400;
}
