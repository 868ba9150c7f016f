/**
 * The SafeLives MARAC data return for one coordinator and one quarter (decision 0020), computed
 * in SQL from the meetings, the agenda and each case's return flags (return-facts.ts): never
 * typed, never by opening a case. The cases counted are those heard (agenda outcome HEARD) at the
 * coordinator's meetings that started in the quarter (London time), each case once.
 *
 * Every production (page, download, API) writes DATA_RETURN_PRODUCED in the transaction that read
 * the figures: the quarter, the format and the number of cases; the figures are aggregate counts.
 */
import type pg from 'pg';
import { withTx, type Queryable } from '../store/db.js';
import type { AuditLog } from '../audit/types.js';
import { actingAgency, type ExchangeActor } from '../exchange/acting-agency.js';
import type { AgencyDirectory } from '../exchange/ports.js';
import { NotACoordinator } from '../exchange/errors.js';
import { backfillReturnFacts, type Opener } from './return-facts.js';
import { parseQuarter, quarterBounds, type Quarter } from './quarter.js';

export interface DataReturn {
  coordinatorAgencyId: string;
  maracArea: string;
  quarter: Quarter;
  /** Cases heard at a meeting in the quarter (each case once). */
  casesDiscussed: number;
  /** Of those, MARAC repeats (a further referral within 12 months of the last). */
  repeatCases: number;
  /** Children in the households of the cases discussed (CHILD subjects of each case). */
  childrenInHouseholds: number;
  victimsAged16To17: number;
  victimsBme: number;
  victimsLgbt: number;
  victimsDisabled: number;
  victimsMale: number;
  /** Cases discussed by the type of agency that referred them; `NONE`: opened by the coordinator. */
  byReferringAgencyType: { agencyType: string; cases: number }[];
}

export const DATA_RETURN_FORMATS = ['html', 'json', 'csv', 'xlsx', 'regional-json', 'regional-csv'] as const;
export type DataReturnFormat = (typeof DATA_RETURN_FORMATS)[number];

/** The agency types in the order SafeLives lists referral sources; other types follow by name. */
export const AGENCY_TYPE_ORDER = [
  'POLICE', 'IDVA', 'HEALTH_ACUTE', 'HEALTH_PRIMARY', 'HEALTH_MENTAL', 'CHILDRENS_SOCIAL_CARE', 'ADULT_SOCIAL_CARE',
  'HOUSING', 'PROBATION', 'SUBSTANCE_MISUSE', 'MARAC_COORDINATOR',
];

function typeRank(t: string): number {
  if (t === 'NONE') return 10_000;
  const i = AGENCY_TYPE_ORDER.indexOf(t);
  return i < 0 ? 1000 : i;
}

/**
 * The figures, one query: the quarter's heard listings (distinct cases) joined to their flags.
 * A case without a flag row (none should remain after the backfill) counts as a case with no
 * flags and no referral. Exported for the benchmark's and the tests' direct use.
 */
export async function queryDataReturn(q: Queryable, coordinatorAgencyId: string, from: Date, to: Date) {
  const r = await q.query(
    `WITH heard AS (
       SELECT DISTINCT mc.case_id
         FROM meetings m JOIN meeting_cases mc ON mc.meeting_id = m.id AND mc.outcome = 'HEARD'
        WHERE m.coordinator_agency_id = $1 AND m.starts_at >= $2 AND m.starts_at < $3 AND m.status <> 'CANCELLED')
     SELECT coalesce(f.referring_agency_type, 'NONE') AS agency_type,
            count(*)::int AS cases,
            count(*) FILTER (WHERE f.repeat)::int AS repeats,
            coalesce(sum(f.children_count), 0)::int AS children,
            count(*) FILTER (WHERE f.victim_16_17)::int AS aged_16_17,
            count(*) FILTER (WHERE f.bme)::int AS bme,
            count(*) FILTER (WHERE f.lgbt)::int AS lgbt,
            count(*) FILTER (WHERE f.disabled)::int AS disabled,
            count(*) FILTER (WHERE f.victim_male)::int AS male,
            count(*) FILTER (WHERE f.case_id IS NULL)::int AS missing
       FROM heard h LEFT JOIN case_return_facts f ON f.case_id = h.case_id
      GROUP BY 1`,
    [coordinatorAgencyId, from, to],
  );
  const sum = (k: string) => r.rows.reduce((s, x) => s + (x[k] as number), 0);
  return {
    casesDiscussed: sum('cases'),
    repeatCases: sum('repeats'),
    childrenInHouseholds: sum('children'),
    victimsAged16To17: sum('aged_16_17'),
    victimsBme: sum('bme'),
    victimsLgbt: sum('lgbt'),
    victimsDisabled: sum('disabled'),
    victimsMale: sum('male'),
    /** Cases heard without a flag row yet (from before migration 0020): the caller backfills. */
    missingFacts: sum('missing'),
    byReferringAgencyType: r.rows
      .map((x) => ({ agencyType: x.agency_type as string, cases: x.cases as number }))
      .sort((a, b) => typeRank(a.agencyType) - typeRank(b.agencyType) || (a.agencyType < b.agencyType ? -1 : 1)),
  };
}

export interface ReportingDeps {
  pool: pg.Pool;
  audit: Pick<AuditLog, 'append'>;
  sealer: Opener;
  agencies: AgencyDirectory;
  now: () => Date;
}

export function createDataReturnService(deps: ReportingDeps) {
  /** The acting coordinator agency and its registered area; anyone else is refused. */
  async function coordinatorOf(actor: ExchangeActor) {
    const acting = await actingAgency(actor, deps.agencies);
    if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only a MARAC coordinator has a data return');
    const agency = await deps.agencies.getAgency(acting.agencyId);
    return { agencyId: acting.agencyId, maracArea: agency?.maracArea ?? acting.agencyId };
  }

  /**
   * The return for `quarterText` (`2026-Q3`; QUARTER_INVALID otherwise), audited as produced in
   * `format`. The quarter is checked before anything is read or written.
   */
  async function produce(actor: ExchangeActor, quarterText: unknown, format: DataReturnFormat): Promise<DataReturn> {
    const quarter = parseQuarter(quarterText);
    const who = await coordinatorOf(actor);
    const { from, to } = quarterBounds(quarter);
    // One query in the usual case; only a quarter with cases from before migration 0020 (no flag
    // row yet) is read, backfilled and read again. Nothing is written by the first read.
    for (let attempt = 0; ; attempt++) {
      const produced = await withTx(deps.pool, async (tx) => {
        const { missingFacts, ...figures } = await queryDataReturn(tx, who.agencyId, from, to);
        if (missingFacts > 0 && attempt === 0) return undefined;
        await deps.audit.append(tx, {
          action: 'DATA_RETURN_PRODUCED',
          actor,
          decision: 'NONE',
          agencyIds: [who.agencyId],
          detail: { quarter: quarter.id, format, casesDiscussed: figures.casesDiscussed },
        });
        return { coordinatorAgencyId: who.agencyId, maracArea: who.maracArea, quarter, ...figures };
      });
      if (produced) return produced;
      await backfillReturnFacts(deps.pool, deps.sealer, who.agencyId, from, to);
    }
  }

  return { produce, coordinatorOf };
}

export type DataReturnService = ReturnType<typeof createDataReturnService>;
