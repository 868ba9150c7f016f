import { DropReason, acceptsOnly, drop, notApplicable, value, type CompiledOperator } from './types.js';

/**
 * Maps a value onto a category ("DA_ASSAULT" → "VIOLENCE"). Unmapped values take the default, or
 * are dropped. Only the map's own keys count, so "__proto__" or "constructor" never map.
 */
export function categoriseOperator(map: Readonly<Record<string, string>>, fallback?: string): CompiledOperator {
  const table = new Map<string, string>(Object.entries(map));
  return {
    name: 'categorise',
    transforms: true,
    generalises: false,
    accepts: acceptsOnly('string', 'number', 'integer', 'boolean'),
    apply(v) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return notApplicable;
      const hit = table.get(String(v));
      if (hit !== undefined) return value(hit);
      return fallback === undefined ? drop(DropReason.UNMAPPED_VALUE) : value(fallback);
    },
  };
}
