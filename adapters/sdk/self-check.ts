/**
 * Offline check of a whole agency data set: map every person record with every domain and the
 * widest window, and validate each result against the response schema. Used by the contract tests
 * and by `--check` on the command line before an adapter is connected.
 */
import { AgencyDataInvalid } from './errors.js';
import type { MapContext } from './mapping.js';
import type { LoadedAgency } from './respond.js';
import type { RequestedDomain, ResearchResponse, SubjectResult } from './types.js';
import { responseProblems } from './validate.js';
import type { ProblemDetail } from '@marac/schemas';

export const ALL_DOMAINS: readonly RequestedDomain[] = [
  'DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS', 'HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH',
  'TENANCY', 'CHILDREN_STATUS', 'ADULT_SOCIAL_CARE', 'SUPERVISION', 'VICTIM_VIEWS',
];

export interface RecordResult {
  recordId: string;
  response: ResearchResponse;
  problems: ProblemDetail[];
}

/** One single-subject response per record; every other record of the set counts as a matched co-subject. */
export function mapEveryRecord<Db>(agency: LoadedAgency<Db>, opts: { asOf: string; lookbackMonths?: number }): RecordResult[] {
  const { mapping } = agency;
  if (!mapping.candidates || agency.db === undefined) throw new AgencyDataInvalid('--check needs the agency served from its export in memory');
  const db = agency.db;
  return mapping.candidates(db).map(({ recordId }) => {
    const subjectId = `s_${recordId.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
    const ctx: MapContext = {
      asOf: opts.asOf,
      lookbackMonths: opts.lookbackMonths ?? 120,
      domains: new Set(ALL_DOMAINS),
      subjectId,
      role: 'VICTIM',
      subjectIdOf: (other) => `s_${other.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64),
      others: [],
    };
    const mapped = mapping.map(db, recordId, ctx);
    const held = mapping.held(db, recordId);
    const result: SubjectResult = {
      subjectId,
      match: { status: 'MATCHED', confidence: 1, matchedOn: ['name', 'dob'] },
      knownToAgency: true,
      currentInvolvement: mapped.currentInvolvement,
      withheld: mapped.withheld,
      ...(Object.keys(held).length ? { subject: held } : {}),
    };
    for (const key of mapping.payloadKeys) {
      const section = mapped.sections[key];
      if (section && Object.keys(section).length) (result as unknown as Record<string, unknown>)[key] = section;
    }
    const response: ResearchResponse = { schemaVersion: '1.0', completedAt: `${opts.asOf}T12:00:00Z`, subjectResults: [result] };
    return { recordId, response, problems: responseProblems(response) };
  });
}
