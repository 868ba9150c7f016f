import { createHmac } from 'node:crypto';
import { DropReason, acceptsAny, drop, type CompiledOperator } from './types.js';

export const PSEUDONYM_PREFIX = 'psn_';
/** Keys shorter than this are refused: a short key makes the pseudonym a lookup table. */
export const MIN_HMAC_KEY_BYTES = 16;

/**
 * The string that is hashed. Strings are NFC-normalised so "José" typed two ways gives one
 * pseudonym; numbers and booleans use their JSON form (so "123" and 123 coincide, as identifiers
 * stored either way should); objects and arrays use JSON with keys sorted at every level.
 */
export function canonicalString(v: unknown): string {
  if (typeof v === 'string') return v.normalize('NFC');
  return canonicalJson(v);
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v === 'boolean') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'string') return JSON.stringify(v.normalize('NFC'));
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const parts = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`);
    return `{${parts.join(',')}}`;
  }
  return 'null';
}

/** "psn_" + the first 32 hex digits of HMAC-SHA256(key, canonical string of value). */
export function pseudonym(v: unknown, key: Buffer): string {
  const mac = createHmac('sha256', key).update(canonicalString(v), 'utf8').digest('hex');
  return PSEUDONYM_PREFIX + mac.slice(0, 32);
}

export const pseudonymiseOperator: CompiledOperator = {
  name: 'pseudonymise',
  transforms: true,
  generalises: true,
  accepts: acceptsAny,
  apply(v, ctx) {
    // Never fall back to an unkeyed or weakly keyed hash: that would be reversible by lookup.
    if (!Buffer.isBuffer(ctx.hmacKey) || ctx.hmacKey.length < MIN_HMAC_KEY_BYTES) {
      return drop(DropReason.HMAC_KEY_MISSING);
    }
    if (v === null || v === undefined) return drop(DropReason.OPERATOR_NOT_APPLICABLE);
    return { kind: 'value', value: pseudonym(v, ctx.hmacKey) };
  },
};
