/**
 * The shared fictional population behind every agency's synthetic data set. One seeded generator
 * produces households (victim, perpetrator, children, sometimes another adult at risk) and
 * background people (including namesakes of case subjects, the hard case for matching). Each
 * agency generator then picks who it knows and records them its own way, with realistic noise, so
 * the same people can be found across all seven adapters and the truth is known for testing.
 *
 * Identifiers are fictional by construction: NHS numbers in the 999 test range (valid mod-11),
 * PNC ids with a valid check letter but serials in the 99xxxxx block, UPRNs from 9900 0000 0000,
 * local child ids prefixed `FIC`.
 */
import { nhsCheckDigit, pncCheckLetter } from '../matching/identifiers.js';
import type { PersonName } from '../matching/types.js';
import { variantsOf } from '../matching/nicknames.js';
import { addDays, ageOn, createRng, randomDateBetween, type Rng } from './prng.js';
import { FAMILY, GIVEN_F, GIVEN_M, INTERPRETER_LANGUAGES, POSTCODE_LETTERS, STREET_KINDS, STREET_STEMS, TOWNS } from './vocab.js';

/** Every synthetic data set is anchored here, so generated files do not change with the clock. */
export const DEFAULT_ANCHOR = '2026-11-01';
export const DEFAULT_SEED = 'marac-synthetic-v1';

export type SynthRole = 'VICTIM' | 'PERPETRATOR' | 'CHILD' | 'OTHER_ADULT_AT_RISK' | 'BACKGROUND';

export interface SynthAddress {
  uprn: string;
  lines: string[];
  town: string;
  postcode: string;
}

export interface SynthPerson {
  personId: string;
  householdId?: string;
  role: SynthRole;
  sex: 'F' | 'M';
  given: string[];
  family: string;
  /** Other names the person is known by: maiden/previous family names, nicknames. */
  aliases: PersonName[];
  dob: string;
  /** Alternative DOBs given on past occasions (common for perpetrators). */
  altDobs: string[];
  nhsNumber: string;
  pncId?: string;
  laChildId?: string;
  address: SynthAddress;
  previousAddresses: SynthAddress[];
  /** Victim has moved somewhere the perpetrator must not learn (refuge, new tenancy). */
  addressConfidential: boolean;
  interpreterLanguage?: string;
  /** For a namesake: the case subject whose name this background person shares. */
  namesakeOf?: string;
}

/** What happened in a household, read consistently by every agency generator. */
export interface HouseholdStory {
  relationship: 'PARTNER' | 'EX_PARTNER' | 'FAMILY_MEMBER';
  /** 1 low .. 3 severe: drives incident counts, ED attendances, orders. */
  severity: 1 | 2 | 3;
  victimPregnant: boolean;
  victimInRefuge: boolean;
  victimHasCareNeeds: boolean;
  victimMentalHealth: boolean;
  perpOnProbation: boolean;
  perpFirearms: boolean;
  perpMentalHealth: boolean;
  perpSubstanceMisuse: boolean;
  childrenStatus: 'NONE' | 'EARLY_HELP' | 'CIN' | 'CPP' | 'CLA';
  jointTenancy: boolean;
  liveInvestigation: boolean;
  idvaEngaged: boolean;
}

export interface Household {
  householdId: string;
  victimId: string;
  perpetratorId: string;
  childIds: string[];
  otherAdultIds: string[];
  story: HouseholdStory;
}

export interface Population {
  seed: string;
  anchor: string;
  households: Household[];
  people: SynthPerson[];
  byId: Map<string, SynthPerson>;
}

export interface PopulationOptions {
  seed?: string;
  anchor?: string;
  households?: number;
  background?: number;
}

function nhsNumber(rng: Rng, used: Set<string>): string {
  for (;;) {
    const first9 = `999${String(rng.int(0, 999_999)).padStart(6, '0')}`;
    const check = nhsCheckDigit(first9);
    const v = `${first9}${check}`;
    if (check !== null && !used.has(v)) {
      used.add(v);
      return v;
    }
  }
}

function pncId(rng: Rng, dob: string, used: Set<string>): string {
  for (;;) {
    const firstArrestYear = Math.min(Number(dob.slice(0, 4)) + rng.int(16, 30), 2026);
    const year2 = String(firstArrestYear).slice(-2);
    const serial = `99${String(rng.int(0, 99_999)).padStart(5, '0')}`;
    const v = `${year2}/${serial}${pncCheckLetter(year2, serial)}`;
    if (!used.has(v)) {
      used.add(v);
      return v;
    }
  }
}

