/**
 * The adapter checks its own output against the canonical schemas before anything leaves the
 * agency: a response the gateway would reject is a bug here, and it is better caught (and logged
 * without personal data) before sending than after.
 */
import { createSchemaValidator, type ProblemDetail, type SchemaValidator } from '@marac/schemas';
import { AdapterError } from './errors.js';
import type { Decline, ResearchResponse } from './types.js';

let shared: SchemaValidator | undefined;

function registry(): SchemaValidator {
  shared ??= createSchemaValidator();
  return shared;
}

export function responseProblems(response: ResearchResponse): ProblemDetail[] {
  return registry().validate('research-response', response);
}

export function declineProblems(decline: Decline): ProblemDetail[] {
  return registry().validate('decline', decline);
}

/** The adapter built something the schema refuses: never sent. */
export class InvalidOwnOutput extends AdapterError {
  readonly code = 'ADAPTER_OUTPUT_INVALID';
}

export function assertValidResponse(response: ResearchResponse): void {
  const problems = responseProblems(response);
  if (problems.length) throw new InvalidOwnOutput('research response does not validate against the schema', { problems });
}

export function assertValidDecline(decline: Decline): void {
  const problems = declineProblems(decline);
  if (problems.length) throw new InvalidOwnOutput('decline does not validate against the schema', { problems });
}
