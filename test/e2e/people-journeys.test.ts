/**
 * Each role signs in through the real OIDC flow in real Chromium and does its main task, on one
 * whole gateway (agencies answer over mTLS with `t.as(...)`). Every page visited is checked with
 * axe-core (no serious or critical violations) and saved as a screenshot in
 * test-results/screenshots/; the research pack and the agreement preview also go to
 * docs/screenshots/ for the README.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyExport } from '../../gateway/src/audit/verify.js';
import { referralForm, sampleResponseFor, startWebWorld, type WebWorld } from '../integration/web/world.js';
import { capture, dayParts, ensureShotDirs, fillForm, launchChromium, signIn } from './helpers.js';

const ANSWERS: Record<string, string> = {
  'essex-police': 'response-police.json',
  'mse-hospitals': 'response-health.json',
  'chelmsford-housing': 'response-housing.json',
  'safe-steps-idva': 'response-idva.json',
};

/** Generous: the machine may be shared; the run's total is what the CI summary tracks. */
const JOURNEY_TIMEOUT = 180_000;

let w: WebWorld;
let browser: Browser;
let caseUrl = '';
const contexts: BrowserContext[] = [];

/** Anything the browser refused to run or load because of the Content-Security-Policy, or a script error. */
const browserProblems: string[] = [];

async function newPage(): Promise<Page> {
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  ctx.setDefaultTimeout(90_000);
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) browserProblems.push(m.text());
  });
  page.on('pageerror', (e) => browserProblems.push(`script error: ${e.message}`));
  return page;
}

