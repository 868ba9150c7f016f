import { acceptsAny, value, type CompiledOperator } from './types.js';

/** Releases the value as it is. The only operator that does not transform. */
export const keepOperator: CompiledOperator = {
  name: 'keep',
  transforms: false,
  generalises: false,
  accepts: acceptsAny,
  apply: (v) => value(v),
};
