/**
 * An auditor answering a subject access request (UK GDPR Art. 15), in real Chromium through the
 * real OIDC log-in: she searches the audit log by the person's NHS number (and again by name and
 * date of birth), sees every access and release of the case (who received it, under which
 * agreement version, how many fields released, changed and withheld), reads what each export
 * contains, downloads the readable report and the NDJSON, verifies the NDJSON offline and the
 * whole log on the checkpoint page. Refusals over HTTP: other roles 403, a bad identifier or an
 * unknown export 400 with the message, nothing written. Screenshots in test-results/screenshots.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyExport } from '../../gateway/src/audit/verify.js';
import { sampleCase } from '../integration/exchange/fixtures.js';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { capture, ensureShotDirs, launchChromium, signIn } from './helpers.js';

let w: WebWorld;
let browser: Browser;
const contexts: BrowserContext[] = [];
let caseId = '';

/** The sample case's victim (fictional): what a requester would give. */
const NHS = '999 001 3713';
const VALUES = ['9990013713', 'Sampleton', '1990-04-12', 'CM2 9ZZ', '07700 900123'];

async function newPage(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  ctx.setDefaultTimeout(60_000);
  contexts.push(ctx);
  return ctx.newPage();
}

async function auditCount(sql: string): Promise<number> {
  await w.t.gateway.audit.flush(w.t.gateway.pool);
  return (await w.t.gateway.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE ${sql}`)).rows[0].n;
}

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres' }), launchChromium()]);
  // The person's case: asked of the police, which collects the request (a release to it), and
  // read by the coordinator.
  const c = await w.t.as('essex-marat').post('/v1/cases', sampleCase());
  expect(c.status).toBe(201);
  caseId = c.body.caseId;
  expect((await w.t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] })).status).toBe(201);
  expect((await w.t.as('essex-police').get('/v1/inbox?wait=5')).body.messages.length).toBe(1);
  expect((await w.t.as('essex-marat').get(`/v1/cases/${caseId}/research`)).status).toBe(200);
}, 180_000);
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await w?.close();
});

describe('an auditor answering a subject access request', () => {
  it('finds every access and release of the person, exports it and verifies it', async () => {
    const page = await newPage();
    await signIn(page, w.base, 'auditor', '/audit');
    await page.locator('input[name="subjectSystem"][value="nhs-number"]').check();
    await page.fill('#subjectValue', NHS);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    expect(await page.locator('.govuk-inset-text').first().textContent()).toContain('Answering a subject access request');
    const table = page.locator('main table');
    const delivered = table.locator('tr', { hasText: 'DELIVERED' });
    expect(await delivered.count()).toBe(1);
    // Who received it, under which agreement version, and how much of it.
    expect(await delivered.textContent()).toContain('essex-police');
    expect(await delivered.textContent()).toContain('essex-marat v1');
    expect(await delivered.textContent()).toMatch(/\d+ released, \d+ changed, \d+ withheld; \d+ rules?/);
    expect(await table.locator('tr', { hasText: 'VIEW_READ' }).count()).toBeGreaterThan(0);
    expect(page.url()).toBe(`${w.base}/audit`);
    await page.getByText('What the exports contain, and how to verify them').click();
    expect(await page.locator('details').filter({ hasText: 'What the exports contain' }).textContent()).toContain('npm run audit:verify');
    expect(await capture(page, 'auditor-sar-results')).toEqual([]);

    // The readable report: one row per event with who, when, recipient, rules and field paths.
    const [report] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export the readable report (CSV)' }).click()]);
    const csv = await readFile((await report.path())!, 'utf8');
    const rows = csv.trim().split('\r\n');
    expect(rows[0]).toMatch(/^seq,time,action,view,actor_kind,actor,actor_agency,recipient_agency,case_id/);
    expect(rows.some((r) => r.includes(',CASE_CREATED,'))).toBe(true);
    const release = rows.find((r) => r.includes(',DELIVERED,'))!;
    expect(release).toContain(',essex-police,');
    expect(release).toContain(caseId);
    expect(release).toMatch(/subject\.names/);
    for (const v of VALUES) expect(csv).not.toContain(v);

    const [nd] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export NDJSON' }).click()]);
    const ndjson = await readFile((await nd.path())!, 'utf8');
    for (const v of VALUES) expect(ndjson).not.toContain(v);
    // The same events in both: each report row's hash is an event of the verifiable file.
    const hashes = rows.slice(1).map((r) => r.split(',').at(-1));
    for (const h of hashes) expect(ndjson).toContain(`"hash":"${h}"`);

    // By name and date of birth, the same person is found: filling in only those is enough.
    await page.fill('#subjectValue', '');
    await page.fill('#subjectGiven', 'Jane');
    await page.fill('#subjectFamily', 'Sampleton');
    await page.fill('#subjectDob-day', '12');
    await page.fill('#subjectDob-month', '4');
    await page.fill('#subjectDob-year', '1990');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    expect(await page.locator('main table tr', { hasText: 'DELIVERED' }).count()).toBe(1);
    expect(await page.locator('input[name="subjectSystem"][value="name-dob"]').isChecked()).toBe(true);
    // One release in full: who received it, the rules and every field path.
    await page.locator('main table tr', { hasText: 'DELIVERED' }).getByRole('link').click();
    await page.waitForURL(/\/audit\/events\/\d+$/);
    expect(await page.locator('.govuk-summary-list').first().textContent()).toMatch(/Received by\s*essex-police/);
    expect(await page.getByRole('heading', { name: /Fields released/ }).count()).toBe(1);

    await page.goto(`${w.base}/audit/checkpoint`);
    const keyPem = await page.evaluate(async () => (await fetch('/audit/public-key.pem')).text());
    const offline = await verifyExport([ndjson], { publicKeys: [keyPem] });
    expect(offline.ok, JSON.stringify(offline)).toBe(true);
    await page.getByRole('button', { name: 'Verify now' }).click();
    expect(await page.locator('.govuk-panel').textContent()).toContain('The audit log verifies');
  }, 120_000);

  it('refuses other roles, a bad identifier and an unknown export, writing nothing', async () => {
    const [officer, auditor] = await Promise.all([w.login('ig.officer1'), w.login('auditor')]);
    expect((await w.page('/audit', officer)).status).toBe(403);
    expect((await w.form('/audit/export', officer, { format: 'report' })).status).toBe(403);
    const before = await auditCount(`action IN ('AUDIT_QUERIED', 'AUDIT_EXPORTED') AND actor_id = 'auditor'`);
    const bad = await w.form('/audit', auditor, { subjectSystem: 'nhs-number', subjectValue: '123 456 7890' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Enter a real NHS number');
    const format = await w.form('/audit/export', auditor, { format: 'xml', subjectSystem: 'nhs-number', subjectValue: NHS });
    expect(format.status).toBe(400);
    expect(await format.text()).toContain('Choose an export: NDJSON to verify, CSV as stored, or the readable report');
    expect((await w.form('/audit/export', auditor, { format: 'report', _csrf: '' })).status).toBe(403);
    expect(await auditCount(`action IN ('AUDIT_QUERIED', 'AUDIT_EXPORTED') AND actor_id = 'auditor'`)).toBe(before);
  }, 60_000);
});
