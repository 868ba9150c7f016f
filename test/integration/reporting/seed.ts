/**
 * A small MARAC year with known answers for the data return (shared by the reporting API, page
 * and browser tests). Cases are opened and referrals accepted through the real services (so the
 * return flags are written where the services write them); the meetings and their agendas are
 * SQL fixtures in the test's own database.
 *
 * Quarter 2026-Q3 (July to September, London time) holds exactly four cases:
 *   A  referred by essex-police, accepted; equality: male, aged 17, Black, disabled, gay; 1 child;
 *      heard on 8 July and again on 12 August (counted once)
 *   B  referred by safe-steps-idva, accepted; female, 35, White; 2 children; heard on 8 July
 *   C  opened by the coordinator; a repeat (last MARAC referral within 12 months); 1 child; 12 August
 *   D  opened by the coordinator; victim 16 by date of birth, edited to male; no child;
 *      heard at 00:30 BST on 1 July (23:30 UTC on 30 June: in Q3)
 * and not these: E heard on 17 June (Q2) and at 00:30 BST on 1 October (Q4); F listed on 8 July
 * but deferred.
 */
import type pg from 'pg';
import type { Gateway } from '../../../gateway/src/app.js';
import type { AgencyPrincipal } from '../../../gateway/src/identity/principal.js';
import type { TestClock } from '../../helpers/gateway.js';
import { sampleCase } from '../exchange/fixtures.js';
import { key, otherVictim, sampleReferral } from '../referrals/fixtures.js';

export const Q3_EXPECTED = {
  casesDiscussed: 4,
  repeatCases: 1,
  childrenInHouseholds: 4,
  victimsAged16To17: 2,
  victimsBme: 1,
  victimsLgbt: 1,
  victimsDisabled: 1,
  victimsMale: 2,
  byReferringAgencyType: [{ agencyType: 'POLICE', cases: 1 }, { agencyType: 'IDVA', cases: 1 }, { agencyType: 'NONE', cases: 2 }],
};

const agency = (agencyId: string, agencyType: string): AgencyPrincipal => ({ kind: 'agency', agencyId, agencyType, certFingerprint: 'f'.repeat(64) } as AgencyPrincipal);
export const COORDINATOR = agency('essex-marat', 'MARAC_COORDINATOR');

export interface Seeded {
  A: string; B: string; C: string; D: string; E: string; F: string;
}

