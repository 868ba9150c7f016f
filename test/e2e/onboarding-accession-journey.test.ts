/**
 * Issue 15 in real Chromium through the real OIDC sign-in: an admin registers Colne Housing
 * Association, issues its certificate from a CSR made here with node-forge, and revokes another
 * agency's certificate, which is refused on its next mTLS request. The association's IG lead reads
 * the sample agreement for housing and accepts it; an IG officer of the agreement approves; the
 * coordinator is then offered the association and sends it a research request, which its
 * researcher answers through the web form (no adapter). Screenshots looked at; axe-core clean.
 */
import forge from 'node-forge';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referralForm, startWebWorld, type LoggedIn, type WebWorld } from '../integration/web/world.js';
import { capture, dayParts, ensureShotDirs, fillForm, launchChromium, signIn } from './helpers.js';

const TIMEOUT = 420_000;
const NEW = 'colne-housing';
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

/** What the agency does on its side: a key it keeps and a CSR naming it. */
function makeCsr(agencyId: string): { keyPem: string; csrPem: string } {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  csr.setSubject([{ shortName: 'CN', value: agencyId }]);
  csr.sign(keys.privateKey, forge.md.sha256.create());
  return { keyPem: forge.pki.privateKeyToPem(keys.privateKey), csrPem: forge.pki.certificationRequestToPem(csr) };
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

describe('onboarding and accession', () => {
  it('admin onboards Colne Housing Association and revokes another certificate; it accedes, is approved, and answers its first request in the browser', async () => {
    // ---- The administrator -------------------------------------------------------------------
    const admin = await newPage();
    await signIn(admin, w.base, 'admin', '/agencies');
    await admin.getByRole('heading', { name: 'Agencies' }).waitFor();
    await admin.getByRole('button', { name: 'Register an agency' }).click();
    await admin.getByRole('heading', { name: 'Register an agency' }).waitFor();
    await fillForm(admin, { name: 'Colne Housing Association', id: NEW, type: 'HOUSING', maracArea: 'essex', deliveryMode: 'pull' });
    expect(await capture(admin, 'onboarding-register')).toEqual([]);
    await admin.getByRole('button', { name: 'Register the agency' }).click();
    await admin.waitForURL((u) => u.pathname === `/agencies/${NEW}`);
    await admin.getByText('Agency registered').waitFor();
    expect(await admin.locator('main').innerText()).toContain('No valid certificate');

    const { keyPem, csrPem } = makeCsr(NEW);
    await admin.getByLabel('Certificate signing request (PEM)').fill(csrPem);
    await admin.getByRole('button', { name: 'Issue the certificate' }).click();
    await admin.getByRole('heading', { name: 'Certificate issued' }).waitFor();
    expect(await capture(admin, 'onboarding-issued')).toEqual([]);
    const certPem = (await admin.locator('#certificate').innerText()).trim();
    const row = (await w.t.db.pool.query('SELECT serial, fingerprint256 FROM agency_certificates WHERE agency_id = $1', [NEW])).rows[0];
    w.t.creds.set(NEW, { agencyId: NEW, certPem, keyPem, fingerprint: row.fingerprint256, serialHex: row.serial, caPem: w.t.pki.caPem });
    expect((await w.t.as(NEW).get('/v1/inbox?wait=0')).status).toBe(200);

    // Revoke another agency's certificate: refused on its next request.
    const other = 'essex-adult-social-care';
    expect((await w.t.as(other).get('/v1/inbox?wait=0')).status).toBe(200);
    await admin.goto(`${w.base}/agencies/${other}`);
    await admin.getByRole('link', { name: /Revoke/ }).first().click();
    await admin.getByRole('heading', { name: 'Revoke certificate' }).waitFor();
    await admin.getByLabel(/key compromise/).check();
    expect(await capture(admin, 'onboarding-revoke')).toEqual([]);
    await admin.getByRole('button', { name: 'Revoke the certificate' }).click();
    await admin.getByText('Certificate revoked').waitFor();
    const refused = await w.t.as(other).get('/v1/inbox?wait=0');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('CLIENT_CERT_REVOKED');
    expect(await capture(admin, 'onboarding-agency-revoked')).toEqual([]);
    await admin.goto(`${w.base}/agencies`);
    const list = await admin.locator('table').innerText();
    expect(list).toMatch(/Essex Adult Social Care[\s\S]*?No valid certificate/);
    expect(list).toMatch(/Colne Housing Association[\s\S]*?None[\s\S]*?Active/);
    expect(await capture(admin, 'onboarding-agencies')).toEqual([]);
    const narrow = await newPage(375);
    await signIn(narrow, w.base, 'admin', `/agencies/${NEW}`);
    expect(await capture(narrow, 'onboarding-agency-375')).toEqual([]);
    expect(Number(await narrow.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'))).toBe(0);

    // Not a party yet: not offered to the coordinator.
    const made = await w.form('/cases/new', coord, referralForm(dayParts(21)));
    const caseId = made.headers.get('location')!.split('?')[0]!.split('/').pop()!;
    const cp = await newPage();
    await signIn(cp, w.base, 'coordinator@essex-marat', `/cases/${caseId}/research/new`);
    expect(await cp.getByLabel('Colne Housing Association').count()).toBe(0);

    // ---- The association's IG lead accedes -----------------------------------------------------
    const lead = await newPage();
    await signIn(lead, w.base, 'ig@colne-housing', '/agreements/essex-marat/accession');
    await lead.getByRole('heading', { name: 'What of yours goes to whom' }).waitFor();
    expect(await capture(lead, 'accession-terms')).toEqual([]);
    await lead.getByLabel(/I have read version 1 and accept it for Colne Housing Association/).check();
    await lead.getByRole('button', { name: 'Accept and send for approval' }).click();
    await lead.getByText('Your acceptance is recorded').waitFor();
    expect(await capture(lead, 'accession-signed')).toEqual([]);

    // ---- An IG officer of the agreement approves ------------------------------------------------
    const officer = await newPage();
    await signIn(officer, w.base, 'ig.officer2', '/agreements/essex-marat/accessions');
    await officer.getByRole('heading', { name: 'Accession register' }).waitFor();
    expect(await capture(officer, 'accession-register-pending')).toEqual([]);
    await officer.getByRole('button', { name: /Approve/ }).click();
    await officer.getByText('a new version with the change is in force').waitFor();
    expect(await capture(officer, 'accession-register-approved')).toEqual([]);
    expect((await w.t.gateway.agreements.getAgreement('essex-marat')).activeVersion).toBe(2);

    // ---- The coordinator is offered it and asks ------------------------------------------------
    await cp.goto(`${w.base}/cases/${caseId}/research/new`);
    await cp.getByLabel('Colne Housing Association').check();
    await cp.getByRole('button', { name: /Send/ }).click();
    await cp.waitForURL((u) => u.pathname === `/cases/${caseId}` && u.searchParams.has('sent'));
    const requestId = new URL(cp.url()).searchParams.get('sent')!;

    // ---- Its researcher answers through the web form (no adapter) ---------------------------------
    const researcher = await newPage();
    await signIn(researcher, w.base, 'researcher@colne-housing', `/agency/requests/${requestId}/answer`);
    await researcher.getByRole('heading', { name: 'Answer a research request' }).waitFor();
    const headings = await researcher.locator('h2[id^="subject-"]').allTextContents();
    const fields: Record<string, string | string[]> = { agencyRiskSummary: 'No tenancy concerns known.' };
    headings.forEach((h, i) => {
      fields[`s${i}.match`] = h.startsWith('Victim') ? 'MATCHED' : 'NOT_FOUND';
      if (h.startsWith('Victim')) Object.assign(fields, { [`s${i}.matchedOn`]: ['name', 'dob'], [`s${i}.housing.tenure`]: 'RSL' });
    });
    await fillForm(researcher, fields);
    expect(await capture(researcher, 'accession-first-answer-form')).toEqual([]);
    await researcher.getByRole('button', { name: 'Send answer' }).click();
    await researcher.waitForURL((u) => u.pathname === '/agency/inbox');
    await researcher.getByText('Your answer has been sent').waitFor();
    // In the coordinator's pack as any agency's answer.
    const pack = await w.t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
    expect(pack.status).toBe(200);
    expect(JSON.stringify(pack.body)).toContain(NEW);
    await cp.goto(`${w.base}/cases/${caseId}`);
    expect(await cp.locator('main').innerText()).toContain('Colne Housing Association');
    expect(await capture(cp, 'accession-first-answer-in-pack')).toEqual([]);
  }, TIMEOUT);
});
