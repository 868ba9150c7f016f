/**
 * Turns one research request into this agency's canonical response: search the agency's source for
 * each subject (paged, under a time-out), score the candidates, read the chosen records, map them
 * and say what was withheld (decision 0025). No gateway I/O, so it is tested without a gateway and
 * the runner only adds networking around it.
 */
import { AgencyDataInvalid } from './errors.js';
import { createMatcher, type Matcher } from './matching/matcher.js';
import type { MatchResult } from './matching/types.js';
import type { AgencyMapping, MapContext } from './mapping.js';
import { DEFAULT_LIMITS, readRecords, searchSubject, sourceQueryOf, type SearchLimits, type Source } from './source.js';
import { createMemorySource } from './sources/memory.js';
import type { InboxMessage, RequestedDomain, ResearchResponse, SubjectResult } from './types.js';

export interface LoadedAgency<Db = unknown> {
  mapping: AgencyMapping<Db>;
  /** Where the agency's people are searched and its records read. */
  source?: Source<Db>;
  /** The loaded data set, when the agency is served from memory (offline `--check`, tests). */
  db?: Db;
  limits?: Partial<SearchLimits>;
  /**
   * @deprecated The synchronous contract before decision 0025 (`matcher.match` over every person,
   * `db` for the mapping): still answered, for adapters not yet moved onto a `source`.
   */
  matcher?: Matcher;
}

/** An agency served from its export in memory: the memory source over the mapping's people. */
export function loadAgency<Db>(mapping: AgencyMapping<Db>, files: Record<string, unknown>): LoadedAgency<Db> & { db: Db; source: Source<Db> } {
  if (!mapping.load) throw new AgencyDataInvalid(`the ${mapping.name} mapping cannot load an export file`);
  const db = mapping.load(files);
  return { mapping, db, source: createMemorySource(mapping, db) };
}

export interface BuildOptions {
  /** Clock for `completedAt` and, when the request has no meeting date, the as-of date. */
  now?: () => Date;
  completedByRole?: string;
  /** Fires when the runner stops: searches in progress are abandoned (SourceAborted). */
  signal?: AbortSignal;
}

export interface ResponseReport {
  matched: number;
  possible: number;
  notFound: number;
  withheld: number;
  /** Reasons a match was held to POSSIBLE, and `CANDIDATES_TRUNCATED` (never subject data). */
  caveats: string[];
  /** Source searches (pages) made, and subjects not searched for lack of searchable details. */
  searches: number;
  notSearchable: number;
}

const KNOWN_DOMAINS = new Set<RequestedDomain>([
  'DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS', 'HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH',
  'TENANCY', 'CHILDREN_STATUS', 'ADULT_SOCIAL_CARE', 'SUPERVISION', 'VICTIM_VIEWS',
]);

const NOT_FOUND: MatchResult = { status: 'NOT_FOUND', confidence: 0, matchedOn: [], evidence: [] };

type Match = { subject: InboxMessage['request']['subjects'][number]; result: MatchResult };
const newReport = (): ResponseReport => ({ matched: 0, possible: 0, notFound: 0, withheld: 0, caveats: [], searches: 0, notSearchable: 0 });

/**
 * Request → response (decision 0025). Subjects are searched in parallel, each under its own
 * time-out; a source failure rejects with a SourceError (the runner's policy decides: retry, then
 * decline), so a subject whose search failed is never reported NOT_FOUND. The source then reads
 * only the records matching chose.
 */
export async function answerRequest<Db>(agency: LoadedAgency<Db>, msg: InboxMessage, opts: BuildOptions = {}): Promise<{ response: ResearchResponse; report: ResponseReport }> {
  const source = agency.source;
  if (!source) return buildResponse(agency, msg, opts);
  const limits: SearchLimits = { ...DEFAULT_LIMITS, ...agency.limits };
  const report = newReport();
  const matches: Match[] = await Promise.all(msg.request.subjects.map(async (subject) => {
    const query = sourceQueryOf(subject);
    if (!query) {
      report.notSearchable++;
      return { subject, result: NOT_FOUND };
    }
    const found = await searchSubject(source as Source, query, limits, opts.signal);
    report.searches += found.pages;
    if (found.truncated) report.caveats.push('CANDIDATES_TRUNCATED');
    return { subject, result: createMatcher(found.candidates).match(subject) };
  }));
  const chosen = [...new Set(matches.filter((m) => m.result.status !== 'NOT_FOUND' && m.result.recordId).map((m) => m.result.recordId!))];
  const db = chosen.length ? await readRecords(source, chosen, limits, opts.signal) : (agency.db as Db);
  return assemble(agency.mapping, db, msg, matches, report, opts);
}

