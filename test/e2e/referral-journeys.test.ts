/**
 * Referrals in real Chromium through the real OIDC log-in: a referral with the 24 questions is
 * scored and accepted into a case; one below threshold is returned with the reason; a second
 * referral of the same victim is flagged as a repeat, confirmed and linked. Every new page is
 * checked with axe-core and saved at desktop width and at 375 px (test-results/screenshots; docs/screenshots/referral-* with UPDATE_DOC_SCREENSHOTS=1).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { referralForm, startWebWorld, type WebWorld } from '../integration/web/world.js';
import { referralFormFields } from '../integration/referrals/fixtures.js';
import { axeProblems, dayParts, ensureShotDirs, fillForm, launchChromium, screenshot, signIn } from './helpers.js';

// Generous: two cores shared; each page is checked with axe and photographed at two widths.
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

/** The page at desktop width and at 375 px (see screenshot()); axe at both. */
async function shoot(page: Page, name: string): Promise<string[]> {
  await screenshot(page, `referral-${name}`, { docs: true });
  const problems = await axeProblems(page);
  await page.setViewportSize({ width: 375, height: 800 });
  await screenshot(page, `referral-${name}-375`, { docs: true });
  // Nothing wider than the screen: no sideways scrolling on a phone.
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

const meeting = dayParts(21);
const fields = (yes: number, criteria?: Record<string, string | string[]>) => referralFormFields(referralForm(meeting), { yes, ...(criteria ? { criteria } : {}) });

describe('coordinator referrals', () => {
  it('a referral with the 24 questions is scored and accepted into a case', async () => {
    const page = await newPage();
    await signIn(page, w.base, 'coordinator@essex-marat', '/referrals');
    expect(page.url()).toBe(`${w.base}/referrals`);
    expect(await page.locator('.govuk-service-navigation').textContent()).toContain('Referrals');
    expect(await shoot(page, 'intake-empty')).toEqual([]);

    await page.getByRole('button', { name: 'Make a referral' }).click();
    await page.waitForURL(`${w.base}/referrals/new`);
    expect(await page.locator('input[type="radio"][value="YES"][name^="dash-"]').count()).toBe(24);
    expect(await shoot(page, 'form')).toEqual([]);

    // Send it with two answers missing: errors beside the fields, and the score so far.
    const partial = fields(16, { referralCriteria: 'POTENTIAL_ESCALATION', 'crit-POTENTIAL_ESCALATION-callouts': '4' });
    delete partial['dash-strangulation'];
    delete partial['dash-weapons'];
    await fillForm(page, partial);
    await page.getByRole('button', { name: 'Send referral' }).click();
    const summary = page.locator('.govuk-error-summary');
    await expect.poll(() => summary.locator('li').count()).toBe(2);
    expect(await page.locator('#dash-weapons-error').textContent()).toContain('Answer question 13');
    expect(await page.locator('main').textContent()).toContain('Dash score so far: 14');
    expect(await shoot(page, 'form-errors')).toEqual([]);

    await page.locator('input[name="dash-weapons"][value="YES"]').check();
    await page.locator('input[name="dash-strangulation"][value="YES"]').check();
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page.waitForURL(/\/referrals\/ref_[0-9a-f]{32}\?submitted=1$/);
    const main = page.locator('main');
    expect(await main.textContent()).toContain('16 ‘yes’ answers out of 24');
    expect(await main.textContent()).toContain('Dash score 16 is 14 or more: visible high risk');
    expect(await main.textContent()).toContain('4 police call-outs in 12 months: 3 or more for potential escalation');
    expect(await shoot(page, 'page')).toEqual([]);

    await page.goto(`${w.base}/referrals`);
    expect(await page.locator('main').textContent()).toContain('Waiting for a decision (1)');
    expect(await shoot(page, 'intake')).toEqual([]);
    await page.getByRole('link', { name: /View/ }).first().click();

    await fillForm(page, { 'meetingDate-day': meeting.day, 'meetingDate-month': meeting.month, 'meetingDate-year': meeting.year });
    await page.getByRole('button', { name: 'Accept and open a case' }).click();
    await page.waitForURL(/\/cases\/case_[0-9a-f]{32}\?opened=1$/);
    expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Case opened');
  }, TIMEOUT);

  it('a referral below threshold is returned with the reason', async () => {
    const page = await newPage();
    await signIn(page, w.base, 'coordinator@essex-marat', '/referrals/new');
    const f = fields(10, { referralCriteria: 'POTENTIAL_ESCALATION', 'crit-POTENTIAL_ESCALATION-callouts': '1' });
    Object.assign(f, { 'victim-given': 'Rita', 'victim-family': 'Lowscore', 'victim-nhs': '' });
    await fillForm(page, f);
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page.waitForURL(/\/referrals\/ref_[0-9a-f]{32}\?submitted=1$/);
    const main = page.locator('main');
    expect(await main.textContent()).toContain('Dash score 10 is below 14 for visible high risk');
    expect(await main.textContent()).toContain('1 police call-out in 12 months is below 3 for potential escalation');
    expect(await page.getByRole('button', { name: 'Accept and open a case' }).count()).toBe(0);
    expect(await shoot(page, 'below-threshold')).toEqual([]);

    await page.getByRole('button', { name: 'Return the referral' }).click();
    expect(await page.locator('#reason-error').textContent()).toContain('Enter the reason');
    await page.getByLabel('Return: the reason, for the referrer').fill('The Dash score is 10 and there is one call-out: refer to the IDVA service.');
    await page.getByRole('button', { name: 'Return the referral' }).click();
    await page.waitForURL(/\?returned=1$/);
    expect(await main.textContent()).toContain('The Dash score is 10 and there is one call-out: refer to the IDVA service.');
    expect(await shoot(page, 'returned')).toEqual([]);

    // The referring agency (here the coordinator's own) reads the same reason over the API.
    const id = new URL(page.url()).pathname.split('/').pop()!;
    const api = await w.t.as('essex-marat').get(`/v1/referrals/${id}`);
    expect(api.body).toMatchObject({ status: 'RETURNED', returnReason: 'The Dash score is 10 and there is one call-out: refer to the IDVA service.' });
  }, TIMEOUT);

  it('a repeat referral is flagged and linked to the earlier case', async () => {
    // The police send a Dash completed in their own system through the API: no re-keying.
    const caseBody = (await import('../integration/referrals/fixtures.js')).sampleReferral({ yes: 5 });
    const sent = await w.t.as('essex-police').post('/v1/referrals', caseBody, { 'Idempotency-Key': `e2e-repeat-${Date.now()}` });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body.possibleRepeat).toBe(true);

    const page = await newPage();
    await signIn(page, w.base, 'coordinator@essex-marat', '/referrals');
    expect(await page.locator('main').textContent()).toContain('Possible repeat');
    await page.goto(`${w.base}/referrals/${sent.body.referralId}`);
    const main = page.locator('main');
    expect(await main.textContent()).toContain('Waiting for your decision');
    expect(await main.textContent()).toContain('NHS number and name with date of birth');
    expect(await shoot(page, 'repeat-match')).toEqual([]);

    await page.getByRole('button', { name: /^Confirm the match with case/ }).click();
    await page.waitForURL(`${w.base}/referrals/${sent.body.referralId}`);
    expect(await main.textContent()).toContain('Confirmed: a repeat');
    expect(await main.textContent()).toMatch(/Repeat confirmed: an earlier case was opened on/);
    const earlier = await main.locator('a[href^="/cases/case_"]').first().getAttribute('href');
    expect(earlier).toMatch(/^\/cases\/case_[0-9a-f]{32}$/);
    expect(await shoot(page, 'repeat-confirmed')).toEqual([]);

    await fillForm(page, { 'meetingDate-day': meeting.day, 'meetingDate-month': meeting.month, 'meetingDate-year': meeting.year });
    await page.getByRole('button', { name: 'Accept and open a case' }).click();
    await page.waitForURL(/\/cases\/case_[0-9a-f]{32}\?opened=1$/);
    const link = await w.t.db.pool.query(
      `SELECT r.case_id, m.case_id AS earlier, m.status FROM referrals r JOIN referral_repeat_matches m ON m.referral_id = r.id WHERE r.id = $1`,
      [sent.body.referralId],
    );
    expect(link.rows[0]).toMatchObject({ earlier: earlier!.split('/').pop(), status: 'CONFIRMED' });
    const rb = await w.t.db.pool.query('SELECT risk_basis FROM cases WHERE id = $1', [link.rows[0].case_id]);
    expect(rb.rows[0].risk_basis.criteria).toContain('REPEAT');
  }, TIMEOUT);
});
