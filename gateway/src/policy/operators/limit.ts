import { readKey, splitKey } from './path.js';
import { acceptsOnly, notApplicable, value, type CompiledOperator } from './types.js';

type Sortable = number | string;

function sortable(v: unknown): Sortable | undefined {
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
  return typeof v === 'string' ? v : undefined;
}

/** Numbers before strings; within a type, natural order (ISO dates compare as strings). */
function compare(a: Sortable, b: Sortable): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Keeps the top n items of a list ordered by a key, descending unless told otherwise. Items
 * without a usable key sort last in both orders, so "the three most recent" never prefers an
 * undated item. Ties keep their original order.
 */
export function limitOperator(top: number, by: string, order: 'asc' | 'desc' = 'desc'): CompiledOperator {
  const keys = splitKey(by);
  const sign = order === 'asc' ? 1 : -1;
  return {
    name: 'limit',
    transforms: true,
    generalises: false,
    accepts: acceptsOnly('array'),
    apply(v) {
      if (!Array.isArray(v)) return notApplicable;
      const decorated = v.map((item, i) => ({ item, i, key: sortable(readKey(item, keys)) }));
      decorated.sort((x, y) => {
        if (x.key === undefined || y.key === undefined) {
          if (x.key === y.key) return x.i - y.i;
          return x.key === undefined ? 1 : -1;
        }
        return sign * compare(x.key, y.key) || x.i - y.i;
      });
      return value(decorated.slice(0, top).map((d) => d.item));
    },
  };
}
