/**
 * A labelled matching test set built from the synthetic population and an agency's truth file:
 * how a coordinator might describe a person (exactly, by alias, with a typo, with day and month
 * swapped, without identifiers, by name only), and people the agency does not hold (absent, and
 * namesakes of people it does hold). Used to measure matching precision and recall.
 */
import type { CandidatePerson, MatchResult, SubjectQuery } from '../matching/types.js';
import { normaliseIdentifier, STRONG_SYSTEMS } from '../matching/identifiers.js';
import { swapDayMonth, typo } from './noise.js';
import { createRng } from './prng.js';
import type { Population, SynthPerson } from './population.js';
import type { Truth } from './output.js';

export type LabelCategory = 'exact-id' | 'missing-identifier' | 'alias' | 'typo' | 'swapped-dob' | 'name-only' | 'absent' | 'namesake';

export interface LabelledQuery {
  category: LabelCategory;
  personId: string;
  query: SubjectQuery;
  /** The agency record that is this person, or null when the agency does not hold them. */
  expectedRecordId: string | null;
}

function identifiersOf(p: SynthPerson): { system: string; value: string }[] {
  return [
    { system: 'nhs-number', value: p.nhsNumber },
    ...(p.pncId ? [{ system: 'pnc-id', value: p.pncId }] : []),
    ...(p.laChildId ? [{ system: 'la-child-id', value: p.laChildId }] : []),
  ];
}

const nameOf = (p: SynthPerson) => ({ given: p.given, family: p.family, use: 'official' });

export function buildLabelledSet(pop: Population, truth: Truth, candidates: readonly CandidatePerson[], opts: { perCategory?: number; seed?: string } = {}): LabelledQuery[] {
  const rng = createRng(opts.seed ?? `${pop.seed}:labelled:${truth.generatedBy}`);
  const n = opts.perCategory ?? 120;
  const recordOf = new Map<string, string>();
  for (const [recordId, t] of Object.entries(truth.records)) recordOf.set(t.personId, recordId);
  const byRecord = new Map(candidates.map((c) => [c.recordId, c]));
  const held = pop.people.filter((p) => recordOf.has(p.personId) && byRecord.has(recordOf.get(p.personId)!));
  const out: LabelledQuery[] = [];
  const push = (category: LabelCategory, p: SynthPerson, query: SubjectQuery, expected: string | null) => out.push({ category, personId: p.personId, query, expectedRecordId: expected });

  // Positives: the agency holds the person.
  for (const p of rng.sample(held, n)) {
    const rec = recordOf.get(p.personId)!;
    const cand = byRecord.get(rec)!;
    // Only the identifiers the agency itself recorded can match exactly.
    const shared = identifiersOf(p).filter((i) => STRONG_SYSTEMS.includes(i.system as never) && cand.identifiers.some((c) => c.system === i.system && normaliseIdentifier(c.system, c.value) === normaliseIdentifier(i.system, i.value)));
    if (shared.length) push('exact-id', p, { names: [nameOf(p)], dobs: [p.dob], identifiers: shared, sexOrGender: p.sex }, rec);
  }
  for (const p of rng.sample(held, n)) {
    push('missing-identifier', p, { names: [nameOf(p)], dobs: [p.dob], sexOrGender: p.sex, ...(rng.chance(0.5) ? { address: { postcode: p.address.postcode } } : {}) }, recordOf.get(p.personId)!);
  }
  for (const p of rng.sample(held.filter((x) => x.aliases.length), n)) {
    const alias = rng.pick(p.aliases);
    push('alias', p, { names: [{ given: alias.given ?? p.given, family: alias.family ?? p.family, use: 'alias' }], dobs: [p.dob], sexOrGender: p.sex }, recordOf.get(p.personId)!);
  }
  for (const p of rng.sample(held, n)) {
    const family = rng.chance(0.5);
    const name = family ? { given: p.given, family: typo(rng, p.family) } : { given: [typo(rng, p.given[0]!), ...p.given.slice(1)], family: p.family };
    push('typo', p, { names: [name], dobs: [p.dob], sexOrGender: p.sex }, recordOf.get(p.personId)!);
  }
  for (const p of rng.sample(held.filter((x) => swapDayMonth(x.dob) !== null), n)) {
    push('swapped-dob', p, { names: [nameOf(p)], dobs: [swapDayMonth(p.dob)!], sexOrGender: p.sex }, recordOf.get(p.personId)!);
  }
  for (const p of rng.sample(held, n)) push('name-only', p, { names: [nameOf(p)] }, recordOf.get(p.personId)!);

  // Negatives: the agency does not hold the person (with their own identifiers, as a coordinator would send).
  const absent = pop.people.filter((p) => !recordOf.has(p.personId));
  for (const p of rng.sample(absent, n)) {
    push('absent', p, { names: [nameOf(p)], dobs: [p.dob], identifiers: identifiersOf(p), sexOrGender: p.sex }, null);
  }
  const namesakes = pop.people.filter((p) => p.namesakeOf && !recordOf.has(p.personId) && recordOf.has(p.namesakeOf));
  for (const p of namesakes) push('namesake', p, { names: [nameOf(p)], dobs: [p.dob], sexOrGender: p.sex }, null);
  return out;
}