/** Every agency with a message waiting collects it, acknowledges it and answers with its sample. */
async function agenciesAnswer(agencies: string[]): Promise<void> {
  for (const agency of agencies) {
    const inbox = await w.t.as(agency).get('/v1/inbox?wait=2');
    expect(inbox.status).toBe(200);
    for (const msg of inbox.body.messages) {
      expect((await w.t.as(agency).post(`/v1/inbox/${msg.messageId}/ack`)).status).toBe(200);
      const r = await w.t.as(agency).post(
        `/v1/research-requests/${msg.requestId}/response`,
        sampleResponseFor(ANSWERS[agency]!, msg.request.subjects),
        { 'Idempotency-Key': `e2e-${msg.messageId}` },
      );
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  }
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

describe('coordinator', () => {
  it('signs in, opens a case through the referral form and sends research requests', async () => {
    const page = await newPage();
    await page.goto(`${w.base}/`);
    // The nonce'd inline script ran and GOV.UK Frontend initialised its components.
    expect(await page.getAttribute('body', 'class')).toContain('govuk-frontend-supported');
    expect(await capture(page, '01-start')).toEqual([]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Username').fill('coordinator@essex-marat');
    await page.getByLabel('Password').fill('demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${w.base}/cases`);
    await capture(page, '02-cases-empty', { axe: false });

    await page.getByRole('button', { name: 'Open a case' }).click();
    await page.getByRole('button', { name: 'Open case' }).click();
    // Every problem at once, in the error summary, each linked to its field.
    const summary = page.locator('.govuk-error-summary');
    await expect.poll(() => summary.locator('li').count()).toBeGreaterThan(5);
    expect(await page.title()).toMatch(/^Error: /);
    await summary.getByRole('link', { name: 'Enter the victim’s family name' }).click();
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('victim-family');
    expect(await capture(page, '03-referral-errors')).toEqual([]);

    const meeting = dayParts(21);
    await fillForm(page, referralForm(meeting));
    await page.getByRole('button', { name: 'Open case' }).click();
    await page.waitForURL(/\/cases\/case_[0-9a-f]{32}\?opened=1$/);
    caseUrl = page.url().split('?')[0]!;
    expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Case opened');
    expect(await capture(page, '04-case-opened')).toEqual([]);

    await page.getByRole('button', { name: 'Send a research request' }).click();
    // An agency party to no agreement in force is not offered at all (issue 15).
    expect(await page.locator('input[name="recipients"][value="recovery-ltd"]').count()).toBe(0);
    for (const agency of Object.keys(ANSWERS)) await page.locator(`input[name="recipients"][value="${agency}"]`).check();
    expect(await capture(page, '05-research-request')).toEqual([]);
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.waitForURL(/\?sent=req_/);
    const banner = await page.locator('.govuk-notification-banner').textContent();
    expect(banner).toContain('Research request sent to 4 agencies');
    await capture(page, '06-request-sent', { axe: false });
  }, JOURNEY_TIMEOUT);

  it('reads the research pack after the agencies answered, prints it and exports it', async () => {
    await agenciesAnswer(Object.keys(ANSWERS));
    const page = await newPage();
    await signIn(page, w.base, 'coordinator@essex-marat', new URL(caseUrl).pathname);
    expect(page.url()).toBe(caseUrl);
    const main = page.locator('main');
    expect(await main.locator('h1').textContent()).toBe('Case and research pack');
    expect(await main.locator('.govuk-tag', { hasText: 'Answered' }).count()).toBeGreaterThanOrEqual(4);
    // Released, transformed, withheld (policy vs agency) and opinion labels are all on the page.
    expect(await main.locator('.govuk-tag', { hasText: /^Policy$/ }).count()).toBeGreaterThan(0);
    expect(await main.locator('.govuk-tag', { hasText: /^Agency$/ }).count()).toBeGreaterThan(0);
    expect(await main.locator('.govuk-tag', { hasText: 'Transformed' }).count()).toBeGreaterThan(0);
    expect(await main.locator('.govuk-tag', { hasText: 'Opinion' }).count()).toBeGreaterThan(0);
    // The victim's confidential address never reaches housing's section unmasked: housing saw CONFIDENTIAL.
    expect(await main.textContent()).not.toContain('1 Example Row');
    expect(await capture(page, 'research-pack', { docs: true })).toEqual([]);

    // The print button is revealed by our module script (the browser's print command works without it).
    expect(await page.getByRole('button', { name: 'Print or save as PDF' }).isVisible()).toBe(true);
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: 'test-results/screenshots/research-pack-print.png', fullPage: true });
    expect(await page.locator('.govuk-service-navigation').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the research pack' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^research-pack-case_[0-9a-f]{32}\.html$/);
    const html = await readFile((await download.path())!, 'utf8');
    expect(html).toContain('RESEARCH PACK – OFFICIAL-SENSITIVE');
    expect(html).not.toContain('DRAFT MINUTES'); // the minutes are their own page now
    const exported = await w.t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'PACK_EXPORTED' AND case_id = $1`, [caseUrl.split('/').pop()]);
    await expect.poll(async () => (await w.t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'PACK_EXPORTED'`)).rows[0].n).toBe(1);
    expect(exported.rows[0].n).toBeLessThanOrEqual(1);

    await page.goto(`${w.base}/cases`);
    expect(await page.locator('main').textContent()).toContain('4 of 4');
    expect(await capture(page, '07-cases')).toEqual([]);
  }, JOURNEY_TIMEOUT);
});

