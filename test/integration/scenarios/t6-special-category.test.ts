/**
 * T6 (domain-marac.md §8, rule R3): health data about a subject with no Art 9 condition. V refused
 * consent and no condition is recorded for her: the acute trust's special-category fields about
 * V are withheld NO_ART9_CONDITION while the rest is released; DPA 2018 Sch 1 para 18 cannot be
 * claimed for an adult without care and support needs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { CLOCK, answer, auditRows, caseBody, openCase, readPack, requestResearch, section, subjectOf } from './world.js';

/** Every special-category path of the sample health research about V (schemas/payloads/health x-sensitivity SC). */
const SC_PATHS = [
  'health.edAttendances12m', 'health.injuriesConsistentWithAbuse', 'health.pregnancy', 'health.substanceMisuseServiceOpen',
  'health.communicationNeeds', 'health.childrenKnownToHVorSN',
];

describe('T6 health data without an Art 9 condition', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis' });
    t.clock.set(CLOCK);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const caseCount = async () => Number((await t.db.pool.query('SELECT count(*) AS n FROM cases')).rows[0].n);

  it('V’s special-category health data is withheld NO_ART9_CONDITION; the GP practice and the child-protection flag are released', async () => {
    const { caseId, ids } = await openCase(t, caseBody({
      subjects: {
        v1: (s) => {
          s.consent = { status: 'REFUSED', explicitForSpecialCategory: false, rationale: 'Victim declined (fictional sample).', decidedBy: 'A. Example, MARAC coordinator', decidedAt: '2026-01-15' };
          s.legal = { art9Conditions: [], art10Conditions: ['DPA_SCH1_P10'], careAndSupportNeeds: false };
        },
      },
    }));
    const r = await requestResearch(t, caseId, ['mse-hospitals']);
    expect(r.status).toBe(201);
    expect((await answer(t, 'mse-hospitals', r.body.requestId, ids)).response.status).toBe(201);

    const pack = await readPack(t, 'essex-marat', caseId);
    const health = section(pack, 'mse-hospitals');
    expect(health.release).toEqual({ released: true, agreementId: 'essex-marat', version: 1 });
    const v = subjectOf(health, ids.v1);
    expect(v.view).toEqual({
      subjectId: ids.v1,
      match: { status: 'MATCHED', confidence: 1, matchedOn: ['nhs-number'] },
      knownToAgency: true,
      currentInvolvement: true,
      subject: { identifiers: [{ system: 'nhs-number', value: '9990013713', verified: true }], dateOfBirth: '1990-04-12' },
      health: { registeredGpOdsCode: 'F81001', cpIsFlag: 'NONE' },
    });
    const reasons = Object.fromEntries(v.withheld.filter((w: any) => w.by === 'policy').map((w: any) => [w.path, w.reason]));
    for (const p of SC_PATHS) expect(reasons[p], p).toBe('NO_ART9_CONDITION');
    expect(reasons['health.clinicalNarrative']).toBe('DROPPED_BY_RULE');
    expect(Object.keys(reasons).some((p) => p.startsWith('health.mentalHealth') && reasons[p] === 'NO_ART9_CONDITION')).toBe(true);

    // The child has a condition (para 18, a child): the same research about C is released.
    expect(subjectOf(health, ids.c1).view).toEqual({
      subjectId: ids.c1, match: { status: 'MATCHED', confidence: 1, matchedOn: ['nhs-number'] }, knownToAgency: true, health: { cpIsFlag: 'CPP' },
    });

    const viewed = await auditRows(t, `action = 'VIEW_READ' AND case_id = $1`, [caseId]);
    expect(viewed).toHaveLength(1);
    const e = viewed[0]!.event;
    expect(e.decision).toBe('PERMIT_WITH_TRANSFORMS');
    expect(e.ruleIds).toContain('G-SPECIAL-CATEGORY');
    for (const p of SC_PATHS) expect(e.fieldsWithheld).toContainEqual({ path: `mse-hospitals/${ids.v1}/${p}`, reason: 'NO_ART9_CONDITION' });
    expect(e.fieldsReleased).toContain(`mse-hospitals/${ids.v1}/health.registeredGpOdsCode`);
  });

  it('DPA_SCH1_P18 claimed for V (adult, no care and support needs) is rejected at case creation: 400, nothing stored or audited', async () => {
    const before = await caseCount();
    const createdBefore = (await auditRows(t, `action = 'CASE_CREATED'`)).length;
    const r = await t.as('essex-marat').post('/v1/cases', caseBody({
      subjects: { v1: (s) => { s.legal = { art9Conditions: ['DPA_SCH1_P18'], careAndSupportNeeds: false }; } },
    }));
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('LEGAL_CONDITION_REJECTED');
    expect(r.body.problems).toEqual([
      { path: '/subjects/0/legal/art9Conditions', code: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS', message: expect.any(String) },
    ]);
    expect(await caseCount()).toBe(before);
    expect((await auditRows(t, `action = 'CASE_CREATED'`)).length).toBe(createdBefore);
  });

  it('para 18 for an adult WITH care and support needs is accepted, and her health research released', async () => {
    const { caseId, ids } = await openCase(t, caseBody({
      subjects: { v1: (s) => { s.legal = { art9Conditions: ['DPA_SCH1_P18'], careAndSupportNeeds: true }; } },
    }));
    const r = await requestResearch(t, caseId, ['mse-hospitals']);
    expect((await answer(t, 'mse-hospitals', r.body.requestId, ids)).response.status).toBe(201);
    const v = subjectOf(section(await readPack(t, 'essex-marat', caseId), 'mse-hospitals'), ids.v1);
    expect(v.view.health).toMatchObject({ pregnancy: { pregnant: true, edd: '2027-04-20', maternityBooked: true }, injuriesConsistentWithAbuse: true });
    expect(v.withheld.filter((w: any) => w.reason === 'NO_ART9_CONDITION')).toEqual([]);
  });
});
