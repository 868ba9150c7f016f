/**
 * Issue 14 in real Chromium through the real OIDC sign-in: the coordinator schedules a meeting,
 * adds three cases to its agenda (one a repeat, one with research outstanding, one with an overdue
 * action), moves one up, and records attendance with an apology whose information was sent. The
 * agenda shows the time slots and flags. Screenshots at desktop and 375 px (no sideways
 * scrolling), axe-core clean.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { sampleCase } from '../integration/exchange/fixtures.js';
import { capture, dayParts, ensureShotDirs, fillForm, launchChromium, signIn } from './helpers.js';

const TIMEOUT = 300_000;

let w: WebWorld;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function newPage(width = 1280): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  ctx.setDefaultTimeout(90_000);
  contexts.push(ctx);
  return ctx.newPage();
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(`({
    doc: document.documentElement.scrollWidth,
    view: window.innerWidth,
    wide: [...document.querySelectorAll('main *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5).map((e) => e.tagName + '.' + e.className),
  })`) as { doc: number; view: number; wide: string[] };
  expect(widths.doc, JSON.stringify(widths)).toBeLessThanOrEqual(widths.view);
}

/** Three open cases: a repeat, one with research outstanding, one with an overdue action. */
async function seedCases(): Promise<{ caseId: string; ref: string }[]> {
  const out: { caseId: string; ref: string }[] = [];
  const recent = dayParts(-60).iso;
  for (const [i, over] of [
    { riskBasis: { criteria: ['VISIBLE_HIGH_RISK', 'REPEAT'], dashScore: 17, dashVersion: 'SAFELIVES_24Q', lastMaracReferralDate: recent } },
    {},
    {},
  ].entries()) {
    const ref = `ESX-${24 + i}-${randomBytes(2).toString('hex').toUpperCase()}`;
    const r = await w.t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: dayParts(14).iso, externalRef: ref, ...over }));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    out.push({ caseId: r.body.caseId as string, ref });
  }
  const sent = await w.t.as('essex-marat').post(`/v1/cases/${out[1]!.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police', 'chelmsford-housing'] });
  expect(sent.status, JSON.stringify(sent.body)).toBe(201);
  // An action agreed earlier and now overdue (the action plan has its own pages and tests).
  await w.t.db.pool.query(
    `INSERT INTO case_actions (id, case_id, owner_agency_id, due_on, status, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, created_by)
     VALUES ($1, $2, 'chelmsford-housing', $3, 'OPEN', 'k1', '\\x00', '\\x00', '\\x00', 'e2e')`,
    [`act_${randomBytes(16).toString('hex')}`, out[2]!.caseId, dayParts(-3).iso],
  );
  return out;
}

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres' }), launchChromium()]);
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await w?.close();
});

describe('running a MARAC meeting', () => {
  it('schedule, three cases on the agenda, reorder, attendance with an apology that sent information; desktop and 375 px', async () => {
    const cases = await seedCases();
    const page = await newPage();
    await signIn(page, w.base, 'coordinator@essex-marat', '/meetings');
    await page.getByRole('button', { name: 'Schedule a meeting' }).click();
    expect(await capture(page, 'meeting-new')).toEqual([]);
    const day = dayParts(14);
    await fillForm(page, { 'date-day': day.day, 'date-month': day.month, 'date-year': day.year, time: '10:00', chair: 'DI Jane Example', venue: 'Chelmsford Civic Centre, Room 2' });
    await page.getByRole('button', { name: 'Schedule the meeting' }).click();
    await page.waitForURL(/\/meetings\/mtg_[0-9a-f]{32}\?done=scheduled/);
    const meetingUrl = page.url().split('?')[0]!;

    for (const [i, c] of cases.entries()) {
      await page.getByRole('button', { name: 'Add a case' }).click();
      if (i === 0) expect(await capture(page, 'meeting-add-case')).toEqual([]);
      await page.getByLabel(c.ref).check();
      await page.getByLabel('Time for the case, in minutes').fill(i === 1 ? '20' : '15');
      await page.getByRole('button', { name: 'Add to the agenda' }).click();
      await page.waitForURL(/done=added/);
    }
    // The third case goes up one place: first, then the second ... as a person would, by button.
    await page.getByRole('button', { name: `Move up ${cases[2]!.ref}` }).click();
    await page.waitForURL(/done=moved/);
    const order = (await w.t.db.pool.query(
      'SELECT case_id FROM meeting_cases WHERE meeting_id = $1 ORDER BY position', [meetingUrl.split('/').pop()],
    )).rows.map((r) => r.case_id);
    expect(order).toEqual([cases[0]!.caseId, cases[2]!.caseId, cases[1]!.caseId]);

    await page.getByRole('link', { name: 'Record attendance' }).click();
    const police = page.locator('.app-subject-section', { has: page.getByRole('heading', { name: 'Essex Police' }) });
    await police.getByLabel('Present', { exact: true }).check();
    await police.getByLabel('Representative (optional)').fill('DS Sam Example');
    const housing = page.locator('.app-subject-section', { has: page.getByRole('heading', { name: 'Chelmsford City Council Housing' }) });
    await housing.getByLabel('Apologies', { exact: true }).check();
    await housing.getByLabel('Information sent').check();
    const today = dayParts(0);
    await housing.getByLabel('Day', { exact: true }).fill(today.day);
    await housing.getByLabel('Month', { exact: true }).fill(today.month);
    await housing.getByLabel('Year', { exact: true }).fill(today.year);
    const idva = page.locator('.app-subject-section', { has: page.getByRole('heading', { name: 'Safe Steps IDVA service' }) });
    await idva.getByLabel('Present', { exact: true }).check();
    expect(await capture(page, 'meeting-attendance')).toEqual([]);
    await page.getByRole('button', { name: 'Save attendance' }).click();
    await page.waitForURL(/done=attendance/);

    const main = page.locator('main');
    await expect.poll(() => main.innerText()).toContain('Attendance recorded.');
    const text = await main.innerText();
    expect(text).toContain('10:00am to 10:15am');
    expect(text).toContain('10:15am to 10:30am');
    expect(text).toContain('10:30am to 10:50am');
    expect(text).toContain('Repeat');
    expect(text).toContain('1 action overdue');
    expect(text).toContain('1 action due for review');
    expect(text).toContain('Research outstanding');
    expect(text).toMatch(/Chelmsford City Council Housing\s+Apologies\s+–\s+Yes, received/);
    expect(text).toContain('DS Sam Example');
    expect(await capture(page, 'meeting-agenda', { docs: true })).toEqual([]);

    await page.goto(`${w.base}/meetings`);
    expect(await capture(page, 'meetings')).toEqual([]);

    const narrow = await newPage(375);
    await signIn(narrow, w.base, 'coordinator@essex-marat', meetingUrl.replace(w.base, ''));
    await narrow.goto(meetingUrl);
    await noSidewaysScroll(narrow);
    expect(await capture(narrow, 'meeting-agenda-375', { docs: true })).toEqual([]);
    await narrow.goto(`${meetingUrl}/attendance`);
    await noSidewaysScroll(narrow);
    expect(await capture(narrow, 'meeting-attendance-375')).toEqual([]);
  }, TIMEOUT);
});
