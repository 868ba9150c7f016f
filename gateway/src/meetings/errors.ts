import { GatewayError } from '../errors.js';

/** No such meeting, or another coordinator's (which looks exactly the same: no existence leak). */
export class MeetingNotFound extends GatewayError {
  readonly code = 'MEETING_NOT_FOUND';
  readonly status = 404;
}

/** A cancelled meeting is kept as it was: nothing on it changes. */
export class MeetingCancelled extends GatewayError {
  readonly code = 'MEETING_CANCELLED';
  readonly status = 409;
}

/** A meeting that was held keeps its date, chair and agenda; outcomes and attendance may still be recorded. */
export class MeetingHeld extends GatewayError {
  readonly code = 'MEETING_HELD';
  readonly status = 409;
}

/** A status change the meeting's life does not allow (e.g. held back to planned). */
export class MeetingTransitionInvalid extends GatewayError {
  readonly code = 'MEETING_TRANSITION_INVALID';
  readonly status = 409;
}

/** The case is already on this meeting's agenda. */
export class CaseAlreadyListed extends GatewayError {
  readonly code = 'CASE_ALREADY_LISTED';
  readonly status = 409;
}

/** The case is not on this meeting's agenda. */
export class CaseNotListed extends GatewayError {
  readonly code = 'CASE_NOT_LISTED';
  readonly status = 404;
}

/** A new order that is not exactly the cases on the agenda, each once. */
export class AgendaOrderMismatch extends GatewayError {
  readonly code = 'AGENDA_ORDER_MISMATCH';
  readonly status = 400;
}

/** The agenda has as many cases as one meeting can hear. */
export class AgendaFull extends GatewayError {
  readonly code = 'AGENDA_FULL';
  readonly status = 409;
}

/** Attendance names an agency that is not a party to any of the coordinator's active agreements. */
export class AgencyNotAParty extends GatewayError {
  readonly code = 'AGENCY_NOT_A_PARTY';
  readonly status = 400;
}

/** A case is marked heard only once its meeting has started. */
export class MeetingNotStarted extends GatewayError {
  readonly code = 'MEETING_NOT_STARTED';
  readonly status = 409;
}

/** A listing with minutes stays on the agenda (mark it deferred instead). */
export class ListingHasMinutes extends GatewayError {
  readonly code = 'LISTING_HAS_MINUTES';
  readonly status = 409;
}
