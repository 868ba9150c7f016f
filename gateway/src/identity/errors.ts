import { GatewayError } from '../errors.js';

/**
 * Identity failures. Authentication failures (401) all carry the same generic message so a caller
 * learns nothing from the text; only the stable `code` says which check failed.
 */
const AUTH_MESSAGE = 'client certificate authentication failed';

abstract class AuthenticationFailed extends GatewayError {
  readonly status = 401;
  constructor() {
    super(AUTH_MESSAGE);
  }
}
/** No client certificate on the connection (nor from a trusted proxy). */
export class ClientCertRequired extends AuthenticationFailed {
  readonly code = 'CLIENT_CERT_REQUIRED';
}
/** The certificate does not chain to our CA, or we never issued it. */
export class ClientCertUntrusted extends AuthenticationFailed {
  readonly code = 'CLIENT_CERT_UNTRUSTED';
}
export class ClientCertRevoked extends AuthenticationFailed {
  readonly code = 'CLIENT_CERT_REVOKED';
}
/** Outside its validity period (expired, or not yet valid). */
export class ClientCertExpired extends AuthenticationFailed {
  readonly code = 'CLIENT_CERT_EXPIRED';
}
export class AgencyDisabled extends AuthenticationFailed {
  readonly code = 'AGENCY_DISABLED';
}

/** Registry / PKI administration errors. */
export class CsrInvalid extends GatewayError {
  readonly code = 'CSR_INVALID';
  readonly status = 400;
}
/** The CSR names another agency (its subject CN): the wrong file, or someone else's key. */
export class CsrAgencyMismatch extends GatewayError {
  readonly code = 'CSR_AGENCY_MISMATCH';
  readonly status = 400;
}
export class AgencyExists extends GatewayError {
  readonly code = 'AGENCY_EXISTS';
  readonly status = 409;
}
export class AgencyNotFound extends GatewayError {
  readonly code = 'AGENCY_NOT_FOUND';
  readonly status = 404;
}
/** Issuing a certificate to (or otherwise changing) an agency that has been disabled. */
export class AgencyIsDisabled extends GatewayError {
  readonly code = 'AGENCY_IS_DISABLED';
  readonly status = 409;
}
/** Enabling an agency that is not disabled. */
export class AgencyNotDisabled extends GatewayError {
  readonly code = 'AGENCY_NOT_DISABLED';
  readonly status = 409;
}
/** Issuing in a process that holds no CA key (production): issue with `npm run pki` where the key is. */
export class CaKeyNotHere extends GatewayError {
  readonly code = 'CA_KEY_NOT_AVAILABLE';
  readonly status = 409;
}
export class CertificateNotFound extends GatewayError {
  readonly code = 'CERTIFICATE_NOT_FOUND';
  readonly status = 404;
}
export class CertificateAlreadyRevoked extends GatewayError {
  readonly code = 'CERTIFICATE_ALREADY_REVOKED';
  readonly status = 409;
}
/** The CA material handed to us is unusable (not a CA, key does not match, not PEM). */
export class CaInvalid extends GatewayError {
  readonly code = 'CA_INVALID';
  readonly status = 500;
}
