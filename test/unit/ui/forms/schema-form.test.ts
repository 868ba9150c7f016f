/**
 * The generic schema-to-form module over every agency payload schema: every field gets a widget
 * with a label; a sample answer put into the form reads back as exactly the same JSON; "Add
 * another" shows one more group; blank groups are dropped; a date that does not exist and letters
 * in a number are errors on their own field; schema problems map back to the field's id.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { payloadKeyFor, PAYLOAD_KEYS } from '../../../../gateway/src/schema/catalog.js';
import {
  describeField, formValuesFor, payloadSchema, readField, type FormField,
} from '../../../../gateway/src/ui/forms/schema-form.js';
import { describeResearchForm, PAYLOAD_FILES, parseDecline, parseResearchAnswer } from '../../../../gateway/src/ui/forms/research-form.js';
import type { AgencyType } from '../../../../gateway/src/identity/principal.js';

const SAMPLES = path.resolve(import.meta.dirname, '../../../fixtures/samples');
const SAMPLE_FOR: Record<string, string> = {
  police: 'response-police.json', health: 'response-health.json', housing: 'response-housing.json',
  childrensSocialCare: 'response-childrens-social-care.json', adultSocialCare: 'response-adult-social-care.json',
  probation: 'response-probation.json', idva: 'response-idva.json',
};
const TYPE_FOR: Record<string, AgencyType> = {
  police: 'POLICE', health: 'HEALTH_ACUTE', housing: 'HOUSING', childrensSocialCare: 'CHILDRENS_SOCIAL_CARE',
  adultSocialCare: 'ADULT_SOCIAL_CARE', probation: 'PROBATION', idva: 'IDVA',
};

function sample(key: string): { subjectResults: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(path.join(SAMPLES, SAMPLE_FOR[key]!), 'utf8'));
}

function leaves(f: FormField): FormField[] {
  if (f.kind === 'group') return f.children!.flatMap(leaves);
  if (f.kind === 'repeat') return f.items!.flatMap(leaves);
  return [f];
}

/** A form field for the payload, with as many groups as `value` needs. */
function fieldFor(key: string, value: unknown) {
  const { node, base } = payloadSchema(PAYLOAD_FILES[key as keyof typeof PAYLOAD_FILES]);
  const at = { name: `s0.${key}`, pointer: `/subjectResults/0/${key}` };
  const values = formValuesFor(describeField(node, base, at), value);
  return { field: describeField(node, base, at, values), values, node, base, at };
}

describe.each([...PAYLOAD_KEYS])('the %s payload schema as a form', (key) => {
  it('every field has a widget and a label; dates, enums, booleans and arrays get their GOV.UK widgets', () => {
    const { node, base, at } = fieldFor(key, undefined);
    const f = describeField(node, base, at);
    expect(f.kind).toBe('group');
    expect(f.label).toMatch(/research payload/);
    for (const leaf of leaves(f)) {
      expect(leaf.label.length).toBeGreaterThan(0);
      expect(leaf.name).toMatch(/^s0\.[A-Za-z0-9.]+$/);
      if (leaf.kind === 'enum') expect(leaf.options!.length).toBeGreaterThan(0);
    }
    const kinds = new Set(leaves(f).map((l) => l.kind));
    expect(kinds.size).toBeGreaterThan(1);
  });

  it('a sample answer put into the form reads back as the same JSON', () => {
    for (const sr of sample(key).subjectResults) {
      const payload = sr[key];
      if (payload === undefined) continue;
      const { field, values } = fieldFor(key, payload);
      const r = readField(field, values);
      expect(r.errors).toEqual([]);
      expect(r.value).toEqual(payload);
    }
  });

  it('a blank form is no payload at all', () => {
    const { field } = fieldFor(key, undefined);
    expect(readField(field, {}).value).toBeUndefined();
  });
});

