import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPeopleWorld, type PeopleWorld } from './world.js';
import { axeProblems } from '../../e2e/helpers.js';

/** The dev provider's sign-in page in real Chromium: the same path the UI's browser tests take. */

const SHOTS = 'test-results/people';
let w: PeopleWorld;
let browser: Browser;

beforeAll(async () => {
  w = await buildPeopleWorld();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  await mkdir(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await w?.close();
});

async function signIn(page: Page, username: string, password = 'demo') {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('sign-in in a browser', () => {
  it('a protected page sends the browser through the provider and back to that page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.appBase}/cases`);
    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    expect(await page.getByRole('heading', { level: 1, name: 'Sign in' }).count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/dev-provider-sign-in.png`, fullPage: true });

    expect(await axeProblems(page, { allRules: true })).toEqual([]);

    await signIn(page, 'coordinator@essex-marat');
    await page.waitForURL(`${w.appBase}/cases`);
    expect(await page.locator('h1').textContent()).toBe('Cases');
    const cookie = (await context.cookies(w.appBase)).find((c) => c.name === 'marac_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    await context.close();
  });

  it('signing in as someone else over the provider session ends up as the new person', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.appBase}/login?returnTo=/whoami`);
    await signIn(page, 'ig.officer1');
    await page.waitForURL(`${w.appBase}/whoami`);
    expect(JSON.parse((await page.locator('body').textContent())!).userId).toBe('ig.officer1');

    await page.goto(`${w.appBase}/login?returnTo=/whoami`);
    await signIn(page, 'ig.officer2');
    await page.waitForURL(`${w.appBase}/whoami`);
    expect(JSON.parse((await page.locator('body').textContent())!).userId).toBe('ig.officer2');
    await context.close();
  });

  it('a wrong password ends at the gateway with LOGIN_FAILED and no session cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.appBase}/login`);
    await signIn(page, 'auditor', 'wrong');
    await page.waitForURL((u) => u.pathname === '/auth/callback');
    expect(await page.locator('body').textContent()).toContain('LOGIN_FAILED');
    expect((await context.cookies(w.appBase)).some((c) => c.name === 'marac_session')).toBe(false);
    await context.close();
  });
});
