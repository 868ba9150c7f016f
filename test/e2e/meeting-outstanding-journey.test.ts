/**
 * A coordinator with 16 cases on Thursday's agenda, before the meeting, in real Chromium through
 * the real OIDC sign-in: the meeting page shows the whole agenda as one table in running order and
 * sums what is still outstanding (research answers not in, actions due for review); from there,
 * by keyboard, "What is outstanding" lists each agency that has not answered with its cases (no
 * opening 16 case pages), and the actions due across the agenda; a jump link to an agency, a case
 * link to the case page, back to the agenda. At 1280 px and at 375 px (no sideways scrolling).
 * Screenshots looked at, axe clean.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { browserPages, capture, dayParts, ensureShotDirs, launchChromium, meetingWithAgenda, signIn } from './helpers.js';

const TIMEOUT = 300_000;

let w: WebWorld;
let browser: Browser;
const pages = browserPages(() => browser);

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres', workers: false }), launchChromium()]);
});
afterAll(async () => {
  await pages.closeAll();
  await browser?.close();
  await w?.close();
});

describe('what is outstanding before a 16-case meeting', () => {
  it('one view of which agencies have not answered on which cases, and of the actions due, from the agenda', async () => {
    const api = w.t.as('essex-marat');
    const thursday = dayParts(3);
    const { meetingId, caseIds } = await meetingWithAgenda(api, thursday.iso, 16);
    // Twelve cases still wait for research: police on all twelve, housing on every other one.
    for (let i = 0; i < 12; i++) {
      const recipients = i % 2 === 0 ? ['essex-police', 'chelmsford-housing'] : ['essex-police'];
      const r = await api.post(`/v1/cases/${caseIds[i]}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const action = await api.post(`/v1/cases/${caseIds[13]}/actions`, { description: 'Sanctuary scheme assessment', ownerAgencyId: 'chelmsford-housing', dueOn: dayParts(2).iso });
    expect(action.status, JSON.stringify(action.body)).toBe(201);

    const page = await pages.open(1280);
    await signIn(page, w.base, 'coordinator@essex-marat', `/meetings/${meetingId}`);
    await page.waitForURL(new RegExp(`/meetings/${meetingId}$`));
    expect(await page.locator('table[data-table="agenda"] tr.app-agenda__item').count()).toBe(16);
    const summary = await page.locator('[data-summary="outstanding"]').innerText();
    expect(summary).toContain('4 of the 16 cases have no research asked for yet.');
    expect(summary).toContain('18 research answers not in yet, on 12 of 16 cases.');
    expect(summary).toContain('1 open action due for review.');
    expect(await capture(page, 'meeting-agenda-16', { docs: true })).toEqual([]);

    // By keyboard to the chase list.
    await page.getByRole('link', { name: 'See what is outstanding, by agency' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/meetings/${meetingId}/outstanding$`));
    expect(await page.locator('[data-count="research"]').innerText()).toContain('18 answers from 2 agencies, on 12 of 16 cases on the agenda');
    const chase = page.locator('table[data-table="research-by-agency"] tbody tr');
    expect(await chase.allInnerTexts()).toEqual(['Essex Police\t12\t0', 'Chelmsford City Council Housing\t6\t0']);
    const housing = page.locator('section[data-agency="chelmsford-housing"]');
    expect(await housing.locator('tbody tr').count()).toBe(6);
    for (let i = 0; i < 12; i += 2) expect(await housing.locator(`a[href="/cases/${caseIds[i]}"]`).count()).toBe(1);
    expect(await housing.locator(`a[href="/cases/${caseIds[1]}"]`).count()).toBe(0);
    // The four cases nobody has been asked about, each with the way to ask.
    const notAsked = page.locator('table[data-table="not-asked"] tbody tr');
    expect(await notAsked.count()).toBe(4);
    for (let i = 12; i < 16; i++) expect(await page.locator(`table[data-table="not-asked"] a[href="/cases/${caseIds[i]}/research/new"]`).count()).toBe(1);
    const actions = page.locator('table[data-table="actions-for-review"] tbody tr');
    expect(await actions.count()).toBe(1);
    expect(await actions.innerText()).toContain('Sanctuary scheme assessment');
    expect(await actions.innerText()).toContain('Chelmsford City Council Housing');
    expect(await capture(page, 'meeting-outstanding', { docs: true })).toEqual([]);

    // The agency's jump link, then a case of its list, then back to the agenda.
    await page.getByRole('link', { name: 'Chelmsford City Council Housing' }).click();
    await page.waitForURL(/#agency-chelmsford-housing$/);
    await housing.locator(`a[href="/cases/${caseIds[2]}"]`).click();
    await page.waitForURL(new RegExp(`/cases/${caseIds[2]}$`));
    await page.goBack();
    await page.getByRole('link', { name: 'Back to the agenda' }).click();
    await page.waitForURL(new RegExp(`/meetings/${meetingId}$`));

    // A narrow window: one record per block, nothing scrolls sideways.
    const narrow = await pages.open(375);
    await signIn(narrow, w.base, 'coordinator@essex-marat', `/meetings/${meetingId}/outstanding`);
    await narrow.waitForURL(/\/outstanding$/);
    expect(Number(await narrow.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(375);
    expect(await capture(narrow, 'meeting-outstanding-375')).toEqual([]);
    await narrow.goto(`${w.base}/meetings/${meetingId}`);
    expect(Number(await narrow.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(375);
    expect(await capture(narrow, 'meeting-agenda-16-375')).toEqual([]);
  }, TIMEOUT);
});
