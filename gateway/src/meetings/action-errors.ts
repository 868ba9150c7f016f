import { GatewayError } from '../errors.js';

/**
 * Stable codes of the minutes and the action plan (docs/decisions/0018). Another agency's meeting
 * or action looks missing (404), never forbidden: its existence is not disclosed.
 */

/** No such meeting, or another coordinator's (the same code as meetings/errors.ts MeetingNotFound). */
export class MinutesMeetingNotFound extends GatewayError {
  readonly code = 'MEETING_NOT_FOUND';
  readonly status = 404;
}
/** The case is not on that meeting's agenda: minutes are per listing (the same code as meetings/errors.ts). */
export class CaseNotOnAgenda extends GatewayError {
  readonly code = 'CASE_NOT_LISTED';
  readonly status = 404;
}
/** The meeting was cancelled: nothing is minuted at it. */
export class MeetingCancelled extends GatewayError {
  readonly code = 'MEETING_CANCELLED';
  readonly status = 409;
}
/** The minutes were saved by someone else since they were read (`version` is stale). */
export class MinutesVersionConflict extends GatewayError {
  readonly code = 'MINUTES_VERSION_CONFLICT';
  readonly status = 409;
}
/** No such action, or one this agency neither coordinates nor owns. */
export class ActionNotFound extends GatewayError {
  readonly code = 'ACTION_NOT_FOUND';
  readonly status = 404;
}
/** The owner agency is not a party of an agreement in force with the case's coordinator. */
export class ActionOwnerNotAParty extends GatewayError {
  readonly code = 'ACTION_OWNER_NOT_A_PARTY';
  readonly status = 422;
}
/** The due date is before the meeting the action was agreed at (or before today without one). */
export class ActionDueInPast extends GatewayError {
  readonly code = 'ACTION_DUE_IN_PAST';
  readonly status = 400;
}
/** Reopening, "not done" and a note-only update each need a note saying why. */
export class ActionNoteRequired extends GatewayError {
  readonly code = 'ACTION_NOTE_REQUIRED';
  readonly status = 400;
}
