import { describe, expect, it } from 'vitest';
import { GuardrailsInvalid, loadGuardrails } from '../../../gateway/src/policy/index.js';
import { guardrails, guardrailsText } from './helpers.js';

const minimal = (extra = '') => `version: 1
guardrails:
  - { id: G-MATCH, kind: matchConfirmed, title: m, allowedPaths: [subjectId, match] }
  - { id: G-SC, kind: specialCategory, title: s, sch8Recipients: [POLICE], safeguardingConditions: [DPA_SCH1_P18], explicitConsentConditions: [] }
  - { id: G-CLIN, kind: clinicalNarrative, title: c, allowedRecipients: [HEALTH_ACUTE] }
  - { id: G-LOC, kind: location, title: l, protectedRoles: [VICTIM], allowedRecipients: [IDVA, POLICE] }
${extra}`;

function failure(text: string): string {
  try {
    loadGuardrails(text);
  } catch (e) {
    expect(e).toBeInstanceOf(GuardrailsInvalid);
    expect((e as GuardrailsInvalid).code).toBe('GUARDRAILS_INVALID');
    return (e as Error).message;
  }
  throw new Error('expected GUARDRAILS_INVALID');
}

describe('loadGuardrails', () => {
  it('loads policies/guardrails.yaml, every guardrail with a stable id', () => {
    expect(guardrails.list.map((g) => g.id)).toEqual([
      'G-MATCH-CONFIRMED', 'G-TRANSFER-NO-PAYLOAD', 'G-SPECIAL-CATEGORY', 'G-CRIMINAL-OFFENCE', 'G-CLINICAL-NARRATIVE', 'G-MENTAL-HEALTH-DIAGNOSIS',
      'G-PERPETRATOR-MENTAL-HEALTH', 'G-CONFIDENTIAL-ADDRESS', 'G-LOCATION', 'G-LOCATION-IN-TEXT', 'G-CHILD-DOB',
      'G-FREE-TEXT',
    ]);
    expect(Object.isFrozen(guardrails.list)).toBe(true);
    expect(loadGuardrails(guardrailsText).list).toEqual(guardrails.list);
  });
  it('loads a minimal set with the four core guardrails', () => {
    expect(loadGuardrails(minimal()).list).toHaveLength(4);
  });
  it.each([
    ['text that is not YAML', 'version: [1', /not YAML/],
    ['an empty list', 'version: 1\nguardrails: []', /non-empty/],
    ['a wrong version', minimal().replace('version: 1', 'version: 2'), /version must be 1/],
    ['an unknown kind (fail closed)', minimal('  - { id: G-X, kind: teleport, title: t }'), /unknown kind teleport/],
    ['an unknown parameter', minimal('  - { id: G-X, kind: freeText, title: t, exemptRecipients: [], severity: high }'), /unknown key severity/],
    ['an unknown agency type', minimal('  - { id: G-X, kind: freeText, title: t, exemptRecipients: [MI5] }'), /unknown value MI5/],
    ['a missing parameter', minimal('  - { id: G-X, kind: childDob, title: t, paths: [subject.dobs] }'), /allowedRecipients: list of text required/],
    ['a duplicate id', minimal('  - { id: G-LOC, kind: freeText, title: t, exemptRecipients: [] }'), /duplicate id G-LOC/],
    ['a lower-case id', minimal('  - { id: g-x, kind: freeText, title: t, exemptRecipients: [] }'), /UPPER-KEBAB/],
    ['a second special-category guardrail', minimal('  - { id: G-SC2, kind: specialCategory, title: s, sch8Recipients: [], safeguardingConditions: [], explicitConsentConditions: [] }'), /only one specialCategory/],
  ])('refuses %s', (_n, text, message) => {
    expect(failure(text)).toMatch(message);
  });
  it('refuses a set missing a core guardrail, naming it', () => {
    const text = minimal().split('\n').filter((l) => !l.includes('kind: location')).join('\n');
    expect(failure(text)).toMatch(/the location guardrail is required/);
  });
  it('reports every problem at once', () => {
    const msg = failure(minimal('  - { id: bad, kind: freeText, title: "", exemptRecipients: [MI5] }'));
    expect(msg).toMatch(/UPPER-KEBAB/);
    expect(msg).toMatch(/title is required/);
    expect(msg).toMatch(/unknown value MI5/);
  });
});
