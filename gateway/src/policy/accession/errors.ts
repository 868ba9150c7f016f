/** Failures of accession (docs/decisions/0023-accession.md). One class per failure, a stable code each. */
import { GatewayError } from '../../errors.js';

/** Only an agency's IG lead (ig_officer with the agency claim) signs for that agency. */
export class NotAgencyIgLead extends GatewayError {
  readonly code = 'NOT_AGENCY_IG_LEAD';
  readonly status = 403;
}
/** Only the agreement's own IG officers (no agency claim, or the coordinating agency's) decide. */
export class NotAgreementOfficer extends GatewayError {
  readonly code = 'NOT_AGREEMENT_OFFICER';
  readonly status = 403;
}
/** Maker-checker: the signatory may not approve or refuse their own accession. */
export class AccessionSelfDecision extends GatewayError {
  readonly code = 'ACCESSION_SELF_DECISION';
  readonly status = 403;
}
export class AccessionNotFound extends GatewayError {
  readonly code = 'ACCESSION_NOT_FOUND';
  readonly status = 404;
}
export class AccessionAlreadyDecided extends GatewayError {
  readonly code = 'ACCESSION_ALREADY_DECIDED';
  readonly status = 409;
}
/** An open request for the same agency and agreement is waiting for a decision. */
export class AccessionPending extends GatewayError {
  readonly code = 'ACCESSION_PENDING';
  readonly status = 409;
}
/** The version signed is no longer the one in force (or the digest read is not its digest). */
export class AccessionTermsChanged extends GatewayError {
  readonly code = 'ACCESSION_TERMS_CHANGED';
  readonly status = 409;
}
export class AlreadyAParty extends GatewayError {
  readonly code = 'ALREADY_A_PARTY';
  readonly status = 409;
}
/** The agreement has no flow for the agency's type: there is nothing to accede to. */
export class NoFlowsForType extends GatewayError {
  readonly code = 'NO_FLOWS_FOR_TYPE';
  readonly status = 409;
}
/** The coordinating party cannot leave its own agreement by withdrawal. */
export class CoordinatorCannotWithdraw extends GatewayError {
  readonly code = 'COORDINATOR_CANNOT_WITHDRAW';
  readonly status = 409;
}
/**
 * A party stands removed (the kill switch): approving would put a new version in force, which lifts
 * every standing removal. Restore the party, or put a version without it in force, first.
 */
export class PartyRemovalStanding extends GatewayError {
  readonly code = 'PARTY_REMOVAL_STANDING';
  readonly status = 409;
}
