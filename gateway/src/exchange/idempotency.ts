import { createHash } from 'node:crypto';
import type { Queryable } from '../store/db.js';
import { IdempotencyKeyReused, MissingIdempotencyKey, ValidationFailed } from '../errors.js';

const KEY_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

/** Order-independent hash of a JSON body, so a retry with reordered keys is the same request. */
export function bodyHash(body: unknown): string {
  return createHash('sha256').update(sortedJson(body)).digest('hex');
}

/**
 * The text JSON.stringify gives for a copy of `v` with every object's keys sorted, written
 * directly rather than by building that copy (this runs on every answer). Stored hashes depend
 * on it being exactly that text.
 */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      out += (i > 0 ? ',' : '') + (x === undefined || typeof x === 'function' || typeof x === 'symbol' ? 'null' : sortedJson(x));
    }
    return `${out}]`;
  }
  if (v !== null && typeof v === 'object') {
    let out = '{';
    for (const k of sortedKeys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${sortedJson(x)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(v);
}

export function requireIdempotencyKey(raw: unknown): string {
  if (raw === undefined || raw === '') throw new MissingIdempotencyKey('An Idempotency-Key header is required');
  if (typeof raw !== 'string' || !KEY_PATTERN.test(raw)) {
    throw new ValidationFailed('Idempotency-Key must be 8 to 128 characters of letters, digits, . _ : -', {
      problems: [{ path: 'header:Idempotency-Key', code: 'pattern', message: 'invalid idempotency key' }],
    });
  }
  return raw;
}

export interface StoredAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Returns the first answer for this key, or undefined when the key is new. */
export async function findAnswer(q: Queryable, agencyId: string, key: string, hash: string): Promise<StoredAnswer | undefined> {
  const r = await q.query('SELECT request_hash, status, body FROM idempotency_keys WHERE agency_id = $1 AND key = $2', [agencyId, key]);
  const row = r.rows[0];
  return row ? replayOf({ requestHash: row.request_hash, answer: { status: row.status, body: row.body } }, hash) : undefined;
}

/** The stored answer to replay for a retry, or IdempotencyKeyReused when the key named another request. */
export function replayOf(prior: { requestHash: string; answer: StoredAnswer }, hash: string): StoredAnswer {
  if (prior.requestHash !== hash) throw new IdempotencyKeyReused('This Idempotency-Key was used for a different request');
  return prior.answer;
}

const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

/**
 * The key order of an object built from sorted keys: array-index keys ("0", "7") always come
 * first, in numeric order, whatever the insertion order (as Object.keys lists them), then the
 * others as sorted.
 */
function sortedKeys(v: object): string[] {
  const keys = Object.keys(v);
  let i = 0;
  while (i < keys.length && ARRAY_INDEX.test(keys[i]!) && Number(keys[i]) < 4_294_967_295) i++;
  return i === 0 ? keys.sort() : [...keys.slice(0, i), ...keys.slice(i).sort()];
}

/**
 * The key was taken while this answer was being made (its write hit the key's unique index): by
 * the time the write failed, the other answer had committed it. Pg error 23505 on the key.
 */
export function isKeyTaken(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return !!e && e.code === '23505' && e.constraint === 'idempotency_keys_pkey';
}
