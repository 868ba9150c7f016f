import { GatewayError } from '../errors.js';

export class NotACoordinator extends GatewayError {
  readonly code = 'NOT_A_COORDINATOR';
  readonly status = 403;
}
export class CaseNotFound extends GatewayError {
  readonly code = 'CASE_NOT_FOUND';
  readonly status = 404;
}
export class RequestNotFound extends GatewayError {
  readonly code = 'REQUEST_NOT_FOUND';
  readonly status = 404;
}
export class MessageNotFound extends GatewayError {
  readonly code = 'MESSAGE_NOT_FOUND';
  readonly status = 404;
}
export class UnknownRecipient extends GatewayError {
  readonly code = 'UNKNOWN_RECIPIENT';
  readonly status = 400;
}
export class UnknownSubject extends GatewayError {
  readonly code = 'UNKNOWN_SUBJECT';
  readonly status = 400;
}
export class PayloadNotForAgencyType extends GatewayError {
  readonly code = 'PAYLOAD_NOT_FOR_AGENCY_TYPE';
  readonly status = 400;
}
export class AlreadyAnswered extends GatewayError {
  readonly code = 'ALREADY_ANSWERED';
  readonly status = 409;
}
export class MessageNotAnswerable extends GatewayError {
  readonly code = 'MESSAGE_NOT_ANSWERABLE';
  readonly status = 409;
}
export class LegalConditionRejected extends GatewayError {
  readonly code = 'LEGAL_CONDITION_REJECTED';
  readonly status = 400;
}
export class UnknownFieldPath extends GatewayError {
  readonly code = 'UNKNOWN_FIELD_PATH';
  readonly status = 400;
}
export class InvalidQuery extends GatewayError {
  readonly code = 'INVALID_QUERY';
  readonly status = 400;
}
export class AllRecipientsRefused extends GatewayError {
  readonly code = 'ALL_RECIPIENTS_REFUSED';
  readonly status = 403;
}
/** The body names a MARAC area other than the one the coordinator agency is registered for. */
export class MaracAreaNotYours extends GatewayError {
  readonly code = 'MARAC_AREA_NOT_YOURS';
  readonly status = 422;
}
/** The coordinator agency has no MARAC area in its registration: no case can say where it belongs. */
export class MaracAreaNotRegistered extends GatewayError {
  readonly code = 'MARAC_AREA_NOT_REGISTERED';
  readonly status = 422;
}
export class SubjectNotFound extends GatewayError {
  readonly code = 'SUBJECT_NOT_FOUND';
  readonly status = 404;
}
