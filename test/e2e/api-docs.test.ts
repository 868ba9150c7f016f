/**
 * The API reference at /docs/api in Chromium: Redoc runs under the page's Content-Security-Policy
 * (its bundle from this origin, its styles allowed by hash and nonce) and hydrates from the served
 * /openapi.json, so the sidebar navigates. The only thing the policy blocks is the Redocly logo
 * the "API docs by" badge would fetch from Redocly's CDN (nothing is loaded from other hosts).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { ensureShotDirs, launchChromium, SHOTS } from './helpers.js';

let w: WebWorld;
let browser: Browser;
beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres' }), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.close();
});

describe('the API reference in a browser', () => {
  it('hydrates under the policy and navigates; nothing but the CDN logo is refused', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/cdn\.redoc\.ly\/redoc\/logo-mini/.test(m.text()) && !/favicon|status of 404/.test(m.text())) problems.push(m.text().slice(0, 300));
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message.slice(0, 300)}`));
    const res = await page.goto(`${w.base}/docs/api`);
    expect(res?.status()).toBe(200);
    // A sidebar click changes the location only once Redoc has hydrated the prerendered page.
    await page.getByText('inbox', { exact: true }).first().click();
    await page.waitForURL(/#\/inbox/, { timeout: 60_000 });
    await expect.poll(() => page.getByText('/v1/inbox/{messageId}/ack').first().isVisible(), { timeout: 60_000 }).toBe(true);
    // Redoc scrolls smoothly to the section: take the picture once the heading has arrived at the top.
    const heading = page.locator('h1, h2').filter({ hasText: /^inbox$/ }).first();
    await expect.poll(async () => (await heading.boundingBox())?.y ?? Number.POSITIVE_INFINITY, { timeout: 30_000 }).toBeLessThan(150);
    await page.screenshot({ path: `${SHOTS}/api-docs.png` });
    expect(problems).toEqual([]);
  }, 120_000);
});
