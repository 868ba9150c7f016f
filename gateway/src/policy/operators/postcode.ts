import { generalisePostcode } from '@marac/uk-identifiers';
import { DropReason, acceptsOnly, drop, isPlainObject, notApplicable, value, type CompiledOperator } from './types.js';

/**
 * The `postcode` operator: generalises a UK postcode to its district or sector by parsing it
 * (@marac/uk-identifiers), never by cutting characters; what does not parse is dropped.
 * Accepts a postcode string or an address object with a `postcode` string.
 */
export function postcodeOperator(level: 'district' | 'sector'): CompiledOperator {
  return {
    name: 'postcode',
    transforms: true,
    generalises: true,
    accepts: acceptsOnly('string', 'object'),
    apply(v) {
      let raw: unknown = v;
      if (isPlainObject(v)) raw = v.postcode;
      else if (typeof v !== 'string') return notApplicable;
      if (typeof raw !== 'string') return drop(DropReason.INVALID_POSTCODE);
      const general = generalisePostcode(raw, level);
      return general === null ? drop(DropReason.INVALID_POSTCODE) : value(general);
    },
  };
}
