import { acceptsAny, value, type CompiledOperator } from './types.js';

/** Releases a constant (e.g. "CONFIDENTIAL") in place of whatever the field holds. */
export function replaceOperator(constant: string): CompiledOperator {
  const result = value(constant);
  return {
    name: 'replace',
    transforms: true,
    generalises: true,
    accepts: acceptsAny,
    apply: () => result,
  };
}
