/**
 * An IG officer after a partner's breach, in real Chromium through the real OIDC log-in: from the
 * agreement page she finds what the housing association received (the disclosure log, from the
 * audit log alone), downloads it for the ICO report, removes the agency from the agreement there
 * (the refusal that follows shows in the log as PARTY_REMOVED), and a second IG officer restores
 * it. Refusals over HTTP: other roles get the 403 page, a partner agency's IG lead a 404 for another
 * agency's log, bad dates and an unknown export a 400 with a message, and nothing is written. Screenshots in test-results/screenshots.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleCase } from '../integration/exchange/fixtures.js';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { capture, ensureShotDirs, launchChromium, signIn } from './helpers.js';

let w: WebWorld;
let browser: Browser;
const contexts: BrowserContext[] = [];
const HOUSING = 'chelmsford-housing';

async function newPage(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  ctx.setDefaultTimeout(60_000);
  contexts.push(ctx);
  return ctx.newPage();
}

async function auditCount(sql: string, params: unknown[] = []): Promise<number> {
  await w.t.gateway.audit.flush(w.t.gateway.pool);
  return (await w.t.gateway.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE ${sql}`, params)).rows[0].n;
}

let caseId = '';

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres' }), launchChromium()]);
  // A case whose research request the housing association collects: one release to it.
  const c = await w.t.as('essex-marat').post('/v1/cases', sampleCase());
  expect(c.status).toBe(201);
  caseId = c.body.caseId;
  const r = await w.t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [HOUSING] });
  expect(r.status).toBe(201);
  const inbox = await w.t.as(HOUSING).get('/v1/inbox?wait=5');
  expect(inbox.status).toBe(200);
  expect(inbox.body.messages.length).toBe(1);
}, 180_000);
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await w?.close();
});

describe('an IG officer after a partner breach', () => {
  it('finds what the agency received, downloads it, stops sharing with it, and another officer restores it', async () => {
    const page = await newPage();
    await signIn(page, w.base, 'ig.officer1', '/agreements/essex-marat');
    await page.getByRole('link', { name: /What it received, and stopping it \(Chelmsford/ }).click();
    await page.waitForURL(`${w.base}/agencies/${HOUSING}/disclosures`);
    const log = page.locator('main table.app-data-table');
    expect(await log.textContent()).toContain('Research request delivered');
    expect(await log.textContent()).toContain(caseId);
    expect(await log.textContent()).toContain('essex-marat v1');
    expect(await capture(page, 'ig-breach-disclosures')).toEqual([]);

    // The record for the ICO report: paths and rules, never a value of the case.
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the disclosure log (CSV)' }).click()]);
    const text = await readFile((await csv.path())!, 'utf8');
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toContain('recipient_agency');
    const delivered = lines.find((l) => l.includes(',DELIVERED,'))!;
    expect(delivered).toContain(caseId);
    expect(delivered).toContain(`,${HOUSING},`);
    expect(delivered).toMatch(/subject\.names/);
    for (const value of ['Sampleton', '9990013713', '1990-04-12', 'CM2 9ZZ', '07700 900123']) expect(text).not.toContain(value);
    expect(await auditCount(`action = 'AUDIT_EXPORTED' AND actor_id = 'ig.officer1' AND agency_ids @> ARRAY[$1]`, [HOUSING])).toBe(1);

    // Stop sharing, from the same page: the reason and the tick are required.
    await page.getByRole('link', { name: /Remove from this agreement/ }).click();
    await page.getByRole('button', { name: 'Remove the party' }).click();
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Give the reason');
    await page.getByLabel('Reason').fill('Breach reference IG-14: a pack was sent to the wrong recipient');
    await page.getByLabel(/I understand/).check();
    await page.getByRole('button', { name: 'Remove the party' }).click();
    await page.waitForURL(`${w.base}/agencies/${HOUSING}/disclosures?done=removed`);
    expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Party removed');
    expect(await page.locator('#breach ~ ol').first().textContent()).toContain('Stopped');

    // The next request to it is refused, and the log shows it.
    const again = await w.t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [HOUSING] });
    expect(JSON.stringify(again.body)).toContain('PARTY_REMOVED');
    await page.reload();
    expect(await log.textContent()).not.toContain('Research request refused');
    await page.getByRole('link', { name: /^Show the 1 refused attempt/ }).click();
    await page.waitForURL(/show=all/);
    expect(await log.textContent()).toContain('Research request refused');
    expect(await log.textContent()).toContain('PARTY_REMOVED');
    expect(await page.getByText('You removed it, so another IG officer must restore it.').count()).toBe(1);
    expect(await capture(page, 'ig-breach-removed')).toEqual([]);

    const checker = await newPage();
    await signIn(checker, w.base, 'ig.officer2', `/agencies/${HOUSING}/disclosures`);
    await checker.getByRole('button', { name: /Restore sharing/ }).click();
    await checker.waitForURL(/done=restored/);
    expect(await checker.locator('#breach ~ ol').first().textContent()).toContain('Sharing');
  }, 120_000);

  it('refuses other roles, bad dates and an unknown export, writing nothing', async () => {
    const [coord, admin, officer] = await Promise.all([w.login('coordinator@essex-marat'), w.login('admin'), w.login('ig.officer1')]);
    for (const who of [coord, admin]) {
      const r = await w.page(`/agencies/${HOUSING}/disclosures`, who);
      expect(r.status).toBe(403);
      const e = await w.form(`/agencies/${HOUSING}/disclosures/export`, who, { format: 'csv' });
      expect(e.status).toBe(403);
    }
    const before = await auditCount(`action IN ('AUDIT_QUERIED', 'AUDIT_EXPORTED') AND actor_id = 'ig.officer1'`);
    const badDate = await w.page(`/agencies/${HOUSING}/disclosures?from-day=31&from-month=2&from-year=2026`, officer);
    expect(badDate.status).toBe(400);
    expect(await badDate.text()).toContain('From date must be a real date');
    const backwards = await w.page(`/agencies/${HOUSING}/disclosures?from-day=2&from-month=3&from-year=2026&to-day=1&to-month=3&to-year=2026`, officer);
    expect(backwards.status).toBe(400);
    expect(await backwards.text()).toContain('To date must be the same as or after the from date');
    const format = await w.form(`/agencies/${HOUSING}/disclosures/export`, officer, { format: 'xml' });
    expect(format.status).toBe(400);
    expect(await format.text()).toContain('Choose the readable report (CSV) or the file to verify (NDJSON)');
    const noToken = await w.form(`/agencies/${HOUSING}/disclosures/export`, officer, { format: 'csv', _csrf: '' });
    expect(noToken.status).toBe(403);
    expect((await w.page('/agencies/no-such-agency/disclosures', officer)).status).toBe(404);
    // A partner agency's IG lead reads only its own agency's log: another's is as if absent.
    const lead = await w.login('ig@colne-housing');
    expect((await w.page(`/agencies/${HOUSING}/disclosures`, lead)).status).toBe(404);
    expect((await w.form(`/agencies/${HOUSING}/disclosures/export`, lead, { format: 'csv' })).status).toBe(404);
    expect(await auditCount(`action IN ('AUDIT_QUERIED', 'AUDIT_EXPORTED') AND actor_id = 'ig@colne-housing'`)).toBe(0);
    // The lead may read the agreement but is offered no change to it (the service would refuse one).
    const version = await w.page('/agreements/essex-marat/versions/1', lead);
    expect(version.status).toBe(200);
    const html = await version.text();
    expect(html).toContain('only the coordinating MARAC');
    for (const change of ['/remove"', '/approve"', '/suspend"', 'Draft a change']) expect(html).not.toContain(change);
    expect(await auditCount(`action IN ('AUDIT_QUERIED', 'AUDIT_EXPORTED') AND actor_id = 'ig.officer1'`)).toBe(before);
  }, 60_000);
});
