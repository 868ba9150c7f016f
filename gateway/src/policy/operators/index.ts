/**
 * Redaction operators: the only module the policy engine imports for field transforms.
 * The contract (types, parseOperator, compileOperator) is shared with the engine; keep it.
 */
import { ageBandOperator } from './age-band.js';
import { booleaniseOperator } from './booleanise.js';
import { categoriseOperator } from './categorise.js';
import { countOperator } from './count.js';
import { dateOperator } from './date.js';
import { dropOperator } from './drop.js';
import { keepOperator } from './keep.js';
import { limitOperator } from './limit.js';
import { maskOperator } from './mask.js';
import { parseOperator } from './parse.js';
import { postcodeOperator } from './postcode.js';
import { pseudonymiseOperator } from './pseudonymise.js';
import { replaceOperator } from './replace.js';
import { scrubOperator } from './scrub.js';
import { truncateOperator } from './truncate.js';
import { GatewayError } from '../../errors.js';
import { DropReason, type CompiledOperator, type OperatorContext, type OperatorSpec, type OpResult } from './types.js';
import { windowOperator } from './window.js';

export type { CompiledOperator, FieldType, OperatorContext, OperatorSpec, OpResult, DropReasonCode } from './types.js';
export { DropReason };
export { parseOperator, type ParseResult } from './parse.js';
// UK identifiers live in @marac/uk-identifiers (shared with the audit tokens and the adapter SDK).
export {
  parsePostcode, isValidPostcode, type ParsedPostcode,
  nhsCheckDigit, hasValidNhsCheckDigit, normaliseNhsNumber, isValidNhsNumber,
  pncCheckLetter, parsePncId, isValidPncId, type ParsedPncId,
} from '@marac/uk-identifiers';
export { scrubText, Placeholder } from './scrub.js';
export { truncateText, CUT_MARK } from './truncate.js';
export { maskText } from './mask.js';
export { pseudonym, canonicalString, PSEUDONYM_PREFIX, MIN_HMAC_KEY_BYTES } from './pseudonymise.js';
export { bandLabels } from './age-band.js';
export { truthy } from './booleanise.js';

/** A spec that does not parse reached compileOperator (it should have been validated first). */
export class InvalidOperatorSpec extends GatewayError {
  readonly code = 'INVALID_OPERATOR';
  readonly status = 400;
}

/**
 * The contract says apply never throws. Operators are written not to, but input is arbitrary
 * (cyclic or exotic objects from a buggy adapter): anything unexpected becomes a drop.
 */
function failClosed(op: CompiledOperator): CompiledOperator {
  const inner = op.apply;
  return Object.freeze({
    name: op.name,
    transforms: op.transforms,
    generalises: op.generalises,
    accepts: op.accepts,
    apply(v: unknown, ctx: OperatorContext): OpResult {
      try {
        return inner(v, ctx);
      } catch {
        return operatorFailed;
      }
    },
  });
}
const operatorFailed: OpResult = Object.freeze({ kind: 'drop', reason: DropReason.OPERATOR_FAILED }) as OpResult;

/**
 * Compiles a spec into an operator. The spec is re-checked with parseOperator so a hand-built
 * spec with bad parameters fails here, at compile time, never as a silent release at run time.
 */
export function compileOperator(spec: OperatorSpec): CompiledOperator {
  return failClosed(build(spec));
}

function build(spec: OperatorSpec): CompiledOperator {
  const parsed = parseOperator(spec);
  if (!parsed.ok) throw new InvalidOperatorSpec(parsed.message);
  const s = parsed.spec;
  if (typeof s === 'string') {
    switch (s) {
      case 'keep':
        return keepOperator;
      case 'drop':
        return dropOperator;
      case 'count':
        return countOperator;
      case 'booleanise':
        return booleaniseOperator;
      case 'pseudonymise':
        return pseudonymiseOperator;
      case 'scrub':
        return scrubOperator;
    }
  }
  if ('mask' in s) return maskOperator(s.mask.keepLast);
  if ('date' in s) return dateOperator(s.date);
  if ('ageBand' in s) return ageBandOperator(s.ageBand);
  if ('postcode' in s) return postcodeOperator(s.postcode);
  if ('truncate' in s) return truncateOperator(s.truncate);
  if ('window' in s) return windowOperator(s.window.months, s.window.on);
  if ('limit' in s) return limitOperator(s.limit.top, s.limit.by, s.limit.order);
  if ('categorise' in s) return categoriseOperator(s.categorise.map, s.categorise.default);
  if ('replace' in s) return replaceOperator(s.replace);
  throw new InvalidOperatorSpec('unreachable operator spec');
}
