import { GatewayError } from '../errors.js';

/** Stable failures of people log-in, sessions and CSRF. Tests and clients branch on `code`. */

/** Signed in, but none of the person's roles may use this route. */
export class ForbiddenRole extends GatewayError {
  readonly code = 'FORBIDDEN_ROLE';
  readonly status = 403;
}

/** An unsafe request without the session's CSRF token, or sent from another site. `reason` says which. */
export class CsrfFailed extends GatewayError {
  readonly code = 'CSRF_FAILED';
  readonly status = 403;
}

/** `returnTo` was not a path on this site (open-redirect guard). */
export class InvalidReturnTo extends GatewayError {
  readonly code = 'INVALID_RETURN_TO';
  readonly status = 400;
}

/** The log-in did not complete; `reason` is a stable code (also written to the LOGIN_FAILED event). */
export class LoginFailed extends GatewayError {
  readonly code = 'LOGIN_FAILED';
  readonly status = 401;
}

/** Misconfiguration found when building people auth. */
export class PeopleAuthConfigInvalid extends GatewayError {
  readonly code = 'PEOPLE_AUTH_CONFIG_INVALID';
  readonly status = 500;
}
