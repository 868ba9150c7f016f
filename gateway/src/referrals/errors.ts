import { GatewayError } from '../errors.js';

/** No such referral, or one this agency may not see (the two look the same). */
export class ReferralNotFound extends GatewayError {
  readonly code = 'REFERRAL_NOT_FOUND';
  readonly status = 404;
}
/** The referring agency shares no agreement in force with the coordinator of the area named. */
export class NotAReferralParty extends GatewayError {
  readonly code = 'NOT_A_REFERRAL_PARTY';
  readonly status = 403;
}
/** The agency shares agreements with more than one area's coordinator: the body must name the area. */
export class MaracAreaRequired extends GatewayError {
  readonly code = 'MARAC_AREA_REQUIRED';
  readonly status = 400;
}
/** A claimed criterion the area does not have, claimed twice, or without the evidence it needs. */
export class ReferralCriterionInvalid extends GatewayError {
  readonly code = 'REFERRAL_CRITERION_INVALID';
  readonly status = 400;
}
/** The referral was already accepted or returned. */
export class ReferralAlreadyDecided extends GatewayError {
  readonly code = 'REFERRAL_ALREADY_DECIDED';
  readonly status = 409;
}
/** The referral meets no criterion (or none an agreement in force accepts): no case is opened. */
export class ReferralThresholdNotMet extends GatewayError {
  readonly code = 'REFERRAL_THRESHOLD_NOT_MET';
  readonly status = 422;
}
/** A possible earlier case is waiting for the coordinator's confirm-or-reject before acceptance. */
export class RepeatMatchUndecided extends GatewayError {
  readonly code = 'REPEAT_MATCH_UNDECIDED';
  readonly status = 409;
}
export class RepeatMatchNotFound extends GatewayError {
  readonly code = 'REPEAT_MATCH_NOT_FOUND';
  readonly status = 404;
}
/** The match was already confirmed or rejected. */
export class RepeatMatchAlreadyDecided extends GatewayError {
  readonly code = 'REPEAT_MATCH_ALREADY_DECIDED';
  readonly status = 409;
}
/** Only the area's coordinator decides on a referral. */
export class NotTheCoordinator extends GatewayError {
  readonly code = 'NOT_THE_COORDINATOR';
  readonly status = 403;
}