describe('widgets', () => {
  const housing = fieldFor('housing', undefined).field;
  const byName = (f: FormField, name: string): FormField | undefined => (f.name === name ? f
    : [...(f.children ?? []), ...(f.items ?? [])].map((c) => byName(c, name)).find(Boolean));

  it('format date is a date input, an enum radios or a select, a boolean yes/no, a long string a textarea', () => {
    expect(byName(housing, 's0.housing.sanctuaryScheme.date')!.kind).toBe('date');
    expect(byName(housing, 's0.housing.tenure')).toMatchObject({ kind: 'enum', widget: 'radios' });
    expect(byName(housing, 's0.housing.jointTenancyWithPerpetrator')).toMatchObject({ kind: 'boolean' });
    expect(byName(housing, 's0.housing.asbCasesOpen')!.kind).toBe('integer');
    const police = fieldFor('police', undefined).field;
    expect(byName(police, 's0.police.incidents')).toMatchObject({ kind: 'repeat', canAdd: true });
    expect(byName(police, 's0.police.incidents.0.summary')!.kind).toBe('textarea');
    expect(byName(police, 's0.police.bailConditions.0.conditions')!.kind).toBe('multi');
    const probation = fieldFor('probation', undefined).field;
    expect(byName(probation, 's0.probation.roshTo')!.kind).toBe('multi');
  });

  it('labels and hints come from the schema (title, description), or the field name in words', () => {
    const health = fieldFor('health', undefined).field;
    expect(health.label).toBe('Health research payload (acute, primary, maternity, mental health)');
    expect(health.hint).toMatch(/Special category/);
    expect(byName(health, 's0.health.edAttendances12m')!.label).toBe('ED attendances (12 months)');
  });

  it('"Add another" shows one more group, without script: the count rides in the form', () => {
    const { node, base, at } = fieldFor('police', undefined);
    const one = describeField(node, base, at, {});
    expect(byName(one, 's0.police.incidents')!.items).toHaveLength(1);
    const two = describeField(node, base, at, { 's0.police.incidents.count': '1' }, 'add:s0.police.incidents');
    const incidents = byName(two, 's0.police.incidents')!;
    expect(incidents.items!.map((i) => i.name)).toEqual(['s0.police.incidents.0', 's0.police.incidents.1']);
    expect(incidents.addText).toBe('Add another incident');
  });

  it('blank groups are dropped and the others keep their order', () => {
    const { node, base, at } = fieldFor('police', undefined);
    const body = {
      's0.police.incidents.count': '3',
      's0.police.incidents.1.type': 'CRIME',
      's0.police.incidents.1.date-day': '2', 's0.police.incidents.1.date-month': '3', 's0.police.incidents.1.date-year': '2026',
    };
    const f = describeField(node, base, at, body);
    const r = readField(f, body);
    expect(r.value).toEqual({ incidents: [{ type: 'CRIME', date: '2026-03-02' }] });
    expect(r.fields.get('/subjectResults/0/police/incidents/0/date')!.id).toBe('s0.police.incidents.1.date-day');
  });

  it('a date that does not exist and letters in a number are errors on their own field', () => {
    const body = { 's0.housing.sanctuaryScheme.date-day': '31', 's0.housing.sanctuaryScheme.date-month': '2', 's0.housing.sanctuaryScheme.date-year': '2026', 's0.housing.asbCasesOpen': 'two' };
    const r = readField(housing, body);
    expect(r.errors.map((e) => e.field).sort()).toEqual(['s0.housing.asbCasesOpen', 's0.housing.sanctuaryScheme.date-day']);
  });
});