describe('IG officers', () => {
  let draftUrl = '';

  it('officer 1 drafts a change in the rule table and previews it', async () => {
    const page = await newPage();
    await signIn(page, w.base, 'ig.officer1', '/agreements');
    expect(await capture(page, '10-agreements')).toEqual([]);
    await page.getByRole('link', { name: 'Essex MARAT research sharing' }).click();
    await page.getByRole('link', { name: /^Version 1/ }).click();
    expect(await capture(page, '11-agreement-version')).toEqual([]);
    await page.getByRole('button', { name: 'Draft a change' }).click();
    await page.waitForURL(/\/versions\/2\?done=drafted$/);
    draftUrl = page.url().split('?')[0]!;

    // Housing's rent arrears are not needed for safety planning: stop releasing them.
    await page.getByRole('link', { name: 'housing-to-coordinator' }).click();
    const name = await page.locator('input[name$="-field"][value="housing.rentArrearsBand"]').getAttribute('name');
    const row = name!.replace(/-field$/, '');
    await page.locator(`select[name="${row}-op"]`).selectOption('drop');
    expect(await capture(page, '12-flow-editor')).toEqual([]);
    await page.getByRole('button', { name: 'Save and check' }).click();
    expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Saved');

    // A rule that does not fit its field is reported next to it, with the others, after saving.
    await page.locator(`select[name="${row}-op"]`).selectOption('count');
    await page.getByRole('button', { name: 'Save and check' }).click();
    expect(await page.locator(`#${row}-op-error`).textContent()).toContain('count');
    expect(await capture(page, '13-flow-editor-problem')).toEqual([]);
    await page.locator(`select[name="${row}-op"]`).selectOption('drop');
    await page.getByRole('button', { name: 'Save and check' }).click();
    expect(await page.locator('.govuk-error-summary').count()).toBe(0);

    await page.goto(`${draftUrl}/diff?from=1`);
    expect(await page.locator('main').textContent()).toContain('housing.rentArrearsBand');
    expect(await capture(page, '14-agreement-diff')).toEqual([]);

    await page.goto(`${draftUrl}/preview`);
    await page.locator('input[name="sample"][value="response-housing.json"]').check();
    await page.getByRole('button', { name: 'Show the preview' }).click();
    const coordinatorSection = page.locator('section[data-agency="essex-marat"]');
    expect(await coordinatorSection.locator('.govuk-grid-column-one-half').first().textContent()).toContain('Rent arrears band');
    expect(await coordinatorSection.locator('.govuk-grid-column-one-half').nth(1).textContent()).not.toContain('Rent arrears band');
    expect(await capture(page, 'agreement-preview', { docs: true })).toEqual([]);

    // Maker-checker: the author is not offered the approval of their own draft (issue 13; the
    // service still refuses a hand-made post: test/integration/web/case-page.test.ts).
    await page.goto(draftUrl);
    expect(await page.getByRole('button', { name: 'Approve this version' }).count()).toBe(0);
    expect(await page.locator('main').textContent()).toContain('another IG officer must approve it');
  }, JOURNEY_TIMEOUT);

  it('officer 2 approves and activates it, and the next message follows it', async () => {
    const page = await newPage();
    await signIn(page, w.base, 'ig.officer2', new URL(draftUrl).pathname);
    await page.getByRole('button', { name: 'Approve this version' }).click();
    await page.waitForURL(/done=approved/);
    await page.getByRole('button', { name: 'Activate this version' }).click();
    await page.waitForURL(/done=activated/);
    expect(await page.locator('h1 .govuk-tag').textContent()).toContain('Active');
    await capture(page, '15-agreement-activated', { axe: false });

    // The coordinator asks housing again; the answer is released under version 2.
    const coord = await newPage();
    await signIn(coord, w.base, 'coordinator@essex-marat', `${new URL(caseUrl).pathname}/research/new`);
    await coord.locator('input[name="recipients"][value="chelmsford-housing"]').check();
    await coord.getByRole('button', { name: 'Send request' }).click();
    await coord.waitForURL(/\?sent=req_/);
    await agenciesAnswer(['chelmsford-housing']);
    await coord.reload();
    // The latest answer first (round 2, under version 2); round 1's answer is folded below it.
    const housing = coord.locator('section[data-agency="chelmsford-housing"]');
    expect(await housing.count()).toBe(2);
    const latest = (await housing.nth(0).textContent())!;
    expect(latest).toContain('Round 2: asked');
    expect(latest).toContain('essex-marat version 2');
    expect(latest).toMatch(/Housing — rent arrears band\s*Not released by the agreement|Housing — rent arrears band\s*Dropped by a rule/);
    expect(latest.includes('Rent arrears band')).toBe(false);
    const earlier = coord.locator('details[data-round="1"] section[data-agency="chelmsford-housing"]');
    expect(await earlier.count()).toBe(1);
    expect(await earlier.textContent()).toContain('essex-marat version 1');
    expect(await earlier.textContent()).toContain('Rent arrears band');
  }, JOURNEY_TIMEOUT);
});

