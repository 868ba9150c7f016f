/**
 * Issue 13 in real Chromium through the real OIDC sign-in: a coordinator opens a case, asks for
 * research without narrowing it (every domain goes out), the agencies answer over mTLS, a second
 * round follows, and the case page says who the case is about with the research grouped by round
 * and fields by label. Screenshots at desktop and 375 px (no sideways scrolling), axe-core clean.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESEARCH_DOMAINS } from '../../gateway/src/exchange/request-service.js';
import { referralForm, sampleResponseFor, startWebWorld, type WebWorld } from '../integration/web/world.js';
import { capture, dayParts, ensureShotDirs, fillForm, launchChromium, signIn } from './helpers.js';

const ANSWERS: Record<string, string> = {
  'essex-police': 'response-police.json',
  'chelmsford-housing': 'response-housing.json',
  'safe-steps-idva': 'response-idva.json',
};
const TIMEOUT = 420_000;

let w: WebWorld;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function newPage(width = 1280): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  ctx.setDefaultTimeout(90_000);
  contexts.push(ctx);
  return ctx.newPage();
}

/** Each agency collects its messages; every request asked for every domain; it answers. */
async function agenciesAnswer(agencies: string[]): Promise<void> {
  for (const agency of agencies) {
    const inbox = await w.t.as(agency).get('/v1/inbox?wait=2');
    expect(inbox.body.messages.length, agency).toBeGreaterThan(0);
    for (const msg of inbox.body.messages) {
      expect(msg.request.requestedDomains).toEqual([...RESEARCH_DOMAINS]);
      await w.t.as(agency).post(`/v1/inbox/${msg.messageId}/ack`);
      const r = await w.t.as(agency).post(`/v1/research-requests/${msg.requestId}/response`, sampleResponseFor(ANSWERS[agency]!, msg.request.subjects), { 'Idempotency-Key': `e2e13-${msg.messageId}` });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  }
}

async function noSidewaysScroll(page: Page): Promise<void> {
  // A string: the test code is type-checked without the DOM library.
  const widths = await page.evaluate(`({
    doc: document.documentElement.scrollWidth,
    view: window.innerWidth,
    wide: [...document.querySelectorAll('main *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5).map((e) => e.tagName + '.' + e.className),
  })`) as { doc: number; view: number; wide: string[] };
  expect(widths.doc, JSON.stringify(widths)).toBeLessThanOrEqual(widths.view);
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

describe('the case page and the research pack for people', () => {
  it('a default round returns research; the case page says who it is about; rounds grouped, fields labelled; desktop and 375 px', async () => {
    const page = await newPage();
    await signIn(page, w.base, 'coordinator@essex-marat', '/cases/new');
    await fillForm(page, { ...referralForm(dayParts(21)), externalRef: 'MN-2026-0142' });
    await page.getByRole('button', { name: 'Open case' }).click();
    await page.waitForURL(/\/cases\/case_[0-9a-f]{32}\?opened=1$/);
    const caseUrl = page.url().split('?')[0]!;

    // Round 1: nothing narrowed, so every domain the agreements allow.
    await page.getByRole('button', { name: 'Send a research request' }).click();
    expect(await page.locator('input[name="scope"][value="ALL"]').isChecked()).toBe(true);
    for (const agency of Object.keys(ANSWERS)) await page.locator(`input[name="recipients"][value="${agency}"]`).check();
    expect(await capture(page, 'research-request-scope', { docs: true })).toEqual([]);
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.waitForURL(/\?sent=req_/);
    await agenciesAnswer(Object.keys(ANSWERS));

    // Round 2: police again.
    await page.goto(`${caseUrl}/research/new`);
    await page.locator('input[name="recipients"][value="essex-police"]').check();
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.waitForURL(/\?sent=req_/);
    await agenciesAnswer(['essex-police']);

    await page.goto(caseUrl);
    const main = page.locator('main');
    expect(await main.locator('h1').textContent()).toBe('Case and research pack');
    const about = await main.textContent();
    for (const s of ['Who the case is about', 'Victim: Jane Sampleton', 'Perpetrator: Mark Sampleton', 'MN-2026-0142', '16 out of 24', 'Confidential: not shown here', 'Asking would alert the perpetrator.']) {
      expect(about).toContain(s);
    }
    expect(about).not.toContain('1 Example Row');
    // Latest per agency first: police from round 2; round 1 folded.
    expect(await main.locator('section[data-agency="essex-police"]').first().textContent()).toContain('Round 2: asked');
    const folded = main.locator('details[data-round="1"]');
    expect(await folded.count()).toBe(1);
    expect(await folded.getAttribute('open')).toBeNull();
    expect(await main.locator('.app-fields-table').first().textContent()).not.toMatch(/[a-z]+\.[a-z]+/);
    expect(about).toMatch(/Police — incident \d — summary|Person details — contact/);
    expect(await capture(page, 'case-page', { docs: true })).toEqual([]);
    await folded.locator('summary').click();
    expect(await capture(page, 'case-page-earlier-round')).toEqual([]);
    await noSidewaysScroll(page);

    const narrow = await newPage(375);
    await signIn(narrow, w.base, 'coordinator@essex-marat', new URL(caseUrl).pathname);
    await noSidewaysScroll(narrow);
    expect(await capture(narrow, 'case-page-375', { docs: true })).toEqual([]);
    await narrow.goto(`${caseUrl}/research/new`);
    await noSidewaysScroll(narrow);
    expect(await capture(narrow, 'research-request-375')).toEqual([]);
  }, TIMEOUT);
});
