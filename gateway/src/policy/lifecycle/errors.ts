/** Failures of the agreement lifecycle. One class per failure, a stable code each. */
import { GatewayError } from '../../errors.js';

export { AgreementInvalid, AgreementUnreadable } from '../index.js';

export class AgreementNotFound extends GatewayError {
  readonly code = 'AGREEMENT_NOT_FOUND';
  readonly status = 404;
}
export class AgreementVersionNotFound extends GatewayError {
  readonly code = 'AGREEMENT_VERSION_NOT_FOUND';
  readonly status = 404;
}
/** Only drafts can be edited or approved. */
export class AgreementNotDraft extends GatewayError {
  readonly code = 'AGREEMENT_NOT_DRAFT';
  readonly status = 409;
}
/** Only approved versions can be activated. */
export class AgreementNotApproved extends GatewayError {
  readonly code = 'AGREEMENT_NOT_APPROVED';
  readonly status = 409;
}
/** Only a version that is or was in force (active or superseded) can be suspended. */
export class AgreementNotActive extends GatewayError {
  readonly code = 'AGREEMENT_NOT_ACTIVE';
  readonly status = 409;
}
/** Any other move the lifecycle does not allow (e.g. expiring a draft, or an expired version again). */
export class InvalidAgreementTransition extends GatewayError {
  readonly code = 'INVALID_AGREEMENT_TRANSITION';
  readonly status = 409;
}
/** The author (or a co-author) of a version tried to approve it. */
export class MakerCheckerViolation extends GatewayError {
  readonly code = 'MAKER_CHECKER_VIOLATION';
  readonly status = 403;
}
/** The document's `id` is missing, malformed, or not the agreement it is being saved under. */
export class AgreementIdInvalid extends GatewayError {
  readonly code = 'AGREEMENT_ID_INVALID';
  readonly status = 400;
}
/** Preview input (sample response or subject facts) is not usable. */
export class PreviewInputInvalid extends GatewayError {
  readonly code = 'PREVIEW_INPUT_INVALID';
  readonly status = 400;
}
/** A kill-switch action (suspend, remove a party) without the reason it must record. */
export class ReasonRequired extends GatewayError {
  readonly code = 'REASON_REQUIRED';
  readonly status = 400;
}
/** A kill-switch action not confirmed (`confirm: true`): it stops sharing at once. */
export class ConfirmationRequired extends GatewayError {
  readonly code = 'CONFIRMATION_REQUIRED';
  readonly status = 400;
}
/** Only a suspended version can be resumed. */
export class AgreementNotSuspended extends GatewayError {
  readonly code = 'AGREEMENT_NOT_SUSPENDED';
  readonly status = 409;
}
/** The agency is not a party of the agreement's version in force. */
export class NotAParty extends GatewayError {
  readonly code = 'NOT_A_PARTY';
  readonly status = 409;
}
export class PartyAlreadyRemoved extends GatewayError {
  readonly code = 'PARTY_ALREADY_REMOVED';
  readonly status = 409;
}
export class PartyNotRemoved extends GatewayError {
  readonly code = 'PARTY_NOT_REMOVED';
  readonly status = 409;
}
