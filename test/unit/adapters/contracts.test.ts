/**
 * Contract tests for every adapter: each synthetic data set has at least 200 people, every record
 * maps to a response that validates against the canonical schema, and the committed data is exactly
 * what the seeded generator writes (so the data is reproducible and nobody hand-edited it).
 */
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from '../../../adapters/catalog.js';
import { readDataDir } from '../../../adapters/sdk/data.js';
import { loadAgency } from '../../../adapters/sdk/respond.js';
import { mapEveryRecord } from '../../../adapters/sdk/self-check.js';
import { generatePopulation } from '../../../adapters/sdk/synthetic/population.js';
import { stableJson } from '../../../adapters/sdk/synthetic/output.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const pop = generatePopulation();

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s adapter', (_name, entry) => {
  const files = readDataDir(entry.dataDir);
  const agency = loadAgency(entry.mapping, files);
  const people = entry.mapping.candidates(agency.db);

  it('holds at least 200 people', () => {
    expect(people.length).toBeGreaterThanOrEqual(200);
  });

  it('maps every record to a response that validates against the schema', () => {
    const results = mapEveryRecord(agency, { asOf: pop.anchor });
    expect(results).toHaveLength(people.length);
    const bad = results.filter((r) => r.problems.length);
    expect(bad.slice(0, 3).map((b) => ({ id: b.recordId, problems: b.problems.slice(0, 3) }))).toEqual([]);
    // Something was actually mapped, under the adapter's own payload key only.
    const keys = new Set(results.flatMap((r) => Object.keys(r.response.subjectResults[0]!).filter((k) => ['police', 'health', 'housing', 'childrensSocialCare', 'adultSocialCare', 'probation', 'idva'].includes(k))));
    expect([...keys]).toEqual([...entry.mapping.payloadKeys]);
  });

  it('committed data is exactly what the seeded generator writes', () => {
    const generated = entry.generate(pop);
    for (const [name, content] of Object.entries(generated.files)) {
      expect(readFileSync(join(entry.dataDir, name), 'utf8'), name).toBe(stableJson(content));
    }
    expect(readFileSync(join(entry.dataDir, 'truth.json'), 'utf8')).toBe(stableJson(generated.truth));
  });
});

describe('synthetic data content', () => {
  it('the NHS data exercises the health payload and never produces clinical narrative', () => {
    const entry = ADAPTERS.find((a) => a.name === 'nhs')!;
    const results = mapEveryRecord(loadAgency(entry.mapping, readDataDir(entry.dataDir)), { asOf: pop.anchor });
    const health = results.map((r) => r.response.subjectResults[0]!.health ?? {});
    expect(health.filter((h) => h.edAttendances12m?.length).length).toBeGreaterThan(20);
    expect(health.filter((h) => h.pregnancy?.pregnant).length).toBeGreaterThan(3);
    expect(health.filter((h) => h.mentalHealth?.openToSecondaryMH).length).toBeGreaterThan(5);
    expect(health.every((h) => h.clinicalNarrative === undefined && h.diagnoses === undefined)).toBe(true);
  });

  it('identifiers are fictional by construction: NHS numbers in the 999 range, PNC serials in the 99xxxxx block', () => {
    for (const p of pop.people) {
      expect(p.nhsNumber.startsWith('999')).toBe(true);
      if (p.pncId) expect(p.pncId).toMatch(/^\d{2}\/99\d{5}[A-Z]$/);
      expect(p.address.postcode).toMatch(/^[A-Z]{2}\d{1,2} \dZ[A-Z]$/);
    }
  });
});
