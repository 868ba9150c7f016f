/**
 * Stable error codes. Every failure the gateway reports has one class and one code; clients and
 * tests branch on `code`, never on the message (see jose `src/util/errors.ts`).
 *
 * Modules define their own subclasses next to the code that throws them; the HTTP layer maps any
 * GatewayError to an RFC 9457 problem+json body using `status` and `code`.
 */
export interface ProblemDetail {
  /** JSON Pointer (or dotted path) of the offending input, when there is one. */
  path: string;
  /** Stable sub-code, e.g. `required`, `additionalProperties`, `UNKNOWN_FIELD_PATH`. */
  code: string;
  message: string;
}

export abstract class GatewayError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Extra, non-personal detail safe to return to the client. */
  readonly problems?: ProblemDetail[];
  readonly reason?: string;

  constructor(message: string, opts: { problems?: ProblemDetail[]; reason?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    if (opts.problems) this.problems = opts.problems;
    if (opts.reason) this.reason = opts.reason;
  }
}

export class ValidationFailed extends GatewayError {
  readonly code = 'VALIDATION_FAILED';
  readonly status = 400;
}
export class MalformedJson extends GatewayError {
  readonly code = 'MALFORMED_JSON';
  readonly status = 400;
}
export class UnsupportedMediaType extends GatewayError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly status = 415;
}
export class PayloadTooLarge extends GatewayError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  readonly status = 413;
}
export class Unauthenticated extends GatewayError {
  readonly code = 'UNAUTHENTICATED';
  readonly status = 401;
}
export class Forbidden extends GatewayError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
}
export class NotFound extends GatewayError {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
}
export class Conflict extends GatewayError {
  readonly code = 'CONFLICT';
  readonly status = 409;
}
export class InvalidState extends GatewayError {
  readonly code = 'INVALID_STATE';
  readonly status = 409;
}
export class IdempotencyKeyReused extends GatewayError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  readonly status = 422;
}
export class MissingIdempotencyKey extends GatewayError {
  readonly code = 'IDEMPOTENCY_KEY_REQUIRED';
  readonly status = 400;
}
/** The policy engine refused; `reason` carries the stable reason code (e.g. ISA_EXPIRED). */
export class PolicyDenied extends GatewayError {
  readonly code = 'POLICY_DENIED';
  readonly status = 403;
}
export class RateLimited extends GatewayError {
  readonly code = 'RATE_LIMITED';
  readonly status = 429;
}
export class ServiceUnavailable extends GatewayError {
  readonly code = 'SERVICE_UNAVAILABLE';
  readonly status = 503;
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}
