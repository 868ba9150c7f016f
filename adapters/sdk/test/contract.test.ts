/**
 * The data contract (decision 0025): the SDK asks a source about one subject at a time, by its
 * identifiers or its name with date of birth, never for a whole population; it follows pages up to
 * a cap, times a search out, cancels it when stopping, scores the candidates and reads only the
 * records it chose. And the runner's policy on a failing source: retry, then decline visibly.
 */
import { describe, expect, it } from 'vitest';
import { answerRequest, type LoadedAgency } from '../respond.js';
import { createRunner, type RunnerEvent } from '../runner.js';
import { isNarrowQuery, sourceQueryOf, type SearchOptions, type Source, type SourceQuery } from '../source.js';
import { createMemorySource } from '../sources/memory.js';
import { PEOPLE, ada, bob, districtOnly, fakeClient, message, tinyMapping, type TinyDb } from './helpers.js';

const db: TinyDb = { notes: new Map([['R1', 'wants a safe contact'], ['R2', 'n/a'], ['R3', 'n/a']]) };

/** Wraps a source and records every search and read. */
function spy<Db>(inner: Source<Db>) {
  const searches: { query: SourceQuery; opts: Omit<SearchOptions, 'signal'> }[] = [];
  const reads: string[][] = [];
  const source: Source<Db> = {
    search(query, opts) {
      searches.push({ query, opts: { pageSize: opts.pageSize, ...(opts.cursor ? { cursor: opts.cursor } : {}) } });
      return inner.search(query, opts);
    },
    read(ids, opts) {
      reads.push([...ids]);
      return inner.read(ids, opts);
    },
  };
  return { source, searches, reads };
}

describe('the SDK builds narrow queries only', () => {
  it('identifiers (valid ones, normalised), names with dates of birth, a postcode when the request shows one', () => {
    expect(sourceQueryOf({ ...ada, identifiers: [{ system: 'nhs-number', value: '943 476 5919' }, { system: 'nhs-number', value: '9434765918' }], address: { postcode: 'cm1 2ab' } }))
      .toEqual({ identifiers: [{ system: 'nhs-number', value: '9434765919' }], names: ada.names, dobs: ['1990-01-02'], postcode: 'CM12AB' });
  });

  it('nothing searchable (a postcode district, a date of birth alone, a given name alone, a bad identifier) is no query', () => {
    expect(sourceQueryOf(districtOnly)).toBeNull();
    expect(sourceQueryOf({ subjectId: 's', role: 'CHILD', dobs: ['2020-01-01'], address: { postcode: 'CM1 2AB' } })).toBeNull();
    expect(sourceQueryOf({ subjectId: 's', role: 'CHILD', names: [{ given: ['Ada'] }] })).toBeNull();
    expect(sourceQueryOf({ subjectId: 's', role: 'CHILD', identifiers: [{ system: 'nhs-number', value: '9434765918' }] })).toBeNull();
    // A full name without a date of birth may be searched (at most POSSIBLE: the matcher never MATCHES a name alone).
    expect(sourceQueryOf({ subjectId: 's', role: 'CHILD', names: [{ given: ['Ada'], family: 'Quayle' }] })).not.toBeNull();
  });
});

describe('answerRequest through a source', () => {
  it('asks the source once per searchable subject with that subject\'s identifiers or name and date of birth, never for everyone', async () => {
    const s = spy(createMemorySource(tinyMapping, db));
    const { response, report } = await answerRequest({ mapping: tinyMapping, source: s.source }, message([ada, bob, districtOnly]));
    expect(s.searches).toHaveLength(2);
    for (const { query } of s.searches) {
      expect(isNarrowQuery(query)).toBe(true);
      expect(query.identifiers.length > 0 || (query.names.length > 0 && query.dobs.length > 0)).toBe(true);
    }
    expect(s.searches.map((x) => x.query.names[0]?.given?.[0]).sort()).toEqual(['Ada', 'Bob']);
    expect(report).toMatchObject({ matched: 2, notFound: 1, notSearchable: 1 });
    // Only the chosen records are read, once.
    expect(s.reads).toEqual([['R1', 'R2']]);
    expect(response.subjectResults.map((r) => r.match.status)).toEqual(['MATCHED', 'MATCHED', 'NOT_FOUND']);
    expect(response.subjectResults[0]!.idva).toEqual({ victimViews: 'wants a safe contact' });
  });

  it('the memory source returns only the people sharing the query\'s keys', async () => {
    const src = createMemorySource(tinyMapping, db);
    const page = await src.search(sourceQueryOf(ada)!, { signal: new AbortController().signal, pageSize: 50 });
    expect(page.candidates.map((c) => c.recordId)).toEqual(['R1']);
    const none = await src.search(sourceQueryOf({ subjectId: 's', role: 'VICTIM', names: [{ given: ['Zed'], family: 'Nobody' }], dobs: ['1970-01-01'] })!, { signal: new AbortController().signal, pageSize: 50 });
    expect(none.candidates).toEqual([]);
  });

  it('follows pages (cursor) until the last, and stops at the cap with a caveat', async () => {
    // A source that returns one candidate a page; Ada is on the third page.
    const order = ['R3', 'R2', 'R1'];
    const paged: Source<TinyDb> = {
      async search(_q, o) {
        const i = o.cursor ? Number(o.cursor) : 0;
        return { candidates: [PEOPLE.find((p) => p.recordId === order[i])!], ...(i + 1 < order.length ? { nextCursor: String(i + 1) } : {}) };
      },
      async read(ids) {
        return { notes: new Map(ids.map((id) => [id, db.notes.get(id)!])) };
      },
    };
    const s = spy(paged);
    const full = await answerRequest({ mapping: tinyMapping, source: s.source, limits: { pageSize: 1 } }, message([ada]));
    expect(s.searches.map((x) => x.opts.cursor)).toEqual([undefined, '1', '2']);
    expect(full.response.subjectResults[0]!.match.status).toBe('MATCHED');

    const capped = await answerRequest({ mapping: tinyMapping, source: paged, limits: { pageSize: 1, maxCandidates: 2 } }, message([ada]));
    expect(capped.report.caveats).toContain('CANDIDATES_TRUNCATED');
    expect(capped.response.subjectResults[0]!.match.status).toBe('NOT_FOUND');
  });

  it('a source that does not answer in time fails with SOURCE_TIMEOUT, and its signal is aborted', async () => {
    let seen: AbortSignal | undefined;
    const stuck: Source<TinyDb> = {
      search: (_q, o) => {
        seen = o.signal;
        return new Promise(() => {}); // ignores its signal: the SDK still times it out
      },
      read: async () => db,
    };
    await expect(answerRequest({ mapping: tinyMapping, source: stuck, limits: { subjectTimeoutMs: 50 } }, message([ada]))).rejects.toMatchObject({ code: 'SOURCE_TIMEOUT' });
    expect(seen?.aborted).toBe(true);
  });

  it('stopping cancels a search in progress (SOURCE_ABORTED), whatever the time-out', async () => {
    const stop = new AbortController();
    let seen: AbortSignal | undefined;
    const slow: Source<TinyDb> = {
      search: (_q, o) => {
        seen = o.signal;
        return new Promise((_, reject) => o.signal.addEventListener('abort', () => reject(new Error('cancelled by signal'))));
      },
      read: async () => db,
    };
    const p = answerRequest({ mapping: tinyMapping, source: slow, limits: { subjectTimeoutMs: 60_000 } }, message([ada]), { signal: stop.signal });
    await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    await expect(p).rejects.toMatchObject({ code: 'SOURCE_ABORTED' });
    expect(seen?.aborted).toBe(true);
  });

  it('a failing read is a source error too (nothing is answered half-read)', async () => {
    const src = createMemorySource(tinyMapping, db);
    const broken: Source<TinyDb> = { search: src.search, read: async () => { throw new Error('connection reset'); } };
    await expect(answerRequest({ mapping: tinyMapping, source: broken }, message([ada]))).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
  });
});

