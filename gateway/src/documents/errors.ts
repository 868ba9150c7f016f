import { GatewayError } from '../errors.js';

/** A document format other than docx or pdf (or json/html where the pack export also offers them). */
export class DocumentFormatUnsupported extends GatewayError {
  readonly code = 'DOCUMENT_FORMAT_UNSUPPORTED';
  readonly status = 400;
}

/** The agency a document is to be produced for is not a registered, enabled agency. */
export class DocumentRecipientUnknown extends GatewayError {
  readonly code = 'DOCUMENT_RECIPIENT_UNKNOWN';
  readonly status = 400;
}
