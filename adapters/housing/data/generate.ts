/**
 * Generates the synthetic housing management export. Run: `npx tsx adapters/housing/data/generate.ts`.
 */
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { generatePopulation, type Population, type SynthAddress, type SynthPerson } from '../../sdk/synthetic/population.js';
import { addMonths, createRng, randomDateBetween, type Rng } from '../../sdk/synthetic/prng.js';
import { recordIdentity } from '../../sdk/synthetic/noise.js';
import { background, householdPeople, keyMaker } from '../../sdk/synthetic/pick.js';
import { writeDataSet, type GeneratedDataSet, type Truth } from '../../sdk/synthetic/output.js';
import type { HousingExport, Tenancy } from '../native.js';

const COUNCIL = 'fenbridge-council-housing';
const RSLS = ['larkspur-homes', 'heronsgate-housing-association'];
const TA_PROVIDER = 'fenbridge-temporary-accommodation';
const REFUGE_PROVIDER = 'safe-harbour-refuges';

export function generateHousingData(pop: Population): GeneratedDataSet {
  const rng = createRng(`${pop.seed}:housing`);
  const anchor = pop.anchor;
  const personKey = keyMaker('HP');
  const tenancyKey = keyMaker('TEN');
  const caseKey = keyMaker('ASB', 5);
  const appKey = keyMaker('HOM', 5);
  const out: HousingExport = {
    format: 'HOUSING-EXPORT', version: '1.0', exportedAt: `${anchor}T05:00:00Z`,
    people: [], properties: [], tenancies: [], rentAccounts: [], asbCases: [], sanctuaryInstallations: [], homelessnessApplications: [], transferRequests: [],
  };
  const truth: Truth = { generatedBy: 'adapters/housing/data/generate.ts', seed: pop.seed, anchor, records: {} };
  const refOf = new Map<string, string>();
  const seenUprn = new Set<string>();

  const person = (p: SynthPerson, r: Rng): string => {
    const hit = refOf.get(p.personId);
    if (hit) return hit;
    const id = recordIdentity(r, p);
    const ref = personKey();
    const known = id.aliases.find((a) => a.use === 'preferred')?.given?.[0];
    out.people.push({
      personRef: ref, forenames: id.given.join(' '), surname: id.family,
      formerSurnames: id.aliases.filter((a) => a.use === 'maiden').map((a) => a.family!),
      ...(known ? { knownAs: known } : {}),
      // Housing often lacks a DOB for household members who are not tenants.
      ...(r.chance(p.role === 'CHILD' ? 0.85 : 0.97) ? { dateOfBirth: id.dob } : {}),
      gender: p.sex,
    });
    refOf.set(p.personId, ref);
    truth.records[ref] = { personId: p.personId, distortions: id.distortions };
    return ref;
  };
  const property = (a: SynthAddress, r: Rng, type?: HousingExport['properties'][number]['propertyType']) => {
    if (seenUprn.has(a.uprn)) return;
    seenUprn.add(a.uprn);
    out.properties.push({ uprn: a.uprn, addressLines: [...a.lines, a.town], postcode: a.postcode, propertyType: type ?? r.pick(['FLAT', 'HOUSE'] as const) });
  };
  const tenancy = (t: Omit<Tenancy, 'tenancyRef'>, r: Rng): Tenancy => {
    const full = { tenancyRef: tenancyKey(), ...t };
    out.tenancies.push(full);
    const band = r.pickWeighted([[0, 6], [1, 2], [2, 1.5], [3, 0.5]] as const);
    const arrears = band === 0 ? 0 : band === 1 ? r.int(20, 499) : band === 2 ? r.int(500, 1999) : r.int(2000, 6000);
    if (!t.endDate) out.rentAccounts.push({ tenancyRef: full.tenancyRef, arrears, asOf: anchor });
    return full;
  };
  const socialLandlord = (r: Rng) => (r.chance(0.6) ? { landlordType: 'COUNCIL' as const, landlordOrgId: COUNCIL, tenancyType: 'SECURE' as const } : { landlordType: 'RSL' as const, landlordOrgId: r.pick(RSLS), tenancyType: 'ASSURED' as const });

  for (const hp of householdPeople(pop)) {
    const { household: h, victim, perpetrator, children } = hp;
    const s = h.story;
    const r = rng.fork(h.householdId);
    if (!r.chance(0.72)) continue;
    const home = victim.previousAddresses[0] ?? victim.address;
    const vRef = person(victim, r);
    const childRefs = children.filter(() => r.chance(0.8)).map((c) => person(c, r));
    const pRef = s.jointTenancy || r.chance(0.35) ? person(perpetrator, r) : undefined;
    property(home, r);
    const start = randomDateBetween(r, addMonths(anchor, -120), addMonths(anchor, -6));
    tenancy({
      uprn: home.uprn, ...socialLandlord(r), startDate: start,
      endDate: s.victimInRefuge ? randomDateBetween(r, addMonths(anchor, -5), addMonths(anchor, -1)) : undefined,
      tenantRefs: s.jointTenancy && pRef ? [vRef, pRef] : [vRef],
      householdMembers: [
        ...(!s.jointTenancy && pRef && s.relationship === 'PARTNER' ? [{ personRef: pRef, relationship: 'PARTNER' as const }] : []),
        ...childRefs.map((c) => ({ personRef: c, relationship: 'CHILD' as const })),
      ],
    }, r);
    if (s.victimInRefuge) {
      const appliedOn = randomDateBetween(r, addMonths(anchor, -6), addMonths(anchor, -1));
      out.homelessnessApplications.push({ applicationRef: appKey(), personRef: vRef, appliedOn, reason: 'DOMESTIC_ABUSE', status: r.pick(['OPEN', 'ACCEPTED'] as const) });
      property(victim.address, r, 'HOSTEL_ROOM');
      const refuge = r.chance(0.6);
      tenancy({
        uprn: victim.address.uprn, landlordType: refuge ? 'REFUGE_PROVIDER' : 'TEMPORARY_ACCOMMODATION', landlordOrgId: refuge ? REFUGE_PROVIDER : TA_PROVIDER,
        tenancyType: refuge ? 'REFUGE_LICENCE' : 'LICENCE', startDate: appliedOn, tenantRefs: [vRef],
        householdMembers: childRefs.map((c) => ({ personRef: c, relationship: 'CHILD' as const })),
      }, r);
    } else {
      if (s.severity >= 2 && r.chance(0.35)) {
        const referredOn = randomDateBetween(r, addMonths(anchor, -12), addMonths(anchor, -1));
        out.sanctuaryInstallations.push({ uprn: home.uprn, personRef: vRef, referredOn, ...(r.chance(0.8) ? { installedOn: randomDateBetween(r, referredOn, anchor) } : {}) });
      }
      if (r.chance(0.15)) out.transferRequests.push({ personRef: vRef, requestedOn: randomDateBetween(r, addMonths(anchor, -9), anchor), type: 'MANAGEMENT_TRANSFER', status: 'OPEN' });
      if (r.chance(0.05)) out.homelessnessApplications.push({ applicationRef: appKey(), personRef: vRef, appliedOn: randomDateBetween(r, addMonths(anchor, -36), addMonths(anchor, -13)), reason: 'DOMESTIC_ABUSE', status: 'CLOSED' });
    }
    if (pRef && s.relationship === 'EX_PARTNER' && !s.jointTenancy) {
      property(perpetrator.address, r);
      tenancy({ uprn: perpetrator.address.uprn, ...socialLandlord(r), startDate: randomDateBetween(r, addMonths(anchor, -60), addMonths(anchor, -2)), tenantRefs: [pRef], householdMembers: [] }, r);
    }
    if (pRef && r.chance(0.15)) {
      const openedOn = randomDateBetween(r, addMonths(anchor, -18), anchor);
      out.asbCases.push({
        caseRef: caseKey(), openedOn, ...(r.chance(0.5) ? { closedOn: randomDateBetween(r, openedOn, anchor) } : {}),
        category: r.pick(['HARASSMENT', 'VERBAL_ABUSE', 'CRIMINAL_DAMAGE', 'DOMESTIC_ABUSE'] as const),
        parties: [{ personRef: pRef, role: 'ALLEGED_PERPETRATOR' }, ...(r.chance(0.5) ? [{ personRef: vRef, role: 'COMPLAINANT' as const }] : [])],
      });
    }
  }
  for (const p of background(pop)) {
    const r = rng.fork(p.personId);
    if (!r.chance(0.6)) continue;
    const ref = person(p, r);
    property(p.address, r);
    tenancy({ uprn: p.address.uprn, ...socialLandlord(r), startDate: randomDateBetween(r, addMonths(anchor, -240), addMonths(anchor, -1)), tenantRefs: [ref], householdMembers: [] }, r);
    if (r.chance(0.08)) {
      const openedOn = randomDateBetween(r, addMonths(anchor, -24), anchor);
      out.asbCases.push({ caseRef: caseKey(), openedOn, category: r.pick(['NOISE', 'OTHER'] as const), parties: [{ personRef: ref, role: r.pick(['COMPLAINANT', 'ALLEGED_PERPETRATOR'] as const) }] });
    }
  }
  return { files: { 'housing-export.json': out }, truth };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(writeDataSet(dirname(fileURLToPath(import.meta.url)), generateHousingData(generatePopulation())).join('\n'));
}
