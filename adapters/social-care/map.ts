/**
 * Social care export → canonical `childrensSocialCare` and `adultSocialCare` payloads.
 *
 * One export, two agencies: children's services and adults' services are separate recipients at
 * the gateway, each allowed only its own payload key, so this module exports two mappings and the
 * adapter runs as one or the other (`--service children|adults`).
 */
import { compact, inForce, wants, withinMonths, type ExportMapping, type MapContext, type MappedSubject } from '../sdk/mapping.js';
import type { CandidatePerson } from '../sdk/matching/types.js';
import { AgencyDataInvalid } from '../sdk/errors.js';
import type { AdultSocialCarePayload, ChildrensSocialCarePayload, ChildStatus, HeldSubject, Withheld } from '../sdk/types.js';
import type { AdultRecord, ChildRecord, InvolvedAdult, SocialCareExport } from './native.js';

export interface SocialCareDb {
  exp: SocialCareExport;
  children: Map<string, ChildRecord>;
  involved: Map<string, InvolvedAdult>;
  adults: Map<string, AdultRecord>;
}

const DA_FACTORS = new Set(['3A', '3B', '3C']);

export function loadSocialCareDb(files: Record<string, unknown>): SocialCareDb {
  const exp = files['social-care-export.json'] as SocialCareExport | undefined;
  if (!exp || exp.format !== 'SOCIAL-CARE-EXPORT') throw new AgencyDataInvalid('social-care-export.json missing or not a social care export');
  return {
    exp,
    children: new Map(exp.children.map((c) => [c.childId, c])),
    involved: new Map(exp.involvedAdults.map((a) => [a.adultRef, a])),
    adults: new Map(exp.adults.map((a) => [a.adultId, a])),
  };
}

const given = (forename: string, middle?: string) => [...forename.split(/\s+/), ...(middle ? middle.split(/\s+/) : [])].filter(Boolean);

function childrenCandidates(db: SocialCareDb): CandidatePerson[] {
  const kids: CandidatePerson[] = db.exp.children.map((c) => ({
    recordId: c.childId,
    names: [{ given: given(c.forename, c.middleNames), family: c.surname, use: 'official' }],
    dobs: [c.dateOfBirth],
    sexOrGender: c.sex,
    identifiers: [
      { system: 'la-child-id', value: c.childId },
      ...(c.upn ? [{ system: 'upn', value: c.upn }] : []),
      ...(c.nhsNumber ? [{ system: 'nhs-number', value: c.nhsNumber }] : []),
    ],
  }));
  const adults: CandidatePerson[] = db.exp.involvedAdults.map((a) => ({
    recordId: a.adultRef,
    names: [{ given: given(a.forename), family: a.surname, use: 'official' }, ...a.formerSurnames.map((f) => ({ given: given(a.forename), family: f, use: 'maiden' }))],
    dobs: a.dateOfBirth ? [a.dateOfBirth] : [],
    sexOrGender: a.sex,
    identifiers: a.nhsNumber ? [{ system: 'nhs-number', value: a.nhsNumber }] : [],
  }));
  return [...kids, ...adults];
}

function adultCandidates(db: SocialCareDb): CandidatePerson[] {
  return db.exp.adults.map((a) => ({
    recordId: a.adultId,
    names: [{ given: given(a.forename), family: a.surname, use: 'official' }, ...a.formerSurnames.map((f) => ({ given: given(a.forename), family: f, use: 'maiden' }))],
    dobs: [a.dateOfBirth],
    sexOrGender: a.sex,
    identifiers: a.nhsNumber ? [{ system: 'nhs-number', value: a.nhsNumber }] : [],
  }));
}

function heldChildren(db: SocialCareDb, id: string): HeldSubject {
  const c = db.children.get(id);
  if (c) {
    return { names: [{ given: given(c.forename, c.middleNames), family: c.surname, use: 'official' }], dateOfBirth: c.dateOfBirth, identifiers: [{ system: 'la-child-id', value: c.childId }] };
  }
  const a = db.involved.get(id);
  return a ? compact({ names: [{ given: given(a.forename), family: a.surname, use: 'official' as const }], dateOfBirth: a.dateOfBirth }) : {};
}

function heldAdult(db: SocialCareDb, id: string): HeldSubject {
  const a = db.adults.get(id);
  return a ? { names: [{ given: given(a.forename), family: a.surname, use: 'official' }], dateOfBirth: a.dateOfBirth } : {};
}

/** Current status, the most intensive involvement in force: CLA > CPP > CIN > early help. */
export function childStatus(c: ChildRecord, asOf: string): ChildStatus {
  if (c.lookedAfter.some((x) => inForce(x.startDate, x.endDate, asOf))) return 'CLA';
  if (c.cpPlans.some((x) => inForce(x.startDate, x.endDate, asOf))) return 'CPP';
  if (c.cinPlans.some((x) => inForce(x.startDate, x.endDate, asOf))) return 'CIN';
  if (c.earlyHelp.some((x) => inForce(x.startDate, x.endDate, asOf))) return 'EARLY_HELP';
  return 'NONE';
}

