import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fieldCatalog } from '../../gateway/src/schema/catalog.js';
import { TRANSFER_FIELDS } from '../../gateway/src/exchange/ports.js';
import { collectGarbage, warmUpGenerators, documentArbitrary, fuzzRuns, fuzzSeed, hostileBodyArbitrary, INTERESTING_STRINGS, type HostileBody } from '../helpers/fuzz.js';
import { sampleCase } from '../integration/exchange/fixtures.js';
import { send } from './raw-http.js';
import { expectSafeReply, idempotencyKeyArbitrary, pathIdArbitrary, startFuzzWorld, type FuzzWorld } from './world.js';

/**
 * Schema-driven fuzzing of EVERY agency endpoint, paths, queries and headers included: no 5xx, a
 * stable code in every 4xx, nothing written on a rejection, the process alive and its memory
 * bounded. Valid documents from the same generator must be accepted where the state allows,
 * which shows the generator reaches past the schema check.
 *
 * Run counts: FUZZ_RUNS per property (default 200 here; the full run is FUZZ_RUNS=5000, about
 * 25 min on two cores). FUZZ_SEED=<n> replays a run; fast-check prints the seed and the shrunk
 * counterexample of a failure. FUZZ_RSS_GROWTH_MB (default 256) and FUZZ_HEAP_GROWTH_MB (default 32, live heap after a full GC)
 * bound the memory growth over the run; FUZZ_MEMTRACE=1 prints the heap after each property.
 */
const AGENCIES = ['essex-marat', 'essex-police', 'chelmsford-housing', 'mse-hospitals', 'safe-steps-idva', 'recovery-ltd', 'southend-marac'];
const PARTIES = ['essex-police', 'mse-hospitals', 'essex-gp-federation', 'eput-mental-health', 'chelmsford-housing', 'essex-childrens-services',
  'essex-adult-social-care', 'kss-probation', 'safe-steps-idva'];