export interface CategoryStats {
  category: LabelCategory;
  total: number;
  matchedCorrect: number;
  matchedWrong: number;
  possibleCorrect: number;
  possibleWrong: number;
  notFound: number;
}

export interface MatchingReport {
  categories: CategoryStats[];
  /** Correct MATCHED / all MATCHED. */
  matchedPrecision: number;
  /** Correct MATCHED / MATCHED that relied on a strong identifier. */
  strongIdPrecision: number;
  /** Positives found as MATCHED or POSSIBLE on the right record / all positives. */
  foundRecall: number;
  /** Positives MATCHED on the right record / all positives. */
  matchedRecall: number;
  /** MATCHED results on name-only queries (must be 0). */
  nameOnlyMatched: number;
}

export function evaluate(set: readonly LabelledQuery[], match: (q: SubjectQuery) => MatchResult): MatchingReport {
  const cats = new Map<LabelCategory, CategoryStats>();
  let matched = 0, matchedOk = 0, strong = 0, strongOk = 0, positives = 0, found = 0, matchedPos = 0, nameOnlyMatched = 0;
  for (const q of set) {
    const r = match(q.query);
    const s = cats.get(q.category) ?? { category: q.category, total: 0, matchedCorrect: 0, matchedWrong: 0, possibleCorrect: 0, possibleWrong: 0, notFound: 0 };
    cats.set(q.category, s);
    s.total++;
    const correct = q.expectedRecordId !== null && r.recordId === q.expectedRecordId;
    if (r.status === 'MATCHED') {
      matched++;
      if (correct) { matchedOk++; s.matchedCorrect++; } else s.matchedWrong++;
      if (r.matchedOn.some((m) => (STRONG_SYSTEMS as readonly string[]).includes(m))) {
        strong++;
        if (correct) strongOk++;
      }
      if (q.category === 'name-only') nameOnlyMatched++;
    } else if (r.status === 'POSSIBLE') {
      if (correct) s.possibleCorrect++; else s.possibleWrong++;
    } else s.notFound++;
    if (q.expectedRecordId !== null) {
      positives++;
      if (correct && r.status !== 'NOT_FOUND') found++;
      if (correct && r.status === 'MATCHED') matchedPos++;
    }
  }
  const ratio = (a: number, b: number) => (b === 0 ? 1 : Math.round((a / b) * 10000) / 10000);
  return {
    categories: [...cats.values()],
    matchedPrecision: ratio(matchedOk, matched),
    strongIdPrecision: ratio(strongOk, strong),
    foundRecall: ratio(found, positives),
    matchedRecall: ratio(matchedPos, positives),
    nameOnlyMatched,
  };
}
