/**
 * Generates the synthetic IDVA service export. Run: `npx tsx adapters/idva/data/generate.ts`.
 * Phone numbers come from the Ofcom drama range (07700 900000–900999).
 */
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { generatePopulation, type Population } from '../../sdk/synthetic/population.js';
import { addDays, addMonths, createRng, randomDateBetween } from '../../sdk/synthetic/prng.js';
import { recordIdentity } from '../../sdk/synthetic/noise.js';
import { householdPeople, keyMaker } from '../../sdk/synthetic/pick.js';
import { writeDataSet, type GeneratedDataSet, type Truth } from '../../sdk/synthetic/output.js';
import type { IdvaClient, IdvaExport } from '../native.js';

const VIEWS = [
  'I want him to stop contacting me and the children. I am scared when he turns up at the school.',
  'I do not want to go to court but I want to feel safe at home.',
  'I want to stay in the area near my family; moving away would isolate me.',
  'I am worried about what happens when his bail ends.',
  'I want the police to take the messages seriously.',
  'I want help with money and the tenancy so I can stay on my own.',
];
const WANTS = [
  'Sanctuary measures at home and a marker on the address.',
  'Support to apply for a non-molestation order.',
  'A safe route for the children to contact their father, or none.',
  'Help with a management transfer.',
  'To know that all agencies are talking to each other.',
];
const SAFE_TIMES = ['Weekdays 10:00-12:00', 'Tuesday and Thursday after 13:00', 'Mornings only, not weekends', 'Any time before 15:00 on weekdays'];

export function generateIdvaData(pop: Population): GeneratedDataSet {
  const rng = createRng(`${pop.seed}:idva`);
  const anchor = pop.anchor;
  const clientKey = keyMaker('IDV', 5);
  const out: IdvaExport = { format: 'IDVA-EXPORT', version: '1.0', service: 'Safe Harbour IDVA Service (fictional)', exportedAt: `${anchor}T07:00:00Z`, clients: [] };
  const truth: Truth = { generatedBy: 'adapters/idva/data/generate.ts', seed: pop.seed, anchor, records: {} };
  for (const hp of householdPeople(pop)) {
    const s = hp.household.story;
    const r = rng.fork(hp.household.householdId);
    if (!s.idvaEngaged && !r.chance(0.3)) continue;
    const v = hp.victim;
    // Victims give the IDVA the name they use now; a typo is rarer than in statutory systems.
    const id = recordIdentity(r, v, { nickname: 0.15, typoFamily: 0.02, typoGiven: 0.01, swappedDob: 0.01, aliasAsMain: 0.01, dropMiddle: 0.7 });
    const ref = clientKey();
    const referred = randomDateBetween(r, addMonths(anchor, -14), addDays(anchor, -5));
    const closed = r.chance(0.25);
    const attempts: IdvaClient['contactAttempts'] = [];
    let d = addDays(referred, r.int(0, 2));
    for (let i = 0, n = r.int(1, 6); i < n && d <= anchor; i++) {
      attempts.push({ date: d, method: r.pick(['PHONE', 'IN_PERSON', 'TEXT'] as const), outcome: s.idvaEngaged ? r.pickWeighted([['CONTACTED', 4], ['NO_ANSWER', 2]] as const) : 'NO_ANSWER' });
      d = addDays(d, r.int(2, 21));
    }
    const contacted = attempts.some((a) => a.outcome === 'CONTACTED');
    const dashBase = s.severity === 1 ? 10 : s.severity === 2 ? 14 : 17;
    const c: IdvaClient = {
      clientRef: ref, firstName: id.given[0]!, lastName: id.family,
      otherNames: id.aliases.map((a) => ({ firstName: a.given?.[0] ?? id.given[0]!, lastName: a.family! })),
      ...(r.chance(0.92) ? { dateOfBirth: id.dob } : {}),
      gender: v.sex,
      ...(r.chance(0.6) ? { postcode: v.address.postcode } : {}),
      referral: { date: referred, source: r.pickWeighted([['POLICE', 5], ['MARAC', 2], ['HEALTH', 1], ['SELF', 1], ['HOUSING', 1]] as const) },
      status: closed ? 'CLOSED' : 'OPEN',
      ...(closed ? { closedOn: d <= anchor ? d : anchor } : {}),
      contactAttempts: attempts,
      dash: contacted ? [{ date: attempts.find((a) => a.outcome === 'CONTACTED')!.date, score: Math.min(24, Math.max(0, dashBase + r.int(-3, 5))), version: 'SAFELIVES_24Q' }] : [],
      ...(contacted ? { views: r.pick(VIEWS), wantsFromMarac: r.pick(WANTS) } : {}),
      safetyPlan: contacted ? { inPlace: r.chance(0.8), reviewedOn: attempts[attempts.length - 1]!.date } : { inPlace: false },
      ...(contacted ? { safeContact: { phone: `07700 900${String(r.int(0, 999)).padStart(3, '0')}`, safeTimes: r.pick(SAFE_TIMES), safeToLeaveMessage: r.chance(0.3) } } : {}),
      ...(r.chance(0.08) ? { immigration: { nrpf: true } } : r.chance(0.5) ? { immigration: { nrpf: false } } : {}),
      ...(v.interpreterLanguage ? { interpreterLanguage: v.interpreterLanguage } : {}),
    };
    out.clients.push(c);
    truth.records[ref] = { personId: v.personId, distortions: id.distortions };
  }
  return { files: { 'idva-export.json': out }, truth };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(writeDataSet(dirname(fileURLToPath(import.meta.url)), generateIdvaData(generatePopulation())).join('\n'));
}
