/**
 * Generates the synthetic probation export. Run: `npx tsx adapters/probation/data/generate.ts`.
 */
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { generatePopulation, type HouseholdStory, type Population, type SynthPerson } from '../../sdk/synthetic/population.js';
import { addMonths, createRng, randomDateBetween, type Rng } from '../../sdk/synthetic/prng.js';
import { recordIdentity } from '../../sdk/synthetic/noise.js';
import { background, householdPeople } from '../../sdk/synthetic/pick.js';
import { writeDataSet, type GeneratedDataSet, type Truth } from '../../sdk/synthetic/output.js';
import type { ProbationCase, ProbationExport, RoshLevel } from '../native.js';

const MANAGERS = ['G. Pascoe', 'H. Quinlan', 'I. Rutter', 'J. Sandhu', 'K. Trelawney'];
const LEVELS: readonly RoshLevel[] = ['LOW', 'MEDIUM', 'HIGH', 'VERY_HIGH'];

export function generateProbationData(pop: Population): GeneratedDataSet {
  const rng = createRng(`${pop.seed}:probation`);
  const anchor = pop.anchor;
  const out: ProbationExport = { format: 'PROBATION-EXPORT', version: '1.0', region: 'Fictional PDU East', exportedAt: `${anchor}T03:00:00Z`, cases: [] };
  const truth: Truth = { generatedBy: 'adapters/probation/data/generate.ts', seed: pop.seed, anchor, records: {} };
  let crnSeq = 0;

  const add = (p: SynthPerson, r: Rng, story: HouseholdStory | undefined, active: boolean) => {
    const id = recordIdentity(r, p);
    const crn = `Z9${String(++crnSeq).padStart(5, '0')}`;
    const da = !!story;
    const start = active ? randomDateBetween(r, addMonths(anchor, -20), addMonths(anchor, -1)) : randomDateBetween(r, addMonths(anchor, -84), addMonths(anchor, -26));
    const sentenceType = r.pickWeighted([['LICENCE', 3], ['COMMUNITY_ORDER', 4], ['SUSPENDED_SENTENCE', 2], ['PSS', 1]] as const);
    const end = active ? undefined : addMonths(start, r.int(6, 24));
    const base = da ? (story!.severity as number) : r.int(0, 1);
    const lvl = (bump: number) => LEVELS[Math.max(0, Math.min(3, base + bump))]!;
    const knownAdult = lvl(da ? 0 : -1);
    const children = lvl(da && story!.childrenStatus !== 'NONE' ? -1 : -2);
    const publicL = lvl(-1);
    const staff = lvl(-2);
    const overall = [knownAdult, children, publicL, staff].sort((a, b) => LEVELS.indexOf(b) - LEVELS.indexOf(a))[0]!;
    const c: ProbationCase = {
      crn, forename: id.given[0]!, ...(id.given.length > 1 ? { middleNames: id.given.slice(1).join(' ') } : {}), surname: id.family,
      aliases: id.aliases.map((a) => ({ forename: a.given?.[0] ?? id.given[0]!, surname: a.family! })),
      dateOfBirth: id.dob, sex: p.sex, ...(p.pncId && r.chance(0.95) ? { pncId: p.pncId } : {}),
      ...(sentenceType === 'LICENCE' ? { nomsNumber: `Z${r.int(1000, 9999)}ZZ` } : {}),
      events: [{
        eventNumber: 1, offenceCategory: da ? r.pickWeighted([['DA_VIOLENCE', 6], ['STALKING', 1], ['VIOLENCE', 2]] as const) : r.pick(['ACQUISITIVE', 'DRUGS', 'VIOLENCE', 'OTHER'] as const),
        offenceDescription: 'Index offence (fictional)', sentenceType, startDate: start, ...(end ? { endDate: end } : {}), active,
      }],
      requirements: [],
      registrations: da ? [{ type: 'DOMESTIC_ABUSE_PERPETRATOR', date: start }] : [],
      rosh: { assessedOn: randomDateBetween(r, start, active ? anchor : end!), overall, knownAdult, children, public: publicL, staff },
      oasysScores: { ogrs3: r.int(5, 95), ovp: r.int(5, 90), ogp: r.int(5, 90) },
      contacts: active ? { last3mAttended: r.int(0, 12), last3mMissed: r.int(0, 4) } : { last3mAttended: 0, last3mMissed: 0 },
      breaches: [],
      offenderManager: { name: r.pick(MANAGERS), team: 'Fenbridge probation team', phone: `01632 960${r.int(100, 999)}` },
    };
    const reqs: ProbationCase['requirements'][number]['code'][] = da
      ? r.sample(['NO_CONTACT_NAMED', 'EXCLUSION_ZONE', 'BBR', 'CURFEW', 'DISCLOSE_RELATIONSHIPS', 'RAR', 'UNPAID_WORK', ...(story!.perpSubstanceMisuse ? ['DRUG_TEST' as const, 'ALCOHOL_TREATMENT' as const] : []), ...(sentenceType === 'LICENCE' ? ['RESIDE_AP' as const] : []), ...(story!.childrenStatus !== 'NONE' ? ['NO_CONTACT_CHILDREN' as const] : [])], r.int(2, 5))
      : r.sample(['UNPAID_WORK', 'RAR', 'CURFEW', 'DRUG_TEST'] as const, r.int(1, 2));
    c.requirements = reqs.map((code) => ({ code, startDate: start, ...(end ? { endDate: end } : {}) }));
    if (story?.severity === 3 && r.chance(0.4)) c.registrations.push({ type: 'MAPPA', date: start });
    if (overall === 'HIGH' || overall === 'VERY_HIGH') c.registrations.push({ type: 'HIGH_ROSH', date: c.rosh!.assessedOn });
    if (active && r.chance(0.25)) {
      const date = randomDateBetween(r, start, anchor);
      const type = sentenceType === 'LICENCE' && r.chance(0.4) ? 'RECALL' as const : r.pick(['WARNING', 'BREACH'] as const);
      c.breaches.push({ date, type, outcome: type === 'RECALL' ? 'Recalled to custody (fictional)' : type === 'BREACH' ? 'Breach proceedings started (fictional)' : 'Formal warning issued (fictional)' });
    }
    out.cases.push(c);
    truth.records[crn] = { personId: p.personId, distortions: id.distortions };
  };

  for (const hp of householdPeople(pop)) {
    const r = rng.fork(hp.household.householdId);
    const s = hp.household.story;
    if (s.perpOnProbation) add(hp.perpetrator, r, s, true);
    else if (hp.perpetrator.pncId && r.chance(0.35)) add(hp.perpetrator, r, s, false);
  }
  for (const p of background(pop)) {
    const r = rng.fork(p.personId);
    if (p.pncId && r.chance(0.85)) add(p, r, undefined, r.chance(0.5));
    else if (!p.pncId && r.chance(0.05)) add(p, r, undefined, false);
  }
  return { files: { 'probation-export.json': out }, truth };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(writeDataSet(dirname(fileURLToPath(import.meta.url)), generateProbationData(generatePopulation())).join('\n'));
}
