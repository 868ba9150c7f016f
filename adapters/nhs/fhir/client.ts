/**
 * A FHIR R4 REST client for the searches the NHS adapter makes, typed with `@types/fhir` (fhir/r4),
 * written here as GET queries (sent as POST _search, below):
 *
 *   Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|<number>
 *   Patient?family=<family>&birthdate=<date>, Patient?given=<given>&birthdate=<date>,
 *   Patient?birthdate=<date>&address-postalcode=<postcode>, Patient?family=<family>&given=<given>
 *   Patient/<id>                                                              (read)
 *   Encounter?subject=Patient/<id>&class=<v3-ActCode>|EMER&date=ge<date>      (ED attendances)
 *   Condition?subject=Patient/<id>
 *   EpisodeOfCare?patient=Patient/<id>
 *   Observation?subject=Patient/<id>&code=<loinc>|82810-3,<loinc>|11778-8     (pregnancy only)
 *   Flag?subject=Patient/<id>
 *
 * A search's first page is POST [type]/_search with the parameters in a form body (so names, dates
 * of birth and NHS numbers are not in URLs that proxies and access logs keep; GET is an option for
 * a server without POST search); every search pages through Bundle.link[next] (only on the same
 * server: a bearer token is never sent anywhere else), with a page size, a ceiling on pages, and a
 * time-out per request (AbortSignal). A 401 drops the cached token and tries once more with a new
 * one. Search values are never logged, and errors carry statuses and resource types, not values.
 */
import type { Bundle, Condition, Encounter, EpisodeOfCare, FhirResource, Flag, Observation, OperationOutcome, Patient } from 'fhir/r4.js';
import { FhirAuthFailed, FhirRequestFailed, FhirUnreachable } from './errors.js';
import { assertSafeUrl, withTimeout, type SmartAuth } from './smart-auth.js';
import { ACT_CODE_SYSTEM, LOINC, LOINC_EDD, LOINC_PREGNANCY_STATUS, NHS_NUMBER_SYSTEM } from '../fhir.js';

export interface FhirClientOptions {
  baseUrl: string;
  /** Absent: no Authorization header (an open test server). */
  auth?: SmartAuth;
  /** Page size asked for (`_count`), default 50. */
  pageSize?: number;
  /** Pages followed per search before giving up on the rest (default 20). */
  maxPages?: number;
  /** Per-request time-out, default 15 s. */
  timeoutMs?: number;
  /**
   * How a search's first page is asked for: POST [type]/_search with a form body (default: the
   * search values stay out of URLs and access logs), or GET [type]?params for a server without it.
   */
  searchMethod?: 'POST' | 'GET';
  fetch?: typeof fetch;
}

export interface PatientSearch {
  nhsNumber?: string;
  family?: string;
  given?: string;
  birthDate?: string;
  postcode?: string;
}

export interface SearchResult<T> {
  resources: T[];
  /** True when more pages existed than maxPages allowed (the adapter reports it). */
  truncated: boolean;
  pages: number;
}

/** Everything read for one patient, as the server sent it (checked against UK Core afterwards). */
export interface FetchedRecord {
  patient: Patient;
  encounters: Encounter[];
  conditions: Condition[];
  episodes: EpisodeOfCare[];
  observations: Observation[];
  flags: Flag[];
  truncated: boolean;
}

export interface SearchPageResult<T> {
  resources: T[];
  /** The server's next-page link (same server, checked), absent on the last page. */
  next?: string;
}

export interface FhirClient {
  /** One page: a first page from params, or a next page from the link the server gave. */
  searchPage<T extends FhirResource>(resourceType: T['resourceType'], from: { params: Record<string, string>; count?: number } | { next: string }, signal?: AbortSignal): Promise<SearchPageResult<T>>;
  /** GET [base]/Patient/[id] (null when the server says 404 or 410). */
  readPatient(id: string, signal?: AbortSignal): Promise<Patient | null>;
  search<T extends FhirResource>(resourceType: T['resourceType'], params: Record<string, string>, signal?: AbortSignal): Promise<SearchResult<T>>;
  searchPatients(q: PatientSearch, signal?: AbortSignal): Promise<SearchResult<Patient>>;
  readRecord(patient: Patient, o: { edSince: string; signal?: AbortSignal }): Promise<FetchedRecord>;
  readonly stats: { requests: number; pages: number; nextPages: number; retriedAfter401: number };
}

