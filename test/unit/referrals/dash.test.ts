import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DASH_GROUPS, DASH_KEYS, DASH_QUESTIONS, dashScore, unansweredQuestions } from '../../../gateway/src/referrals/dash.js';

const all = (a: string) => Object.fromEntries(DASH_KEYS.map((k) => [k, a]));

describe('the SafeLives Dash RIC', () => {
  it('has 24 questions, numbered 1 to 24 in order across its groups, each key once', () => {
    expect(DASH_QUESTIONS).toHaveLength(24);
    expect(DASH_QUESTIONS.map((q) => q.n)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(new Set(DASH_KEYS).size).toBe(24);
    expect(DASH_GROUPS.map((g) => g.questions.length)).toEqual([9, 10, 5]);
    expect(DASH_QUESTIONS.every((q) => q.text.endsWith('?'))).toBe(true);
  });

  it('scores the number of yes answers', () => {
    expect(dashScore(all('YES'))).toBe(24);
    expect(dashScore(all('NO'))).toBe(0);
    expect(dashScore(all('NOT_KNOWN'))).toBe(0);
    const mixed = all('NO');
    for (const k of DASH_KEYS.slice(0, 14)) mixed[k] = 'YES';
    expect(dashScore(mixed)).toBe(14);
    mixed[DASH_KEYS[0]!] = 'NOT_KNOWN';
    expect(dashScore(mixed)).toBe(13);
  });

  it('counts nothing that is not exactly YES, and nothing outside the 24 questions', () => {
    expect(dashScore({ ...all('NO'), injury: 'yes', weapons: true, strangulation: 1, extra: 'YES', q25: 'YES' } as Record<string, unknown>)).toBe(0);
    expect(dashScore({})).toBe(0);
  });

  it('lists unanswered questions', () => {
    const a: Record<string, unknown> = all('NO');
    delete a.weapons;
    a.injury = 'MAYBE';
    expect(unansweredQuestions(a)).toEqual(['injury', 'weapons']);
    expect(unansweredQuestions(all('NOT_KNOWN'))).toEqual([]);
  });

  it('the referral schema asks for exactly these 24 answers', () => {
    const schema = JSON.parse(readFileSync('schemas/referral.schema.json', 'utf8'));
    const answers = schema.properties.dash.properties.answers;
    expect(Object.keys(answers.properties)).toEqual([...DASH_KEYS]);
    expect(answers.required).toEqual([...DASH_KEYS]);
    expect(schema.properties.dash.additionalProperties).toBe(false);
  });
});

describe('the OpenAPI description', () => {
  it('describes every referral route', async () => {
    const YAML = (await import('yaml')).default;
    const doc = YAML.parse(readFileSync('schemas/openapi.yaml', 'utf8'));
    for (const [path, method] of [
      ['/v1/referrals', 'post'], ['/v1/referrals', 'get'], ['/v1/referrals/{referralId}', 'get'], ['/v1/referrals/{referralId}/accept', 'post'],
      ['/v1/referrals/{referralId}/return', 'post'], ['/v1/referrals/{referralId}/repeat-matches/{caseId}', 'post'],
    ]) expect(doc.paths[path!]?.[method!], `${method} ${path}`).toBeDefined();
  });
});
