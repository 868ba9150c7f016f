/**
 * The case list and a case's life in real Chromium through the real OIDC log-in: search finds a
 * case by name, by NHS number and by reference; the case is edited, withdrawn, reopened and closed
 * with an outcome. Every new page is checked with axe-core and saved at desktop width and at
 * 375 px (test-results/screenshots; docs/screenshots/cases-* with UPDATE_DOC_SCREENSHOTS=1).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { sampleCase } from '../integration/exchange/fixtures.js';
import { axeProblems, ensureShotDirs, fillForm, launchChromium, screenshot, signIn } from './helpers.js';

const TIMEOUT = 420_000;
let w: WebWorld;
let browser: Browser;
const contexts: BrowserContext[] = [];
const browserProblems: string[] = [];

async function newPage(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  ctx.setDefaultTimeout(90_000);
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) browserProblems.push(m.text());
  });
  page.on('pageerror', (e) => browserProblems.push(`script error: ${e.message}`));
  return page;
}

async function shoot(page: Page, name: string): Promise<string[]> {
  await screenshot(page, `cases-${name}`, { docs: true });
  const problems = await axeProblems(page);
  await page.setViewportSize({ width: 375, height: 800 });
  await screenshot(page, `cases-${name}-375`, { docs: true });
  const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
  problems.push(...(await axeProblems(page)), ...(overflow > 0 ? [`${name}: ${overflow}px of sideways scrolling at 375 px`] : []));
  await page.setViewportSize({ width: 1280, height: 900 });
  return problems;
}

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres' }), launchChromium()]);
});
afterEach(() => {
  expect(browserProblems.splice(0)).toEqual([]);
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await w?.close();
});

async function openCase(surname: string, ref: string, nhs: string, meetingDate: string) {
  const c = sampleCase({ meetingDate, externalRef: ref });
  c.subjects[0].names = [{ given: ['Anna'], family: surname }];
  c.subjects[0].identifiers = [{ system: 'nhs-number', value: nhs }];
  const r = await w.t.as('essex-marat').post('/v1/cases', c);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.caseId as string;
}

async function search(page: Page, fields: Record<string, string>) {
  await page.goto(`${w.base}/cases`);
  await fillForm(page, fields);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForLoadState('load');
}

describe('coordinator cases', () => {
  it('search finds a case by name, by NHS number and by reference', async () => {
    const caseId = await openCase('Harrowgate', 'ES-2026-0412', '9434765919', '2027-01-14');
    await openCase('Pemberton', 'ES-2026-0413', '9990013713', '2027-01-21');
    const page = await newPage();
    await signIn(page, w.base, 'coordinator@essex-marat', '/cases');
    expect(await shoot(page, 'list')).toEqual([]);

    await search(page, { familyName: 'harrowgate', givenName: 'Anna', 'dob-day': '12', 'dob-month': '4', 'dob-year': '1990' });
    expect(await page.locator('#results').textContent()).toContain('1 case found');
    expect(page.url().toLowerCase()).not.toContain('harrowgate'); // posted: no name in the address
    expect(await page.locator(`a[href="/cases/${caseId}"]`).count()).toBe(1);
    expect(await shoot(page, 'search-results')).toEqual([]);

    await search(page, { nhsNumber: '943 476 5919' });
    expect(await page.locator(`a[href="/cases/${caseId}"]`).count()).toBe(1);
    expect(page.url()).not.toMatch(/943|5919/);
    await search(page, { ref: 'es-2026-0412' });
    expect(await page.locator(`a[href="/cases/${caseId}"]`).count()).toBe(1);

    await search(page, { nhsNumber: '943 476 5918' });
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('NHS number');
    expect(await shoot(page, 'search-error')).toEqual([]);
  }, TIMEOUT);

  it('edit, withdraw, reopen and close with an outcome', async () => {
    const caseId = await openCase('Ashdown', 'ES-2026-0500', '9990054843', '2027-02-04');
    const page = await newPage();
    await signIn(page, w.base, 'coordinator@essex-marat', `/cases/${caseId}/edit`);
    expect(await shoot(page, 'edit')).toEqual([]);
    await fillForm(page, { 's0-family': 'Ashdown-Reeve', reason: 'Married name given at the second contact (fictional).' });
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await page.waitForURL(new RegExp(`/cases/${caseId}`));
    await search(page, { familyName: 'Ashdown Reeve' });
    expect(await page.locator(`a[href="/cases/${caseId}"]`).count()).toBe(1);

    await page.goto(`${w.base}/cases/${caseId}/withdraw`);
    expect(await shoot(page, 'withdraw')).toEqual([]);
    await fillForm(page, { reason: 'The victim moved out of the area (fictional).' });
    await page.getByRole('button', { name: 'Withdraw the case' }).click();
    await page.waitForURL(new RegExp(`/cases/${caseId}`));
    await page.goto(`${w.base}/cases/${caseId}/edit`);
    expect(await page.locator('h1').textContent()).toContain('This case is withdrawn');
    expect(await shoot(page, 'not-open')).toEqual([]);

    await page.goto(`${w.base}/cases/${caseId}/reopen`);
    expect(await shoot(page, 'reopen')).toEqual([]);
    await fillForm(page, { reason: 'Back in the area (fictional).' });
    await page.getByRole('button', { name: 'Reopen the case' }).click();
    await page.waitForURL(new RegExp(`/cases/${caseId}`));

    await page.goto(`${w.base}/cases/${caseId}/close`);
    expect(await shoot(page, 'close')).toEqual([]);
    await fillForm(page, { outcome: 'HEARD_ACTIONS_COMPLETE' });
    await page.getByRole('button', { name: 'Close the case' }).click();
    await page.waitForURL(new RegExp(`/cases/${caseId}`));
    await search(page, { ref: 'ES-2026-0500' });
    expect(await page.locator('.govuk-summary-card').first().textContent()).toContain('Heard at MARAC, actions complete');
    expect(await shoot(page, 'closed-in-list')).toEqual([]);
  }, TIMEOUT);
});