export async function seedReturnWorld(g: Gateway, pool: pg.Pool, clock: TestClock): Promise<Seeded> {
  clock.set('2026-06-10T10:00:00Z');
  try {
    const meetingDate = '2026-07-08';
    // A: from the police, the sample family (victim, perpetrator, one child).
    const refA = await g.referrals.submit(agency('essex-police', 'POLICE'), sampleReferral({
      yes: 16,
      overrides: { equality: { gender: 'MALE', age: 17, ethnicity: 'BLACK_OR_BLACK_BRITISH', disability: 'YES', sexualOrientation: 'GAY_OR_LESBIAN' } },
    }), key());
    const A = (await g.referrals.accept(COORDINATOR, (refA.body as { referralId: string }).referralId, { meetingDate })).caseId;

    // B: from the IDVA service, another family with two children.
    const b = otherVictim(sampleReferral({ yes: 15 }));
    const child2 = structuredClone(b.subjects.find((s: { role: string }) => s.role === 'CHILD'));
    child2.key = 'c2';
    child2.names = [{ given: ['Rosa'], family: 'Otherchild' }];
    child2.identifiers = [];
    b.subjects.push(child2);
    const refB = await g.referrals.submit(agency('safe-steps-idva', 'IDVA'), b, key());
    const B = (await g.referrals.accept(COORDINATOR, (refB.body as { referralId: string }).referralId, { meetingDate })).caseId;

    // C: the coordinator's own case, the sample (last MARAC referral 2 November 2025: a repeat).
    const C = (await g.exchange.cases.createCase(COORDINATOR, sampleCase({ meetingDate: '2026-08-12' }))).caseId;

    // D: victim 16 by date of birth, no child; recorded as female, then corrected to male.
    const base = sampleCase({ meetingDate: '2026-07-01' });
    const { lastMaracReferralDate: _drop, ...riskBasis } = base.riskBasis;
    const victim = { ...base.subjects[0], dobs: ['2010-01-01'], identifiers: [], names: [{ given: ['Young'], family: 'Personne' }] };
    const D = (await g.exchange.cases.createCase(COORDINATOR, { ...base, riskBasis, subjects: [victim, base.subjects[1]] })).caseId;
    const victimId = (await pool.query(`SELECT f->>'subjectId' AS id FROM cases, jsonb_array_elements(subject_facts) f WHERE id = $1 AND f->>'role' = 'VICTIM'`, [D])).rows[0].id;
    await g.exchange.lifecycle.updateCase(COORDINATOR, D, { reason: 'Sex recorded wrongly at opening', subjects: [{ subjectId: victimId, sexOrGender: 'M' }] });

    const plain = () => ({ ...base, riskBasis, subjects: [{ ...base.subjects[0], identifiers: [] }, base.subjects[1]] });
    const E = (await g.exchange.cases.createCase(COORDINATOR, plain())).caseId;
    const F = (await g.exchange.cases.createCase(COORDINATOR, plain())).caseId;

    const meetings: [string, string, [string, 'HEARD' | 'DEFERRED'][]][] = [
      ['mtg_q2_june', '2026-06-17T09:00:00Z', [[E, 'HEARD']]],
      ['mtg_q3_first_minute', '2026-06-30T23:30:00Z', [[D, 'HEARD']]],
      ['mtg_q3_july', '2026-07-08T09:00:00Z', [[A, 'HEARD'], [B, 'HEARD'], [F, 'DEFERRED']]],
      ['mtg_q3_august', '2026-08-12T09:00:00Z', [[A, 'HEARD'], [C, 'HEARD']]],
      ['mtg_q4_first_minute', '2026-09-30T23:30:00Z', [[E, 'HEARD']]],
    ];
    for (const [id, startsAt, listings] of meetings) {
      await pool.query(
        `INSERT INTO meetings (id, coordinator_agency_id, marac_area, starts_at, chair, status, created_by)
         VALUES ($1, 'essex-marat', 'essex', $2, 'Chair (fixture)', 'HELD', 'fixture')`,
        [id, startsAt],
      );
      for (const [i, [caseId, outcome]] of listings.entries()) {
        await pool.query(
          `INSERT INTO meeting_cases (meeting_id, case_id, position, outcome, heard_at) VALUES ($1, $2, $3, $4, $5)`,
          [id, caseId, i + 1, outcome, outcome === 'HEARD' ? startsAt : null],
        );
      }
    }
    // For the dashboard: research on A to the police (answered in 30 hours) and housing (overdue),
    // and two open actions, housing's past its due date.
    const fan = await g.exchange.requests.createResearchRequest(COORDINATOR, A, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police', 'chelmsford-housing'] });
    void fan;
    await pool.query(`UPDATE messages SET state = 'responded', answered_at = created_at + interval '30 hours' WHERE case_id = $1 AND recipient_agency_id = 'essex-police'`, [A]);
    await pool.query(`UPDATE messages SET state = 'overdue' WHERE case_id = $1 AND recipient_agency_id = 'chelmsford-housing'`, [A]);
    for (const [id, owner, due] of [['act_fixture_housing', 'chelmsford-housing', '2026-09-01'], ['act_fixture_police', 'essex-police', '2099-01-31']]) {
      await pool.query(
        `INSERT INTO case_actions (id, case_id, meeting_id, owner_agency_id, due_on, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, created_by)
         VALUES ($1, $2, 'mtg_q3_july', $3, $4, 'k1', '\\x00', '\\x00', '\\x00', 'fixture')`,
        [id, A, owner, due],
      );
    }
    return { A, B, C, D, E, F };
  } finally {
    clock.real();
  }
}
