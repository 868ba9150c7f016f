/**
 * Turns one research request into this agency's canonical response: match every subject, map the
 * matched person's records, and say what was withheld. Pure (no I/O), so it is tested without a
 * gateway and the runner only adds networking around it.
 */
import { createMatcher, type Matcher } from './matching/matcher.js';
import type { AgencyMapping, MapContext } from './mapping.js';
import type { InboxMessage, RequestedDomain, ResearchResponse, SubjectResult } from './types.js';

export interface LoadedAgency<Db = unknown> {
  mapping: AgencyMapping<Db>;
  db: Db;
  matcher: Matcher;
}

export function loadAgency<Db>(mapping: AgencyMapping<Db>, files: Record<string, unknown>): LoadedAgency<Db> {
  const db = mapping.load(files);
  return { mapping, db, matcher: createMatcher(mapping.candidates(db)) };
}

export interface BuildOptions {
  /** Clock for `completedAt` and, when the request has no meeting date, the as-of date. */
  now?: () => Date;
  completedByRole?: string;
}

export interface ResponseReport {
  matched: number;
  possible: number;
  notFound: number;
  withheld: number;
  /** Reasons a match was held to POSSIBLE (never subject data). */
  caveats: string[];
}

const KNOWN_DOMAINS = new Set<RequestedDomain>([
  'DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS', 'HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH',
  'TENANCY', 'CHILDREN_STATUS', 'ADULT_SOCIAL_CARE', 'SUPERVISION', 'VICTIM_VIEWS',
]);

export function buildResponse<Db>(agency: LoadedAgency<Db>, msg: InboxMessage, opts: BuildOptions = {}): { response: ResearchResponse; report: ResponseReport } {
  const now = (opts.now ?? (() => new Date()))();
  const { mapping, db, matcher } = agency;
  const req = msg.request;
  // Research is as of the day the request is answered (what the agency knows now), never in the future.
  const asOf = now.toISOString().slice(0, 10);
  // Unknown domain names are ignored (fail closed: nothing extra is shared for them).
  const domains = new Set(req.requestedDomains.filter((d): d is RequestedDomain => KNOWN_DOMAINS.has(d as RequestedDomain)));
  const answerable = mapping.domains.some((d) => domains.has(d));

  const matches = req.subjects.map((s) => ({ subject: s, result: matcher.match(s) }));
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

  const report: ResponseReport = { matched: 0, possible: 0, notFound: 0, withheld: 0, caveats: [] };
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
