/**
 * Matching accuracy on a labelled set per adapter (see adapters/sdk/synthetic/labelled.ts): exact
 * identifiers, missing identifier, alias, typo in a name, swapped day/month, name only, and people
 * the agency does not hold (absent, namesakes). The measured figures are printed as JSON lines.
 *
 * Each query goes through the data contract (decision 0025) as the runner sends it: the SDK's
 * query (a subject with nothing searchable is NOT_FOUND unasked), the agency's memory source a page
 * at a time up to the cap, and the matcher scoring only the candidates the source returned.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTERS } from '../../../adapters/catalog.js';
import { readDataDir } from '../../../adapters/sdk/data.js';
import { loadAgency } from '../../../adapters/sdk/respond.js';
import { createMatcher } from '../../../adapters/sdk/matching/matcher.js';
import type { MatchResult, SubjectQuery } from '../../../adapters/sdk/matching/types.js';
import { DEFAULT_LIMITS, searchSubject, sourceQueryOf } from '../../../adapters/sdk/source.js';
import type { RequestSubject } from '../../../adapters/sdk/types.js';
import { generatePopulation } from '../../../adapters/sdk/synthetic/population.js';
import { buildLabelledSet, evaluate } from '../../../adapters/sdk/synthetic/labelled.js';
import type { Truth } from '../../../adapters/sdk/synthetic/output.js';

const pop = generatePopulation();

const NOT_FOUND: MatchResult = { status: 'NOT_FOUND', confidence: 0, matchedOn: [], evidence: [] };

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('matching accuracy: %s', async (name, entry) => {
  const agency = loadAgency(entry.mapping, readDataDir(entry.dataDir));
  const truth = JSON.parse(readFileSync(join(entry.dataDir, 'truth.json'), 'utf8')) as Truth;
  const candidates = entry.mapping.candidates(agency.db);
  // The social care data set holds two agencies' records: keep the truth for this one's candidates.
  const own = new Set(candidates.map((c) => c.recordId));
  const ownTruth: Truth = { ...truth, records: Object.fromEntries(Object.entries(truth.records).filter(([id]) => own.has(id))) };
  const set = buildLabelledSet(pop, ownTruth, candidates);
  const results = new Map<SubjectQuery, MatchResult>();
  for (const { query } of set) {
    const sq = sourceQueryOf({ subjectId: 's', role: 'VICTIM', ...query } as RequestSubject);
    const found = sq ? await searchSubject(agency.source, sq, DEFAULT_LIMITS) : null;
    results.set(query, found ? createMatcher(found.candidates).match(query) : NOT_FOUND);
  }
  const report = evaluate(set, (q) => results.get(q)!);
  console.log(JSON.stringify({ adapter: name, ...report, categories: undefined }));
  for (const c of report.categories) console.log(JSON.stringify({ adapter: name, ...c }));

  it('covers every category of the labelled set', () => {
    const cats = new Set(set.map((q) => q.category));
    for (const c of ['missing-identifier', 'typo', 'swapped-dob', 'name-only', 'absent'] as const) expect(cats.has(c), c).toBe(true);
  });

  it('precision ≥ 0.99 on strong identifiers and on every MATCHED', () => {
    expect(report.strongIdPrecision).toBeGreaterThanOrEqual(0.99);
    expect(report.matchedPrecision).toBeGreaterThanOrEqual(0.99);
  });

  it('never MATCHED on name-only evidence', () => {
    expect(report.nameOnlyMatched).toBe(0);
  });

  it('finds (MATCHED or POSSIBLE) at least 90% of the people it holds', () => {
    expect(report.foundRecall).toBeGreaterThanOrEqual(0.9);
  });

  it('never MATCHED someone it does not hold (absent people, namesakes)', () => {
    for (const c of report.categories.filter((x) => x.category === 'absent' || x.category === 'namesake')) {
      expect(c.matchedWrong, c.category).toBe(0);
    }
  });

  it('an exact strong identifier gives MATCHED', () => {
    const exact = report.categories.find((c) => c.category === 'exact-id');
    if (exact) expect(exact.matchedCorrect / exact.total).toBeGreaterThanOrEqual(0.97);
  });
});
