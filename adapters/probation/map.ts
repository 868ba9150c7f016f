/**
 * Probation export → canonical `probation` payload.
 *
 * Shared: supervision type, RoSH level and to whom, the requirements and licence conditions that
 * protect a victim or children, engagement, the latest breach or recall, the offence category and
 * the offender manager's contact. Not shared: OASys scores and the full assessment (never part of
 * research), and requirements that do not bear on the victim (unpaid work, RAR...), which are
 * listed in `withheld[]` as NOT_RELEVANT_TO_CURRENT_RISK.
 */
import { compact, inForce, wants, withinMonths, type ExportMapping, type MapContext, type MappedSubject } from '../sdk/mapping.js';
import type { CandidatePerson } from '../sdk/matching/types.js';
import { AgencyDataInvalid } from '../sdk/errors.js';
import type { HeldSubject, ProbationPayload, Withheld } from '../sdk/types.js';
import type { ProbationCase, ProbationExport, RoshLevel } from './native.js';

export interface ProbationDb {
  cases: Map<string, ProbationCase>;
  list: ProbationCase[];
}

const VICTIM_RELEVANT: Partial<Record<ProbationCase['requirements'][number]['code'], string>> = {
  NO_CONTACT_NAMED: 'NO_CONTACT', NO_CONTACT_CHILDREN: 'NO_CONTACT_CHILDREN', EXCLUSION_ZONE: 'EXCLUSION_ZONE', RESIDE_AP: 'RESIDENCE_AP',
  CURFEW: 'CURFEW', BBR: 'DA_PROGRAMME', DRUG_TEST: 'DRUG_TESTING', DISCLOSE_RELATIONSHIPS: 'DISCLOSE_RELATIONSHIPS',
};
const LEVEL_ORDER: readonly RoshLevel[] = ['LOW', 'MEDIUM', 'HIGH', 'VERY_HIGH'];

export function loadProbationDb(files: Record<string, unknown>): ProbationDb {
  const exp = files['probation-export.json'] as ProbationExport | undefined;
  if (!exp || exp.format !== 'PROBATION-EXPORT') throw new AgencyDataInvalid('probation-export.json missing or not a probation export');
  return { cases: new Map(exp.cases.map((c) => [c.crn, c])), list: exp.cases };
}

function probationCandidates(db: ProbationDb): CandidatePerson[] {
  return db.list.map((c) => {
    const given = [c.forename, ...(c.middleNames ? c.middleNames.split(/\s+/) : [])];
    return {
      recordId: c.crn,
      names: [{ given, family: c.surname, use: 'official' }, ...c.aliases.map((a) => ({ given: [a.forename], family: a.surname, use: 'alias' }))],
      dobs: [c.dateOfBirth],
      sexOrGender: c.sex,
      identifiers: c.pncId ? [{ system: 'pnc-id', value: c.pncId }] : [],
    };
  });
}

function heldSubject(db: ProbationDb, crn: string): HeldSubject {
  const c = db.cases.get(crn);
  if (!c) return {};
  return compact({
    names: [{ given: [c.forename], family: c.surname, use: 'official' as const }],
    dateOfBirth: c.dateOfBirth,
    identifiers: c.pncId ? [{ system: 'pnc-id', value: c.pncId }] : undefined,
  });
}

export function mapProbationSubject(db: ProbationDb, crn: string, ctx: MapContext): MappedSubject {
  const c = db.cases.get(crn);
  const withheld: Withheld[] = [];
  if (!c || !wants(ctx, 'SUPERVISION')) return { sections: {}, withheld, currentInvolvement: false };
  const { asOf } = ctx;
  const active = c.events.filter((e) => e.active && inForce(e.startDate, e.endDate, asOf)).sort((a, b) => b.startDate.localeCompare(a.startDate))[0];
  const out: ProbationPayload = { supervisionType: active?.sentenceType ?? 'NONE' };
  if (!active) {
    // Known in the past only: say so, and no more.
    return { sections: { probation: out }, withheld, currentInvolvement: false };
  }
  out.offenceCategory = active.offenceCategory === 'ACQUISITIVE' || active.offenceCategory === 'DRUGS' ? 'OTHER' : active.offenceCategory;
  if (c.rosh) {
    out.roshLevel = c.rosh.overall;
    const groups: [NonNullable<ProbationPayload['roshTo']>[number], RoshLevel][] = [['KNOWN_ADULT', c.rosh.knownAdult], ['CHILDREN', c.rosh.children], ['PUBLIC', c.rosh.public], ['STAFF', c.rosh.staff]];
    const at = groups.filter(([, l]) => LEVEL_ORDER.indexOf(l) >= Math.max(1, LEVEL_ORDER.indexOf(c.rosh!.overall)));
    if (at.length) out.roshTo = at.map(([g]) => g);
  }
  const current = c.requirements.filter((r) => inForce(r.startDate, r.endDate, asOf));
  const relevant = [...new Set(current.map((r) => VICTIM_RELEVANT[r.code]).filter((x): x is string => !!x))];
  if (relevant.length) out.victimRelevantConditions = relevant;
  const other = current.length - current.filter((r) => VICTIM_RELEVANT[r.code]).length;
  if (other > 0) withheld.push({ fieldPath: 'probation.victimRelevantConditions', reason: 'NOT_RELEVANT_TO_CURRENT_RISK', note: `${other} requirement(s) that do not bear on the victim not listed.` });
  const { last3mAttended: a, last3mMissed: m } = c.contacts;
  out.engagement = a + m === 0 ? 'NONE' : m / (a + m) > 0.3 ? 'POOR' : 'GOOD';
  const breach = c.breaches.filter((b) => withinMonths(b.date, asOf, ctx.lookbackMonths)).sort((x, y) => y.date.localeCompare(x.date))[0];
  if (breach) out.breachOrRecallAction = `${breach.outcome} on ${breach.date}`;
  out.offenderManagerContact = `${c.offenderManager.name}, ${c.offenderManager.team}, ${c.offenderManager.phone}`;
  return { sections: { probation: out }, withheld, currentInvolvement: true };
}

export const probationMapping: ExportMapping<ProbationDb> = {
  name: 'probation',
  agencyType: 'PROBATION',
  payloadKeys: ['probation'],
  domains: ['SUPERVISION'],
  load: loadProbationDb,
  candidates: probationCandidates,
  held: heldSubject,
  map: mapProbationSubject,
};
