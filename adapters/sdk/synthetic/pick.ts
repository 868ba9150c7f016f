/** Choosing which people an agency knows, deterministically. */
import type { Rng } from './prng.js';
import type { Household, Population, SynthPerson } from './population.js';

export interface HouseholdPeople {
  household: Household;
  victim: SynthPerson;
  perpetrator: SynthPerson;
  children: SynthPerson[];
  otherAdults: SynthPerson[];
}

export function householdPeople(pop: Population): HouseholdPeople[] {
  const get = (id: string) => pop.byId.get(id)!;
  return pop.households.map((household) => ({
    household,
    victim: get(household.victimId),
    perpetrator: get(household.perpetratorId),
    children: household.childIds.map(get),
    otherAdults: household.otherAdultIds.map(get),
  }));
}

export function background(pop: Population): SynthPerson[] {
  return pop.people.filter((p) => p.role === 'BACKGROUND');
}

/** Sequential record keys with an agency prefix: `PER-000001`. */
export function keyMaker(prefix: string, width = 6): () => string {
  let n = 0;
  return () => `${prefix}-${String(++n).padStart(width, '0')}`;
}

export function maybe<T>(rng: Rng, p: number, f: () => T): T | undefined {
  return rng.chance(p) ? f() : undefined;
}
