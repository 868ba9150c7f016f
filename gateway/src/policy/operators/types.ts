/**
 * The operator contract shared with the policy engine. The engine imports only `index.js`;
 * these shapes are re-exported from there and must not change without agreeing with it.
 */
export type OperatorSpec =
  | 'keep'
  | 'drop'
  | 'count'
  | 'booleanise'
  | 'pseudonymise'
  | 'scrub'
  | { mask: { keepLast: number } }
  | { date: 'year' | 'month' }
  /** Lower bounds ascending, e.g. [0,5,11,16,18]; the top band is open ("18+"). */
  | { ageBand: number[] }
  | { postcode: 'district' | 'sector' }
  /** n characters, cut on a word boundary, marked as cut. */
  | { truncate: number }
  /** List: keep items whose `on` date is within the last n months. */
  | { window: { months: number; on: string } }
  /** List: top n by key (default desc). */
  | { limit: { top: number; by: string; order?: 'asc' | 'desc' } }
  | { categorise: { map: Record<string, string>; default?: string } }
  /** Constant, e.g. "CONFIDENTIAL". */
  | { replace: string };

export type FieldType = 'string' | 'date' | 'date-time' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

export interface OperatorContext {
  now: Date;
  hmacKey: Buffer;
}

export type OpResult =
  | { kind: 'value'; value: unknown }
  | { kind: 'drop'; reason: string };

export interface CompiledOperator {
  /** 'keep' | 'mask' | 'date' | ... : goes in the audit event as `op`. */
  readonly name: string;
  /** False only for keep. */
  readonly transforms: boolean;
  /**
   * True when the output cannot reveal the exact location or value: drop, count, booleanise,
   * postcode, replace, ageBand, date(year), pseudonymise. Guardrails on LOC fields rely on it.
   */
  readonly generalises: boolean;
  /** Static check used by agreement validation. */
  accepts(type: FieldType): boolean;
  /** Never throws; bad input becomes a drop with a stable reason code. */
  apply(value: unknown, ctx: OperatorContext): OpResult;
}

/** Stable reason codes an operator puts on a drop. */
export const DropReason = {
  /** The rule says drop. */
  DROPPED_BY_RULE: 'DROPPED_BY_RULE',
  /** The value's type does not fit the operator (e.g. a number given to scrub). */
  OPERATOR_NOT_APPLICABLE: 'OPERATOR_NOT_APPLICABLE',
  INVALID_POSTCODE: 'INVALID_POSTCODE',
  INVALID_DATE: 'INVALID_DATE',
  /** A date of birth after `now`, or a negative age. */
  INVALID_AGE: 'INVALID_AGE',
  /** The age is below the first band's lower bound. */
  AGE_BELOW_BANDS: 'AGE_BELOW_BANDS',
  UNMAPPED_VALUE: 'UNMAPPED_VALUE',
  /** pseudonymise without a usable key: never fall back to an unkeyed hash. */
  HMAC_KEY_MISSING: 'HMAC_KEY_MISSING',
  /** The operator hit something it did not expect; fail closed. */
  OPERATOR_FAILED: 'OPERATOR_FAILED',
} as const;
export type DropReasonCode = (typeof DropReason)[keyof typeof DropReason];

export const value = (v: unknown): OpResult => ({ kind: 'value', value: v });
export const drop = (reason: DropReasonCode): OpResult => ({ kind: 'drop', reason });
export const notApplicable: OpResult = Object.freeze({ kind: 'drop', reason: DropReason.OPERATOR_NOT_APPLICABLE }) as OpResult;

/** Builds the accepts() function from a list of field types. */
export function acceptsOnly(...types: FieldType[]): (type: FieldType) => boolean {
  const set = new Set<FieldType>(types);
  return (type) => set.has(type);
}
export const acceptsAny = (): boolean => true;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
