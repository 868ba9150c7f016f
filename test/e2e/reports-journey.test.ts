/**
 * The coordinator's reports in real Chromium through the real OIDC log-in, over the seeded year
 * (test/integration/reporting/seed.ts): the data return for 2026-Q3 chosen with the quarter
 * picker shows the exact expected figures; the steering-group dashboard shows its charts (SVG,
 * no script) with a table beside each. Both pages are checked with axe-core and photographed.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { seedReturnWorld } from '../integration/reporting/seed.js';
import { capture, ensureShotDirs, launchChromium, signIn } from './helpers.js';

const TIMEOUT = 300_000;
let w: WebWorld;
let browser: Browser;

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres', workers: false }), launchChromium()]);
  await seedReturnWorld(w.t.gateway, w.t.db.pool, w.t.clock);
}, TIMEOUT);
afterAll(async () => {
  await browser?.close();
  await w?.close();
});

it('a coordinator reads the quarter\'s data return and the dashboard', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  ctx.setDefaultTimeout(90_000);
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });

  await signIn(page, w.base, 'coordinator@essex-marat', '/reports');
  await page.getByRole('link', { name: 'MARAC data return' }).click();
  await page.getByLabel('Quarter').selectOption('2026-Q3');
  await page.getByRole('button', { name: 'Show quarter' }).click();
  await page.waitForURL(/quarter=2026-Q3/);

  const figures = page.getByRole('table', { name: /Data return, 2026-Q3/ });
  const row = async (label: string) => (await figures.getByRole('row', { name: new RegExp(`^${label}`) }).getByRole('cell').last().textContent())?.trim();
  expect(await row('Cases discussed')).toBe('4');
  expect(await row('Repeat cases')).toBe('1');
  expect(await row('Children in the households')).toBe('4');
  expect(await row('Victims aged 16 or 17')).toBe('2');
  expect(await row('Victims from Black and minoritised communities')).toBe('1');
  expect(await row('LGBT\\+ victims')).toBe('1');
  expect(await row('Disabled victims')).toBe('1');
  expect(await row('Male victims')).toBe('2');
  problems.push(...(await capture(page, 'reports-data-return', { docs: true })));

  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: /Excel \(\.xlsx\)/ }).click();
  expect((await download).suggestedFilename()).toBe('marac-data-return-essex-2026-Q3.xlsx');

  await page.goto(`${w.base}/reports/dashboard`);
  const charts = page.getByRole('img');
  await expect.poll(() => charts.count()).toBeGreaterThanOrEqual(4);
  expect(await page.locator('svg[role="img"] > title').count()).toBe(4);
  expect(await page.locator('svg[role="img"] > desc').count()).toBe(4);
  expect(await page.locator('table.govuk-table').count()).toBe(3);
  problems.push(...(await capture(page, 'reports-dashboard', { docs: true })));

  expect(problems).toEqual([]);
  await ctx.close();
}, TIMEOUT);
