/**
 * Adapter-side failures, one class per failure with a stable code (mirrors the gateway's
 * GatewayError so logs and tests branch on `code`). Messages never carry personal data.
 */
import type { ProblemDetail } from '@marac/schemas';

export abstract class AdapterError extends Error {
  abstract readonly code: string;
  readonly problems?: ProblemDetail[];

  constructor(message: string, opts: { problems?: ProblemDetail[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    if (opts.problems) this.problems = opts.problems;
  }
}

/** The gateway answered with a problem+json error (`code` from its body; `status` the HTTP status). */
export class GatewayRejected extends AdapterError {
  readonly code: string;
  readonly status: number;
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    super(`gateway answered ${status} ${typeof body.code === 'string' ? body.code : ''}`.trim());
    this.status = status;
    this.code = typeof body.code === 'string' ? body.code : `HTTP_${status}`;
    this.body = body;
  }

  /** 5xx, 429 and 408 are worth retrying; other 4xx mean the request itself is wrong. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

/** Could not reach the gateway (connection refused, reset, TLS failure, timeout). */
export class GatewayUnreachable extends AdapterError {
  readonly code = 'GATEWAY_UNREACHABLE';
}

/** The gateway sent something that is not the documented shape. */
export class UnexpectedGatewayReply extends AdapterError {
  readonly code = 'UNEXPECTED_GATEWAY_REPLY';
}

/** The adapter's configuration is incomplete or wrong (lists every problem). */
export class AdapterConfigInvalid extends AdapterError {
  readonly code = 'ADAPTER_CONFIG_INVALID';
}

/** The agency data set could not be loaded. */
export class AgencyDataInvalid extends AdapterError {
  readonly code = 'AGENCY_DATA_INVALID';
}

/**
 * The agency's own system (a database, a FHIR server, an export folder) failed a search or a read.
 * The runner retries the message, then declines it visibly (decision 0025). Messages name the
 * source kind and what failed, never a searched value.
 */
export abstract class SourceError extends AdapterError {}

/** The source did not answer within the subject's (or the read's) time-out. */
export class SourceTimeout extends SourceError {
  readonly code = 'SOURCE_TIMEOUT';
}

/** The source cannot be reached or refused the connection or the credentials. */
export class SourceUnavailable extends SourceError {
  readonly code = 'SOURCE_UNAVAILABLE';
}

/** The source answered with an error to a query (a missing view or column, a bad configuration). */
export class SourceQueryFailed extends SourceError {
  readonly code = 'SOURCE_QUERY_FAILED';
}

/** The work was cancelled (the runner is stopping); not a failure of the source. */
export class SourceAborted extends SourceError {
  readonly code = 'SOURCE_ABORTED';
}
