/**
 * The transfer bundle built from a case (gateway/src/transfers/bundle.ts) and the body of the case
 * it opens in the receiving area; and the bundle released by the real policy engine under the
 * sample inter-area agreement: only the catalog's transfer fields, free text scrubbed, never
 * research (the builder cannot even put research in).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTransferBundle, caseBodyFromTransfer, minutesSummary, type TransferSource } from '../../../gateway/src/transfers/bundle.js';
import { TRANSFER_BUNDLE_FIELDS } from '../../../gateway/src/policy/transfer-bundle.js';
import { compileAgreement, decide, loadGuardrails, parseAgreementText, redact } from '../../../gateway/src/policy/index.js';
import { fieldCatalog } from '../../../gateway/src/schema/catalog.js';
import type { CaseAction } from '../../../gateway/src/meetings/types.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

const action = (over: Partial<CaseAction> = {}): CaseAction => ({
  id: 'act_1', caseId: 'case_1', kind: 'ACTION', ownerAgencyId: 'safe-steps-idva', dueOn: '2026-12-20', status: 'OPEN',
  description: 'IDVA to hand over.', updates: [{ at: '2026-12-11T10:00:00Z', byAgencyId: 'safe-steps-idva', status: 'OPEN', note: 'Called her at 07700 900123' }], ...over,
});

const source = (over: Partial<TransferSource> = {}): TransferSource => ({
  maracArea: 'essex',
  referredOn: '2026-12-10',
  riskBasis: { criteria: ['VISIBLE_HIGH_RISK', 'REPEAT'], dashScore: 17, lastMaracReferralDate: '2026-02-01', policeCallouts12m: 2 },
  latestMinutes: { meetingDay: '2026-12-09', minutes: { victimVoice: 'She wants to be near her sister.', risks: 'Escalation.', decisions: 'Refer on.', crimesDisclosed: 'Damage.' } },
  actions: [action(), action({ id: 'act_2', ownerAgencyId: 'essex-police', status: 'DONE', description: 'Flag the address.' })],
  ...over,
});

describe('buildTransferBundle', () => {
  it('holds the catalog transfer fields only: minutes summary, action plan, risk basis, referral dates, area', () => {
    const b = buildTransferBundle(source());
    expect(b).toEqual({
      fromMaracArea: 'essex',
      minutesSummary: 'Heard at MARAC on 2026-12-09. Risks: Escalation. Decisions: Refer on.',
      actionPlan: [
        { description: 'IDVA to hand over.', ownerAgencyId: 'safe-steps-idva', dueBy: '2026-12-20', status: 'OPEN' },
        { description: 'Flag the address.', ownerAgencyId: 'essex-police', dueBy: '2026-12-20', status: 'DONE' },
      ],
      riskBasis: { criteria: ['VISIBLE_HIGH_RISK', 'REPEAT'], dashScore: 17, policeCallouts12m: 2, riskLevel: 'HIGH' },
      lastMaracReferralDate: '2026-12-10',
      previousReferralDates: ['2026-02-01', '2026-12-10'],
    });
    const catalog = new Set(TRANSFER_BUNDLE_FIELDS.map((f) => f.path.split(/[.[]/)[0]));
    expect(Object.keys(b).every((k) => catalog.has(k))).toBe(true);
    // The victim's voice, crimes disclosed and update notes stay behind.
    expect(JSON.stringify(b)).not.toMatch(/sister|Damage|07700/);
  });

  it('leaves out what the case does not have', () => {
    const b = buildTransferBundle(source({ latestMinutes: undefined, actions: [], riskBasis: { criteria: ['PROFESSIONAL_JUDGEMENT'] } }));
    expect(b).toEqual({ fromMaracArea: 'essex', riskBasis: { criteria: ['PROFESSIONAL_JUDGEMENT'], riskLevel: 'HIGH' }, lastMaracReferralDate: '2026-12-10', previousReferralDates: ['2026-12-10'] });
    expect(minutesSummary({ meetingDay: '2026-12-09', minutes: { victimVoice: 'Only this.' } })).toBeUndefined();
  });
});

describe('caseBodyFromTransfer', () => {
  const consent = { status: 'GIVEN', explicitForSpecialCategory: false };
  it('opens the case about the released subjects with the released risk basis and the original referral date', () => {
    const { body, missing } = caseBodyFromTransfer(buildTransferBundle(source()), [
      { subjectId: 'subj_v', role: 'VICTIM', names: [{ family: 'Sampleton' }], dobs: ['1990-04-12'] },
      { subjectId: 'subj_p', role: 'PERPETRATOR', names: [{ family: 'Sampleton' }] },
    ], { meetingDate: '2026-12-22', consent });
    expect(missing).toEqual([]);
    expect(body).toEqual({
      meetingDate: '2026-12-22',
      riskBasis: { criteria: ['VISIBLE_HIGH_RISK', 'REPEAT'], dashScore: 17, policeCallouts12m: 2, lastMaracReferralDate: '2026-12-10' },
      subjects: [
        { key: 't1', role: 'VICTIM', names: [{ family: 'Sampleton' }], dobs: ['1990-04-12'], identifiers: [], consent, legal: { art9Conditions: [], careAndSupportNeeds: false } },
        { key: 't2', role: 'PERPETRATOR', names: [{ family: 'Sampleton' }], dobs: [], identifiers: [], consent, legal: { art9Conditions: [], careAndSupportNeeds: false } },
      ],
    });
  });

  it('says which subjects came without names (no case can be opened about them)', () => {
    expect(caseBodyFromTransfer({}, [{ subjectId: 's', role: 'CHILD' }], { meetingDate: '2026-12-22', consent }).missing).toEqual([0]);
  });
});

describe('the bundle released under the sample inter-area agreement', () => {
  const doc = parseAgreementText(readFileSync(path.join(ROOT, 'policies/inter-area-transfer.yaml'), 'utf8'));
  const guardrails = loadGuardrails(readFileSync(path.join(ROOT, 'policies/guardrails.yaml'), 'utf8'));
  const agreement = compileAgreement(doc as never, { catalog: fieldCatalog(), guardrails, status: 'active', version: 1 });
  const facts = {
    subjectId: 'case', role: 'VICTIM' as const, art9Conditions: [], art10Conditions: [], part3Sch8: [], careAndSupportNeeds: false,
    consentStatus: 'GIVEN', isAdult: true, explicitConsentForSpecialCategory: false, addressConfidential: false,
  };
  const now = new Date('2026-12-10T10:00:00Z');
  const caseFacts = { maracArea: 'essex', riskBasis: { criteria: ['VISIBLE_HIGH_RISK'] as const, dashScore: 17 } };

  it('Essex → Southend: every field of the bundle released, free text scrubbed; research offered alongside is dropped', () => {
    const d = decide({ agreements: [agreement], now, purpose: 'MARAC_TRANSFER', direction: 'response', from: { agencyId: 'essex-marat', agencyType: 'MARAC_COORDINATOR' }, to: { agencyId: 'southend-marac', agencyType: 'MARAC_COORDINATOR' }, caseFacts: caseFacts as never });
    expect(d.effect).toBe('PERMIT');
    if (d.effect !== 'PERMIT') return;
    const bundle = buildTransferBundle(source({ latestMinutes: { meetingDay: '2026-12-09', minutes: { risks: 'Call 07700 900123 first.' } } }));
    const { view } = redact(d.plan, { ...bundle, police: { incidentCount12m: 3 } } as never, facts as never, { now, hmacKey: Buffer.alloc(32) } as never);
    expect(Object.keys(view).sort()).toEqual(['actionPlan', 'fromMaracArea', 'lastMaracReferralDate', 'minutesSummary', 'previousReferralDates', 'riskBasis']);
    expect(view.minutesSummary).not.toContain('07700 900123');
    expect(view.riskBasis).toMatchObject({ criteria: ['VISIBLE_HIGH_RISK', 'REPEAT'], dashScore: 17, riskLevel: 'HIGH' });
  });

  it('a coordinator the agreement does not name: NO_INTER_AREA_AGREEMENT', () => {
    const d = decide({ agreements: [agreement], now, purpose: 'MARAC_TRANSFER', direction: 'response', from: { agencyId: 'essex-marat', agencyType: 'MARAC_COORDINATOR' }, to: { agencyId: 'colchester-marac', agencyType: 'MARAC_COORDINATOR' }, caseFacts: caseFacts as never });
    expect(d).toMatchObject({ effect: 'DENY', reason: 'NO_INTER_AREA_AGREEMENT' });
  });
});
