import { GatewayError } from '../errors.js';

/** The quarter asked for is not written like `2026-Q3` (or its year is outside 2000–2100). */
export class QuarterInvalid extends GatewayError {
  readonly code = 'QUARTER_INVALID';
  readonly status = 400;
}

/** A report format the gateway does not produce (`format` query parameter). */
export class ReportFormatInvalid extends GatewayError {
  readonly code = 'REPORT_FORMAT_INVALID';
  readonly status = 400;
}

/** Only a MARAC coordinator agency (its certificate, or one of its coordinators) has a data return. */
export class NotAReportingCoordinator extends GatewayError {
  readonly code = 'NOT_A_COORDINATOR';
  readonly status = 403;
}
