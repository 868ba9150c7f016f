/**
 * Issue 14 at the meeting, in real Chromium through the real OIDC sign-in: a meeting with an
 * agenda of three cases is scheduled over the API (fast); in the browser the coordinator records
 * the minutes of one case (the victim's voice first), three actions (two through the form, one with
 * the "tell the survivor the outcome" shortcut), marks one done and one "not done: circumstances
 * changed", and the case page lists all three with their status. Screenshots at desktop and 375 px
 * (no sideways scrolling), axe-core clean.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { sampleCase } from '../integration/exchange/fixtures.js';
import { capture, dayParts, ensureShotDirs, fillForm, launchChromium, signIn } from './helpers.js';

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

async function noSidewaysScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(`({ doc: document.documentElement.scrollWidth, view: window.innerWidth })`) as { doc: number; view: number };
  expect(widths.doc, JSON.stringify(widths)).toBeLessThanOrEqual(widths.view);
}

/** A meeting three days ahead with three cases on its agenda, through the agency API. */
async function meetingWithAgenda(): Promise<{ meetingId: string; caseIds: string[] }> {
  const meeting = dayParts(3);
  const api = w.t.as('essex-marat');
  const caseIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await api.post('/v1/cases', sampleCase({ meetingDate: meeting.iso, externalRef: `MJ-${i}-${Math.random().toString(36).slice(2, 6)}` }));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    caseIds.push(r.body.caseId);
  }
  const m = await api.post('/v1/meetings', { startsAt: `${meeting.iso}T10:00:00+00:00`, chair: 'DI Chair' });
  expect(m.status, JSON.stringify(m.body)).toBe(201);
  const meetingId = (m.body.id ?? m.body.meetingId) as string;
  for (const caseId of caseIds) {
    const a = await api.post(`/v1/meetings/${meetingId}/agenda`, { caseId });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
  }
  return { meetingId, caseIds };
}

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres', workers: false }), launchChromium()]);
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await w?.close();
});

describe('minutes and the action plan for people', () => {
  it('minutes, three actions, one done, one not done: circumstances changed; the case page lists them; desktop and 375 px', async () => {
    const { meetingId, caseIds } = await meetingWithAgenda();
    const caseId = caseIds[0]!;
    const minutesUrl = `${w.base}/meetings/${meetingId}/cases/${caseId}/minutes`;
    const page = await newPage();
    await signIn(page, w.base, 'coordinator@essex-marat', `/meetings/${meetingId}/cases/${caseId}/minutes`);
    expect(page.url()).toBe(minutesUrl);

    // The victim's voice comes first on the form.
    const first = await page.locator('main textarea').first().getAttribute('name');
    expect(first).toBe('victimVoice');
    await fillForm(page, {
      victimVoice: 'Through the IDVA: she wants to stay in her home with the children and for him to keep away.',
      risks: 'Escalation since the last incident; strangulation disclosed.',
      decisions: 'Sanctuary scheme; police to flag the address; IDVA to support at court.',
      crimesDisclosed: 'Criminal damage to the front door.',
      'notShared-0-what': 'Health visitor notes',
      'notShared-0-why': 'The health visitor sent apologies; to follow',
    });
    await page.locator('input[name="shared"][value="essex-police_meeting"]').check();
    await page.getByLabel('What Essex Police shared (optional)').fill('Two call-outs in the last month');
    await page.getByRole('button', { name: 'Save the minutes' }).click();
    await page.waitForURL(/minutes\?saved=1$/);
    await expect(page.getByText('Minutes saved.')).toBeTruthy();
    expect(await page.locator('textarea[name="victimVoice"]').inputValue()).toContain('she wants to stay');
    expect(await capture(page, 'minutes-form')).toEqual([]);

    // Two actions through the form, one through the survivor feedback shortcut.
    const due = dayParts(17);
    for (const [description, owner] of [['Fit a sanctuary scheme at the address', 'chelmsford-housing'], ['Flag the address for an urgent response', 'essex-police']] as const) {
      await fillForm(page, { description, ownerAgencyId: owner, 'dueOn-day': due.day, 'dueOn-month': due.month, 'dueOn-year': due.year });
      await page.getByRole('button', { name: 'Add the action' }).click();
      await page.waitForURL(/minutes\?added=1/);
    }
    await page.getByRole('button', { name: 'Tell the survivor the outcome' }).click();
    await page.waitForURL(/minutes\?added=1/);
    const plan = page.locator('#action-plan + table');
    await expect(plan).toBeTruthy();
    expect(await page.locator('table.app-data-table tbody tr').count()).toBe(3);
    expect(await page.getByText('Telling the survivor the outcome is on the action plan.').count()).toBe(1);
    expect(await capture(page, 'minutes-action-plan')).toEqual([]);

    // One done, one not done because circumstances changed.
    await page.getByRole('link', { name: 'Flag the address for an urgent response' }).click();
    await page.waitForURL(/\/actions\/act_[0-9a-f]{32}$/);
    await page.getByLabel('Done', { exact: true }).check();
    await page.getByLabel('Note').fill('Address flagged on the police system');
    await page.getByRole('button', { name: 'Save the update' }).click();
    await page.waitForURL(/\?updated=1$/);
    expect(await page.getByText('Address flagged on the police system').count()).toBe(1);
    expect(await capture(page, 'action-update')).toEqual([]);

    await page.goto(minutesUrl);
    await page.getByRole('link', { name: 'Fit a sanctuary scheme at the address' }).click();
    await page.getByLabel('Not done: circumstances changed').check();
    await page.getByRole('button', { name: 'Save the update' }).click();
    expect(await page.locator('.govuk-error-summary').count()).toBe(1);
    expect(await capture(page, 'action-update-error')).toEqual([]);
    await page.getByLabel('Note').fill('She moved to a refuge out of the area');
    await page.getByRole('button', { name: 'Save the update' }).click();
    await page.waitForURL(/\?updated=1$/);

    // The case page lists every action with its status.
    await page.goto(`${w.base}/cases/${caseId}`);
    const actions = page.locator('#actions + table tbody tr');
    expect(await actions.count()).toBe(3);
    const text = await page.locator('#actions + table').innerText();
    for (const s of ['Fit a sanctuary scheme at the address', 'Flag the address for an urgent response', 'Tell the survivor the outcome', 'Not done: circumstances changed', 'Done', 'Open', 'Safe Steps IDVA service']) {
      expect(text).toContain(s);
    }
    await page.locator('#actions').scrollIntoViewIfNeeded();
    expect(await capture(page, 'case-actions')).toEqual([]);

    // 375 px: the minutes page and the case's actions stack without sideways scrolling.
    const narrow = await newPage(375);
    await signIn(narrow, w.base, 'coordinator@essex-marat', `/meetings/${meetingId}/cases/${caseId}/minutes`);
    await noSidewaysScroll(narrow);
    expect(await capture(narrow, 'minutes-375')).toEqual([]);
    await narrow.goto(`${w.base}/cases/${caseId}`);
    await noSidewaysScroll(narrow);
  }, TIMEOUT);
});
