/** The accessibility check every journey leans on finds what it should, on each new document. */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeProblems, launchChromium } from './helpers.js';

let browser: Browser;
beforeAll(async () => { browser = await launchChromium(); });
afterAll(async () => { await browser?.close(); });

describe('axeProblems', () => {
  it('reports serious and critical WCAG violations, on every new document, and nothing on a clean page', async () => {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html lang="en"><head><title>Bad</title></head><body><main><img src="data:,"><button></button></main></body></html>');
    const bad = await axeProblems(page);
    expect(bad.map((p) => p.split(':')[0]).sort()).toEqual(['button-name', 'image-alt']);
    // A new document has no axe in it: the helper injects it again rather than failing or passing.
    await page.setContent('<!doctype html><html lang="en"><head><title>Also bad</title></head><body><main><input type="text"></main></body></html>');
    expect((await axeProblems(page)).map((p) => p.split(':')[0])).toEqual(['label']);
    await page.setContent('<!doctype html><html lang="en"><head><title>Fine</title></head><body><main><h1>Fine</h1><p>Text.</p></main></body></html>');
    expect(await axeProblems(page)).toEqual([]);
    await page.close();
  });
});