describe('the runner\'s policy on a failing source', () => {
  it('a time-out is reported (code only), retried, then the request is declined with a clear note', async () => {
    let calls = 0;
    const stuck: Source<TinyDb> = {
      search: () => {
        calls++;
        return new Promise(() => {});
      },
      read: async () => db,
    };
    const agency: LoadedAgency<TinyDb> = { mapping: tinyMapping, source: stuck, limits: { subjectTimeoutMs: 30 } };
    const g = fakeClient([message([ada], 7)]);
    const events: RunnerEvent[] = [];
    const runner = createRunner({ client: g.client, agency: agency as LoadedAgency, waitSeconds: 0, sourceRetries: 2, backoff: { initialMs: 1, maxMs: 5 }, onEvent: (e) => events.push(e) });
    const loop = runner.runPull();
    while (!g.declined.length) await new Promise((r) => setTimeout(r, 10));
    await runner.stop();
    await loop;
    const errs = events.filter((e) => e.type === 'source-error');
    expect(errs.map((e) => e.type === 'source-error' && [e.code, e.attempt, e.willRetry])).toEqual([['SOURCE_TIMEOUT', 1, true], ['SOURCE_TIMEOUT', 2, true], ['SOURCE_TIMEOUT', 3, false]]);
    expect(calls).toBe(3);
    expect(g.responded).toEqual([]);
    expect(g.declined).toEqual([{ requestId: message([], 7).requestId, decline: { reason: 'OTHER', note: "The agency's system did not answer in time; the agency will follow up directly." }, key: `dcl.${message([], 7).messageId}` }]);
    expect(runner.stats).toMatchObject({ sourceErrors: 3, declined: 1, backlog: 0 });
    expect(runner.stats.lastErrors.map((e) => e.code)).toEqual(['SOURCE_TIMEOUT', 'SOURCE_TIMEOUT', 'SOURCE_TIMEOUT']);
    expect(JSON.stringify(events)).not.toMatch(/Ada|Quayle|1990/);
  });

  it('a source that recovers on the retry answers normally', async () => {
    let calls = 0;
    const mem = createMemorySource(tinyMapping, db);
    const flaky: Source<TinyDb> = { search: (q, o) => (++calls === 1 ? Promise.reject(new Error('ECONNRESET')) : mem.search(q, o)), read: mem.read };
    const g = fakeClient([message([ada], 8)]);
    const events: RunnerEvent[] = [];
    const runner = createRunner({ client: g.client, agency: { mapping: tinyMapping, source: flaky } as LoadedAgency, waitSeconds: 0, backoff: { initialMs: 1, maxMs: 5 }, onEvent: (e) => events.push(e) });
    const loop = runner.runPull();
    while (!g.responded.length) await new Promise((r) => setTimeout(r, 10));
    await runner.stop();
    await loop;
    expect(events.find((e) => e.type === 'source-error')).toMatchObject({ code: 'SOURCE_UNAVAILABLE', attempt: 1, willRetry: true });
    expect(g.responded[0]!.response.subjectResults[0]!.match.status).toBe('MATCHED');
    expect(g.declined).toEqual([]);
    expect(runner.stats.lastContactAt).toBeDefined();
  });
});
