/**
 * T7 (domain-marac.md §8): location-sensitive leak attempt. V has moved to a refuge and her
 * address is confidential: housing and health see "CONFIDENTIAL", police and IDVA the full
 * address, on the request and on every agency's research; exports exclude it; the audit log
 * holds paths only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgencyPrincipal } from '../../../gateway/src/identity/principal.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleResponse } from '../exchange/fixtures.js';
import {
  CLOCK, answer, auditRows, caseBody, expectAuditFreeOf, openCase, pull, readPack, requestResearch, section, subjectOf, type Ids,
} from './world.js';

const RECIPIENTS = ['essex-police', 'mse-hospitals', 'chelmsford-housing', 'safe-steps-idva', 'essex-childrens-services'];
const CASE_ADDRESS = { lines: ['1 Example Row', 'Testford'], postcode: 'CM2 9ZZ', uprn: '100000000001', confidential: true };
const REFUGE = { lines: ['Refuge, 9 Hidden Lane', 'Testford'], postcode: 'CM1 4ZZ', uprn: '100000000009', confidential: true };
const SAFE_PHONE = '07700 900456';
/** Every value that locates or reaches V. None may appear outside police and IDVA, nor in the audit log. */
// Whole phone numbers, not their '07700' prefix: five digits turn up by chance in the log's hex hashes.
const LOCATING = ['Example Row', 'Hidden Lane', 'CM2', 'CM1', '9ZZ', '4ZZ', '100000000001', '100000000009', '07700 900123', '07700900123', '07700 900456', '07700900456'];

function idvaResponse(ids: Ids) {
  const r = sampleResponse('response-idva.json', ids);
  r.subjectResults[0].subject.address = REFUGE;
  return r;
}

/** Police hold the refuge address too (officers attended there). */
function policeResponse(ids: Ids) {
  const r = sampleResponse('response-police.json', ids);
  r.subjectResults[0].subject.address = { lines: REFUGE.lines, postcode: REFUGE.postcode, confidential: true };
  return r;
}

function housingResponse(ids: Ids) {
  const r = sampleResponse('response-housing.json', ids);
  r.subjectResults[0].housing.propertyUprn = REFUGE.uprn;
  r.subjectResults[0].subject.address = { postcode: REFUGE.postcode, uprn: REFUGE.uprn, confidential: true };
  return r;
}

function expectNoLocation(view: unknown, who: string) {
  const text = JSON.stringify(view);
  for (const n of LOCATING) expect(text.includes(n), `${who} was shown "${n}"`).toBe(false);
}