describe('agency API under schema-driven fuzzing', () => {
  let w: FuzzWorld;
  let rssStart = 0;
  let heapStart = 0;
  const opts = (factor = 1) => ({ numRuns: fuzzRuns(200, factor), ...fuzzSeed() });
  /** Per-test time limit that grows with FUZZ_RUNS (about 0.4 s per run on a loaded two-core machine). */
  const limit = (factor = 1) => Math.max(60_000, fuzzRuns(200, factor) * 400);
  /** What each endpoint answered, by status and code: shows the fuzz reaches past the first check. */
  const seen = new Map<string, Map<string, number>>();
  /** Makes generated Idempotency-Keys unique across runs (fast-check repeats small values). */
  let unique = 0;

  beforeAll(async () => {
    w = await startFuzzWorld();
    // Warm up (first compilations, pools, TLS sessions) before the baseline.
    for (let i = 0; i < 20; i++) await w.call('essex-marat', 'GET', '/v1/inbox?wait=0');
    warmUpGenerators();
    collectGarbage();
    ({ rss: rssStart, heapUsed: heapStart } = process.memoryUsage());
  }, 120_000);
  afterAll(async () => {
    await w?.stop();
  });
  // FUZZ_MEMTRACE=1 prints the live heap after each property (where a leak would show).
  afterEach((ctx) => {
    if (!process.env.FUZZ_MEMTRACE) return;
    collectGarbage();
    console.log(JSON.stringify({ after: ctx.task.name, heapMb: Math.round((process.memoryUsage().heapUsed - heapStart) / 1_048_576) }));
  });

  /** Police responses about the world's case: only mutations stand between them and a 201. */
  function policeResponses(dates: 'realistic' | 'any') {
    const foreign = ['health', 'housing', 'childrensSocialCare', 'adultSocialCare', 'probation', 'idva'];
    return documentArbitrary('research-response', {
      dates,
      overrides: {
        ...Object.fromEntries(foreign.map((k) => [`/subjectResults/[]/${k}`, null])),
        // The transfer bundle is the coordinator's (R10).
        ...Object.fromEntries(TRANSFER_FIELDS.map((k) => [`/${k}`, null])),
        '/subjectResults/[]/subjectId': fc.constantFrom(w.ids.v1, w.ids.p1, w.ids.c1),
        '/subjectResults/[]/withheld/[]/fieldPath': fc.constantFrom(...fieldCatalog().paths().filter((p) => p.startsWith('police'))),
      },
    });
  }

  /** A body for `name`: mostly hostile, sometimes schema-valid with the full date range. */
  function bodies(name: Parameters<typeof documentArbitrary>[0], valid = documentArbitrary(name, { dates: 'any' })): fc.Arbitrary<HostileBody> {
    return fc.oneof(
      { weight: 3, arbitrary: hostileBodyArbitrary(name, valid) },
      { weight: 1, arbitrary: valid.map((d): HostileBody => ({ label: 'schema-valid', body: JSON.stringify(d), headers: { 'content-type': 'application/json' }, mustReject: false })) },
    );
  }

  async function attempt(agency: string, method: string, path: string, b?: HostileBody, extra: Record<string, string> = {}) {
    const before = await w.counts();
    const reply = await w.call(agency, method, path, b?.body, { ...b?.headers, ...extra });
    await expectSafeReply(w, `${agency} ${method} ${path.slice(0, 120)} [${b?.label ?? 'no body'}]`, reply, before, b?.mustReject === true);
    const route = `${method} ${path.replace(/\?.*$/, '').split('/').map((seg, i) => (i === 3 || i === 4) && !/^(research-requests|research|ack|response|decline)$/.test(seg) && seg ? '{id}' : seg).join('/')}`;
    const per = seen.get(route) ?? new Map<string, number>();
    seen.set(route, per);
    const k = `${reply.status} ${reply.body?.code ?? ''}`.trim();
    per.set(k, (per.get(k) ?? 0) + 1);
    return reply;
  }

  it('POST /v1/cases', async () => {
    const agency = fc.oneof({ weight: 4, arbitrary: fc.constant('essex-marat') }, { weight: 1, arbitrary: fc.constantFrom(...AGENCIES) });
    await fc.assert(fc.asyncProperty(bodies('case'), agency, async (b, agency) => {
      const r = await attempt(agency, 'POST', '/v1/cases', b);
      if (r.status === 201) w.known.cases.push(r.body.caseId);
    }), opts());
  }, limit());

  it('POST /v1/cases/{caseId}/research-requests', async () => {
    await fc.assert(fc.asyncProperty(bodies('research-request'), pathIdArbitrary(w), fc.constantFrom(...AGENCIES), fc.boolean(), async (b, id, agency, ownCase) => {
      const path = `/v1/cases/${ownCase ? w.caseId : id}/research-requests`;
      const r = await attempt(ownCase ? 'essex-marat' : agency, 'POST', path, b);
      if (r.status === 201) {
        w.known.requests.push(r.body.requestId);
        w.known.messages.push(...r.body.messages.map((m: { messageId: string }) => m.messageId));
      }
    }), opts());
  }, limit());

  it('GET /v1/inbox?wait=', async () => {
    const waitText = fc.oneof(
      fc.constantFrom('', '0', '-1', '31', '1e1', '0x1', '%200', '0.0', '1.5', 'NaN', 'Infinity', '9'.repeat(400), '%00', '0%00', "0'--", '%0d%0a'),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.integer({ min: -100, max: 100 }).map(String),
      fc.constantFrom(...INTERESTING_STRINGS).map((s) => { try { return encodeURIComponent(s); } catch { return '%ED%A0%80'; } }),
    );
    const query = fc.oneof(
      waitText.map((v) => `?wait=${v}`),
      fc.tuple(waitText, waitText).map(([a, b]) => `?wait=${a}&wait=${b}`),
      waitText.map((v) => `?wait[]=${v}`),
      waitText.map((v) => `?wait[a]=${v}&x=${v}`),
      fc.constant(''),
      fc.constant(`?${'a=1&'.repeat(2000)}`),
    );
    await fc.assert(fc.asyncProperty(query, fc.constantFrom(...AGENCIES), async (q, agency) => {
      // A valid wait of 1..30 s would only slow the run down; the long-poll has its own tests.
      const wait = /^\?wait=([^&]*)$/.exec(q)?.[1];
      let n = NaN;
      try {
        n = wait === undefined ? NaN : Number(decodeURIComponent(wait));
      } catch {
        // not decodable: the gateway must refuse it
      }
      const path = Number.isInteger(n) && n >= 1 && n <= 30 ? '/v1/inbox?wait=0' : `/v1/inbox${q}`;
      const r = await attempt(agency, 'GET', path);
      if (r.status === 200) for (const m of r.body.messages) w.known.messages.push(m.messageId);
    }), opts());
  }, limit());

  it('POST /v1/inbox/{messageId}/ack', async () => {
    const body = fc.option(bodies('decline'), { nil: undefined });
    await fc.assert(fc.asyncProperty(pathIdArbitrary(w), fc.constantFrom(...AGENCIES), body, async (id, agency, b) => {
      await attempt(agency, 'POST', `/v1/inbox/${id}/ack`, b ? { ...b, mustReject: false } : undefined);
    }), opts());
  }, limit());

  /** Response or decline: body fuzz against a live message, path and key fuzz around it. */
  function answerProperty(kind: 'response' | 'decline') {
    const body = kind === 'response'
      ? fc.oneof(bodies('research-response'), bodies('research-response', policeResponses('any')))
      : bodies('decline');
    return fc.asyncProperty(
      body, idempotencyKeyArbitrary, fc.constantFrom('target', 'target', 'fuzzed', 'other-agency'), pathIdArbitrary(w),
      async (b, key, where, id) => {
        const tg = await w.target('essex-police');
        const agency = where === 'other-agency' ? 'safe-steps-idva' : 'essex-police';
        const path = `/v1/research-requests/${where === 'fuzzed' ? id : tg.requestId}/${kind}`;
        const r = await attempt(agency, 'POST', path, b, key === undefined ? {} : { 'Idempotency-Key': key });
        if (r.status === 201 || r.status === 200) w.invalidateTarget('essex-police');
      },
    );
  }

  it('POST /v1/research-requests/{requestId}/response', async () => {
    await fc.assert(answerProperty('response'), opts());
  }, limit());

  it('POST /v1/research-requests/{requestId}/decline', async () => {
    await fc.assert(answerProperty('decline'), opts());
  }, limit());

  it('GET /v1/research-requests/{requestId}', async () => {
    await fc.assert(fc.asyncProperty(pathIdArbitrary(w), fc.constantFrom(...AGENCIES), async (id, agency) => {
      await attempt(agency, 'GET', `/v1/research-requests/${id}`);
    }), opts());
  }, limit());

  it('GET /v1/cases/{caseId}/research and /research/export', async () => {
    await fc.assert(fc.asyncProperty(pathIdArbitrary(w), fc.constantFrom(...AGENCIES), fc.constantFrom('research', 'research/export'), async (id, agency, leaf) => {
      await attempt(agency, 'GET', `/v1/cases/${id}/${leaf}`);
    }), opts(0.5));
  }, limit(0.5));

  it('unknown routes and methods', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE');
    const path = fc.oneof(
      fc.constantFrom('/v1/cases', '/v1/inbox', '/v1/cases/x/research', '/v1/research-requests', '/v2/cases', '/v1/../v1/inbox', '/v1//cases',
        '/V1/CASES', '/v1/cases/', '/v1/inbox/', '/%2e%2e/%2e%2e/etc/passwd', '/v1/cases?__proto__[x]=1', '/*', '/v1/cases;jsessionid=1'),
      pathIdArbitrary(w).map((id) => `/v1/${id}`),
    );
    await fc.assert(fc.asyncProperty(method, path, async (m, p) => {
      const before = await w.counts();
      const r = await w.call('essex-police', m, p);
      if (m === 'HEAD' || m === 'OPTIONS') {
        expect(r.status, `${m} ${p}`).toBeLessThan(500);
        expect(await w.counts()).toEqual(before);
        return;
      }
      await expectSafeReply(w, `${m} ${p}`, r, before, false);
    }), opts(0.5));
  }, limit(0.5));

  // -------------------------------------------------------------------------------------------
  // Valid documents are accepted: the generator is meaningful.
  // -------------------------------------------------------------------------------------------

  it('valid cases (realistic dates, unique keys, lawful P18, a criterion met, the coordinator\'s own area) are created', async () => {
    const valid = documentArbitrary('case', { dates: 'realistic' }).map((c) => {
      // A case that meets no MARAC criterion is refused at opening (THRESHOLD_NOT_MET), and the area
      // comes from the coordinator's registration: keep what the schema generated, made lawful.
      delete c.maracArea;
      c.riskBasis.criteria = [...new Set([...c.riskBasis.criteria, 'VISIBLE_HIGH_RISK'])];
      c.riskBasis.dashScore = 14 + ((c.riskBasis.dashScore ?? 0) % 11);
      c.subjects.forEach((s: any, i: number) => {
        s.key = `s${i}`;
        if (s.legal.art9Conditions?.includes('DPA_SCH1_P18') || s.legal.art10Conditions?.includes('DPA_SCH1_P18')) s.legal.careAndSupportNeeds = true;
        // Sharing without consent needs the decision recorded: why, who and when (not in the future).
        if (s.consent.status !== 'GIVEN') {
          s.consent.rationale ??= 'Asking would put her at risk (fuzz).';
          s.consent.decidedBy ??= 'MARAC coordinator (fuzz)';
        }
        // A decision date from 2000 to today (the schema's format alone allows any year).
        if (s.consent.decidedAt !== undefined || s.consent.status !== 'GIVEN') s.consent.decidedAt = '2025-06-01';
      });
      return c;
    });
    await fc.assert(fc.asyncProperty(valid, async (doc) => {
      const before = await w.counts();
      const r = await w.call('essex-marat', 'POST', '/v1/cases', JSON.stringify(doc), { 'content-type': 'application/json' });
      expect(r.status, r.text.slice(0, 400)).toBe(201);
      expect(r.body.subjects).toHaveLength(doc.subjects.length);
      expect((await w.counts()).audit).toBeGreaterThan(before.audit);
      w.known.cases.push(r.body.caseId);
    }), opts(0.25));
  }, limit(0.25));

  it('valid research requests to parties fan out to every party recipient', async () => {
    const valid = documentArbitrary('research-request', {
      dates: 'realistic',
      overrides: {
        '/purpose': fc.constantFrom('MARAC_RESEARCH', 'MARAC_ACTION_REVIEW'),
        '/recipients': fc.uniqueArray(fc.constantFrom(...PARTIES, 'recovery-ltd', 'southend-marac'), { minLength: 1, maxLength: 5 }).filter((r) => r.some((x) => PARTIES.includes(x))),
        '/transferFromMaracArea': null,
      },
    });
    await fc.assert(fc.asyncProperty(valid, async (doc) => {
      const r = await w.call('essex-marat', 'POST', `/v1/cases/${w.caseId}/research-requests`, JSON.stringify(doc), { 'content-type': 'application/json' });
      expect(r.status, r.text.slice(0, 400)).toBe(201);
      expect(r.body.messages.map((m: { recipient: string }) => m.recipient).sort()).toEqual(doc.recipients.filter((x: string) => PARTIES.includes(x)).sort());
      w.known.requests.push(r.body.requestId);
      w.known.messages.push(...r.body.messages.map((m: { messageId: string }) => m.messageId));
    }), opts(0.25));
  }, limit(0.25));

  it('valid police responses (the case\'s subjects, police payload, catalogued withheld paths) are accepted', async () => {
    const paths = fieldCatalog().paths().filter((p) => p.startsWith('police') || !/^(health|housing|childrens|adult|probation|idva)/.test(p));
    const tg = () => w.target('essex-police');
    const valid = policeResponses('realistic');
    await fc.assert(fc.asyncProperty(valid, fc.constantFrom(...paths), fc.stringMatching(/^[A-Za-z0-9._:-]{8,64}$/), async (doc, withheldPath, key) => {
      const target = await tg();
      const subjects = [target.ids.v1, target.ids.p1, target.ids.c1];
      doc.subjectResults.forEach((sr: any, i: number) => {
        sr.subjectId = subjects[i % 3];
        sr.withheld = sr.withheld.map((x: any) => ({ ...x, fieldPath: withheldPath }));
      });
      const r = await w.call('essex-police', 'POST', `/v1/research-requests/${target.requestId}/response`, JSON.stringify(doc), { 'content-type': 'application/json', 'Idempotency-Key': `${key}-${unique++}` });
      expect(r.status, r.text.slice(0, 400)).toBe(201);
      expect(r.body.state).toBe('responded');
      w.invalidateTarget('essex-police');
    }), opts(0.15));
  }, limit(0.15));

  it('valid declines are accepted', async () => {
    await fc.assert(fc.asyncProperty(documentArbitrary('decline'), fc.stringMatching(/^[A-Za-z0-9._:-]{8,64}$/), async (doc, key) => {
      const target = await w.target('essex-police');
      const r = await w.call('essex-police', 'POST', `/v1/research-requests/${target.requestId}/decline`, JSON.stringify(doc), { 'content-type': 'application/json', 'Idempotency-Key': `${key}-${unique++}` });
      expect(r.status, r.text.slice(0, 400)).toBe(201);
      expect(r.body.state).toBe('declined');
      w.invalidateTarget('essex-police');
    }), opts(0.15));
  }, limit(0.15));

  it('the process is alive and its memory stayed bounded', async () => {
    const health = await send(w.base, null, '/healthz', { caPem: w.t.pki.caPem });
    expect(health.status).toBe(200);
    const again = await w.call('essex-marat', 'POST', '/v1/cases', JSON.stringify(sampleCase()), { 'content-type': 'application/json' });
    expect(again.status).toBe(201);
    collectGarbage();
    const now = process.memoryUsage();
    const rssMb = Math.round((now.rss - rssStart) / 1_048_576);
    const heapMb = Math.round((now.heapUsed - heapStart) / 1_048_576);
    // RSS keeps what V8 and the allocator once took (600 kB bodies, inflated gzip); the live heap
    // after a full collection is what a leak would grow.
    const rssBound = Number(process.env.FUZZ_RSS_GROWTH_MB ?? 256);
    const heapBound = Number(process.env.FUZZ_HEAP_GROWTH_MB ?? 32);
    console.log(JSON.stringify({ name: 'fuzz.rss_growth_mb', value: rssMb, unit: 'MB', bound: rssBound, runs: fuzzRuns(200) }));
    console.log(JSON.stringify({ name: 'fuzz.heap_growth_after_gc_mb', value: heapMb, unit: 'MB', bound: heapBound, runs: fuzzRuns(200) }));
    console.log(JSON.stringify({ answers: Object.fromEntries([...seen].map(([r, m]) => [r, Object.fromEntries([...m].sort((a, b) => b[1] - a[1]))])) }, null, 1));
    expect(rssMb).toBeLessThan(rssBound);
    expect(heapMb).toBeLessThan(heapBound);
  });
});
