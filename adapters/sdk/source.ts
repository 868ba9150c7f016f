/**
 * The data contract between the SDK and an agency's system (decision 0025): given one subject of a
 * research request, a source finds candidates by identifiers and by name with date of birth (and
 * postcode), a page at a time, within a time-out; the SDK's matcher scores them; the source then
 * reads only the records matching chose. Never a listing of a whole population.
 */
import { STRONG_SYSTEMS, normaliseIdentifier } from './matching/identifiers.js';
import { normalisePostcode } from './matching/matcher.js';
import type { CandidatePerson, PersonName } from './matching/types.js';
import { SourceAborted, SourceError, SourceTimeout, SourceUnavailable } from './errors.js';
import type { RequestSubject } from './types.js';

/** One subject's search, built by the SDK (`sourceQueryOf`), never by a source. */
export interface SourceQuery {
  /** Strong identifiers with valid check digits, normalised (`nhs-number`, `pnc-id`, `la-child-id`, `upn`). */
  identifiers: { system: string; value: string }[];
  /** Names as the request shows them. */
  names: PersonName[];
  /** Dates of birth as the request shows them (`YYYY-MM-DD` only). */
  dobs: string[];
  /** Normalised postcode (`CM12AB`), only when the request shows a full one. */
  postcode?: string;
  uprn?: string;
}

export interface SearchOptions {
  /** Aborted at the subject's time-out or when the runner stops. */
  signal: AbortSignal;
  /** At most this many candidates in the page. */
  pageSize: number;
  /** Opaque, from the previous page's `nextCursor`. */
  cursor?: string;
}

export interface SearchPage {
  candidates: CandidatePerson[];
  /** More candidates follow; pass it back as `cursor`. */
  nextCursor?: string;
}

/** What a source says about itself (ids, counts, codes, times: never personal data). */
export interface SourceHealth {
  kind: string;
  lastContactAt?: string;
  lastSuccessAt?: string;
  /** The last failures (most recent last), stable code and a message without personal data. */
  errors: { at: string; code: string; message: string }[];
  searches: number;
  reads: number;
  /** Records held, where the source knows (an in-memory index); undefined for a remote system. */
  records?: number;
  /** The file or snapshot the source serves from, where there is one (a CSV export's name). */
  snapshot?: string;
}

export interface Source<Db = unknown> {
  search(query: SourceQuery, opts: SearchOptions): Promise<SearchPage>;
  /** What the mapping reads (`held`, `map`) for the records matching chose, as the mapping's Db. */
  read(recordIds: readonly string[], opts: { signal: AbortSignal }): Promise<Db>;
  health?(): SourceHealth;
  close?(): Promise<void>;
}

export interface SearchLimits {
  /** Candidates asked for per page (default 50). */
  pageSize: number;
  /** Candidates kept per subject across pages (default 200); past it the subject is answered with what was found. */
  maxCandidates: number;
  /** One subject's whole search, every page (default 15 s). */
  subjectTimeoutMs: number;
  /** The read of the chosen records (default 15 s). */
  readTimeoutMs: number;
}

export const DEFAULT_LIMITS: SearchLimits = { pageSize: 50, maxCandidates: 200, subjectTimeoutMs: 15_000, readTimeoutMs: 15_000 };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The query for one request subject, or null when the subject carries nothing a source may search
 * by: at least one valid strong identifier, or a name with a date of birth, or a family name with a
 * given name. A postcode or a UPRN alone, or a date of birth alone, is never searched.
 */
export function sourceQueryOf(subject: RequestSubject): SourceQuery | null {
  const identifiers: SourceQuery['identifiers'] = [];
  for (const id of subject.identifiers ?? []) {
    if (!(STRONG_SYSTEMS as readonly string[]).includes(id.system)) continue;
    const v = normaliseIdentifier(id.system, id.value);
    if (v !== null && !identifiers.some((i) => i.system === id.system && i.value === v)) identifiers.push({ system: id.system, value: v });
  }
  const names = (subject.names ?? []).filter((n) => (n.family?.trim() ?? '') !== '' || (n.given ?? []).some((g) => g.trim() !== ''));
  const dobs = [...new Set((subject.dobs ?? []).map((d) => d.trim()).filter((d) => ISO_DATE.test(d)))];
  const address = typeof subject.address === 'object' && subject.address ? subject.address : undefined;
  const postcode = address?.postcode ? normalisePostcode(address.postcode) : null;
  const uprnRaw = address?.uprn ?? subject.identifiers?.find((i) => i.system === 'uprn')?.value;
  const uprn = uprnRaw ? normaliseIdentifier('uprn', uprnRaw) : null;
  const fullName = names.some((n) => n.family?.trim() && (n.given ?? []).some((g) => g.trim()));
  if (!identifiers.length && !(names.length && dobs.length) && !fullName) return null;
  return { identifiers, names, dobs, ...(postcode ? { postcode } : {}), ...(uprn ? { uprn } : {}) };
}