/** The FHIR search parameters for one patient search; null when it would be too broad. */
export function patientSearchParams(q: PatientSearch): Record<string, string> | null {
  if (q.nhsNumber) return { identifier: `${NHS_NUMBER_SYSTEM}|${q.nhsNumber}` };
  if (q.birthDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(q.birthDate)) return null;
  // Narrow searches only: a date of birth with a name or a postcode, or a family name with a given name.
  if (!(q.birthDate ? q.family || q.given || q.postcode : q.family && q.given)) return null;
  const p: Record<string, string> = q.birthDate ? { birthdate: q.birthDate } : {};
  if (q.family) p.family = q.family;
  if (q.given) p.given = q.given;
  if (q.postcode) p['address-postalcode'] = q.postcode;
  return p;
}

export function createFhirClient(o: FhirClientOptions): FhirClient {
  const doFetch = o.fetch ?? fetch;
  const base = assertSafeUrl(o.baseUrl, 'the FHIR base URL');
  const baseStr = base.toString().replace(/\/+$/, '');
  const pageSize = o.pageSize ?? 50;
  const maxPages = o.maxPages ?? 20;
  const timeoutMs = o.timeoutMs ?? 15_000;
  const searchMethod = o.searchMethod ?? 'POST';
  const stats = { requests: 0, pages: 0, nextPages: 0, retriedAfter401: 0 };

  async function get(url: string, signal: AbortSignal | undefined, what: string, form?: URLSearchParams): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/fhir+json' };
      if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
      if (o.auth) headers.authorization = `Bearer ${await o.auth.token(signal)}`;
      let res: Response;
      stats.requests++;
      try {
        res = await doFetch(url, { method: form ? 'POST' : 'GET', headers, ...(form ? { body: form.toString() } : {}), signal: withTimeout(signal, timeoutMs) });
      } catch (e) {
        // Stopped or past the SDK's deadline: its reason (SourceAborted, SourceTimeout) says which.
        if (signal?.aborted) throw signal.reason ?? e;
        throw new FhirUnreachable(`${what}: the FHIR server could not be reached or did not answer in time`, { cause: e });
      }
      if (res.status === 401 && o.auth && attempt === 0) {
        // The token expired or was revoked early: one new token, one more try.
        await res.body?.cancel();
        o.auth.invalidate();
        stats.retriedAfter401++;
        continue;
      }
      const body = (await res.json().catch(() => null)) as { resourceType?: string } | null;
      if (res.status === 401 || res.status === 403) throw new FhirAuthFailed(res.status, undefined, `${what}: the FHIR server refused the access token (${res.status})`);
      if (!res.ok) {
        const issue = body?.resourceType === 'OperationOutcome' ? (body as OperationOutcome).issue?.[0]?.code : undefined;
        throw new FhirRequestFailed(res.status, `${what}: the FHIR server answered ${res.status}${issue ? ` (${issue})` : ''}`);
      }
      if (!body || typeof body !== 'object') throw new FhirRequestFailed(res.status, `${what}: the FHIR server's answer is not JSON`);
      return body;
    }
  }

  function checkedNext(what: string, next: string | undefined, from: URL): string | undefined {
    if (!next) return undefined;
    const n = new URL(next, from);
    // A next link elsewhere would carry our bearer token to another server: refuse it.
    if (n.origin !== base.origin || !n.pathname.startsWith(base.pathname.replace(/\/+$/, ''))) throw new FhirRequestFailed(200, `${what}: the next page link points to another server`);
    return n.toString();
  }

  async function searchPage<T extends FhirResource>(resourceType: T['resourceType'], from: { params: Record<string, string>; count?: number } | { next: string }, signal?: AbortSignal): Promise<SearchPageResult<T>> {
    const what = `${resourceType} search`;
    let url: URL;
    let form: URLSearchParams | undefined;
    if ('next' in from) {
      url = new URL(checkedNext(what, from.next, base)!);
      stats.nextPages++;
    } else if (searchMethod === 'POST') {
      // POST [base]/[type]/_search: the search values travel in the body, not in a URL that
      // proxies and server access logs keep.
      url = new URL(`${baseStr}/${resourceType}/_search`);
      form = new URLSearchParams({ ...from.params, _count: String(from.count ?? pageSize) });
    } else {
      url = new URL(`${baseStr}/${resourceType}`);
      for (const [k, v] of Object.entries(from.params)) url.searchParams.set(k, v);
      url.searchParams.set('_count', String(from.count ?? pageSize));
    }
    const bundle = (await get(url.toString(), signal, what, form)) as Bundle;
    if (bundle.resourceType !== 'Bundle' || bundle.type !== 'searchset') throw new FhirRequestFailed(200, `${what}: the answer is not a searchset Bundle`);
    stats.pages++;
    const resources: T[] = [];
    for (const e of bundle.entry ?? []) {
      // Included resources and OperationOutcome warnings (search.mode include/outcome) are not results.
      if (e.search?.mode && e.search.mode !== 'match') continue;
      if (e.resource?.resourceType === resourceType) resources.push(e.resource as T);
    }
    const next = checkedNext(what, bundle.link?.find((l) => l.relation === 'next')?.url, url);
    return { resources, ...(next ? { next } : {}) };
  }

  async function search<T extends FhirResource>(resourceType: T['resourceType'], params: Record<string, string>, signal?: AbortSignal): Promise<SearchResult<T>> {
    const resources: T[] = [];
    let page = await searchPage<T>(resourceType, { params }, signal);
    let pages = 1;
    resources.push(...page.resources);
    while (page.next) {
      if (pages >= maxPages) return { resources, truncated: true, pages };
      page = await searchPage<T>(resourceType, { next: page.next }, signal);
      pages++;
      resources.push(...page.resources);
    }
    return { resources, truncated: false, pages };
  }

  return {
    stats,
    search,
    searchPage,
    async readPatient(id, signal) {
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) return null;
      try {
        const p = (await get(`${baseStr}/Patient/${id}`, signal, 'Patient read')) as Patient;
        return p.resourceType === 'Patient' && p.id === id ? p : null;
      } catch (e) {
        if (e instanceof FhirRequestFailed && (e.status === 404 || e.status === 410)) return null;
        throw e;
      }
    },
    async searchPatients(q, signal) {
      const params = patientSearchParams(q);
      if (!params) return { resources: [], truncated: false, pages: 0 };
      return search<Patient>('Patient', params, signal);
    },
    async readRecord(patient, { edSince, signal }) {
      const ref = `Patient/${patient.id}`;
      const [encounters, conditions, episodes, observations, flags] = await Promise.all([
        search<Encounter>('Encounter', { subject: ref, class: `${ACT_CODE_SYSTEM}|EMER`, date: `ge${edSince}` }, signal),
        search<Condition>('Condition', { subject: ref }, signal),
        search<EpisodeOfCare>('EpisodeOfCare', { patient: ref }, signal),
        search<Observation>('Observation', { subject: ref, code: `${LOINC}|${LOINC_PREGNANCY_STATUS},${LOINC}|${LOINC_EDD}` }, signal),
        search<Flag>('Flag', { subject: ref }, signal),
      ]);
      return {
        patient,
        encounters: encounters.resources,
        conditions: conditions.resources,
        episodes: episodes.resources,
        observations: observations.resources,
        flags: flags.resources,
        truncated: [encounters, conditions, episodes, observations, flags].some((r) => r.truncated),
      };
    },
  };
}
