/**
 * Agency staff in the browser, for a request whose case has been withdrawn (issue: answers to
 * withdrawn or closed cases were still accepted): the inbox marks the request "Case withdrawn" with
 * no link and nothing of the case; the answer form, saving a draft, sending and declining are each
 * 409 with nothing written, and each refusal is audited (ACCESS_DENIED, CASE_WITHDRAWN).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referralForm, startWebWorld, type LoggedIn, type WebWorld } from './world.js';

let w: WebWorld;
let coord: LoggedIn;
let housing: LoggedIn;

function days(n: number): { day: string; month: string; year: string } {
  const d = new Date(Date.now() + n * 86_400_000);
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) };
}

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres' });
  coord = await w.login('coordinator@essex-marat');
  housing = await w.login('researcher@chelmsford-housing');
});
afterAll(async () => {
  await w?.close();
});

describe('a withdrawn case’s request in the researcher’s pages', () => {
  it('is marked in the inbox, and the form, a draft, an answer and a decline are refused (409, audited, nothing written)', async () => {
    const res = await w.form('/cases/new', coord, { ...referralForm(days(21)) });
    expect(res.status).toBe(303);
    const caseId = res.headers.get('location')!.split('?')[0]!.split('/').pop()!;
    const sent = await w.form(`/cases/${caseId}/research/new`, coord, { purpose: 'MARAC_RESEARCH', lookbackMonths: '12', scope: 'ALL', recipients: ['chelmsford-housing'] });
    expect(sent.status).toBe(303);
    const requestId = new URL(sent.headers.get('location')!, w.base).searchParams.get('sent')!;
    // Opened once while the case is open (collected, as the API would).
    const form = await (await w.page(`/agency/requests/${requestId}/answer`, housing)).text();
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(form)![1]!;

    const wd = await w.t.as('essex-marat').post(`/v1/cases/${caseId}/withdraw`, { reason: 'Moved away (fictional).' });
    expect(wd.status).toBe(200);
    const count = async () => (await w.t.db.pool.query(
      `SELECT m.state, (SELECT count(*)::int FROM responses s WHERE s.message_id = m.id) AS responses,
              (SELECT count(*)::int FROM research_drafts d WHERE d.message_id = m.id) AS drafts
         FROM messages m WHERE m.request_id = $1`, [requestId])).rows[0];
    const before = await count();

    const inbox = await (await w.page('/agency/inbox', housing)).text();
    const row = inbox.slice(inbox.indexOf(`data-request-id="${requestId}"`));
    expect(row.slice(0, 2000)).toContain('Case withdrawn');
    expect(inbox).not.toContain(`href="/agency/requests/${requestId}/answer"`);

    const refused = [
      await w.page(`/agency/requests/${requestId}/answer`, housing),
      await w.form(`/agency/requests/${requestId}/answer`, housing, { action: 'save', 's0.match': 'MATCHED', idempotencyKey: key }),
      await w.form(`/agency/requests/${requestId}/answer`, housing, { action: 'submit', 's0.match': 'NOT_FOUND', 's1.match': 'NOT_FOUND', 's2.match': 'NOT_FOUND', idempotencyKey: key }),
      await w.form(`/agency/requests/${requestId}/decline`, housing, { declineReason: 'NOT_KNOWN', idempotencyKey: key }),
    ];
    expect(refused.map((r) => r.status)).toEqual([409, 409, 409, 409]);
    expect(await count()).toEqual(before);
    await w.t.gateway.audit.flush(w.t.gateway.pool);
    const denied = await w.t.db.pool.query(
      `SELECT reason_code, canonical FROM audit_events WHERE action = 'ACCESS_DENIED' AND request_id = $1 ORDER BY seq`, [requestId]);
    expect(denied.rows.map((r) => r.reason_code)).toEqual(['CASE_WITHDRAWN', 'CASE_WITHDRAWN', 'CASE_WITHDRAWN', 'CASE_WITHDRAWN']);
    for (const r of denied.rows) expect(JSON.parse(r.canonical).actor).toMatchObject({ kind: 'person', agencyId: 'chelmsford-housing' });
  });
});
