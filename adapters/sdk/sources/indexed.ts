/**
 * An in-memory index of an agency's people, searched by the matcher's own blocking keys
 * (identifier values, family and given name phonetic keys, dates of birth with day/month swaps,
 * UPRN): a search returns only the people sharing the query's keys, a page at a time. Used by the
 * memory source (the JSON exports) and the CSV source.
 */
import { createMatcher, type BlockingMatcher } from '../matching/matcher.js';
import type { CandidatePerson, SubjectQuery } from '../matching/types.js';
import { healthRecorder, type SearchPage, type Source, type SourceHealth, type SourceQuery } from '../source.js';

/** The matcher's view of a source query (the same fields, the address as an object). */
export function subjectOfQuery(q: SourceQuery): SubjectQuery {
  return {
    identifiers: q.identifiers,
    names: q.names,
    dobs: q.dobs,
    ...(q.postcode || q.uprn ? { address: { ...(q.postcode ? { postcode: q.postcode } : {}), ...(q.uprn ? { uprn: q.uprn } : {}) } } : {}),
  };
}

export interface PeopleIndex {
  readonly size: number;
  search(q: SourceQuery, pageSize: number, cursor?: string): SearchPage;
}

export function indexPeople(people: readonly CandidatePerson[]): PeopleIndex {
  const matcher: BlockingMatcher = createMatcher(people);
  return {
    size: matcher.size,
    search(q, pageSize, cursor) {
      const all = matcher.candidates(subjectOfQuery(q));
      const from = cursor === undefined ? 0 : Number.parseInt(cursor, 10);
      const start = Number.isInteger(from) && from >= 0 ? from : 0;
      const end = start + Math.max(1, pageSize);
      return { candidates: all.slice(start, end), ...(end < all.length ? { nextCursor: String(end) } : {}) };
    },
  };
}

/** A source over an index and a read function (both in memory). */
export function indexedSource<Db>(kind: string, current: () => { index: PeopleIndex; snapshot?: string }, read: (ids: readonly string[]) => Db, extraHealth?: () => Partial<SourceHealth>): Source<Db> {
  const rec = healthRecorder(kind);
  return {
    async search(q, opts) {
      if (opts.signal.aborted) throw opts.signal.reason;
      const page = current().index.search(q, opts.pageSize, opts.cursor);
      rec.h.searches++;
      rec.contact(true);
      return page;
    },
    async read(ids, opts) {
      if (opts.signal.aborted) throw opts.signal.reason;
      rec.h.reads++;
      return read(ids);
    },
    health() {
      const c = current();
      return { ...rec.snapshot(), records: c.index.size, ...(c.snapshot ? { snapshot: c.snapshot } : {}), ...extraHealth?.() };
    },
  };
}
