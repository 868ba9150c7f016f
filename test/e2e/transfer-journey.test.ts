/**
 * A MARAC-to-MARAC transfer in real Chromium through the OIDC log-in (docs/decisions/0029): Essex's
 * coordinator offers a case to Southend from the case page; Southend's coordinator finds the offer
 * under Transfers, reads the bundle and accepts; the new case says where it came from. Each page is
 * checked with axe at desktop width and at 375 px (no sideways scrolling), screenshots in
 * test-results/screenshots/transfer-*.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sampleCase } from '../integration/exchange/fixtures.js';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { axeProblems, browserPages, dayParts, ensureShotDirs, fillForm, launchChromium, SHOTS, signIn } from './helpers.js';

const TIMEOUT = 300_000;
let w: WebWorld;
let browser: Browser;
let pages: ReturnType<typeof browserPages>;

async function check(page: Page, name: string): Promise<string[]> {
  await page.screenshot({ path: `${SHOTS}/transfer-${name}.png`, fullPage: true });
  const problems = await axeProblems(page);
  await page.setViewportSize({ width: 375, height: 800 });
  await page.screenshot({ path: `${SHOTS}/transfer-${name}-375.png`, fullPage: true });
  const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
  problems.push(...(await axeProblems(page)), ...(overflow > 0 ? [`${name}: ${overflow}px of sideways scrolling at 375 px`] : []));
  await page.setViewportSize({ width: 1280, height: 900 });
  return problems;
}

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres', workers: false }), launchChromium()]);
  pages = browserPages(() => browser);
});
afterAll(async () => {
  await pages?.closeAll();
  await browser?.close();
  await w?.close();
});

it('Essex offers a case to Southend; Southend reads the bundle and accepts it into a case of its own', async () => {
  const opened = await w.t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: dayParts(14).iso }));
  expect(opened.status).toBe(201);
  const caseId = opened.body.caseId as string;

  const essex = await pages.open();
  await signIn(essex, w.base, 'coordinator@essex-marat', `/cases/${caseId}`);
  await essex.getByRole('link', { name: 'Transfer to another MARAC' }).click();
  await essex.waitForURL(`${w.base}/cases/${caseId}/transfer`);
  expect(await check(essex, 'offer')).toEqual([]);
  await fillForm(essex, { toCoordinatorAgencyId: 'southend-marac' });
  await essex.getByRole('button', { name: 'Offer the case' }).click();
  await essex.waitForURL(/\/transfers\/trf_[0-9a-f]{32}\?offered=1$/);
  expect(await essex.locator('.govuk-notification-banner').textContent()).toContain('Transfer offered');
  expect(await check(essex, 'offered')).toEqual([]);

  const southend = await pages.open();
  await signIn(southend, w.base, 'coordinator@southend-marac', '/transfers');
  expect(await southend.locator('.govuk-service-navigation').textContent()).toContain('Transfers');
  expect(await check(southend, 'list')).toEqual([]);
  await southend.getByRole('link', { name: /Read and decide/ }).click();
  await southend.waitForURL(/\/transfers\/trf_[0-9a-f]{32}$/);
  expect(await southend.locator('h1').textContent()).toContain('Transfer from Essex');
  expect(await check(southend, 'bundle')).toEqual([]);

  const meeting = dayParts(10);
  await fillForm(southend, { 'meetingDate-day': meeting.day, 'meetingDate-month': meeting.month, 'meetingDate-year': meeting.year, consentStatus: 'NOT_SOUGHT_UNSAFE', rationale: 'Asking would alert the perpetrator.' });
  await southend.getByRole('button', { name: 'Accept and open a case' }).click();
  await southend.waitForURL(/\/cases\/case_[0-9a-f]{32}\?opened=1$/);
  expect(await southend.locator('.app-case-transfers').textContent()).toContain('Transferred from Essex');
  expect(await check(southend, 'new-case')).toEqual([]);
}, TIMEOUT);
