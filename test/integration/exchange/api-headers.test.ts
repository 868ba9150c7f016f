/** The agency API's response headers (gateway/src/http/api-headers.ts): on answers and on errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleCase } from './fixtures.js';

describe('agency API response headers', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const expected = {
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };

  it('every answer, success or error, carries the OWASP REST set and is never cacheable', async () => {
    const created = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const inbox = await t.as('essex-police').get('/v1/inbox');
    const missing = await t.as('essex-police').get('/v1/no-such-route');
    const invalid = await t.as('essex-marat').post('/v1/cases', { nope: true });
    expect([created.status, inbox.status, missing.status, invalid.status]).toEqual([201, 200, 404, 400]);
    for (const r of [created, inbox, missing, invalid]) {
      expect(r.headers).toMatchObject(expected);
      expect(r.headers['x-powered-by']).toBeUndefined();
    }
  });
});
