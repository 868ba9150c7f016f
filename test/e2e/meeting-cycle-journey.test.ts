/**
 * Issue 14's "Done means", one meeting cycle in real Chromium through the real OIDC sign-in: a
 * meeting held nearly three weeks ago with an agenda of three cases (set up over the agency API
 * with the gateway's clock moved back, so the meeting could be scheduled then); in the browser the
 * coordinator records the minutes of one case and three actions, updates one and marks one "not
 * done: circumstances changed"; the next meeting's agenda shows the action now overdue; the minutes
 * page says the minutes are not yet circulated and offers no agency's copy until the coordinator
 * marks the meeting held and circulates them (decision 0033); then the minutes download as .docx
 * and PDF for police and housing through Playwright's download API from the minutes page's
 * "Produce for" form, and each copy holds only what that agency's agreement releases (the victim's
 * voice goes to police, not to housing). Screenshots looked at, axe clean.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { docxText, pdfText } from '../helpers/documents.js';
import { browserPages, capture, dayParts, downloadOf, ensureShotDirs, fillForm, launchChromium, meetingWithAgenda, signIn } from './helpers.js';

const TIMEOUT = 420_000;
const DAY = 86_400_000;
const VOICE = 'She wants to stay in her home with the children and feels safer with the new locks.';

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

async function addAction(page: Page, description: string, owner: string, due: { day: string; month: string; year: string }) {
  await fillForm(page, { description, ownerAgencyId: owner, 'dueOn-day': due.day, 'dueOn-month': due.month, 'dueOn-year': due.year });
  await page.getByRole('button', { name: 'Add the action' }).click();
  await page.waitForURL(/minutes\?added=1/);
}

async function update(page: Page, minutesUrl: string, action: string, status: string, note: string) {
  await page.goto(minutesUrl);
  await page.getByRole('link', { name: action }).click();
  await page.getByLabel(status, { exact: true }).check();
  await page.getByLabel('Note').fill(note);
  await page.getByRole('button', { name: 'Save the update' }).click();
  await page.waitForURL(/\?updated=1$/);
  expect(await page.getByText(note).count()).toBe(1);
}

describe('a MARAC meeting cycle', () => {
  it('agenda of three, minutes and three actions, an update and a "not done: circumstances changed", overdue at the next meeting, per-agency .docx and PDF', async () => {
    // The meeting was held 19 days ago: scheduled when that was still ahead (the gateway's clock, API only, before anyone signs in).
    const held = dayParts(-19);
    w.t.clock.set(new Date(Date.now() - 20 * DAY).toISOString());
    const { meetingId, caseIds } = await meetingWithAgenda(w.t.as('essex-marat'), held.iso, 3).finally(() => w.t.clock.real());
    const caseId = caseIds[0]!;
    const minutesPath = `/meetings/${meetingId}/cases/${caseId}/minutes`;
    const minutesUrl = `${w.base}${minutesPath}`;

    const page = await pages.open();
    await signIn(page, w.base, 'coordinator@essex-marat', minutesPath);
    await fillForm(page, {
      victimVoice: VOICE,
      risks: 'Escalation since the last incident; strangulation disclosed.',
      decisions: 'Sanctuary scheme; police to flag the address; IDVA to support at court.',
      crimesDisclosed: 'Criminal damage to the front door.',
    });
    await page.getByRole('button', { name: 'Save the minutes' }).click();
    await page.waitForURL(/minutes\?saved=1$/);

    // Three actions: two due a week after the meeting (so overdue now), and telling the survivor the outcome.
    const due = dayParts(-12);
    await addAction(page, 'Fit a sanctuary scheme at the address', 'chelmsford-housing', due);
    await addAction(page, 'Flag the address for an urgent response', 'essex-police', due);
    await page.getByRole('button', { name: 'Tell the survivor the outcome' }).click();
    await page.waitForURL(/minutes\?added=1/);
    expect(await page.locator('table.app-data-table tbody tr').count()).toBe(3);
    expect(await capture(page, 'minutes-action-plan', { docs: true })).toEqual([]);

    // One updated (still open: a dated note), one not done because circumstances changed.
    await update(page, minutesUrl, 'Flag the address for an urgent response', 'Open', 'Flag requested; the system change is booked');
    await update(page, minutesUrl, 'Fit a sanctuary scheme at the address', 'Not done: circumstances changed', 'She moved to a refuge out of the area');
    await page.goto(`${w.base}/cases/${caseId}`);
    const plan = await page.locator('#actions + table').innerText();
    for (const s of ['Not done: circumstances changed', '(overdue)\tOpen']) expect(plan).toContain(s);

    // The next meeting, a week ahead: the police action, still open and past its date, is flagged on the agenda.
    const next = await w.t.as('essex-marat').post('/v1/meetings', { startsAt: `${dayParts(7).iso}T10:00:00+00:00`, chair: 'DI Chair' });
    expect(next.status, JSON.stringify(next.body)).toBe(201);
    const nextId = (next.body.id ?? next.body.meetingId) as string;
    expect((await w.t.as('essex-marat').post(`/v1/meetings/${nextId}/agenda`, { caseId })).status).toBe(201);
    await page.goto(`${w.base}/meetings/${nextId}`);
    const row = page.locator('tr.app-agenda__item', { has: page.locator(`a[href="/cases/${caseId}"]`) }).first();
    expect(await row.innerText()).toContain('1 action overdue');
    expect(await capture(page, 'next-meeting-overdue', { docs: true })).toEqual([]);

    // No agency's copy before the minutes are circulated (decision 0033): the page says so and links
    // to the meeting page, where the coordinator marks the meeting held and circulates them.
    await page.goto(minutesUrl);
    await page.locator('#documents').scrollIntoViewIfNeeded();
    expect(await page.locator('[data-state="minutes-not-circulated"]').count()).toBe(1);
    expect(await page.locator('#document-agency').count()).toBe(0);
    expect(await capture(page, 'minutes-not-circulated')).toEqual([]);
    await page.getByRole('link', { name: 'the meeting page' }).click();
    await page.getByRole('button', { name: /^Mark as held/ }).click();
    await page.waitForURL(/done=held/);
    await page.getByRole('button', { name: /^Circulate the minutes/ }).click();
    await page.waitForURL(/done=circulated-minutes/);
    expect(await page.locator('#circulation + p + p').innerText()).toContain('Minutes circulated on');

    // Minutes for police and for housing, each as .docx and PDF, from the "Produce for" form.
    await page.goto(minutesUrl);
    await page.locator('#documents').scrollIntoViewIfNeeded();
    expect(await page.locator('[data-state="minutes-circulated"]').innerText()).toContain('Version 1 circulated on');
    expect(await capture(page, 'minutes-produce-for', { docs: true })).toEqual([]);
    const copies: Record<string, { docx: string; pdf: string; header: string }> = {};
    for (const agency of ['essex-police', 'chelmsford-housing']) {
      await page.selectOption('#document-agency', agency);
      const docx = await downloadOf(page, () => page.getByRole('button', { name: 'Download as Word (.docx)' }).click());
      await page.selectOption('#document-agency', agency);
      const pdf = await downloadOf(page, () => page.getByRole('button', { name: 'Download as PDF' }).click());
      expect([docx.name, pdf.name]).toEqual([`minutes-${meetingId}-${caseId}-for-${agency}.docx`, `minutes-${meetingId}-${caseId}-for-${agency}.pdf`]);
      const d = docxText(docx.body);
      copies[agency] = { docx: d.body, header: d.headers.join(' '), pdf: pdfText(pdf.body).text.replace(/\s+/g, ' ') };
    }
    const police = copies['essex-police']!;
    const housing = copies['chelmsford-housing']!;
    expect(police.docx).toContain(VOICE);
    expect(police.pdf).toContain(VOICE);
    expect(police.docx).toContain('Criminal damage to the front door.');
    for (const text of [housing.docx, housing.pdf]) {
      expect(text).not.toContain('feels safer with the new locks');
      expect(text).not.toContain('Criminal damage to the front door');
      expect(text).toContain('Sanctuary scheme; police to flag the address');
    }
    expect(housing.docx).toContain('Not shown to Chelmsford City Council Housing');
    expect(housing.header).toContain('Produced for Chelmsford City Council Housing only');
    expect(police.header).toContain('Produced for Essex Police only');
  }, TIMEOUT);
});
