import { createHash } from 'node:crypto';
import type { Tx } from '../store/db.js';
import { IdempotencyKeyReused, MissingIdempotencyKey, ValidationFailed } from '../errors.js';

const KEY_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

/** Order-independent hash of a JSON body, so a retry with reordered keys is the same request. */
export function bodyHash(body: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon)
      : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canon(body))).digest('hex');
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
export async function findAnswer(tx: Tx, agencyId: string, key: string, hash: string): Promise<StoredAnswer | undefined> {
  const r = await tx.query('SELECT request_hash, status, body FROM idempotency_keys WHERE agency_id = $1 AND key = $2', [agencyId, key]);
  const row = r.rows[0];
  return row ? replayOf({ requestHash: row.request_hash, answer: { status: row.status, body: row.body } }, hash) : undefined;
}

/** The stored answer to replay for a retry, or IdempotencyKeyReused when the key named another request. */
export function replayOf(prior: { requestHash: string; answer: StoredAnswer }, hash: string): StoredAnswer {
  if (prior.requestHash !== hash) throw new IdempotencyKeyReused('This Idempotency-Key was used for a different request');
  return prior.answer;
}
