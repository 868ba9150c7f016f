import { describe, expect, it } from 'vitest';
import { AGENCY_TYPES } from '../../../gateway/src/identity/principal.js';
import { fieldCatalog, SENSITIVITIES } from '../../../gateway/src/schema/catalog.js';

const cat = fieldCatalog();

describe('field catalog', () => {
  it('uses the agreement path syntax', () => {
    for (const p of [
      'health.edAttendances12m', 'health.edAttendances12m[].date', 'subject.address', 'subject.address.postcode',
      'subject.dateOfBirth', 'match.status', 'knownToAgency', 'agencyRiskSummary.text',
      'proposedActions[].description', 'withheld[].reason', 'police.incidents[].summary',
    ]) {
      expect(cat.get(p), p).toBeDefined();
    }
    expect(cat.get('subjectResults')).toBeUndefined();
    expect(cat.get('health.edAttendances12m.date')).toBeUndefined();
    expect(cat.get('nope')).toBeUndefined();
  });

  it('merges the request-direction subject fields under subject.*', () => {
    for (const p of ['subject.names', 'subject.names[].family', 'subject.dobs', 'subject.identifiers',
      'subject.identifiers[].value', 'subject.address', 'subject.contact', 'subject.role',
      'subject.relationshipToVictim']) {
      expect(cat.get(p), p).toBeDefined();
    }
    expect(cat.get('subject.key')).toBeUndefined();
  });

  it('reports types, item types, dates and enums', () => {
    expect(cat.get('health.edAttendances12m')).toMatchObject({ type: 'array', itemType: 'object', sensitivity: ['SC'] });
    expect(cat.get('health.edAttendances12m[].date')).toMatchObject({ type: 'date', sensitivity: ['SC'] });
    expect(cat.get('subject.dobs')).toMatchObject({ type: 'array', itemType: 'date', sensitivity: ['ID'] });
    expect(cat.get('completedAt')?.type).toBe('date-time');
    expect(cat.get('match.confidence')?.type).toBe('number');
    expect(cat.get('police.incidentCount12m')?.type).toBe('integer');
    expect(cat.get('agencyRiskSummary.isOpinion')?.type).toBe('boolean');
    expect(cat.get('match.status')).toMatchObject({ type: 'string', sensitivity: [], enum: ['MATCHED', 'POSSIBLE', 'NOT_FOUND'] });
    expect(cat.get('probation.roshTo')?.enum).toContain('CHILDREN');
  });

  it('tags location and contact as LOC and clinical narrative as SC + FT', () => {
    for (const p of ['subject.address', 'subject.address.postcode', 'subject.address.lines', 'subject.contact.phone',
      'idva.safeContact', 'idva.safeContact.phone', 'housing.propertyUprn', 'subject.address.uprn']) {
      expect(cat.get(p)?.sensitivity, p).toContain('LOC');
    }
    const narrative = cat.get('health.clinicalNarrative')!;
    expect(narrative.sensitivity).toEqual(['SC', 'FT']);
    expect(narrative.clinicalNarrative).toBe(true);
    expect(cat.get('health.diagnoses')?.clinicalNarrative).toBe(true);
    expect(cat.get('health.mentalHealth.diagnosis')?.clinicalNarrative).toBe(true);
    expect(cat.get('health.pregnancy.pregnant')?.clinicalNarrative).toBe(false);
  });

  it('unions tags at a $ref site with the referenced definition', () => {
    // FreeText carries no tags itself; the referring sites add theirs.
    expect(cat.get('police.incidents[].summary')?.sensitivity).toEqual(['CO', 'FT']);
    expect(cat.get('subject.identifiers[].value')?.sensitivity).toEqual(['ID']);
  });

  it('catalogues objects with their own tags only', () => {
    expect(cat.get('health.pregnancy')).toMatchObject({ type: 'object', sensitivity: ['SC'] });
    expect(cat.get('police.officerInCharge')?.sensitivity).toEqual(['ID', '3P']);
    expect(cat.get('match')).toMatchObject({ type: 'object', sensitivity: [] });
  });

  it('has only known tags, in canonical order, on every path', () => {
    const paths = cat.paths();
    expect(paths.length).toBeGreaterThan(100);
    expect([...paths].sort()).toEqual(paths);
    for (const p of paths) {
      const f = cat.get(p)!;
      expect(f.path).toBe(p);
      expect(f.sensitivity.every((s) => SENSITIVITIES.includes(s)), p).toBe(true);
      expect(SENSITIVITIES.filter((s) => f.sensitivity.includes(s))).toEqual(f.sensitivity);
    }
  });

  it('hands out frozen entries and fresh path lists', () => {
    const f = cat.get('health.pregnancy')!;
    expect(Object.isFrozen(f)).toBe(true);
    cat.paths().push('evil');
    expect(cat.get('evil')).toBeUndefined();
    expect(cat.paths()).not.toContain('evil');
  });

  it('maps agency types to payload keys', () => {
    const expected: Record<string, string | undefined> = {
      MARAC_COORDINATOR: undefined, POLICE: 'police', HEALTH_ACUTE: 'health', HEALTH_PRIMARY: 'health',
      HEALTH_MENTAL: 'health', HOUSING: 'housing', CHILDRENS_SOCIAL_CARE: 'childrensSocialCare',
      ADULT_SOCIAL_CARE: 'adultSocialCare', PROBATION: 'probation', IDVA: 'idva', SUBSTANCE_MISUSE: undefined,
    };
    for (const t of AGENCY_TYPES) expect(cat.payloadKeyFor(t), t).toBe(expected[t]);
    for (const t of AGENCY_TYPES) {
      const key = cat.payloadKeyFor(t);
      if (key) expect(cat.get(key)?.type).toBe('object');
    }
  });

  it('is built once', () => {
    expect(fieldCatalog()).toBe(cat);
  });
});
