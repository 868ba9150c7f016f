import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleCase, sampleResponse } from '../integration/exchange/fixtures.js';
import { expectSafeReply, startFuzzWorld, type FuzzWorld } from './world.js';

/** The date `years` from today, moved by `days` (the window is [2000-01-01, today + 5 years]). */
function inYears(years: number, days: number): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() + years);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Regression tests for what the fuzz suite found: each input once produced a 5xx (or a write on a
 * rejection). They are schema-valid, so only the code behind the schema can get them right.
 */
describe('fuzz findings stay fixed', () => {
  let w: FuzzWorld;
  beforeAll(async () => {
    w = await startFuzzWorld();
  }, 120_000);
  afterAll(async () => {
    await w?.stop();
  });

  const post = (agency: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    w.call(agency, 'POST', path, JSON.stringify(body), { 'content-type': 'application/json', ...headers });

  async function safely(label: string, agency: string, path: string, body: unknown, headers: Record<string, string> = {}) {
    const before = await w.counts();
    const r = await post(agency, path, body, headers);
    await expectSafeReply(w, label, r, before, false);
    return r;
  }

  it.each([
    ['NHS-number-like', '0123456789'],
    ['phone-like', '07700900123'],
    ['postcode-like', 'cm29zz'],
    ['date-like', '2026-01-01'],
  ])('an unregistered recipient that looks like personal data (%s) is refused without a 5xx, and never audited as an agency id', async (_kind, recipient) => {
    const alone = await safely(recipient, 'essex-marat', `/v1/cases/${w.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [recipient] });
    expect(alone.status).toBe(403);
    expect(alone.body.code).toBe('ALL_RECIPIENTS_REFUSED');
    expect(alone.body.reason).toBe('UNKNOWN_RECIPIENT');
    const mixed = await safely(recipient, 'essex-marat', `/v1/cases/${w.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police', recipient] });
    expect(mixed.status).toBe(201);
    expect(mixed.body.refused).toEqual([{ recipient, reason: 'UNKNOWN_RECIPIENT' }]);
    const logged = await w.t.db.pool.query(`SELECT count(*)::int n FROM (SELECT canonical t FROM audit_events UNION ALL SELECT body FROM audit_pending) e WHERE e.t LIKE $1`, [`%${recipient}%`]);
    expect(logged.rows[0].n).toBe(0);
  });

  it.each([
    ['0000-01-01', 400], ['0001-01-01', 400], ['1999-12-31', 400], ['2000-01-01', 201], [inYears(5, -1), 201], [inYears(5, 1), 400], ['9999-12-31', 400],
  ] as const)('meeting date %s (the format allows 0000 to 9999; PostgreSQL has no year 0, each year costs holiday-calendar memory) → %i', async (meetingDate, status) => {
    const r = await safely(meetingDate, 'essex-marat', '/v1/cases', sampleCase({ meetingDate }));
    expect(r.status).toBe(status);
    if (status === 400) expect(r.body.problems).toEqual([expect.objectContaining({ path: '/meetingDate' })]);
  });

  it.each([
    ['2026-06-30T23:59:60Z', 400], ['0000-01-01T00:00:00Z', 400], ['9999-12-31T23:59:59-23:59', 400], ['2026-01-01t00:00:00z', 201],
    ['1999-12-31T23:00:00Z', 400], [`${inYears(5, -1)}T12:00:00Z`, 201], [`${inYears(5, 1)}T12:00:00Z`, 400], ['8765-01-01T00:00:00Z', 400],
  ] as const)('research-request deadline %s → %i, and nothing committed behind a 4xx', async (deadline, status) => {
    const r = await safely(deadline, 'essex-marat', `/v1/cases/${w.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'], deadline });
    expect(r.status).toBe(status);
    if (status === 400) {
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect(r.body.problems).toEqual([expect.objectContaining({ path: '/deadline' })]);
    }
  });

  it.each([
    ['0123456789', 400], ['CM29ZZ', 400], ['2026_01_01', 400], ['police.incidents[1234567890].summary', 400], ['police.incidents[x]', 400],
    ['Police.incidents', 400], ['police.incidents', 201], ['police.incidents[3].summary', 201], ['police.orders[0]', 201],
  ] as const)('a withheld field path %s → %i (it reaches the audit log, so only catalogued paths)', async (fieldPath, status) => {
    const tg = await w.target('essex-police');
    const body = sampleResponse('response-police.json', tg.ids);
    body.subjectResults[1].withheld = [{ fieldPath, reason: 'OTHER' }];
    const r = await safely(fieldPath, 'essex-police', `/v1/research-requests/${tg.requestId}/response`, body, { 'Idempotency-Key': `withheld-${fieldPath.replace(/[^A-Za-z0-9._:-]/g, '_')}` });
    expect(r.status).toBe(status);
    if (status === 400) {
      expect(r.body.code).toBe('UNKNOWN_FIELD_PATH');
      expect(r.body.problems).toEqual([expect.objectContaining({ path: '/subjectResults/1/withheld/0/fieldPath' })]);
    } else {
      w.invalidateTarget('essex-police');
    }
  });

  it.each(['/v1/research-requests/%ZZ', '/v1/cases/%E0%A4%A/research', '/v1/research-requests/%C0%AF'])('a path parameter that is not percent-encoding (%s) is 400 MALFORMED_URL, not MALFORMED_JSON', async (path) => {
    const before = await w.counts();
    const r = await w.call('essex-marat', 'GET', path);
    await expectSafeReply(w, path, r, before, true);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('MALFORMED_URL');
  });

  it('HEAD on the inbox or a pack is refused and changes nothing (Express would run the GET handler: deliver, audit)', async () => {
    const r = await post('essex-marat', `/v1/cases/${w.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['safe-steps-idva'] });
    expect(r.status).toBe(201);
    const messageId = r.body.messages[0].messageId;
    for (const [agency, path] of [['safe-steps-idva', '/v1/inbox?wait=0'], ['essex-marat', `/v1/cases/${w.caseId}/research`], ['essex-marat', `/v1/cases/${w.caseId}/research/export`]] as const) {
      const before = await w.counts();
      const head = await w.call(agency, 'HEAD', path);
      expect(head.status, path).toBe(405);
      expect(await w.counts(), path).toEqual(before);
    }
    const state = await w.t.db.pool.query('SELECT state FROM messages WHERE id = $1', [messageId]);
    expect(state.rows[0].state).toBe('queued');
    const got = await w.call('safe-steps-idva', 'GET', '/v1/inbox?wait=0');
    expect(got.body.messages.map((m: { messageId: string }) => m.messageId)).toContain(messageId);
  });

  it('a response with a completedAt leap second is a 4xx or accepted, never a 5xx', async () => {
    const tg = await w.target('essex-police');
    const body = { ...sampleResponse('response-police.json', tg.ids), completedAt: '2026-06-30T23:59:60Z' };
    const r = await safely('leap second', 'essex-police', `/v1/research-requests/${tg.requestId}/response`, body, { 'Idempotency-Key': 'leap-second-1' });
    if (r.status === 201) w.invalidateTarget('essex-police');
  });

  it('a dob at the edge of the date format is a 4xx or accepted, never a 5xx', async () => {
    const c = sampleCase();
    c.subjects[0].dobs = ['0000-01-01'];
    c.subjects[2].dobs = ['9999-12-31'];
    c.riskBasis.lastMaracReferralDate = '0000-02-29';
    await safely('edge dobs', 'essex-marat', '/v1/cases', c);
  });
});
