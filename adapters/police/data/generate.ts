/**
 * Generates the synthetic police export (POLE-shaped) from the shared fictional population.
 * Run: `npx tsx adapters/police/data/generate.ts` (writes police-export.json and truth.json here).
 */
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { generatePopulation, type Population, type SynthPerson } from '../../sdk/synthetic/population.js';
import { addDays, addMonths, createRng, randomDateBetween, type Rng } from '../../sdk/synthetic/prng.js';
import { recordIdentity } from '../../sdk/synthetic/noise.js';
import { background, householdPeople, keyMaker } from '../../sdk/synthetic/pick.js';
import { writeDataSet, type GeneratedDataSet, type Truth } from '../../sdk/synthetic/output.js';
import type { PoleEvent, PoleEventCategory, PolePerson, PoliceExport } from '../native.js';

const DA_SUMMARIES: Record<string, string[]> = {
  DA_ASSAULT: [
    'Victim reports being pushed against a wall during an argument; suspect left before officers arrived.',
    'Victim has a cut lip; states suspect struck her after drinking. Body-worn video captured injuries.',
    'Neighbour called reporting screaming; victim had bruising to upper arms, declined to give a statement.',
  ],
  DA_HARASSMENT: [
    'Victim reports repeated calls and messages from suspect after separation; screenshots provided.',
    'Suspect attended victim address uninvited three times in a week; words of advice given.',
  ],
  DA_VERBAL: ['Verbal argument between partners over finances; no offences disclosed; DASH completed.', 'Loud argument reported by neighbours; both parties calm on arrival.'],
  DA_SEXUAL: ['Victim disclosed sexual assault by suspect during the relationship; specialist officer assigned.'],
  STALKING: ['Suspect seen repeatedly outside victim workplace; tracking device found on victim car.', 'Victim reports suspect creating social media accounts to monitor her.'],
  CONTROLLING_COERCIVE: ['Victim describes suspect controlling her money and phone and isolating her from family.'],
  NON_FATAL_STRANGULATION: ['Victim reports suspect put his hands around her neck until she felt faint; petechiae noted.'],
  THREATS_TO_KILL: ['Suspect sent a message saying he would kill the victim if she left; victim in fear.'],
  BREACH_OF_ORDER: ['Suspect contacted victim in breach of a non-molestation order; arrested at the scene.'],
  CRIMINAL_DAMAGE: ['Suspect smashed the front door glass at victim address after being refused entry.'],
};
const OTHER_SUMMARIES: Record<string, string[]> = {
  THEFT: ['Shoplifting of alcohol from a convenience store; identified on CCTV.'],
  PUBLIC_ORDER: ['Disturbance outside licensed premises; subject dispersed.'],
  DRUGS: ['Subject found in possession of a small quantity of cannabis; community resolution.'],
  ASB: ['Youths causing annoyance on a recreation ground; subject named by residents.'],
  CONCERN_FOR_WELFARE: ['Family concerned subject had not been seen for two days; found safe and well.'],
};

const DA_CATEGORIES: readonly (readonly [PoleEventCategory, number])[] = [
  ['DA_ASSAULT', 5], ['DA_HARASSMENT', 3], ['DA_VERBAL', 4], ['STALKING', 2], ['CONTROLLING_COERCIVE', 2],
  ['NON_FATAL_STRANGULATION', 1], ['THREATS_TO_KILL', 1], ['BREACH_OF_ORDER', 1], ['CRIMINAL_DAMAGE', 2], ['DA_SEXUAL', 1],
];
const CRIME_CATEGORIES = new Set<PoleEventCategory>([
  'DA_ASSAULT', 'DA_SEXUAL', 'STALKING', 'CONTROLLING_COERCIVE', 'NON_FATAL_STRANGULATION', 'THREATS_TO_KILL', 'BREACH_OF_ORDER', 'CRIMINAL_DAMAGE', 'THEFT', 'DRUGS',
]);
const OFFICERS = ['DC Ashdown', 'DC Brightwell', 'PC Corrigan', 'DS Dunmore', 'DC Elsworth', 'PC Farrant'];