function childEntry(c: ChildRecord, subjectId: string, ctx: MapContext): NonNullable<ChildrensSocialCarePayload['children']>[number] {
  const status = childStatus(c, ctx.asOf);
  const plan = c.cpPlans.filter((p) => inForce(p.startDate, p.endDate, ctx.asOf)).sort((a, b) => b.startDate.localeCompare(a.startDate))[0];
  return compact({
    subjectId,
    status,
    cpCategory: plan?.category,
    planStart: plan?.startDate,
    s47Last12m: c.s47Enquiries.some((s) => withinMonths(s.startedOn, ctx.asOf, Math.min(12, ctx.lookbackMonths))),
    daFactorAtAssessment: c.assessments.some((a) => withinMonths(a.completedOn, ctx.asOf, ctx.lookbackMonths) && a.factors.some((f) => DA_FACTORS.has(f))),
    allocatedWorkerContact: status !== 'NONE' && c.allocatedWorker ? `${c.allocatedWorker.team}, ${c.allocatedWorker.phone}` : undefined,
  });
}

export function mapChildrensSubject(db: SocialCareDb, id: string, ctx: MapContext): MappedSubject {
  const withheld: Withheld[] = [];
  if (!wants(ctx, 'CHILDREN_STATUS')) return { sections: {}, withheld, currentInvolvement: false };
  const out: ChildrensSocialCarePayload = {};
  const child = db.children.get(id);
  if (child) {
    const entry = childEntry(child, ctx.subjectId, ctx);
    out.children = [entry];
    return { sections: { childrensSocialCare: out }, withheld, currentInvolvement: entry.status !== 'NONE' };
  }
  const adult = db.involved.get(id);
  if (!adult) return { sections: {}, withheld, currentInvolvement: false };
  // Only children who are subjects of this request are described; the adult's other children are third parties.
  const linked = new Set(adult.children.map((c) => c.childId));
  const entries = ctx.others.filter((o) => o.role === 'CHILD' && linked.has(o.recordId)).map((o) => childEntry(db.children.get(o.recordId)!, o.subjectId, ctx));
  if (entries.length) out.children = entries;
  if (linked.size > entries.length) withheld.push({ fieldPath: 'childrensSocialCare.children', reason: 'THIRD_PARTY', note: 'Children who are not subjects of this request are not described.' });
  out.preBirthPlan = !!adult.preBirth && adult.preBirth.plan !== 'NONE' && adult.preBirth.edd >= ctx.asOf;
  const currentInvolvement = out.preBirthPlan || [...linked].some((c) => { const k = db.children.get(c); return !!k && childStatus(k, ctx.asOf) !== 'NONE'; });
  return { sections: { childrensSocialCare: out }, withheld, currentInvolvement };
}

export function mapAdultSubject(db: SocialCareDb, id: string, ctx: MapContext): MappedSubject {
  const withheld: Withheld[] = [];
  const a = db.adults.get(id);
  if (!a || !wants(ctx, 'ADULT_SOCIAL_CARE')) return { sections: {}, withheld, currentInvolvement: false };
  const out: AdultSocialCarePayload = { careAndSupportNeeds: a.careAndSupportNeeds };
  const enquiries = a.s42Enquiries.filter((e) => !e.closedOn || withinMonths(e.closedOn, ctx.asOf, ctx.lookbackMonths)).sort((x, y) => y.openedOn.localeCompare(x.openedOn));
  const latest = enquiries[0];
  if (latest) out.s42Enquiry = compact({ status: latest.closedOn && latest.closedOn <= ctx.asOf ? 'CLOSED' as const : 'OPEN' as const, outcome: latest.outcome ? OUTCOME[latest.outcome] : undefined });
  const older = a.s42Enquiries.length - enquiries.length;
  if (older > 0) withheld.push({ fieldPath: 'adultSocialCare.s42Enquiry', reason: 'NOT_RELEVANT_TO_CURRENT_RISK', note: `${older} enquiry(ies) closed before the lookback not listed.` });
  const capacity = a.capacityAssessments.filter((c) => withinMonths(c.date, ctx.asOf, ctx.lookbackMonths));
  if (capacity.length) out.capacityConcerns = capacity.some((c) => c.lacksCapacity);
  const currentInvolvement = a.services.some((s) => inForce(s.startDate, s.endDate, ctx.asOf)) || out.s42Enquiry?.status === 'OPEN';
  return { sections: { adultSocialCare: out }, withheld, currentInvolvement };
}

const OUTCOME: Record<NonNullable<AdultRecord['s42Enquiries'][number]['outcome']>, string> = {
  RISK_REMOVED: 'Risk removed', RISK_REDUCED: 'Risk reduced', RISK_REMAINS: 'Risk remains', NO_FURTHER_ACTION: 'No further action',
};

export const childrensSocialCareMapping: ExportMapping<SocialCareDb> = {
  name: 'social-care (children)',
  agencyType: 'CHILDRENS_SOCIAL_CARE',
  payloadKeys: ['childrensSocialCare'],
  domains: ['CHILDREN_STATUS'],
  load: loadSocialCareDb,
  candidates: childrenCandidates,
  held: heldChildren,
  map: mapChildrensSubject,
};

export const adultSocialCareMapping: ExportMapping<SocialCareDb> = {
  name: 'social-care (adults)',
  agencyType: 'ADULT_SOCIAL_CARE',
  payloadKeys: ['adultSocialCare'],
  domains: ['ADULT_SOCIAL_CARE'],
  load: loadSocialCareDb,
  candidates: adultCandidates,
  held: heldAdult,
  map: mapAdultSubject,
};
