/**
 * The one place message bodies are validated. The loading, the ajv set-up and the problem shapes
 * are @marac/schemas (shared with the adapter SDK); this wraps them with the gateway's errors: a
 * missing schema is SchemaNotAvailable (500), an invalid body ValidationFailed (400).
 */
import { fileURLToPath } from 'node:url';
import type { AnySchemaObject } from 'ajv/dist/2020.js';
import { createSchemaValidator, SchemaUnavailable, } from '@marac/schemas';
import { GatewayError, ValidationFailed, type ProblemDetail } from '../errors.js';

export { SCHEMA_BASE, pointerToken, hasForbiddenKey, findForbiddenKeys } from '@marac/schemas';

export type SchemaName = 'case' | 'case-legal-update' | 'research-request' | 'research-response' | 'decline' | 'agreement' | 'audit-event'
  | 'referral' | 'referral-accept' | 'referral-return' | 'referral-repeat-decision'
  | 'case-update' | 'case-withdraw' | 'case-close'
  | 'meeting' | 'meeting-update' | 'agenda-add' | 'agenda-order' | 'agenda-item-update' | 'attendance' | 'meeting-circulate'
  | 'case-minutes' | 'case-action' | 'case-action-update'
  | 'transfer-offer' | 'transfer-accept' | 'transfer-refuse';
export const SCHEMA_NAMES: readonly SchemaName[] = [
  'case', 'case-legal-update', 'research-request', 'research-response', 'decline', 'agreement', 'audit-event',
  'referral', 'referral-accept', 'referral-return', 'referral-repeat-decision',
  'case-update', 'case-withdraw', 'case-close',
  'meeting', 'meeting-update', 'agenda-add', 'agenda-order', 'agenda-item-update', 'attendance', 'meeting-circulate',
  'case-minutes', 'case-action', 'case-action-update',
  'transfer-offer', 'transfer-accept', 'transfer-refuse',
];

/** A schema the caller asked for is not loaded or does not compile: a deployment fault, fail closed. */
export class SchemaNotAvailable extends GatewayError {
  readonly code = 'SCHEMA_NOT_AVAILABLE';
  readonly status = 500;
}

export interface SchemaRegistry {
  /** Every problem at once; empty array means valid. */
  validate(name: SchemaName, data: unknown): ProblemDetail[];
  /** Throws ValidationFailed (400) listing every problem. */
  assertValid(name: SchemaName, data: unknown): void;
  /** Raw loaded schema documents keyed by `$id` (read-only use: the catalog walks them). */
  documents(): ReadonlyMap<string, AnySchemaObject>;
  has(name: SchemaName): boolean;
}

export const DEFAULT_SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

export function createSchemaRegistry(opts: { schemasDir?: string } = {}): SchemaRegistry {
  const inner = createSchemaValidator({ schemasDir: opts.schemasDir ?? DEFAULT_SCHEMAS_DIR });
  function validate(name: SchemaName, data: unknown): ProblemDetail[] {
    try {
      return inner.validate(name, data);
    } catch (e) {
      if (e instanceof SchemaUnavailable) throw new SchemaNotAvailable(e.message, { cause: e.cause });
      throw e;
    }
  }
  return {
    validate,
    assertValid(name, data) {
      const problems = validate(name, data);
      if (problems.length > 0) throw new ValidationFailed(`${name} is not valid`, { problems });
    },
    documents: () => inner.documents(),
    has: (name) => inner.has(name),
  };
}

let defaultRegistry: SchemaRegistry | undefined;
/** The process-wide registry over the repository's `schemas/` (loaded once). */
export function schemaRegistry(): SchemaRegistry {
  defaultRegistry ??= createSchemaRegistry();
  return defaultRegistry;
}

export function validate(name: SchemaName, data: unknown): ProblemDetail[] {
  return schemaRegistry().validate(name, data);
}

export function assertValid(name: SchemaName, data: unknown): void {
  schemaRegistry().assertValid(name, data);
}