describe('T7 a confidential address reaches only police and IDVA', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis' });
    t.clock.set(CLOCK);
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('the case records the address as confidential', () => {
    let caseId: string;
    let ids: Ids;
    let requestId: string;
    const pulled: Record<string, any> = {};

    beforeAll(async () => {
      ({ caseId, ids } = await openCase(t, caseBody({ subjects: { v1: (s) => { s.address = CASE_ADDRESS; } } })));
      const r = await requestResearch(t, caseId, RECIPIENTS);
      expect(r.status).toBe(201);
      requestId = r.body.requestId;
    });

    it('on the request, housing and health see CONFIDENTIAL and no contact details; police and IDVA see both', async () => {
      for (const a of RECIPIENTS) pulled[a] = await pull(t, a, requestId);
      const victim = (a: string) => pulled[a].request.subjects.find((s: any) => s.subjectId === ids.v1);
      for (const a of ['chelmsford-housing', 'mse-hospitals', 'essex-childrens-services']) {
        expect(victim(a).address, a).toBe('CONFIDENTIAL');
        expect(victim(a).contact, a).toBeUndefined();
        expectNoLocation(pulled[a], a);
      }
      for (const a of ['essex-police', 'safe-steps-idva']) {
        expect(victim(a).address, a).toEqual(CASE_ADDRESS);
        expect(victim(a).contact, a).toEqual({ phone: '07700 900123', safeTimes: 'Weekdays 10:00-12:00', safeToLeaveMessage: false });
      }
      const delivered = await auditRows(t, `action = 'DELIVERED' AND request_id = $1`, [requestId]);
      const housing = delivered.find((e) => e.event.agencyIds.includes('chelmsford-housing'))!.event;
      expect(housing.fieldsTransformed).toEqual(expect.arrayContaining([{ path: `${ids.v1}/subject.address`, op: 'replace' }]));
      expect(housing.ruleIds).toContain('G-CONFIDENTIAL-ADDRESS');
    });

    it('on the research, the refuge address and safe contact reach police; housing, health and the coordinator see CONFIDENTIAL', async () => {
      for (const [agency, body] of [['safe-steps-idva', idvaResponse(ids)], ['essex-police', policeResponse(ids)], ['chelmsford-housing', housingResponse(ids)]] as const) {
        const { response } = await answer(t, agency, requestId, ids, body, pulled[agency]);
        expect(response.status, `${agency}: ${JSON.stringify(response.body)}`).toBe(201);
      }

      const police = await readPack(t, 'essex-police', caseId);
      expect(subjectOf(section(police, 'safe-steps-idva'), ids.v1).view).toMatchObject({
        subject: { address: REFUGE },
        idva: { safeContact: { phone: SAFE_PHONE, safeTimes: 'Tuesdays after 14:00', safeToLeaveMessage: false } },
      });

      const idva = await readPack(t, 'safe-steps-idva', caseId);
      expect(subjectOf(section(idva, 'essex-police'), ids.v1).view.subject).toEqual({ dateOfBirth: '35-49', address: { lines: REFUGE.lines, postcode: REFUGE.postcode, confidential: true } });

      for (const viewer of ['chelmsford-housing', 'mse-hospitals']) {
        const pack = await readPack(t, viewer, caseId);
        expect(subjectOf(section(pack, 'essex-police'), ids.v1).view.subject, viewer).toEqual({ dateOfBirth: '35-49', address: 'CONFIDENTIAL' });
        // No flow from IDVA to housing or health at all: not even the IDVA's row is shown (issue 12 class 6).
        expect(pack.sections.map((x: any) => x.agencyId), viewer).not.toContain('safe-steps-idva');
        expect(pack.refused, viewer).toEqual([]);
        expectNoLocation(pack, viewer);
      }

      const coordinator = await readPack(t, 'essex-marat', caseId);
      const fromIdva = subjectOf(section(coordinator, 'safe-steps-idva'), ids.v1);
      expect(fromIdva.view.subject).toEqual({ address: 'CONFIDENTIAL' });
      expect(fromIdva.view.idva.safeContact).toEqual({ safeToLeaveMessage: false });
      expect(fromIdva.withheld).toEqual(expect.arrayContaining([
        { path: 'idva.safeContact.phone', reason: 'NOT_IN_AGREEMENT', by: 'policy' },
        { path: 'idva.safeContact.safeTimes', reason: 'NOT_IN_AGREEMENT', by: 'policy' },
      ]));
      const fromHousing = subjectOf(section(coordinator, 'chelmsford-housing'), ids.v1).view;
      expect(fromHousing.subject).toEqual({ address: 'CONFIDENTIAL' });
      expect(fromHousing.housing).toMatchObject({ propertyUprn: 'CONFIDENTIAL', sanctuaryScheme: { installed: true, date: 'CONFIDENTIAL' } });
      expectNoLocation(coordinator, 'essex-marat');
    });

    it('an export of the research by housing excludes the address and is audited as an export', async () => {
      const housing: AgencyPrincipal = { kind: 'agency', agencyId: 'chelmsford-housing', agencyType: 'HOUSING', certFingerprint: t.as('chelmsford-housing').creds.fingerprint };
      const exported = await t.gateway.exchange.packs.getPack(housing, caseId, 'export');
      // Housing's own row and those it may receive research from; never the IDVA's (issue 12 class 6).
      const shown = exported.sections.map((x) => x.agencyId);
      expect(shown).toEqual(expect.arrayContaining(['chelmsford-housing', 'essex-police']));
      expect(shown).not.toContain('safe-steps-idva');
      expectNoLocation(exported, 'housing export');
      const events = await auditRows(t, `action = 'PACK_EXPORTED' AND case_id = $1`, [caseId]);
      expect(events).toHaveLength(1);
      expect(events[0]!.event.agencyIds).toEqual(['chelmsford-housing']);
      expect(events[0]!.event.fieldsTransformed).toEqual(expect.arrayContaining([{ path: `essex-police/${ids.v1}/subject.address`, op: 'replace' }]));
    });
  });

  describe('IDVA learns of the refuge after the case was opened', () => {
    let caseId: string;
    let ids: Ids;

    beforeAll(async () => {
      ({ caseId, ids } = await openCase(t, caseBody({ subjects: { v1: (s) => { s.address = { ...CASE_ADDRESS, confidential: false }; } } })));
    });

    it('once IDVA marks the address confidential, every later view of V’s location is CONFIDENTIAL outside police and IDVA', async () => {
      const first = await requestResearch(t, caseId, ['safe-steps-idva', 'essex-police', 'chelmsford-housing']);
      expect(first.status).toBe(201);
      const housingBefore = await pull(t, 'chelmsford-housing', first.body.requestId);
      expect(housingBefore!.request.subjects.find((s: any) => s.subjectId === ids.v1).address).toBe('CM2');

      expect((await answer(t, 'safe-steps-idva', first.body.requestId, ids, idvaResponse(ids))).response.status).toBe(201);
      const received = await auditRows(t, `action = 'RESPONSE_RECEIVED' AND request_id = $1`, [first.body.requestId]);
      expect(received.map((e) => e.event.detail)).toEqual([{ late: false, addressMarkedConfidential: true }]);
      // Police records carry the refuge postcode but not the flag: the IDVA's flag must still protect it.
      const police = policeResponse(ids);
      police.subjectResults[0].subject.address.confidential = false;
      expect((await answer(t, 'essex-police', first.body.requestId, ids, police)).response.status).toBe(201);

      const pack = await readPack(t, 'chelmsford-housing', caseId);
      expect(subjectOf(section(pack, 'essex-police'), ids.v1).view.subject).toEqual({ dateOfBirth: '35-49', address: 'CONFIDENTIAL' });
      expectNoLocation(pack, 'housing');

      const second = await requestResearch(t, caseId, ['chelmsford-housing', 'mse-hospitals']);
      expect(second.status).toBe(201);
      for (const a of ['chelmsford-housing', 'mse-hospitals']) {
        const m = await pull(t, a, second.body.requestId);
        expect(m!.request.subjects.find((s: any) => s.subjectId === ids.v1).address, a).toBe('CONFIDENTIAL');
        expectNoLocation(m, a);
      }
    });
  });

  it('the audit log holds field paths, never an address, a postcode, a UPRN or a phone number', async () => {
    await expectAuditFreeOf(t, LOCATING);
  });
});
