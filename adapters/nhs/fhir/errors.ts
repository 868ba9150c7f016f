/**
 * Failures of the NHS adapter's FHIR source, one class per failure with a stable code. They are the
 * SDK's SourceError (decision 0025), so the runner reports them by code (`source-error` events,
 * health), retries the message and then declines it visibly. Messages carry HTTP statuses, resource
 * types and OAuth error codes only: never a search value, never personal data.
 */
import { SourceError } from '../../sdk/errors.js';

/** The token endpoint refused the client (bad signature, expired or replayed assertion, wrong aud, unknown client) or the FHIR server refused the token. */
export class FhirAuthFailed extends SourceError {
  readonly code = 'FHIR_AUTH_FAILED';
  constructor(readonly status: number, readonly oauthError: string | undefined, message: string) {
    super(message);
  }
}

/** The FHIR server (or its SMART discovery document) could not be reached, or did not answer in time. */
export class FhirUnreachable extends SourceError {
  readonly code = 'FHIR_UNREACHABLE';
}

/** The FHIR server answered a search or read with an error status or a body that is not FHIR. */
export class FhirRequestFailed extends SourceError {
  readonly code = 'FHIR_REQUEST_FAILED';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The adapter's FHIR configuration (base URL, client id, key) is unusable. */
export class FhirConfigInvalid extends SourceError {
  readonly code = 'FHIR_CONFIG_INVALID';
}
