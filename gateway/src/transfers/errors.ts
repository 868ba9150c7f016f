import { GatewayError } from '../errors.js';

/** No such transfer, or not this agency's to see: one answer for both. */
export class TransferNotFound extends GatewayError {
  readonly code = 'TRANSFER_NOT_FOUND';
  readonly status = 404;
}

/** The inter-area agreement does not allow this transfer; `reason` is the policy engine's code. */
export class TransferNotAllowed extends GatewayError {
  readonly code = 'TRANSFER_NOT_ALLOWED';
  readonly status = 403;
}

/** The case is already offered to (or was accepted by) that area. */
export class TransferAlreadyOffered extends GatewayError {
  readonly code = 'TRANSFER_ALREADY_OFFERED';
  readonly status = 409;
}

/** Accepted, refused or withdrawn already. */
export class TransferAlreadyDecided extends GatewayError {
  readonly code = 'TRANSFER_ALREADY_DECIDED';
  readonly status = 409;
}

/** A subject's names were not released to the receiving area: no case can be opened about them. */
export class TransferSubjectsNotReleased extends GatewayError {
  readonly code = 'TRANSFER_SUBJECTS_NOT_RELEASED';
  readonly status = 422;
}
