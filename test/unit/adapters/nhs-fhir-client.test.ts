/**
 * The FHIR R4 client (adapters/nhs/fhir/client.ts) against a stand-in server (a fetch function):
 * paging through Bundle.link next, a next link elsewhere refused, one new token after a 401,
 * a request that never answers given up at its time-out, the caller's abort reason kept.
 */
import { describe, expect, it } from 'vitest';
import { createFhirClient } from '../../../adapters/nhs/fhir/client.js';
import type { SmartAuth } from '../../../adapters/nhs/fhir/smart-auth.js';
import { FhirAuthFailed, FhirRequestFailed, FhirUnreachable } from '../../../adapters/nhs/fhir/errors.js';

const BASE = 'https://fhir.example.nhs.uk/R4';
const bundle = (ids: string[], next?: string) => ({
  resourceType: 'Bundle', type: 'searchset',
  ...(next ? { link: [{ relation: 'next', url: next }] } : {}),
  entry: ids.map((id) => ({ resource: { resourceType: 'Patient', id }, search: { mode: 'match' } })),
});

function auth(): SmartAuth & { invalidated: number } {
  let n = 0;
  const a = { stats: { tokensIssued: 0, discoveries: 0 }, invalidated: 0, async token() { return `tok${n}`; }, invalidate() { n++; a.invalidated++; } };
  return a;
}

describe('FHIR client', () => {
  it('follows Bundle.link next on the same server and sends the bearer token', async () => {
    const seen: { url: string; method?: string; body?: string; authz: string | null }[] = [];
    const f = (async (url: string | URL, init?: RequestInit) => {
      seen.push({ url: String(url), ...(init?.method ? { method: init.method } : {}), ...(init?.body ? { body: String(init.body) } : {}), authz: new Headers(init?.headers).get('authorization') });
      const u = new URL(String(url));
      if (!u.searchParams.get('page')) return Response.json(bundle(['a', 'b'], `${BASE}/Patient?page=2`));
      return Response.json({ ...bundle(['c']), entry: [...bundle(['c']).entry, { resource: { resourceType: 'OperationOutcome' }, search: { mode: 'outcome' } }] });
    }) as typeof fetch;
    const c = createFhirClient({ baseUrl: BASE, auth: auth(), fetch: f, pageSize: 2 });
    const r = await c.search('Patient', { family: 'Bloggs', birthdate: '1990-03-04' });
    expect(r.resources.map((p) => p.id)).toEqual(['a', 'b', 'c']);
    // The first page is POST _search with the values in the body; the next page is the server's link.
    expect(seen[0]).toMatchObject({ url: `${BASE}/Patient/_search`, method: 'POST' });
    expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({ family: 'Bloggs', birthdate: '1990-03-04', _count: '2' });
    expect(seen[1]).toMatchObject({ url: `${BASE}/Patient?page=2`, method: 'GET' });
    expect(seen.every((s) => s.authz === 'Bearer tok0')).toBe(true);
    expect(c.stats).toMatchObject({ pages: 2, nextPages: 1 });
  });

  it('GET search when configured: the parameters in the query string', async () => {
    const urls: string[] = [];
    const f = (async (url: string | URL) => {
      urls.push(String(url));
      return Response.json(bundle(['a']));
    }) as typeof fetch;
    await createFhirClient({ baseUrl: BASE, fetch: f, searchMethod: 'GET' }).searchPatients({ nhsNumber: '9434765919' });
    expect(urls).toEqual([`${BASE}/Patient?identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|9434765919')}&_count=50`]);
  });

  it('refuses a next link to another server (the token would go with it)', async () => {
    const f = (async () => Response.json(bundle(['a'], 'https://elsewhere.example.org/R4/Patient?page=2'))) as typeof fetch;
    const c = createFhirClient({ baseUrl: BASE, fetch: f });
    await expect(c.search('Patient', { family: 'X', birthdate: '1990-01-01' })).rejects.toBeInstanceOf(FhirRequestFailed);
  });

  it('stops at maxPages and says the result is truncated', async () => {
    let i = 0;
    const f = (async () => Response.json(bundle([`p${i}`], `${BASE}/Patient?page=${++i}`))) as typeof fetch;
    const r = await createFhirClient({ baseUrl: BASE, fetch: f, maxPages: 3 }).search('Patient', { family: 'X', birthdate: '1990-01-01' });
    expect(r).toMatchObject({ truncated: true, pages: 3 });
  });

  it('a 401 drops the token and tries once more; a second 401 is FHIR_AUTH_FAILED', async () => {
    const a = auth();
    let calls = 0;
    const once = (async () => (++calls === 1 ? new Response(null, { status: 401 }) : Response.json(bundle(['a'])))) as typeof fetch;
    expect((await createFhirClient({ baseUrl: BASE, auth: a, fetch: once }).search('Patient', { family: 'X', birthdate: '1990-01-01' })).resources).toHaveLength(1);
    expect(a.invalidated).toBe(1);
    const always = (async () => new Response(null, { status: 401 })) as typeof fetch;
    await expect(createFhirClient({ baseUrl: BASE, auth: auth(), fetch: always }).search('Patient', { family: 'X', birthdate: '1990-01-01' })).rejects.toBeInstanceOf(FhirAuthFailed);
  });

  it("a server that never answers is given up at the time-out; the caller's abort keeps its own reason", async () => {
    const hang = ((_: unknown, init?: RequestInit) => new Promise((_r, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))) as typeof fetch;
    await expect(createFhirClient({ baseUrl: BASE, fetch: hang, timeoutMs: 20 }).search('Patient', { family: 'X', birthdate: '1990-01-01' })).rejects.toBeInstanceOf(FhirUnreachable);
    const ctl = new AbortController();
    const reason = new Error('stopping');
    const p = createFhirClient({ baseUrl: BASE, fetch: hang, timeoutMs: 60_000 }).search('Patient', { family: 'X', birthdate: '1990-01-01' }, ctl.signal);
    ctl.abort(reason);
    await expect(p).rejects.toBe(reason);
  });

  it('an error status is FHIR_REQUEST_FAILED with the status and the OperationOutcome issue code, no search values', async () => {
    const f = (async () => Response.json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported' }] }, { status: 400 })) as typeof fetch;
    const err = await createFhirClient({ baseUrl: BASE, fetch: f }).searchPatients({ family: 'Bloggs', birthDate: '1990-03-04' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'FHIR_REQUEST_FAILED', status: 400 });
    expect((err as Error).message).toBe('Patient search: the FHIR server answered 400 (not-supported)');
  });
});
