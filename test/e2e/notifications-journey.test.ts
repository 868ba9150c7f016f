/**
 * Notifications in real Chromium through the real OIDC log-in (lean: two pages): a researcher
 * turns a kind of message off on /account/notifications; an administrator reads, on /dev/mailbox,
 * the message the gateway's own SMTP server received for a new research request. axe-clean at
 * desktop width and at 375 px, no sideways scrolling; screenshots in test-results/screenshots.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleCase } from '../integration/exchange/fixtures.js';
import { settle } from '../integration/notifications/helpers.js';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { axeProblems, ensureShotDirs, launchChromium, SHOTS, signIn } from './helpers.js';

let w: WebWorld;
let browser: Browser;

async function shoot(page: Page, name: string): Promise<string[]> {
  await page.screenshot({ path: `${SHOTS}/notifications-${name}.png`, fullPage: true });
  const problems = await axeProblems(page);
  await page.setViewportSize({ width: 375, height: 800 });
  await page.screenshot({ path: `${SHOTS}/notifications-${name}-375.png`, fullPage: true });
  const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
  problems.push(...(await axeProblems(page)), ...(overflow > 0 ? [`${name}: ${overflow}px of sideways scrolling at 375 px`] : []));
  await page.setViewportSize({ width: 1280, height: 900 });
  return problems;
}

async function newPage(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  ctx.setDefaultTimeout(90_000);
  return ctx.newPage();
}

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([
    startWebWorld({ queue: 'postgres', env: { NOTIFICATIONS_TRANSPORT: 'dev-smtp', NOTIFICATIONS_POLL_MS: '3600000' } }),
    launchChromium(),
  ]);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await w?.close();
});

describe('notifications in the browser', () => {
  it('a researcher chooses, and an administrator sees what was sent', async () => {
    const researcher = await newPage();
    await signIn(researcher, w.base, 'researcher@chelmsford-housing', '/account/notifications');
    await researcher.getByLabel('A research deadline is near').uncheck();
    await researcher.getByRole('button', { name: 'Save choices' }).click();
    await researcher.waitForURL(/saved=1/);
    await expect.poll(() => researcher.getByText('Your notification choices are saved.').count()).toBe(1);
    expect(await researcher.getByLabel('A research deadline is near').isChecked()).toBe(false);
    expect(await researcher.getByLabel('A new research request for your agency').isChecked()).toBe(true);
    expect(await shoot(researcher, 'preferences')).toEqual([]);

    const c = await w.t.as('essex-marat').post('/v1/cases', sampleCase());
    const r = await w.t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing'] });
    expect(r.status).toBe(201);
    await settle(w.t.gateway);

    const admin = await newPage();
    await signIn(admin, w.base, 'admin', '/dev/mailbox');
    await expect.poll(() => admin.getByRole('heading', { name: 'New MARAC research request' }).count()).toBe(1);
    expect(await admin.getByText('researcher@chelmsford-housing.example').count()).toBe(1);
    expect(await shoot(admin, 'dev-mailbox')).toEqual([]);
  }, 420_000);
});
