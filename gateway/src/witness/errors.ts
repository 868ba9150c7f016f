import { GatewayError } from '../errors.js';

/**
 * The witness's refusals (c2sp.org/tlog-witness). The HTTP status is the protocol's; the code is
 * ours, stable, on the first line of the text body (except 409, whose body the protocol fixes:
 * the witness's size for that log).
 */
export class WitnessRequestMalformed extends GatewayError {
  readonly code = 'WITNESS_REQUEST_MALFORMED';
  readonly status = 400;
}

/** `old` is larger than the checkpoint's own size. */
export class WitnessOldSizeInvalid extends GatewayError {
  readonly code = 'WITNESS_OLD_SIZE_INVALID';
  readonly status = 400;
}

/** No log with this origin is configured at this witness. */
export class WitnessUnknownLog extends GatewayError {
  readonly code = 'WITNESS_UNKNOWN_LOG';
  readonly status = 404;
}

/** No signature on the checkpoint verifies under the keys configured for its origin. */
export class WitnessSignatureInvalid extends GatewayError {
  readonly code = 'WITNESS_SIGNATURE_INVALID';
  readonly status = 403;
}

/**
 * `old` is not the size the witness last cosigned, or the same size came with another root (a
 * fork). `size` is the witness's size for the log: the client retries with a proof from there.
 */
export class WitnessConflict extends GatewayError {
  readonly code = 'WITNESS_CONFLICT';
  readonly status = 409;
  constructor(message: string, readonly size: number, opts: { reason?: string } = {}) {
    super(message, opts);
  }
}

/** The consistency proof does not lead from the witnessed tree to this checkpoint. */
export class WitnessProofInvalid extends GatewayError {
  readonly code = 'WITNESS_PROOF_INVALID';
  readonly status = 422;
}

export class WitnessBodyTooLarge extends GatewayError {
  readonly code = 'WITNESS_BODY_TOO_LARGE';
  readonly status = 413;
}
