/**
 * Generates the synthetic social care export (children's and adults'). Run:
 * `npx tsx adapters/social-care/data/generate.ts`.
 */
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { generatePopulation, type Population, type SynthPerson } from '../../sdk/synthetic/population.js';
import { addDays, addMonths, ageOn, createRng, randomDateBetween, type Rng } from '../../sdk/synthetic/prng.js';
import { recordIdentity } from '../../sdk/synthetic/noise.js';
import { background, householdPeople, keyMaker } from '../../sdk/synthetic/pick.js';
import { writeDataSet, type GeneratedDataSet, type Truth } from '../../sdk/synthetic/output.js';
import type { AdultRecord, ChildRecord, SocialCareExport } from '../native.js';

const WORKERS = ['A. Holloway', 'B. Kettering', 'C. Lomax', 'D. Mirza', 'E. Norbury', 'F. Okonjo'];
const TEAMS = ['Assessment team North', 'Child in need team', 'Child protection team', 'Children in care team'];

export function generateSocialCareData(pop: Population): GeneratedDataSet {
  const rng = createRng(`${pop.seed}:social-care`);
  const anchor = pop.anchor;
  const adultRefKey = keyMaker('CSA');
  const ascKey = keyMaker('ASC');
  const out: SocialCareExport = { format: 'SOCIAL-CARE-EXPORT', version: '1.0', localAuthority: 'Fenbridge Council (fictional)', exportedAt: `${anchor}T04:00:00Z`, children: [], involvedAdults: [], adults: [] };
  const truth: Truth = { generatedBy: 'adapters/social-care/data/generate.ts', seed: pop.seed, anchor, records: {} };

  const child = (p: SynthPerson, status: string, r: Rng): ChildRecord => {
    const id = recordIdentity(r, p, { nickname: 0.03, typoFamily: 0.02, typoGiven: 0.03, swappedDob: 0.02, aliasAsMain: 0, dropMiddle: 0.3 });
    const since = randomDateBetween(r, p.dob > addMonths(anchor, -30) ? p.dob : addMonths(anchor, -30), addMonths(anchor, -1));
    const c: ChildRecord = {
      childId: p.laChildId!, ...(r.chance(0.7) ? { nhsNumber: p.nhsNumber } : {}),
      forename: id.given[0]!, ...(id.given.length > 1 ? { middleNames: id.given.slice(1).join(' ') } : {}),
      surname: id.family, dateOfBirth: id.dob, sex: p.sex,
      referrals: [{ date: since, source: r.pick(['POLICE', 'HEALTH', 'SCHOOL', 'OTHER'] as const) }],
      assessments: [], s47Enquiries: [], cpPlans: [], cinPlans: [], lookedAfter: [], earlyHelp: [],
    };
    const assessed = addDays(since, r.int(10, 45));
    if (status !== 'EARLY_HELP') c.assessments.push({ completedOn: assessed <= anchor ? assessed : anchor, factors: r.chance(0.8) ? ['3B', ...(r.chance(0.3) ? ['3A'] : [])] : ['2A'] });
    if (status === 'EARLY_HELP') c.earlyHelp.push({ startDate: since });
    if (status === 'CIN') c.cinPlans.push({ startDate: addDays(since, 50) <= anchor ? addDays(since, 50) : since });
    if (status === 'CPP' || status === 'CLA') {
      const s47 = addDays(since, r.int(1, 10));
      c.s47Enquiries.push({ startedOn: s47 <= anchor ? s47 : since, outcome: 'ICPC' });
      const planStart = addDays(since, 15) <= anchor ? addDays(since, 15) : since;
      c.cpPlans.push({ startDate: planStart, ...(status === 'CLA' ? { endDate: addDays(planStart, 60) <= anchor ? addDays(planStart, 60) : anchor } : {}), category: r.pickWeighted([['EMOTIONAL', 5], ['NEGLECT', 3], ['PHYSICAL', 2], ['MULTIPLE', 1], ['SEXUAL', 0.3]] as const) });
    }
    if (status === 'CLA') {
      const start = c.cpPlans[0]!.endDate!;
      c.lookedAfter.push({ startDate: start, legalStatus: r.pick(['C2', 'V2', 'E1'] as const) });
    }
    if (status === 'NONE') {
      // Known before: a closed CIN episode from years ago.
      const old = randomDateBetween(r, p.dob > addMonths(anchor, -72) ? p.dob : addMonths(anchor, -72), addMonths(anchor, -25));
      c.referrals = [{ date: old, source: 'OTHER' }];
      c.cinPlans.push({ startDate: old, endDate: addMonths(old, 6) < anchor ? addMonths(old, 6) : anchor });
    } else {
      c.allocatedWorker = { name: r.pick(WORKERS), team: r.pick(TEAMS), phone: `01632 960${r.int(100, 999)}` };
    }
    truth.records[c.childId] = { personId: p.personId, distortions: id.distortions };
    return c;
  };

  const adultRecord = (p: SynthPerson, r: Rng, needs: boolean, daConcern: boolean): AdultRecord => {
    const id = recordIdentity(r, p);
    const adultId = ascKey();
    const rec: AdultRecord = {
      adultId, forename: id.given.join(' '), surname: id.family, formerSurnames: id.aliases.filter((a) => a.use === 'maiden').map((a) => a.family!),
      dateOfBirth: id.dob, sex: p.sex, ...(r.chance(0.8) ? { nhsNumber: p.nhsNumber } : {}),
      careAndSupportNeeds: needs, ...(needs ? { primarySupportReason: r.pick(['PHYSICAL', 'MENTAL_HEALTH', 'LEARNING_DISABILITY', 'MEMORY_COGNITION', 'SENSORY'] as const) } : {}),
      services: needs ? [{ type: r.pick(['HOME_CARE', 'DAY_SERVICE', 'DIRECT_PAYMENT'] as const), startDate: randomDateBetween(r, addMonths(anchor, -60), addMonths(anchor, -1)) }] : [],
      s42Enquiries: [], capacityAssessments: [],
    };
    if (daConcern && r.chance(0.65)) {
      const openedOn = randomDateBetween(r, addMonths(anchor, -10), addMonths(anchor, -1));
      const closed = r.chance(0.5);
      rec.s42Enquiries.push({ openedOn, concernType: 'DOMESTIC_ABUSE', ...(closed ? { closedOn: addDays(openedOn, 40) <= anchor ? addDays(openedOn, 40) : anchor, outcome: r.pick(['RISK_REDUCED', 'RISK_REMAINS', 'RISK_REMOVED'] as const) } : {}) });
    } else if (r.chance(0.1)) {
      const openedOn = randomDateBetween(r, addMonths(anchor, -48), addMonths(anchor, -14));
      rec.s42Enquiries.push({ openedOn, closedOn: addDays(openedOn, 30), concernType: r.pick(['FINANCIAL', 'NEGLECT'] as const), outcome: 'NO_FURTHER_ACTION' });
    }
    if (needs && r.chance(0.25)) rec.capacityAssessments.push({ date: randomDateBetween(r, addMonths(anchor, -12), anchor), decision: 'Managing finances (fictional)', lacksCapacity: r.chance(0.5) });
    truth.records[adultId] = { personId: p.personId, distortions: id.distortions };
    return rec;
  };

  for (const hp of householdPeople(pop)) {
    const { household: h, victim, perpetrator, children, otherAdults } = hp;
    const s = h.story;
    const r = rng.fork(h.householdId);
    const known = children.filter(() => (s.childrenStatus === 'NONE' ? r.chance(0.3) : r.chance(0.95)));
    const kids = known.map((c) => child(c, s.childrenStatus, r));
    out.children.push(...kids);
    const pregnantPlan = s.victimPregnant && r.chance(0.5);
    if (kids.length || pregnantPlan) {
      const vid = recordIdentity(r, victim);
      const vRef = adultRefKey();
      out.involvedAdults.push({
        adultRef: vRef, forename: vid.given.join(' '), surname: vid.family, formerSurnames: vid.aliases.filter((a) => a.use === 'maiden').map((a) => a.family!),
        ...(r.chance(0.95) ? { dateOfBirth: vid.dob } : {}), sex: victim.sex, ...(r.chance(0.4) ? { nhsNumber: victim.nhsNumber } : {}),
        children: kids.map((k) => ({ childId: k.childId, relationship: victim.sex === 'F' ? 'MOTHER' as const : 'FATHER' as const })),
        ...(pregnantPlan ? { preBirth: { startedOn: randomDateBetween(r, addMonths(anchor, -3), anchor), edd: randomDateBetween(r, addDays(anchor, 20), addMonths(anchor, 6)), plan: r.pick(['UNBORN_CPP', 'CIN'] as const) } } : {}),
      });
      truth.records[vRef] = { personId: victim.personId, distortions: vid.distortions };
      if (r.chance(0.7)) {
        const pid = recordIdentity(r, perpetrator);
        const pRef = adultRefKey();
        out.involvedAdults.push({
          adultRef: pRef, forename: pid.given.join(' '), surname: pid.family, formerSurnames: [],
          ...(r.chance(0.85) ? { dateOfBirth: pid.dob } : {}), sex: perpetrator.sex,
          children: kids.map((k) => ({ childId: k.childId, relationship: s.relationship === 'FAMILY_MEMBER' ? 'CARER' as const : perpetrator.sex === 'M' ? 'FATHER' as const : 'MOTHER' as const })),
        });
        truth.records[pRef] = { personId: perpetrator.personId, distortions: pid.distortions };
      }
    }
    if (s.victimHasCareNeeds) out.adults.push(adultRecord(victim, r, true, true));
    for (const o of otherAdults) out.adults.push(adultRecord(o, r, r.chance(0.8), r.chance(0.3)));
  }
  for (const p of background(pop)) {
    const r = rng.fork(p.personId);
    if (!r.chance(0.55)) continue;
    out.adults.push(adultRecord(p, r, ageOn(p.dob, anchor) > 65 ? r.chance(0.8) : r.chance(0.4), false));
  }
  return { files: { 'social-care-export.json': out }, truth };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(writeDataSet(dirname(fileURLToPath(import.meta.url)), generateSocialCareData(generatePopulation())).join('\n'));
}
