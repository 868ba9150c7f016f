/**
 * Issue 15 in real Chromium through the real OIDC sign-in: a housing researcher with no adapter
 * answers a research request through the web form (generated from the housing payload schema,
 * "Add another" without script), and the coordinator's pack shows the answer exactly as it shows
 * the same answer from an adapter. Screenshots at desktop and 375 px, axe-core clean.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResearchForm, parseResearchAnswer } from '../../gateway/src/ui/forms/research-form.js';
import { referralForm, startWebWorld, type LoggedIn, type WebWorld } from '../integration/web/world.js';
import { capture, dayParts, ensureShotDirs, fillForm, launchChromium, signIn } from './helpers.js';

const TIMEOUT = 420_000;
let w: WebWorld;
let browser: Browser;
let coord: LoggedIn;
const contexts: BrowserContext[] = [];

async function newPage(width = 1280): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  ctx.setDefaultTimeout(90_000);
  contexts.push(ctx);
  return ctx.newPage();
}

async function caseAsking(): Promise<{ caseId: string; requestId: string }> {
  const res = await w.form('/cases/new', coord, referralForm(dayParts(21)));
  const caseId = res.headers.get('location')!.split('?')[0]!.split('/').pop()!;
  const sent = await w.form(`/cases/${caseId}/research/new`, coord, { purpose: 'MARAC_RESEARCH', lookbackMonths: '12', scope: 'ALL', recipients: ['chelmsford-housing'] });
  return { caseId, requestId: new URL(sent.headers.get('location')!, w.base).searchParams.get('sent')! };
}

function answer(roles: string[]): Record<string, string | string[]> {
  const v = roles.indexOf('VICTIM');
  const p = roles.indexOf('PERPETRATOR');
  const c = roles.indexOf('CHILD');
  return {
    [`s${v}.match`]: 'MATCHED', [`s${v}.matchedOn`]: ['name', 'dob'], [`s${v}.currentInvolvement`]: 'true',
    [`s${v}.housing.tenure`]: 'COUNCIL', [`s${v}.housing.jointTenancyWithPerpetrator`]: 'true', [`s${v}.housing.rentArrearsBand`]: 'UNDER_500',
    [`s${v}.housing.sanctuaryScheme.installed`]: 'true', [`s${v}.housing.sanctuaryScheme.date-day`]: '1',
    [`s${v}.housing.sanctuaryScheme.date-month`]: '2', [`s${v}.housing.sanctuaryScheme.date-year`]: '2026',
    [`s${v}.withheld.0.fieldPath`]: 'housing.propertyUprn', [`s${v}.withheld.0.reason`]: 'THIRD_PARTY',
    [`s${p}.match`]: 'POSSIBLE', [`s${p}.matchedOn`]: 'name',
    [`s${c}.match`]: 'NOT_FOUND',
    agencyRiskSummary: 'Repeat visits by the perpetrator reported by neighbours.',
  };
}

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres' }), launchChromium()]);
  coord = await w.login('coordinator@essex-marat');
}, TIMEOUT);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await w?.close();
});

describe('a housing researcher answers in the browser', () => {
  it('through the generated form; the coordinator’s pack shows it as an adapter’s answer', async () => {
    const web = await caseAsking();
    const page = await newPage();
    await signIn(page, w.base, 'researcher@chelmsford-housing', '/');
    expect(new URL(page.url()).pathname).toBe('/agency/inbox');
    await page.getByRole('heading', { name: 'Research requests' }).waitFor();
    expect(await capture(page, 'agency-inbox', { docs: true })).toEqual([]);

    await page.locator(`a[href="/agency/requests/${web.requestId}/answer"]`).click();
    await page.getByRole('heading', { name: 'Answer a research request' }).waitFor();
    const headings = await page.locator('h2[id^="subject-"]').allTextContents();
    const roles = headings.map((h) => (h.startsWith('Victim') ? 'VICTIM' : h.startsWith('Perpetrator') ? 'PERPETRATOR' : 'CHILD'));
    const v = roles.indexOf('VICTIM');
    // "Add another" without script: the form comes back with a second withheld row.
    await page.locator(`button[value="add:s${v}.withheld"]`).click();
    await page.locator(`[name="s${v}.withheld.1.fieldPath"]`).waitFor();
    await fillForm(page, answer(roles));
    expect(await capture(page, 'agency-answer-form', { docs: true })).toEqual([]);
    const narrow = await newPage(375);
    await signIn(narrow, w.base, 'researcher@chelmsford-housing', `/agency/requests/${web.requestId}/answer`);
    expect(await capture(narrow, 'agency-answer-form-375')).toEqual([]);

    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.waitForURL((u) => u.pathname === '/agency/inbox');
    await page.getByText('Your answer has been sent').waitFor();
    expect(await capture(page, 'agency-inbox-answered')).toEqual([]);

    // The same answer from an adapter, for another case.
    const api = await caseAsking();
    const polled = await w.t.as('chelmsford-housing').get('/v1/inbox?wait=2');
    const msg = polled.body.messages.find((m: { requestId: string }) => m.requestId === api.requestId);
    const apiRoles = (msg.request.subjects as { role: string }[]).map((s) => s.role);
    const values = answer(apiRoles);
    const parsed = parseResearchAnswer(describeResearchForm('HOUSING', msg.request.subjects, values), values);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors.items));
    const sent = await w.t.as('chelmsford-housing').post(`/v1/research-requests/${api.requestId}/response`, parsed.body, { 'Idempotency-Key': 'e2e15-adapter-1' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);

    // The coordinator's case pages: the housing section reads the same for both.
    const cp = await newPage();
    await signIn(cp, w.base, 'coordinator@essex-marat', `/cases/${web.caseId}`);
    const section = async (caseId: string) => {
      await cp.goto(`${w.base}/cases/${caseId}`);
      const html = await cp.locator('main').innerText();
      return html.slice(html.indexOf('Housing')).replace(/case_[0-9a-f]{32}|req_[0-9a-f]{32}|\d{1,2} \w+ \d{4}(, \d{1,2}:\d{2}(am|pm))?/g, '…');
    };
    const fromWeb = await section(web.caseId);
    expect(fromWeb).toContain('Council');
    expect(await capture(cp, 'agency-answer-in-coordinator-pack')).toEqual([]);
    expect(fromWeb).toEqual(await section(api.caseId));
  }, TIMEOUT);
});