const memoryMatchers = new WeakMap<object, Matcher>();

/**
 * The same, synchronously, for an agency in memory (its deprecated `matcher`, or its loaded `db`
 * and the mapping's people): tests and offline tools. The runner uses `answerRequest`.
 */
export function buildResponse<Db>(agency: LoadedAgency<Db>, msg: InboxMessage, opts: BuildOptions = {}): { response: ResearchResponse; report: ResponseReport } {
  let matcher = agency.matcher;
  if (!matcher) {
    const db = agency.db;
    if (db === undefined || db === null || typeof db !== 'object' || !agency.mapping.candidates) throw new AgencyDataInvalid('the agency is not in memory: answer with answerRequest');
    matcher = memoryMatchers.get(db) ?? createMatcher(agency.mapping.candidates(db));
    memoryMatchers.set(db, matcher);
  }
  const m = matcher;
  const matches = msg.request.subjects.map((s) => ({ subject: s, result: m.match(s) }));
  return assemble(agency.mapping, agency.db as Db, msg, matches, newReport(), opts);
}

function assemble<Db>(mapping: AgencyMapping<Db>, db: Db, msg: InboxMessage, matches: Match[], report: ResponseReport, opts: BuildOptions): { response: ResearchResponse; report: ResponseReport } {
  const now = (opts.now ?? (() => new Date()))();
  const req = msg.request;
  // Research is as of the day the request is answered (what the agency knows now), never in the future.
  const asOf = now.toISOString().slice(0, 10);
  // Unknown domain names are ignored (fail closed: nothing extra is shared for them).
  const domains = new Set(req.requestedDomains.filter((d): d is RequestedDomain => KNOWN_DOMAINS.has(d as RequestedDomain)));
  const answerable = mapping.domains.some((d) => domains.has(d));

  const subjectIdByRecord = new Map<string, string>();
  const matchedSubjects: MapContext['others'][number][] = [];
  for (const { subject, result } of matches) {
    // Cross-references (an order protecting the child, a child known to health visiting) only to
    // subjects the agency is sure about.
    if (result.status === 'MATCHED' && result.recordId && !subjectIdByRecord.has(result.recordId)) {
      subjectIdByRecord.set(result.recordId, subject.subjectId);
      matchedSubjects.push({ subjectId: subject.subjectId, role: subject.role, recordId: result.recordId });
    }
  }

  const subjectResults: SubjectResult[] = matches.map(({ subject, result }) => {
    const base: SubjectResult = {
      subjectId: subject.subjectId,
      match: { status: result.status, confidence: result.confidence, matchedOn: result.matchedOn },
      knownToAgency: result.status !== 'NOT_FOUND',
      withheld: [],
    };
    if (result.status === 'NOT_FOUND' || !result.recordId) {
      report.notFound++;
      return base;
    }
    if (result.status === 'MATCHED') report.matched++;
    else report.possible++;
    report.caveats.push(...(result.caveats ?? []));
    const held = mapping.held(db, result.recordId);
    if (Object.keys(held).length) base.subject = held;
    if (!answerable) return base;
    const ctx: MapContext = {
      asOf,
      lookbackMonths: req.lookbackMonths,
      domains,
      subjectId: subject.subjectId,
      role: subject.role,
      subjectIdOf: (recordId) => subjectIdByRecord.get(recordId),
      others: matchedSubjects.filter((o) => o.subjectId !== subject.subjectId),
    };
    const mapped = mapping.map(db, result.recordId, ctx);
    for (const key of mapping.payloadKeys) {
      const section = mapped.sections[key];
      if (section && Object.keys(section).length) (base as unknown as Record<string, unknown>)[key] = section;
    }
    base.currentInvolvement = mapped.currentInvolvement;
    base.withheld = mapped.withheld;
    report.withheld += mapped.withheld.length;
    return base;
  });

  const response: ResearchResponse = {
    schemaVersion: '1.0',
    completedAt: now.toISOString(),
    subjectResults,
  };
  if (opts.completedByRole) response.completedByRole = opts.completedByRole;
  return { response, report };
}