export function generatePoliceData(pop: Population): GeneratedDataSet {
  const rng = createRng(`${pop.seed}:police`);
  const anchor = pop.anchor;
  const personKey = keyMaker('PER');
  const locationKey = keyMaker('LOC');
  const eventKey = keyMaker('EVT');
  const objectKey = keyMaker('OBJ');
  const orderKey = keyMaker('ORD');
  let crimeSeq = 10000;
  const out: PoliceExport = {
    format: 'POLE-EXPORT', version: '1.0', force: 'Fictional Constabulary (synthetic)', exportedAt: `${anchor}T06:00:00Z`,
    persons: [], locations: [], objects: [], events: [], convictions: [], orders: [], bail: [], markers: [],
    dvdsDisclosures: [], mappa: [], addressAlerts: [],
  };
  const truth: Truth = { generatedBy: 'adapters/police/data/generate.ts', seed: pop.seed, anchor, records: {} };
  const refOf = new Map<string, string>();
  const locOfUprn = new Map<string, string>();

  const location = (a: SynthPerson['address']): string => {
    const hit = locOfUprn.get(a.uprn);
    if (hit) return hit;
    const ref = locationKey();
    // Police hold the UPRN for most addresses geocoded at the incident.
    out.locations.push({ locationRef: ref, uprn: rng.chance(0.85) ? a.uprn : undefined, addressLines: [...a.lines, a.town], postcode: a.postcode });
    locOfUprn.set(a.uprn, ref);
    return ref;
  };

  const addPerson = (p: SynthPerson, r: Rng): string => {
    const existing = refOf.get(p.personId);
    if (existing) return existing;
    const id = recordIdentity(r, p);
    const ref = personKey();
    const person: PolePerson = {
      personRef: ref,
      names: [
        { givenName: id.given, surname: id.family, nameType: 'PRIMARY' },
        ...id.aliases.map((a) => ({ givenName: a.given ?? id.given, surname: a.family!, nameType: a.use === 'maiden' ? 'MAIDEN' as const : a.use === 'preferred' ? 'PREFERRED' as const : 'ALIAS' as const })),
      ],
      gender: p.sex === 'F' ? 'GNDR_0001' : 'GNDR_0002',
      dateOfBirth: id.dob,
      alternativeDatesOfBirth: id.altDobs,
      // Victims with no record of offending have no PNC id at all.
      pncId: p.pncId && r.chance(0.97) ? p.pncId : undefined,
      addresses: [
        // A confidential (refuge) address is often not yet known to the force.
        ...(!p.addressConfidential || r.chance(0.5) ? [{ locationRef: location(p.address), current: true }] : []),
        ...p.previousAddresses.map((a) => ({ locationRef: location(a), current: false })),
      ],
    };
    out.persons.push(person);
    refOf.set(p.personId, ref);
    truth.records[ref] = { personId: p.personId, distortions: id.distortions };
    return ref;
  };

  const summary = (cat: PoleEventCategory) => r0(rng, DA_SUMMARIES[cat] ?? OTHER_SUMMARIES[cat] ?? ['Incident recorded.']);

  for (const hp of householdPeople(pop)) {
    const { household: h, victim, perpetrator, children } = hp;
    const s = h.story;
    const known = rng.chance(0.9);
    if (!known) continue;
    const r = rng.fork(h.householdId);
    const vRef = addPerson(victim, r);
    const pRef = addPerson(perpetrator, r);
    const childRefs = children.filter(() => r.chance(0.25)).map((c) => addPerson(c, r));
    const loc = location(victim.previousAddresses[0] ?? victim.address);
    const nEvents = s.severity === 1 ? r.int(1, 3) : s.severity === 2 ? r.int(2, 6) : r.int(4, 10);
    const dates = Array.from({ length: nEvents }, () =>
      r.chance(0.6) ? randomDateBetween(r, addMonths(anchor, -12), addDays(anchor, -3)) : randomDateBetween(r, addMonths(anchor, -48), addMonths(anchor, -12)),
    ).sort();
    const oic = { name: r.pick(OFFICERS), contact: `Safeguarding hub ext ${r.int(4000, 4999)} (fictional)` };
    let lastCrime: PoleEvent | undefined;
    for (const date of dates) {
      const category = r.pickWeighted(DA_CATEGORIES);
      const isCrime = CRIME_CATEGORIES.has(category) && r.chance(0.8);
      const yy = date.slice(2, 4);
      const ev: PoleEvent = {
        eventRef: eventKey(),
        eventType: isCrime ? 'CRIME' : 'INCIDENT',
        occurredOn: date,
        category,
        daFlag: true,
        crimeRef: isCrime ? `42/${++crimeSeq}/${yy}` : undefined,
        summary: summary(category),
        outcome: isCrime ? r.pickWeighted([['CHARGED', 3], ['NFA', 4], ['CAUTIONED', 1], ['CONVICTED', 1]] as const) : 'NFA',
        investigationStatus: 'CLOSED',
        sensitive: false,
        officerInCharge: isCrime ? oic : undefined,
        locationRef: loc,
        involved: [
          { personRef: vRef, role: 'VICTIM' },
          { personRef: pRef, role: 'SUSPECT' },
          ...childRefs.filter(() => r.chance(0.5)).map((c) => ({ personRef: c, role: 'WITNESS' as const })),
        ],
      };
      out.events.push(ev);
      if (isCrime) lastCrime = ev;
    }
    if (lastCrime && s.liveInvestigation) {
      lastCrime.outcome = 'ONGOING';
      lastCrime.investigationStatus = 'OPEN';
      lastCrime.sensitive = true;
      lastCrime.occurredOn = randomDateBetween(r, addMonths(anchor, -2), addDays(anchor, -2));
      if (r.chance(0.7)) {
        out.bail.push({
          personRef: pRef, eventRef: lastCrime.eventRef,
          conditions: r.sample(['NO_CONTACT_VICTIM', 'EXCLUSION_ZONE', 'NOT_TO_ENTER_ADDRESS', 'CURFEW', 'RESIDENCE', ...(childRefs.length ? ['NO_CONTACT_CHILDREN' as const] : [])] as const, r.int(1, 3)),
          grantedOn: lastCrime.occurredOn, until: addMonths(lastCrime.occurredOn, 3),
        });
      }
    }
    // Convictions (PNC) for the perpetrator, some long ago and spent.
    for (let i = 0, n = r.pickWeighted([[0, 4], [1, 3], [2, 2], [4, 1]] as const); i < n; i++) {
      const convictedOn = randomDateBetween(r, addMonths(anchor, -180), addMonths(anchor, -3));
      const cat = r.pickWeighted([['VIOLENCE', 4], ['DA', 3], ['PUBLIC_ORDER', 2], ['DRUGS', 2], ['PROPERTY', 2], ['WEAPONS', 1], ['SEXUAL', 1]] as const);
      out.convictions.push({
        personRef: pRef, convictedOn, offenceCategory: cat,
        offenceDescription: `${cat.toLowerCase().replace('_', ' ')} offence (fictional)`,
        disposal: r.pick(['Community order', 'Suspended sentence', 'Fine', 'Custodial sentence 6 months', 'Conditional discharge']),
        spent: convictedOn < addMonths(anchor, -84),
      });
    }
    if (s.severity >= 2 && r.chance(0.5)) {
      const madeOn = randomDateBetween(r, addMonths(anchor, -18), addMonths(anchor, -1));
      const orderType = r.pickWeighted([['NMO', 4], ['DVPO', 2], ['RESTRAINING', 2], ['DAPO', 1]] as const);
      out.orders.push({
        orderRef: orderKey(), orderType, respondentPersonRef: pRef,
        protectedPersonRefs: [vRef, ...childRefs.filter(() => r.chance(0.6))],
        madeOn, expires: orderType === 'DVPO' ? addDays(madeOn, 28) : addMonths(madeOn, r.pick([6, 12, 24])),
      });
    }
    if (s.severity >= 2 || r.chance(0.3)) out.markers.push({ personRef: pRef, code: 'DA', placedOn: dates[0]! });
    if (s.severity === 3 && r.chance(0.6)) out.markers.push({ personRef: pRef, code: 'VI', placedOn: dates[0]! });
    if (r.chance(0.08)) out.markers.push({ personRef: pRef, code: 'WE', placedOn: randomDateBetween(r, addMonths(anchor, -60), anchor) });
    if (s.perpFirearms) {
      out.markers.push({ personRef: pRef, code: 'FI', placedOn: randomDateBetween(r, addMonths(anchor, -24), anchor) });
      out.objects.push({ objectRef: objectKey(), objectType: 'SHOTGUN_CERTIFICATE', holderPersonRef: pRef, status: r.chance(0.7) ? 'HELD' : 'REVOKED', date: randomDateBetween(r, addMonths(anchor, -60), anchor) });
    }
    if (r.chance(0.25)) out.dvdsDisclosures.push({ personRef: vRef, disclosedOn: randomDateBetween(r, addMonths(anchor, -12), anchor), route: r.pick(['RIGHT_TO_ASK', 'RIGHT_TO_KNOW'] as const) });
    if (s.severity === 3 && s.perpOnProbation && r.chance(0.4)) out.mappa.push({ personRef: pRef, category: 2, level: r.pick([1, 2] as const) });
    if (s.severity >= 2 && r.chance(0.6)) out.addressAlerts.push({ locationRef: location(victim.address), personRef: vRef, placedOn: randomDateBetween(r, addMonths(anchor, -6), anchor) });
  }

  // Background: other people the force knows about (minor crime, welfare checks); namesakes included.
  for (const p of background(pop)) {
    if (!rng.chance(0.55)) continue;
    const r = rng.fork(p.personId);
    const ref = addPerson(p, r);
    for (let i = 0, n = r.int(1, 3); i < n; i++) {
      const category = r.pick(['THEFT', 'PUBLIC_ORDER', 'DRUGS', 'ASB', 'CONCERN_FOR_WELFARE'] as const);
      const date = randomDateBetween(r, addMonths(anchor, -60), addDays(anchor, -1));
      const isCrime = CRIME_CATEGORIES.has(category);
      out.events.push({
        eventRef: eventKey(), eventType: isCrime ? 'CRIME' : 'INCIDENT', occurredOn: date, category, daFlag: false,
        crimeRef: isCrime ? `42/${++crimeSeq}/${date.slice(2, 4)}` : undefined, summary: r0(r, OTHER_SUMMARIES[category]!),
        outcome: isCrime ? r.pick(['NFA', 'CAUTIONED', 'CHARGED'] as const) : 'NFA', investigationStatus: 'CLOSED', sensitive: false,
        locationRef: location(p.address), involved: [{ personRef: ref, role: category === 'CONCERN_FOR_WELFARE' ? 'OTHER' : 'OFFENDER' }],
      });
    }
    if (p.pncId && r.chance(0.5)) {
      out.convictions.push({ personRef: ref, convictedOn: randomDateBetween(r, addMonths(anchor, -120), anchor), offenceCategory: r.pick(['PROPERTY', 'DRUGS', 'PUBLIC_ORDER'] as const), offenceDescription: 'minor offence (fictional)', disposal: 'Fine', spent: false });
    }
  }
  return { files: { 'police-export.json': out }, truth };
}

function r0(rng: Rng, xs: readonly string[]): string {
  return `${rng.pick(xs)} (fictional)`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = writeDataSet(dirname(fileURLToPath(import.meta.url)), generatePoliceData(generatePopulation()));
  console.log(written.join('\n'));
}