/** True when a query is one the SDK may send (the guard tests and sources can assert). */
export function isNarrowQuery(q: SourceQuery): boolean {
  const fullName = q.names.some((n) => n.family && n.given?.length);
  return q.identifiers.length > 0 || (q.names.length > 0 && q.dobs.length > 0) || fullName;
}

/** A signal that fires at `ms` or when `parent` fires, whichever first; `timedOut()` tells which. */
export function deadlineSignal(parent: AbortSignal | undefined, ms: number): { signal: AbortSignal; timedOut(): boolean; clear(): void } {
  const ctl = new AbortController();
  let timedOut = false;
  const t = setTimeout(() => {
    timedOut = true;
    ctl.abort(new SourceTimeout(`the source did not answer within ${ms} ms`));
  }, ms);
  const onParent = () => ctl.abort(new SourceAborted('stopped'));
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: ctl.signal,
    timedOut: () => timedOut,
    clear() {
      clearTimeout(t);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/** Settles with `p`, or rejects with the signal's reason as soon as it fires (a source that ignores its signal still times out). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Any failure from a source as a SourceError (unknown errors are the source being unavailable). */
export function asSourceError(e: unknown, signal?: AbortSignal): SourceError {
  if (e instanceof SourceError) return e;
  if (signal?.aborted && signal.reason instanceof SourceError) return signal.reason;
  return new SourceUnavailable('the source failed', { cause: e });
}

export interface SubjectSearchResult {
  candidates: CandidatePerson[];
  pages: number;
  /** The cap was reached with more pages to come. */
  truncated: boolean;
}

/** Every page of one subject's search, up to the cap, under one time-out. */
export async function searchSubject(source: Source, query: SourceQuery, limits: SearchLimits, stop?: AbortSignal): Promise<SubjectSearchResult> {
  const d = deadlineSignal(stop, limits.subjectTimeoutMs);
  const byId = new Map<string, CandidatePerson>();
  let cursor: string | undefined;
  let pages = 0;
  try {
    for (;;) {
      const pageSize = Math.max(1, Math.min(limits.pageSize, limits.maxCandidates - byId.size));
      const page = await untilAborted(source.search(query, { signal: d.signal, pageSize, ...(cursor !== undefined ? { cursor } : {}) }), d.signal);
      pages++;
      for (const c of page.candidates) if (!byId.has(c.recordId)) byId.set(c.recordId, c);
      if (!page.nextCursor) return { candidates: [...byId.values()], pages, truncated: false };
      if (byId.size >= limits.maxCandidates) return { candidates: [...byId.values()].slice(0, limits.maxCandidates), pages, truncated: true };
      if (page.nextCursor === cursor) throw new SourceUnavailable('the source returned the same cursor twice');
      cursor = page.nextCursor;
    }
  } catch (e) {
    throw asSourceError(e, d.signal);
  } finally {
    d.clear();
  }
}

/** The read of the chosen records under its time-out. */
export async function readRecords<Db>(source: Source<Db>, recordIds: readonly string[], limits: SearchLimits, stop?: AbortSignal): Promise<Db> {
  const d = deadlineSignal(stop, limits.readTimeoutMs);
  try {
    return await untilAborted(source.read(recordIds, { signal: d.signal }), d.signal);
  } catch (e) {
    throw asSourceError(e, d.signal);
  } finally {
    d.clear();
  }
}

/** Health bookkeeping shared by the SDK's sources. */
export function healthRecorder(kind: string, now: () => Date = () => new Date()) {
  const h: SourceHealth = { kind, errors: [], searches: 0, reads: 0 };
  return {
    h,
    contact(ok: boolean) {
      h.lastContactAt = now().toISOString();
      if (ok) h.lastSuccessAt = h.lastContactAt;
    },
    error(e: { code: string; message: string }) {
      h.lastContactAt = now().toISOString();
      h.errors.push({ at: h.lastContactAt, code: e.code, message: e.message });
      if (h.errors.length > 20) h.errors.shift();
    },
    snapshot: (): SourceHealth => ({ ...h, errors: [...h.errors] }),
  };
}
