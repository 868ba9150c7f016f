import { GatewayError } from '../errors.js';

/** The case list's query string cannot be searched; `reason` says which check failed (NHS_NUMBER_INVALID, DATE_INVALID, ...). */
export class CaseQueryInvalid extends GatewayError {
  readonly code = 'CASE_QUERY_INVALID';
  readonly status = 400;
}

/** The case is withdrawn or closed: no research request, no edit, no second withdrawal or close until it is reopened. */
export class CaseNotOpen extends GatewayError {
  readonly code = 'CASE_NOT_OPEN';
  readonly status = 409;
}

/** Reopen asked of a case that is open. */
export class CaseAlreadyOpen extends GatewayError {
  readonly code = 'CASE_ALREADY_OPEN';
  readonly status = 409;
}

/** An edit names a subject the case does not have (or names one twice). */
export class CaseSubjectUnknown extends GatewayError {
  readonly code = 'CASE_SUBJECT_UNKNOWN';
  readonly status = 400;
}
