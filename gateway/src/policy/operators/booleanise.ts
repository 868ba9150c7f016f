import { acceptsAny, value, type CompiledOperator } from './types.js';

/** Nesting deeper than this in a payload is treated as "something is there". */
const MAX_DEPTH = 32;

/**
 * Truthiness as an IG officer means it: "is anything recorded?". Blank strings, NaN and empty
 * containers are false; a non-empty list is true; an object is true if any of its values is.
 */
export function truthy(v: unknown, depth = 0): boolean {
  if (v === null || v === undefined) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0 && !Number.isNaN(v);
    case 'string':
      return v.trim().length > 0;
    case 'object':
      if (Array.isArray(v)) return v.length > 0;
      if (depth >= MAX_DEPTH) return true;
      for (const k of Object.keys(v)) {
        if (truthy((v as Record<string, unknown>)[k], depth + 1)) return true;
      }
      return false;
    default:
      return false;
  }
}

export const booleaniseOperator: CompiledOperator = {
  name: 'booleanise',
  transforms: true,
  generalises: true,
  accepts: acceptsAny,
  apply: (v) => value(truthy(v)),
};
