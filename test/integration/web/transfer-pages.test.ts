/**
 * The transfer pages over HTTP (docs/decisions/0029-transfers.md), signed in through the OIDC
 * provider: Essex's coordinator offers a case to Southend from the case page (only areas the
 * inter-area agreements allow; anything else refused with the reason in words), Southend's
 * coordinator reads the released bundle, accepts (a case opens in Southend, "Transferred from
 * Essex") or refuses with a reason; bad posts are refused with the form again and nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleCase } from '../exchange/fixtures.js';
import { startWebWorld, type LoggedIn, type WebWorld } from './world.js';

let w: WebWorld;
let essex: LoggedIn;
let southend: LoggedIn;

const dayFromNow = (days: number) => new Date(Date.now() + days * 86_400_000);
const iso = (d: Date) => d.toISOString().slice(0, 10);
const dateFields = (prefix: string, d: Date) => ({ [`${prefix}-day`]: String(d.getUTCDate()), [`${prefix}-month`]: String(d.getUTCMonth() + 1), [`${prefix}-year`]: String(d.getUTCFullYear()) });

async function openCase(): Promise<string> {
  const r = await w.t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: iso(dayFromNow(14)) }));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.caseId;
}

async function transferRow(caseId: string) {
  return (await w.t.db.pool.query('SELECT id, status, to_case_id FROM transfers WHERE from_case_id = $1', [caseId])).rows;
}

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', workers: false });
  essex = await w.login('coordinator@essex-marat');
  southend = await w.login('coordinator@southend-marac');
});
afterAll(async () => {
  await w?.close();
});

describe('offering a case', () => {
  it('the case page links to the transfer form, which offers only Southend', async () => {
    const caseId = await openCase();
    const page = await (await w.page(`/cases/${caseId}`, essex)).text();
    expect(page).toContain(`href="/cases/${caseId}/transfer"`);
    const form = await w.page(`/cases/${caseId}/transfer`, essex);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('value="southend-marac"');
    expect(html).not.toContain('value="essex-police"');
    // Another area's coordinator cannot see the case, nor its transfer form.
    expect((await w.page(`/cases/${caseId}/transfer`, southend)).status).toBe(404);
  });

  it('refuses a post with no area, or an area no agreement allows, with the form again and nothing written', async () => {
    const caseId = await openCase();
    const none = await w.form(`/cases/${caseId}/transfer`, essex, {});
    expect(none.status).toBe(400);
    expect(await none.text()).toContain('Select the MARAC to transfer the case to');
    const police = await w.form(`/cases/${caseId}/transfer`, essex, { toCoordinatorAgencyId: 'essex-police' });
    expect(police.status).toBe(403);
    expect(await police.text()).toContain('No inter-area agreement covers this transfer');
    const forged = await w.form(`/cases/${caseId}/transfer`, essex, { toCoordinatorAgencyId: 'southend-marac', _csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect(await transferRow(caseId)).toEqual([]);
  });
});

describe('receiving, accepting and refusing', () => {
  let caseId: string;
  let transferId: string;

  it('Essex offers; Southend sees the offer and reads the released bundle; Essex sees the state only', async () => {
    caseId = await openCase();
    const offered = await w.form(`/cases/${caseId}/transfer`, essex, { toCoordinatorAgencyId: 'southend-marac' });
    expect(offered.status).toBe(303);
    const location = offered.headers.get('location')!;
    expect(location).toMatch(/^\/transfers\/trf_[0-9a-f]{32}\?offered=1$/);
    transferId = location.split('?')[0]!.split('/').pop()!;
    const confirmation = await (await w.page(location, essex)).text();
    expect(confirmation).toContain('Transfer offered');
    expect(confirmation).not.toContain('Sampleton');

    const list = await (await w.page('/transfers', southend)).text();
    expect(list).toContain(`/transfers/${transferId}`);
    expect(list).toContain('From Essex');
    const view = await w.page(`/transfers/${transferId}`, southend);
    expect(view.status).toBe(200);
    const html = await view.text();
    expect(html).toContain('Transfer bundle');
    expect(html).toContain('Jane Sampleton');
    expect(html).toContain('Accept and open a case');
    expect(html).not.toContain('CM2 9ZZ');
    // Essex's case page says where the case was offered.
    expect(await (await w.page(`/cases/${caseId}`, essex)).text()).toContain('Transferred to Southend (offered, waiting for a decision)');
  });

  it('refuses a bad accept with the form again and nothing written', async () => {
    const bad = await w.form(`/transfers/${transferId}/accept`, southend, { consentStatus: 'REFUSED' });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain('Enter the date of the MARAC meeting');
    expect(html).toContain('Enter why you are sharing without consent');
    const past = await w.form(`/transfers/${transferId}/accept`, southend, { ...dateFields('meetingDate', dayFromNow(-3)), consentStatus: 'GIVEN' });
    expect(past.status).toBe(400);
    // The sender cannot accept its own offer.
    expect((await w.form(`/transfers/${transferId}/accept`, essex, { ...dateFields('meetingDate', dayFromNow(10)), consentStatus: 'GIVEN' })).status).toBe(404);
    expect(await transferRow(caseId)).toEqual([{ id: transferId, status: 'OFFERED', to_case_id: null }]);
  });

  it('Southend accepts: a case opens in Southend, linked both ways on the case pages', async () => {
    const r = await w.form(`/transfers/${transferId}/accept`, southend, {
      ...dateFields('meetingDate', dayFromNow(10)), consentStatus: 'NOT_SOUGHT_UNSAFE', rationale: 'Asking would alert the perpetrator.',
    });
    expect(r.status, await r.clone().text()).toBe(303);
    const location = r.headers.get('location')!;
    expect(location).toMatch(/^\/cases\/case_[0-9a-f]{32}\?opened=1$/);
    const toCaseId = location.split('?')[0]!.split('/').pop()!;
    expect(await transferRow(caseId)).toEqual([{ id: transferId, status: 'ACCEPTED', to_case_id: toCaseId }]);
    const southendCase = await (await w.page(location, southend)).text();
    expect(southendCase).toContain('Transferred from Essex');
    expect(southendCase).toContain(`/transfers/${transferId}`);
    expect(await (await w.page(`/cases/${caseId}`, essex)).text()).toContain('Transferred to Southend (accepted)');
    expect((await w.page(`/cases/${toCaseId}`, essex)).status).toBe(404);
  });

  it('Southend refuses another offer with a reason; Essex sees it refused', async () => {
    const second = await openCase();
    const offered = await w.form(`/cases/${second}/transfer`, essex, { toCoordinatorAgencyId: 'southend-marac' });
    const id = offered.headers.get('location')!.split('?')[0]!.split('/').pop()!;
    const none = await w.form(`/transfers/${id}/refuse`, southend, {});
    expect(none.status).toBe(400);
    expect(await none.text()).toContain('Select the reason for refusing the transfer');
    const r = await w.form(`/transfers/${id}/refuse`, southend, { reason: 'ALREADY_KNOWN' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/transfers?refused=1');
    expect(await transferRow(second)).toEqual([{ id, status: 'REFUSED', to_case_id: null }]);
    const essexView = await (await w.page(`/transfers/${id}`, essex)).text();
    expect(essexView).toContain('We already have a case for this victim');
    expect(await (await w.page(`/cases/${second}`, essex)).text()).toContain('Transferred to Southend (refused)');
  });
});