describe('the research answer form', () => {
  const subjects = [{ subjectId: 'subj_victim', role: 'VICTIM' }, { subjectId: 'subj_perp', role: 'PERPETRATOR' }];

  it.each(Object.keys(SAMPLE_FOR))('%s: the form makes the body an adapter would send, valid for the schema', (key) => {
    const type = TYPE_FOR[key]!;
    expect(payloadKeyFor(type)).toBe(key);
    const form0 = describeResearchForm(type, subjects);
    const values: Record<string, string | string[]> = { 's1.match': 'NOT_FOUND' };
    sample(key).subjectResults.slice(0, 2).forEach((sr, i) => {
      values[`s${i}.match`] = 'MATCHED';
      values[`s${i}.matchedOn`] = ['name', 'dob'];
      if (sr[key] !== undefined) Object.assign(values, formValuesFor(form0.subjects[i]!.payload!, sr[key]));
    });
    const form = describeResearchForm(type, subjects, values);
    const parsed = parseResearchAnswer(form, values);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors.items));
    const results = parsed.body.subjectResults as Record<string, unknown>[];
    expect(results[0]).toMatchObject({ subjectId: 'subj_victim', match: { status: 'MATCHED', confidence: 1, matchedOn: ['name', 'dob'] }, knownToAgency: true, withheld: [] });
    sample(key).subjectResults.slice(0, 2).forEach((sr, i) => expect(results[i]![key]).toEqual(sr[key]));
    expect(results).toHaveLength(2);
  });

  it('every subject needs a match; a bad withheld row and a bad date are each reported on their field', () => {
    const form = describeResearchForm('HOUSING', subjects);
    const parsed = parseResearchAnswer(form, {
      's0.match': 'MATCHED',
      's0.housing.sanctuaryScheme.date-day': '40', 's0.housing.sanctuaryScheme.date-month': '1', 's0.housing.sanctuaryScheme.date-year': '2026',
      's0.withheld.0.reason': 'THIRD_PARTY',
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const fields = parsed.errors.items.map((e) => e.field);
    expect(fields).toContain('s1.match');
    expect(fields).toContain('s0.housing.sanctuaryScheme.date-day');
    expect(fields).toContain('s0.withheld.0.fieldPath');
  });

  it('a required property inside a group is reported on that property (the schema says which)', () => {
    const form = describeResearchForm('HOUSING', subjects);
    const parsed = parseResearchAnswer(form, {
      's0.match': 'MATCHED', 's1.match': 'NOT_FOUND',
      's0.housing.sanctuaryScheme.date-day': '1', 's0.housing.sanctuaryScheme.date-month': '2', 's0.housing.sanctuaryScheme.date-year': '2026',
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.items).toContainEqual({ field: 's0.housing.sanctuaryScheme.installed', message: expect.stringMatching(/^Enter /) });
  });

  it('a subject not found carries no payload; withheld fields go with their reason', () => {
    const form = describeResearchForm('HOUSING', subjects);
    const parsed = parseResearchAnswer(form, {
      's0.match': 'POSSIBLE', 's0.housing.tenure': 'COUNCIL', 's0.withheld.0.fieldPath': 'housing.propertyUprn', 's0.withheld.0.reason': 'THIRD_PARTY',
      's1.match': 'NOT_FOUND', 's1.housing.tenure': 'RSL',
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const [a, b] = parsed.body.subjectResults as Record<string, unknown>[];
    expect(a).toEqual({ subjectId: 'subj_victim', match: { status: 'POSSIBLE', confidence: 0.5, matchedOn: [] }, knownToAgency: true, housing: { tenure: 'COUNCIL' }, withheld: [{ fieldPath: 'housing.propertyUprn', reason: 'THIRD_PARTY' }] });
    expect(b).toEqual({ subjectId: 'subj_perp', match: { status: 'NOT_FOUND', confidence: 0, matchedOn: [] }, knownToAgency: false, withheld: [] });
  });

  it('a decline needs a reason, and a note for "another reason"', () => {
    expect(parseDecline({}).ok).toBe(false);
    expect(parseDecline({ declineReason: 'OTHER' }).ok).toBe(false);
    expect(parseDecline({ declineReason: 'NOT_KNOWN' })).toEqual({ ok: true, kind: 'decline', body: { reason: 'NOT_KNOWN' } });
  });
});
