import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { AgencyClient } from '../helpers/gateway.js';
import { sampleCase } from '../integration/exchange/fixtures.js';

/** Real Chromium, as `.ci/run` installs it (Debian's package). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export const SHOTS = 'test-results/screenshots';
export const DOC_SHOTS = 'docs/screenshots';

export async function ensureShotDirs(): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await mkdir(DOC_SHOTS, { recursive: true });
}

/** WCAG 2.2 A and AA rules (axe-core's best-practice rules are advisory). */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Serious and critical axe-core violations on the page as it is now ([] when clean). */
export async function axeProblems(page: Page, opts: { allRules?: boolean } = {}): Promise<string[]> {
  // axe-core itself, injected once per document and run in the page: @axe-core/playwright's
  // builder opened a second page and injected axe into both on every call, about five times the
  // cost (1.4 s against 0.25 s a page here), and our pages have no frames for it to reach.
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axe.source);
  const runOnly = opts.allRules ? '' : `runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} }, `;
  const result = (await page.evaluate(`window.axe.run(document, { ${runOnly}resultTypes: ['violations'] })`)) as axe.AxeResults;
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
}

/**
 * Full-page screenshot into test-results/screenshots/<name>.png; with `docs`, also the README's
 * copy in docs/screenshots, which changes only on purpose: UPDATE_DOC_SCREENSHOTS=1 npx vitest run test/e2e
 */
export async function screenshot(page: Page, name: string, opts: { docs?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  if (opts.docs && process.env.UPDATE_DOC_SCREENSHOTS === '1') await copyFile(`${SHOTS}/${name}.png`, `${DOC_SHOTS}/${name}.png`);
}

/** Screenshot (full page) into test-results/screenshots/<name>.png and return the axe problems. */
export async function capture(page: Page, name: string, opts: { docs?: boolean; axe?: boolean } = {}): Promise<string[]> {
  await screenshot(page, name, opts);
  return opts.axe === false ? [] : axeProblems(page);
}

/** Signs in through the gateway's /login and the provider's own sign-in page. */
export async function signIn(page: Page, base: string, username: string, returnTo = '/'): Promise<void> {
  await page.goto(`${base}/login?returnTo=${encodeURIComponent(returnTo)}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.origin === new URL(base).origin && u.pathname !== '/auth/callback');
}

/** A meeting `days` calendar days ahead, as the date input's parts. */
export function dayParts(daysAhead: number): { day: string; month: string; year: string; iso: string } {
  const d = new Date(Date.now() + daysAhead * 86_400_000);
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()), iso: d.toISOString().slice(0, 10) };
}

/** Fills a form the way a person would, from the same field map the HTTP tests post. */
export async function fillForm(page: Page, fields: Record<string, string | string[]>): Promise<void> {
  for (const [name, raw] of Object.entries(fields)) {
    const values = Array.isArray(raw) ? raw : [raw];
    const first = page.locator(`[name="${name}"]`).first();
    if ((await first.count()) === 0) throw new Error(`no field ${name}`);
    const tag = await first.evaluate((el) => el.tagName.toLowerCase());
    const type = (await first.getAttribute('type')) ?? '';
    if (tag === 'select') await first.selectOption(values[0]!);
    else if (type === 'checkbox' || type === 'radio') {
      for (const v of values) await page.locator(`[name="${name}"][value="${v}"]`).check();
    } else if (type === 'hidden') continue;
    else await first.fill(values[0]!);
  }
}

/** Browser contexts a test file opens (desktop or a phone's width), closed together in afterAll. */
export function browserPages(browser: () => Browser): { open(width?: number): Promise<Page>; closeAll(): Promise<void> } {
  const contexts: BrowserContext[] = [];
  return {
    async open(width = 1280) {
      const ctx = await browser().newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
      ctx.setDefaultTimeout(90_000);
      contexts.push(ctx);
      return ctx.newPage();
    },
    async closeAll() {
      for (const c of contexts) await c.close().catch(() => {});
    },
  };
}

/** A meeting on `day` (YYYY-MM-DD) at 10:00 with `n` new cases on its agenda, through the coordinator's agency API. */
export async function meetingWithAgenda(api: AgencyClient, day: string, n = 3): Promise<{ meetingId: string; caseIds: string[]; created: any[] }> {
  const caseIds: string[] = [];
  const created: any[] = [];
  for (let i = 0; i < n; i++) {
    const r = await api.post('/v1/cases', sampleCase({ meetingDate: day, externalRef: `E2E-${i}-${randomBytes(3).toString('hex')}` }));
    if (r.status !== 201) throw new Error(`case: ${r.status} ${JSON.stringify(r.body)}`);
    caseIds.push(r.body.caseId as string);
    created.push(r.body);
  }
  const m = await api.post('/v1/meetings', { startsAt: `${day}T10:00:00+00:00`, chair: 'DI Chair' });
  if (m.status !== 201) throw new Error(`meeting: ${m.status} ${JSON.stringify(m.body)}`);
  const meetingId = (m.body.id ?? m.body.meetingId) as string;
  for (const caseId of caseIds) {
    const a = await api.post(`/v1/meetings/${meetingId}/agenda`, { caseId });
    if (a.status !== 201) throw new Error(`agenda: ${a.status} ${JSON.stringify(a.body)}`);
  }
  return { meetingId, caseIds, created };
}

/** What a click downloads, through Playwright's download API: the suggested file name and the bytes. */
export async function downloadOf(page: Page, click: () => Promise<void>): Promise<{ name: string; body: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = await d.path();
  return { name: d.suggestedFilename(), body: await readFile(path) };
}
