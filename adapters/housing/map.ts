/**
 * Housing management export → canonical `housing` payload.
 *
 * The current tenancy is the one in force on the as-of date where the subject is a tenant or a
 * household member (the most recent if several). Rent arrears are shared as a band, never the
 * balance. Closed ASB cases are not counted; cases older than the lookback are not listed.
 */
import { compact, inForce, wants, withinMonths, type ExportMapping, type MapContext, type MappedSubject } from '../sdk/mapping.js';
import type { CandidatePerson } from '../sdk/matching/types.js';
import { AgencyDataInvalid } from '../sdk/errors.js';
import type { HeldSubject, HousingPayload, Withheld } from '../sdk/types.js';
import type { HousingExport, HousingPerson, Tenancy } from './native.js';

export interface HousingDb {
  exp: HousingExport;
  people: Map<string, HousingPerson>;
  tenanciesOf: Map<string, Tenancy[]>;
  postcodeOfUprn: Map<string, string>;
}

const TENURE: Record<Tenancy['landlordType'], NonNullable<HousingPayload['tenure']>> = {
  COUNCIL: 'COUNCIL', RSL: 'RSL', PRIVATE: 'PRIVATE_RENTED', TEMPORARY_ACCOMMODATION: 'TEMP_ACCOMMODATION', REFUGE_PROVIDER: 'REFUGE',
};

export function loadHousingDb(files: Record<string, unknown>): HousingDb {
  const exp = files['housing-export.json'] as HousingExport | undefined;
  if (!exp || exp.format !== 'HOUSING-EXPORT') throw new AgencyDataInvalid('housing-export.json missing or not a housing export');
  const tenanciesOf = new Map<string, Tenancy[]>();
  for (const t of exp.tenancies) {
    for (const ref of new Set([...t.tenantRefs, ...t.householdMembers.map((m) => m.personRef)])) {
      const list = tenanciesOf.get(ref) ?? [];
      list.push(t);
      tenanciesOf.set(ref, list);
    }
  }
  return {
    exp,
    people: new Map(exp.people.map((p) => [p.personRef, p])),
    tenanciesOf,
    postcodeOfUprn: new Map(exp.properties.map((p) => [p.uprn, p.postcode])),
  };
}

export function housingCandidates(db: HousingDb): CandidatePerson[] {
  return db.exp.people.map((p) => {
    const given = p.forenames.split(/\s+/).filter(Boolean);
    const tenancies = db.tenanciesOf.get(p.personRef) ?? [];
    return {
      recordId: p.personRef,
      names: [
        { given, family: p.surname, use: 'official' },
        ...p.formerSurnames.map((f) => ({ given, family: f, use: 'maiden' })),
        ...(p.knownAs ? [{ given: [p.knownAs], family: p.surname, use: 'preferred' }] : []),
      ],
      dobs: p.dateOfBirth ? [p.dateOfBirth] : [],
      sexOrGender: p.gender === 'U' ? undefined : p.gender,
      identifiers: [],
      uprns: tenancies.map((t) => t.uprn),
      postcodes: tenancies.map((t) => db.postcodeOfUprn.get(t.uprn)).filter((x): x is string => !!x),
    };
  });
}

function heldSubject(db: HousingDb, ref: string): HeldSubject {
  const p = db.people.get(ref);
  if (!p) return {};
  return compact({ names: [{ given: p.forenames.split(/\s+/).filter(Boolean), family: p.surname, use: 'official' as const }], dateOfBirth: p.dateOfBirth });
}

function arrearsBand(arrears: number): NonNullable<HousingPayload['rentArrearsBand']> {
  if (arrears <= 0) return 'NONE';
  if (arrears < 500) return 'UNDER_500';
  if (arrears <= 2000) return '500_TO_2000';
  return 'OVER_2000';
}

export function mapHousingSubject(db: HousingDb, ref: string, ctx: MapContext): MappedSubject {
  const out: HousingPayload = {};
  const withheld: Withheld[] = [];
  if (!wants(ctx, 'TENANCY')) return { sections: {}, withheld, currentInvolvement: false };
  const { asOf } = ctx;
  const current = (db.tenanciesOf.get(ref) ?? []).filter((t) => inForce(t.startDate, t.endDate, asOf)).sort((a, b) => b.startDate.localeCompare(a.startDate))[0];
  if (current) {
    out.tenure = TENURE[current.landlordType];
    out.landlordOrgId = current.landlordOrgId;
    out.propertyUprn = current.uprn;
    const perpRefs = new Set(ctx.others.filter((o) => o.role === 'PERPETRATOR').map((o) => o.recordId));
    if (ctx.role !== 'PERPETRATOR') out.jointTenancyWithPerpetrator = current.tenantRefs.includes(ref) && current.tenantRefs.some((t) => perpRefs.has(t));
    const account = db.exp.rentAccounts.find((a) => a.tenancyRef === current.tenancyRef);
    if (account && current.tenantRefs.includes(ref)) out.rentArrearsBand = arrearsBand(account.arrears);
  }
  const cases = db.exp.asbCases.filter((c) => c.parties.some((p) => p.personRef === ref));
  const open = cases.filter((c) => !c.closedOn || c.closedOn > asOf);
  if (cases.length) out.asbCasesOpen = open.length;
  const sanctuary = db.exp.sanctuaryInstallations.filter((s) => s.personRef === ref).sort((a, b) => b.referredOn.localeCompare(a.referredOn))[0];
  if (sanctuary) out.sanctuaryScheme = compact({ installed: !!sanctuary.installedOn && sanctuary.installedOn <= asOf, date: sanctuary.installedOn });
  const transfer = db.exp.transferRequests.find((t) => t.personRef === ref && t.type === 'MANAGEMENT_TRANSFER' && t.status === 'OPEN');
  if (transfer) out.managementTransferRequested = true;
  const applications = db.exp.homelessnessApplications
    .filter((a) => a.personRef === ref && (a.status === 'OPEN' || a.status === 'ACCEPTED' || withinMonths(a.appliedOn, asOf, ctx.lookbackMonths)))
    .sort((a, b) => b.appliedOn.localeCompare(a.appliedOn));
  const latest = applications[0];
  if (latest) out.homelessnessApplication = { status: latest.status, date: latest.appliedOn };
  const older = db.exp.homelessnessApplications.filter((a) => a.personRef === ref).length - applications.length;
  if (older > 0) withheld.push({ fieldPath: 'housing.homelessnessApplication', reason: 'NOT_RELEVANT_TO_CURRENT_RISK', note: `${older} closed application(s) older than the lookback not listed.` });
  const currentInvolvement = !!current || open.length > 0 || !!transfer || (latest?.status === 'OPEN');
  return { sections: { housing: out }, withheld, currentInvolvement };
}

export const housingMapping: ExportMapping<HousingDb> = {
  name: 'housing',
  agencyType: 'HOUSING',
  payloadKeys: ['housing'],
  domains: ['TENANCY'],
  load: loadHousingDb,
  candidates: housingCandidates,
  held: heldSubject,
  map: mapHousingSubject,
};