function makeAddress(rng: Rng, seq: { n: number }): SynthAddress {
  const t = rng.pick(TOWNS);
  const district = rng.pick(t.districts);
  // Unit codes all start with Z ("4ZT"): the real format, visibly invented.
  const inward = `${rng.int(1, 9)}Z${rng.pick(POSTCODE_LETTERS.split(''))}`;
  seq.n += 1;
  return {
    uprn: String(990_000_000_000 + seq.n * 7),
    lines: [`${rng.int(1, 140)} ${rng.pick(STREET_STEMS)} ${rng.pick(STREET_KINDS)}`],
    town: t.town,
    postcode: `${district} ${inward}`,
  };
}

function dobForAge(rng: Rng, anchor: string, minAge: number, maxAge: number): string {
  const y = Number(anchor.slice(0, 4));
  return randomDateBetween(rng, `${y - maxAge - 1}-${anchor.slice(5)}`, addDays(`${y - minAge}-${anchor.slice(5)}`, -1));
}

export function generatePopulation(opts: PopulationOptions = {}): Population {
  const seed = opts.seed ?? DEFAULT_SEED;
  const anchor = opts.anchor ?? DEFAULT_ANCHOR;
  const nHouseholds = opts.households ?? 260;
  const nBackground = opts.background ?? 320;
  const rng = createRng(seed);
  const usedNhs = new Set<string>();
  const usedPnc = new Set<string>();
  const addrSeq = { n: 0 };
  const people: SynthPerson[] = [];
  const households: Household[] = [];
  let pid = 0;
  const newId = () => `SP-${String(++pid).padStart(5, '0')}`;

  const person = (p: Omit<SynthPerson, 'personId' | 'nhsNumber' | 'aliases' | 'altDobs' | 'previousAddresses' | 'addressConfidential'> & Partial<SynthPerson>): SynthPerson => {
    const full: SynthPerson = {
      personId: newId(),
      nhsNumber: nhsNumber(rng, usedNhs),
      aliases: [],
      altDobs: [],
      previousAddresses: [],
      addressConfidential: false,
      ...p,
    };
    people.push(full);
    return full;
  };

  const givenFor = (sex: 'F' | 'M') => {
    const first = rng.pick(sex === 'F' ? GIVEN_F : GIVEN_M);
    return rng.chance(0.35) ? [first, rng.pick(sex === 'F' ? GIVEN_F : GIVEN_M)] : [first];
  };
  const nicknameAlias = (given: string[], family: string): PersonName | null => {
    const v = variantsOf(given[0]!.toLowerCase()).filter((n) => n.length > 2);
    if (!v.length) return null;
    const nick = rng.pick(v);
    return { given: [nick[0]!.toUpperCase() + nick.slice(1)], family, use: 'preferred' };
  };

  for (let h = 0; h < nHouseholds; h++) {
    const householdId = `HH-${String(h + 1).padStart(4, '0')}`;
    const story: HouseholdStory = {
      relationship: rng.pickWeighted([['EX_PARTNER', 5], ['PARTNER', 4], ['FAMILY_MEMBER', 1]] as const),
      severity: rng.pickWeighted([[1, 3], [2, 4], [3, 3]] as const),
      victimPregnant: false,
      victimInRefuge: rng.chance(0.15),
      victimHasCareNeeds: rng.chance(0.12),
      victimMentalHealth: rng.chance(0.3),
      perpOnProbation: rng.chance(0.45),
      perpFirearms: rng.chance(0.05),
      perpMentalHealth: rng.chance(0.2),
      perpSubstanceMisuse: rng.chance(0.3),
      childrenStatus: 'NONE',
      jointTenancy: false,
      liveInvestigation: rng.chance(0.2),
      idvaEngaged: rng.chance(0.85),
    };
    const victimSex: 'F' | 'M' = rng.chance(0.92) ? 'F' : 'M';
    const perpSex: 'F' | 'M' = story.relationship === 'FAMILY_MEMBER' ? (rng.chance(0.8) ? 'M' : 'F') : victimSex === 'F' ? (rng.chance(0.97) ? 'M' : 'F') : 'F';
    const home = makeAddress(rng, addrSeq);
    const victimFamily = rng.pick(FAMILY);
    const victimGiven = givenFor(victimSex);
    const victimDob = dobForAge(rng, anchor, 17, 68);
    const victimAge = ageOn(victimDob, anchor);
    story.victimPregnant = victimSex === 'F' && victimAge < 42 && rng.chance(0.12);
    const victim = person({
      householdId, role: 'VICTIM', sex: victimSex, given: victimGiven, family: victimFamily, dob: victimDob,
      address: home,
    });
    if (victimSex === 'F' && rng.chance(0.3)) victim.aliases.push({ given: victimGiven, family: rng.pick(FAMILY), use: 'maiden' });
    if (rng.chance(0.3)) {
      const nick = nicknameAlias(victimGiven, victimFamily);
      if (nick) victim.aliases.push(nick);
    }
    if (rng.chance(0.1)) victim.interpreterLanguage = rng.pick(INTERPRETER_LANGUAGES);
    if (story.victimInRefuge) {
      victim.previousAddresses.push(home);
      victim.address = makeAddress(rng, addrSeq);
      victim.addressConfidential = true;
    }

    const perpDob = story.relationship === 'FAMILY_MEMBER' && rng.chance(0.5)
      ? dobForAge(rng, anchor, 16, Math.max(17, victimAge - 16))
      : dobForAge(rng, anchor, Math.max(17, victimAge - 8), Math.min(75, victimAge + 12));
    const perpFamily = story.relationship === 'FAMILY_MEMBER' ? victimFamily : rng.chance(0.5) && story.relationship === 'PARTNER' ? victimFamily : rng.pick(FAMILY);
    const perpGiven = givenFor(perpSex);
    const perp = person({
      householdId, role: 'PERPETRATOR', sex: perpSex, given: perpGiven, family: perpFamily, dob: perpDob,
      address: story.relationship === 'EX_PARTNER' ? makeAddress(rng, addrSeq) : home,
    });
    perp.pncId = rng.chance(0.8) ? pncId(rng, perpDob, usedPnc) : undefined;
    if (rng.chance(0.25)) perp.altDobs.push(addDays(perpDob, rng.pick([-365, 365, 31, -31, 2])));
    if (rng.chance(0.3)) {
      const nick = nicknameAlias(perpGiven, perpFamily);
      if (nick) perp.aliases.push(nick);
    }
    if (rng.chance(0.1)) perp.aliases.push({ given: [rng.pick(perpSex === 'F' ? GIVEN_F : GIVEN_M)], family: rng.pick(FAMILY), use: 'alias' });
    if (story.relationship !== 'EX_PARTNER' && rng.chance(0.4)) story.jointTenancy = true;
    if (rng.chance(0.1)) victim.pncId = pncId(rng, victimDob, usedPnc);

    const childIds: string[] = [];
    const nChildren = victimAge < 19 ? 0 : rng.pickWeighted([[0, 3], [1, 3], [2, 3], [3, 1]] as const);
    for (let c = 0; c < nChildren; c++) {
      const maxAge = Math.min(17, victimAge - 17);
      const sex: 'F' | 'M' = rng.chance(0.5) ? 'F' : 'M';
      const child = person({
        householdId, role: 'CHILD', sex, given: givenFor(sex), family: rng.chance(0.7) ? victimFamily : perpFamily,
        dob: dobForAge(rng, anchor, 0, Math.max(0, maxAge)), address: victim.address,
        addressConfidential: victim.addressConfidential,
      });
      child.laChildId = `FIC${String(100000 + people.length * 13).slice(-6)}`;
      childIds.push(child.personId);
    }
    if (childIds.length) {
      story.childrenStatus = rng.pickWeighted([['NONE', 2], ['EARLY_HELP', 2], ['CIN', 3], ['CPP', 3], ['CLA', 1]] as const);
    }
    const otherAdultIds: string[] = [];
    if (rng.chance(0.1)) {
      const sex: 'F' | 'M' = rng.chance(0.6) ? 'F' : 'M';
      const o = person({
        householdId, role: 'OTHER_ADULT_AT_RISK', sex, given: givenFor(sex), family: victimFamily,
        dob: dobForAge(rng, anchor, 60, 90), address: home,
      });
      otherAdultIds.push(o.personId);
    }
    households.push({ householdId, victimId: victim.personId, perpetratorId: perp.personId, childIds, otherAdultIds, story });
  }

  // Background people: other patients, tenants, offenders. A fifth are namesakes of case subjects
  // (same name, different DOB), the hard negative for name + DOB matching.
  const caseAdults = people.filter((p) => p.role === 'VICTIM' || p.role === 'PERPETRATOR');
  for (let b = 0; b < nBackground; b++) {
    const namesake = b % 5 === 0 ? rng.pick(caseAdults) : undefined;
    const sex: 'F' | 'M' = namesake?.sex ?? (rng.chance(0.5) ? 'F' : 'M');
    const dob = namesake ? shiftedDob(rng, namesake.dob, anchor) : dobForAge(rng, anchor, 18, 85);
    const p = person({
      role: 'BACKGROUND', sex, given: namesake ? [...namesake.given] : givenFor(sex), family: namesake?.family ?? rng.pick(FAMILY),
      dob, address: makeAddress(rng, addrSeq),
    });
    if (namesake) p.namesakeOf = namesake.personId;
    if (rng.chance(0.3)) p.pncId = pncId(rng, dob, usedPnc);
  }
  return { seed, anchor, households, people, byId: new Map(people.map((p) => [p.personId, p])) };
}

/** A different DOB that is not a keying error of the original (so a namesake is truly someone else). */
function shiftedDob(rng: Rng, dob: string, anchor: string): string {
  for (;;) {
    const d = addDays(dob, rng.pick([-1, 1]) * rng.int(400, 9000));
    const age = ageOn(d, anchor);
    if (age >= 18 && age <= 85) return d;
  }
}