describe('auditor', () => {
  it('finds the events about a subject, opens one, exports them and verifies the log', async () => {
    const page = await newPage();
    await signIn(page, w.base, 'auditor', '/audit');
    expect(await capture(page, '20-audit-search')).toEqual([]);
    await page.locator('input[name="subjectSystem"][value="nhs-number"]').check();
    await page.fill('#subjectValue', '999 001 3713');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('main table tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(3);
    const text = (await page.locator('main table').textContent())!;
    // Newest first: the case's later reads fill the first page; the export below holds them all.
    expect(text).toContain('VIEW_READ');
    // No identifier in the URL or the next-page form.
    expect(page.url()).toBe(`${w.base}/audit`);
    expect(await page.locator('input[type="hidden"][value*="9990013713"]').count()).toBe(0);
    expect(await capture(page, '21-audit-results')).toEqual([]);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export NDJSON' }).click()]);
    const ndjson = await readFile((await download.path())!, 'utf8');
    const events = ndjson.split('\n').filter((l) => l.startsWith('{"action"'));
    expect(events.length).toBeGreaterThan(3);
    expect(events.some((l) => l.startsWith('{"action":"CASE_CREATED"'))).toBe(true);
    expect(ndjson).not.toContain('9990013713');

    await rows.first().getByRole('link').click();
    await page.waitForURL(/\/audit\/events\/\d+$/);
    expect(await capture(page, '22-audit-event')).toEqual([]);

    await page.goto(`${w.base}/audit/checkpoint`);
    const keyPem = await page.evaluate(async () => (await fetch('/audit/public-key.pem')).text());
    expect(keyPem).toContain('BEGIN PUBLIC KEY');
    const offline = await verifyExport([ndjson], { publicKeys: [keyPem] });
    expect(offline.ok, JSON.stringify(offline)).toBe(true);
    await page.getByRole('button', { name: 'Verify now' }).click();
    expect(await page.locator('.govuk-panel').textContent()).toContain('The audit log verifies');
    expect(await capture(page, '23-audit-verified')).toEqual([]);
  }, JOURNEY_TIMEOUT);
});

describe('every other page', () => {
  it('passes axe-core too: forms with errors, editors, lists, error pages, sign-in failure', async () => {
    const problems: Record<string, string[]> = {};
    const check = async (page: Page, name: string) => {
      const found = await capture(page, name);
      if (found.length) problems[name] = found;
    };
    // Independent people in their own browser contexts: run side by side.
    await Promise.all([
      (async () => {
        const coord = await newPage();
        await signIn(coord, w.base, 'coordinator@essex-marat', `${new URL(caseUrl).pathname}/research/new`);
        await coord.getByRole('button', { name: 'Send request' }).click();
        expect(await coord.locator('.govuk-error-summary').textContent()).toContain('Select at least one agency');
        await check(coord, '30-request-errors');
        await coord.goto(`${w.base}/audit`);
        expect(await coord.locator('h1').textContent()).toBe('You do not have access to this page');
        await check(coord, '31-forbidden');
        await coord.goto(`${w.base}/no-such-page`);
        await check(coord, '32-not-found');
      })(),
      (async () => {
        const officer = await newPage();
        await signIn(officer, w.base, 'ig.officer1', '/agreements/essex-marat');
        await check(officer, '33-agreement-versions');
        await officer.getByRole('link', { name: 'Version 1' }).click();
        await officer.getByRole('button', { name: 'Draft a change' }).click();
        await officer.waitForURL(/done=drafted/);
        await officer.goto(`${officer.url().split('?')[0]}/details`);
        await check(officer, '34-agreement-details');
        await officer.goto(`${w.base}/agreements/import`);
        await officer.getByRole('button', { name: 'Import as a draft' }).click();
        await check(officer, '35-agreement-import-error');
      })(),
      (async () => {
        const admin = await newPage();
        await signIn(admin, w.base, 'admin', '/');
        expect(new URL(admin.url()).pathname).toBe('/agencies');
        await check(admin, '36-agencies');
        const auditor = await newPage();
        await signIn(auditor, w.base, 'auditor', '/audit/checkpoint');
        await check(auditor, '37-checkpoint');
        const anonymous = await newPage();
        await anonymous.goto(`${w.base}/auth/callback?code=x&state=y`);
        expect(await anonymous.locator('h1').textContent()).toBe('Sign-in failed');
        await check(anonymous, '38-sign-in-failed');
      })(),
    ]);
    expect(problems).toEqual({});
  }, JOURNEY_TIMEOUT);
});
