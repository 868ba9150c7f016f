import { acceptsOnly, notApplicable, value, type CompiledOperator } from './types.js';

/** A list becomes its length. */
export const countOperator: CompiledOperator = {
  name: 'count',
  transforms: true,
  generalises: true,
  accepts: acceptsOnly('array'),
  apply(v) {
    return Array.isArray(v) ? value(v.length) : notApplicable;
  },
};
