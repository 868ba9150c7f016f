/**
 * Issue 15, agency onboarding and accession, over HTTP with people signed in through the real
 * OIDC provider and agencies over mTLS: an admin registers Colne Housing Association, issues its
 * certificate from a CSR (bad, foreign and good CSRs; a gateway without the CA key says how to
 * issue instead), revokes another agency's certificate (refused on its next request; twice is 409),
 * disables and enables; the agency list tells the truth. Its IG lead reads the sample agreement
 * for housing and signs; the signatory cannot decide; a refusal leaves it with no release; an
 * approval puts a new version with it in force, after which the coordinator's form offers it and it
 * answers over mTLS; then it withdraws. An approval never lifts a standing party removal by the way. Every step audited in the same transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsr } from '../../../gateway/src/identity/pki/ca.js';
import type { PersonPrincipal } from '../../../gateway/src/identity/principal.js';
import { sampleResponse } from '../exchange/fixtures.js';
import { CLOCK, openCase, requestResearch, type Ids } from '../scenarios/world.js';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';

let w: WebWorld;
let admin: LoggedIn;
let lead: LoggedIn;
let ig1: LoggedIn;
let ig2: LoggedIn;
let coord: LoggedIn;
let auditor: LoggedIn;
let caseId: string;
let ids: Ids;
const NEW = 'colne-housing';
const colne = createCsr({ agencyId: NEW });

async function api(who: LoggedIn, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; type: string }> {
  const res = await fetch(`${w.base}${path}`, {
    method,
    headers: {
      accept: 'application/json', cookie: who.cookie, 'x-csrf-token': who.csrfToken, origin: w.base,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: /json/.test(type) ? await res.json() : await res.text(), type };
}

async function events(action: string): Promise<any[]> {
  await w.t.gateway.audit.flush(w.t.gateway.pool);
  const r = await w.t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = $1 ORDER BY seq`, [action]);
  return r.rows.map((x) => JSON.parse(x.canonical));
}

const count = async (sql: string, params: unknown[] = []) => Number((await w.t.db.pool.query(sql, params)).rows[0].n);
const html = async (res: Response) => res.text();

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres' });
  w.t.clock.set(CLOCK);
  const people = await Promise.all(
    ['admin', 'ig@colne-housing', 'ig.officer1', 'ig.officer2', 'coordinator@essex-marat', 'auditor'].map((u) => w.login(u)),
  );
  [admin, lead, ig1, ig2, coord, auditor] = people as [LoggedIn, LoggedIn, LoggedIn, LoggedIn, LoggedIn, LoggedIn];
  ({ caseId, ids } = await openCase(w.t));
});
afterAll(async () => {
  await w?.close();
});

describe('onboarding (admin)', () => {
  it('registers an agency: audited; a duplicate id is 409 and a bad form 400, with nothing written', async () => {
    const bad = await w.form('/agencies/new', admin, { id: 'Not An Id!', name: '', type: 'HOUSING', deliveryMode: 'pull' });
    expect(bad.status).toBe(400);
    expect(await html(bad)).toContain('There is a problem');
    const ok = await w.form('/agencies/new', admin, { id: NEW, name: 'Colne Housing Association', type: 'HOUSING', deliveryMode: 'pull', maracArea: 'essex' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/agencies/${NEW}?done=registered`);
    const again = await w.form('/agencies/new', admin, { id: NEW, name: 'Colne again', type: 'HOUSING', deliveryMode: 'pull' });
    expect(again.status).toBe(409);
    expect(await count(`SELECT count(*) AS n FROM agencies WHERE id = $1 AND name = 'Colne Housing Association'`, [NEW])).toBe(1);
    const reg = await events('AGENCY_REGISTERED');
    expect(reg.filter((e) => e.agencyIds?.includes(NEW))).toHaveLength(1);
    expect(reg.at(-1).actor).toMatchObject({ kind: 'person', userId: 'admin' });
    const list = await html(await w.page('/agencies', admin));
    expect(list).toMatch(/Colne Housing Association[\s\S]*?No valid certificate/);
  });

  it('issuing: a bad CSR is 400, a CSR made for another agency 400, and nothing is written', async () => {
    const before = await count('SELECT count(*) AS n FROM agency_certificates');
    const bad = await w.form(`/agencies/${NEW}/certificates`, admin, { csr: '-----BEGIN CERTIFICATE REQUEST-----\nnope\n-----END CERTIFICATE REQUEST-----' });
    expect(bad.status).toBe(400);
    expect(await html(bad)).toContain('not a valid certificate signing request');
    const foreign = await w.form(`/agencies/${NEW}/certificates`, admin, { csr: createCsr({ agencyId: 'chelmsford-housing' }).csrPem });
    expect(foreign.status).toBe(400);
    expect(await html(foreign)).toContain('made for another agency');
    expect(await count('SELECT count(*) AS n FROM agency_certificates')).toBe(before);
    // The registry's own stable codes (the CLI prints them).
    await expect(w.t.gateway.registry.issueCertificate({ kind: 'system', component: 'test' }, NEW, createCsr({ agencyId: 'someone-else' }).csrPem))
      .rejects.toMatchObject({ code: 'CSR_AGENCY_MISMATCH', status: 400 });
    await expect(w.t.gateway.registry.issueCertificate({ kind: 'system', component: 'test' }, NEW, 'junk'))
      .rejects.toMatchObject({ code: 'CSR_INVALID', status: 400 });
  });

  it('a gateway without the CA key says how to issue instead (409, never a 500) and writes nothing', async () => {
    const registry = w.t.gateway.registry as { canIssue: boolean };
    registry.canIssue = false;
    try {
      const page = await html(await w.page(`/agencies/${NEW}`, admin));
      expect(page).toContain('npm run pki -- issue');
      expect(page).not.toContain('Issue the certificate</button>');
      const post = await w.form(`/agencies/${NEW}/certificates`, admin, { csr: colne.csrPem });
      expect(post.status).toBe(409);
      expect(await html(post)).toContain('does not hold the CA key');
    } finally {
      registry.canIssue = true;
    }
    expect(await count('SELECT count(*) AS n FROM agency_certificates WHERE agency_id = $1', [NEW])).toBe(0);
  });

  it('issues from a good CSR: serial, fingerprint and expiry shown, audited, and the certificate works over mTLS', async () => {
    const res = await w.form(`/agencies/${NEW}/certificates`, admin, { csr: colne.csrPem });
    expect(res.status).toBe(201);
    const page = await html(res);
    const certPem = /<pre[^>]*id="certificate"[^>]*>([\s\S]*?)<\/pre>/.exec(page)![1]!.trim();
    const row = (await w.t.db.pool.query('SELECT serial, fingerprint256 FROM agency_certificates WHERE agency_id = $1', [NEW])).rows[0];
    expect(page).toContain(row.serial);
    const issued = (await events('CERTIFICATE_ISSUED')).filter((e) => e.agencyIds?.includes(NEW));
    expect(issued).toHaveLength(1);
    expect(issued[0].detail).toMatchObject({ serial: row.serial, fingerprint256: row.fingerprint256 });
    w.t.creds.set(NEW, { agencyId: NEW, certPem, keyPem: colne.keyPem, fingerprint: row.fingerprint256, serialHex: row.serial, caPem: w.t.pki.caPem });
    expect((await w.t.as(NEW).get('/v1/inbox?wait=0')).status).toBe(200);
    const detail = await html(await w.page(`/agencies/${NEW}`, admin));
    expect(detail).toContain(row.serial);
    expect(detail).toContain(row.fingerprint256.slice(0, 2).toUpperCase() + ':');
  });

  it('revokes another agency\'s certificate with a reason: refused on its next mTLS request; twice is 409; the list says so', async () => {
    const victim = 'essex-adult-social-care';
    expect((await w.t.as(victim).get('/v1/inbox?wait=0')).status).toBe(200);
    const serial = w.t.creds.get(victim)!.serialHex;
    const noReason = await w.form(`/agencies/${victim}/certificates/${serial}/revoke`, admin, {});
    expect(noReason.status).toBe(400);
    const ok = await w.form(`/agencies/${victim}/certificates/${serial}/revoke`, admin, { reason: 'keyCompromise' });
    expect(ok.status).toBe(303);
    const refused = await w.t.as(victim).get('/v1/inbox?wait=0');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('CLIENT_CERT_REVOKED');
    const twice = await w.form(`/agencies/${victim}/certificates/${serial}/revoke`, admin, { reason: 'keyCompromise' });
    expect(twice.status).toBe(409);
    await expect(w.t.gateway.registry.revoke({ kind: 'system', component: 'test' }, serial, 'keyCompromise')).rejects.toMatchObject({ code: 'CERTIFICATE_ALREADY_REVOKED', status: 409 });
    const revoked = (await events('CERTIFICATE_REVOKED')).filter((e) => e.agencyIds?.includes(victim));
    expect(revoked).toHaveLength(1);
    expect(revoked[0].reasonCode).toBe('KEY_COMPROMISE');
    const list = await html(await w.page('/agencies', admin));
    expect(list).toMatch(/Essex Adult Social Care[\s\S]*?No valid certificate/);
  });

  it('warns 30 days ahead of a certificate\'s expiry', async () => {
    await w.t.gateway.registry.registerAgency({ kind: 'system', component: 'test' }, { id: 'short-lived', name: 'Short Lived Service', type: 'SUBSTANCE_MISUSE', deliveryMode: 'pull' });
    await w.t.gateway.registry.issueCertificate({ kind: 'system', component: 'test' }, 'short-lived', createCsr({ agencyId: 'short-lived' }).csrPem, { validDays: 20, notBefore: new Date(CLOCK) });
    const list = await html(await w.page('/agencies', admin));
    expect(list).toMatch(/Short Lived Service[\s\S]*?Certificate expires in 20 days/);
    expect(list).toContain('expiring within 30 days');
  });

  it('disables and enables an agency: audited; refused over mTLS while disabled', async () => {
    expect((await w.form(`/agencies/${NEW}/disable`, admin, {})).status).toBe(303);
    const off = await w.t.as(NEW).get('/v1/inbox?wait=0');
    expect(off.status).toBe(401);
    expect(off.body.code).toBe('AGENCY_DISABLED');
    expect(await html(await w.page('/agencies', admin))).toMatch(/Colne Housing Association[\s\S]*?Disabled/);
    expect((await w.form(`/agencies/${NEW}/enable`, admin, {})).status).toBe(303);
    expect((await w.t.as(NEW).get('/v1/inbox?wait=0')).status).toBe(200);
    expect((await events('AGENCY_DISABLED')).filter((e) => e.agencyIds?.includes(NEW))).toHaveLength(1);
    expect((await events('AGENCY_ENABLED')).filter((e) => e.agencyIds?.includes(NEW))).toHaveLength(1);
  });

  it('an agency that is party to no agreement in force is not offered as a recipient', async () => {
    const form = await html(await w.page(`/cases/${caseId}/research/new`, coord));
    expect(form).toContain('value="chelmsford-housing"');
    expect(form).not.toContain(`value="${NEW}"`);
  });
});

describe('accession', () => {
  let terms: any;

  it('the IG lead reads the agreement for housing: what goes to whom, in what form; retention; lawful bases', async () => {
    const r = await api(lead, 'GET', '/v1/agreements/essex-marat/accessions/terms');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    terms = r.body;
    expect(terms).toMatchObject({ agreementId: 'essex-marat', version: 1, isParty: false, open: null });
    expect(terms.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(terms.terms.sends.length).toBeGreaterThan(0);
    expect(terms.terms.requestsReceived.length).toBeGreaterThan(0);
    expect(terms.terms.retentionDays).toBe(90);
    const page = await html(await w.page('/agreements/essex-marat/accession', lead));
    expect(page).toContain('What of yours goes to whom');
    expect(page).toContain('Public task');
    expect(page).toContain(terms.digest);
    // An IG officer of the agreement has no agency to sign for.
    expect((await api(ig1, 'GET', '/v1/agreements/essex-marat/accessions/terms')).body.code).toBe('NOT_AGENCY_IG_LEAD');
  });

  it('signing: bad input 400, a stale digest 409, an officer without an agency 403, unconfirmed form 400; nothing written', async () => {
    expect((await api(lead, 'POST', '/v1/agreements/essex-marat/accessions', { kind: 'JOIN' })).status).toBe(400);
    const stale = await api(lead, 'POST', '/v1/agreements/essex-marat/accessions', { kind: 'JOIN', version: 1, digest: '0'.repeat(64) });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('ACCESSION_TERMS_CHANGED');
    const officer = await api(ig1, 'POST', '/v1/agreements/essex-marat/accessions', { kind: 'JOIN', version: 1, digest: terms.digest });
    expect(officer.status).toBe(403);
    expect(officer.body.code).toBe('NOT_AGENCY_IG_LEAD');
    const form = await w.form('/agreements/essex-marat/accession', lead, { kind: 'JOIN', version: '1', digest: terms.digest });
    expect(form.status).toBe(400);
    expect(await count('SELECT count(*) AS n FROM agreement_accessions')).toBe(0);
    expect(await events('ACCESSION_REQUESTED')).toHaveLength(0);
  });

  let first: any;
  it('signs (who, when, which version and digest); a second open request is 409', async () => {
    const form = await w.form('/agreements/essex-marat/accession', lead, { kind: 'JOIN', version: '1', digest: terms.digest, confirm: 'yes' });
    expect(form.status).toBe(303);
    const reg = await api(ig1, 'GET', '/v1/agreements/essex-marat/accessions');
    first = reg.body.accessions[0];
    expect(first).toMatchObject({ agencyId: NEW, kind: 'JOIN', status: 'REQUESTED', basedOnVersion: 1, basedOnDigest: terms.digest, signedBy: 'user:ig@colne-housing', signedByName: 'Colm Colne' });
    const again = await api(lead, 'POST', '/v1/agreements/essex-marat/accessions', { kind: 'JOIN', version: 1, digest: terms.digest });
    expect(again.body.code).toBe('ACCESSION_PENDING');
    const ev = await events('ACCESSION_REQUESTED');
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ agreementId: 'essex-marat', agreementVersion: 1, agencyIds: [NEW], detail: { accessionId: first.id, kind: 'JOIN', docDigest: terms.digest } });
  });

  it('the signatory cannot decide it: 403 NOT_AGREEMENT_OFFICER, and ACCESSION_SELF_DECISION even as an agreement officer', async () => {
    const self = await api(lead, 'POST', `/v1/agreements/essex-marat/accessions/${first.id}/approve`);
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('NOT_AGREEMENT_OFFICER');
    // The same person, should the identity provider drop their agency claim.
    const same: PersonPrincipal = { kind: 'person', userId: 'ig@colne-housing', displayName: 'Colm Colne', roles: ['ig_officer'] };
    await expect(w.t.gateway.accessions.approve(same, 'essex-marat', first.id)).rejects.toMatchObject({ code: 'ACCESSION_SELF_DECISION', status: 403 });
    // Nor may the IG lead change the agreement through the lifecycle.
    const expire = await api(lead, 'POST', '/v1/agreements/essex-marat/versions/1/expire');
    expect(expire.status).toBe(403);
    expect((await w.t.gateway.agreements.get('essex-marat', 1)).status).toBe('active');
  });

  it('a refusal needs a reason; once refused the provider has no release: a request to it is refused and its inbox stays empty', async () => {
    const noReason = await api(ig1, 'POST', `/v1/agreements/essex-marat/accessions/${first.id}/refuse`, {});
    expect(noReason.status).toBe(400);
    const page = await w.form(`/agreements/essex-marat/accessions/${first.id}/refuse`, ig1, { reason: '' });
    expect(page.status).toBe(400);
    const refused = await api(ig1, 'POST', `/v1/agreements/essex-marat/accessions/${first.id}/refuse`, { reason: 'Data protection training not yet evidenced' });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ status: 'REFUSED', decidedBy: 'user:ig.officer1', refusalReason: 'Data protection training not yet evidenced' });
    expect((await api(ig2, 'POST', `/v1/agreements/essex-marat/accessions/${first.id}/approve`)).body.code).toBe('ACCESSION_ALREADY_DECIDED');
    const ev = await events('ACCESSION_REFUSED');
    expect(ev).toHaveLength(1);
    expect(JSON.stringify(ev[0])).not.toContain('training');
    expect(ev[0].detail.reasonDigest).toMatch(/^sha256:/);

    const r = await requestResearch(w.t, caseId, [NEW, 'essex-police']);
    expect(r.status).toBe(201);
    expect(r.body.refused).toEqual([{ recipient: NEW, reason: 'PROVIDER_NOT_SIGNATORY' }]);
    expect((await w.t.as(NEW).get('/v1/inbox?wait=0')).body.messages).toEqual([]);
    expect((await w.t.gateway.agreements.getAgreement('essex-marat')).activeVersion).toBe(1);
  });

  let approved: any;
  it('signed again and approved by an agreement IG officer: a new version with the party is in force through the lifecycle', async () => {
    const signed = await api(lead, 'POST', '/v1/agreements/essex-marat/accessions', { kind: 'JOIN', version: 1, digest: terms.digest });
    expect(signed.status).toBe(201);
    // Approving puts a new version in force, which would lift a standing removal (the kill switch): refused until restored.
    expect((await api(ig1, 'POST', '/v1/agreements/essex-marat/parties/kss-probation/remove', { reason: 'Breach under review', confirm: true })).status).toBe(200);
    const blocked = await api(ig2, 'POST', `/v1/agreements/essex-marat/accessions/${signed.body.id}/approve`);
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe('PARTY_REMOVAL_STANDING');
    expect((await w.t.gateway.agreements.getAgreement('essex-marat')).activeVersion).toBe(1);
    expect((await api(ig2, 'POST', '/v1/agreements/essex-marat/parties/kss-probation/restore')).status).toBe(200);
    const page = await w.form(`/agreements/essex-marat/accessions/${signed.body.id}/approve`, ig2, {});
    expect(page.status).toBe(303);
    approved = await api(ig2, 'GET', `/v1/agreements/essex-marat/accessions/${signed.body.id}`);
    expect(approved.body).toMatchObject({ status: 'APPROVED', decidedBy: 'user:ig.officer2', resultingVersion: 2 });
    const v2 = await w.t.gateway.agreements.get('essex-marat', 2);
    expect(v2.status).toBe('active');
    expect(v2.approvedBy).toBe('user:ig.officer2');
    expect((v2.doc.parties as any[]).find((p) => p.agency === NEW)).toEqual({ agency: NEW, type: 'HOUSING', name: 'Colne Housing Association' });
    expect((await w.t.gateway.agreements.get('essex-marat', 1)).status).toBe('superseded');
    expect((await events('ACCESSION_APPROVED'))[0]).toMatchObject({ agreementVersion: 2, agencyIds: [NEW] });
    for (const a of ['AGREEMENT_CREATED', 'AGREEMENT_APPROVED', 'AGREEMENT_ACTIVATED']) {
      expect((await events(a)).filter((e) => e.agreementVersion === 2), a).toHaveLength(1);
    }
  });

  it('then the coordinator is offered it, and it receives and answers a research request over mTLS', async () => {
    const form = await html(await w.page(`/cases/${caseId}/research/new`, coord));
    expect(form).toContain(`value="${NEW}"`);
    const r = await requestResearch(w.t, caseId, [NEW]);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.refused).toEqual([]);
    const inbox = await w.t.as(NEW).get('/v1/inbox?wait=1');
    const message = inbox.body.messages.find((m: any) => m.requestId === r.body.requestId);
    expect(message).toBeDefined();
    expect((await w.t.as(NEW).post(`/v1/inbox/${message.messageId}/ack`)).status).toBe(200);
    const answer = await w.t.as(NEW).post(`/v1/research-requests/${r.body.requestId}/response`, sampleResponse('response-housing.json', ids), { 'Idempotency-Key': `colne-${message.messageId}` });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  });

  it('the register: parties, dates, signatories, versions; as JSON, on its page and as CSV (auditors too)', async () => {
    const reg = await api(auditor, 'GET', '/v1/agreements/essex-marat/accessions');
    expect(reg.body.accessions.map((a: any) => a.status)).toEqual(['REFUSED', 'APPROVED']);
    const csv = await api(auditor, 'GET', '/v1/agreements/essex-marat/accessions?format=csv');
    expect(csv.type).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toContain('accession_id,agency_id,kind,status,based_on_version');
    expect(csv.body).toContain(`,${NEW},JOIN,APPROVED,1,`);
    const download = await w.page('/agreements/essex-marat/accession-register.csv', ig1);
    expect(download.headers.get('content-disposition')).toContain('essex-marat-accession-register.csv');
    const page = await html(await w.page('/agreements/essex-marat/accessions', ig1));
    expect(page).toContain('Colne Housing Association');
    expect(page).toContain('Colm Colne');
    expect(page).toContain('Data protection training not yet evidenced');
    expect((await api(ig1, 'GET', '/v1/agreements/essex-marat/accessions?format=xml')).status).toBe(400);
  });

  it('withdrawal works the same way: approved, a version without the party is in force and it is no longer offered', async () => {
    const t2 = (await api(lead, 'GET', '/v1/agreements/essex-marat/accessions/terms')).body;
    expect(t2).toMatchObject({ version: 2, isParty: true });
    const joinAgain = await api(lead, 'POST', '/v1/agreements/essex-marat/accessions', { kind: 'JOIN', version: 2, digest: t2.digest });
    expect(joinAgain.body.code).toBe('ALREADY_A_PARTY');
    const w1 = await api(lead, 'POST', '/v1/agreements/essex-marat/accessions', { kind: 'WITHDRAW', version: 2, digest: t2.digest });
    expect(w1.status).toBe(201);
    const ok = await api(ig1, 'POST', `/v1/agreements/essex-marat/accessions/${w1.body.id}/approve`);
    expect(ok.body).toMatchObject({ status: 'APPROVED', kind: 'WITHDRAW', resultingVersion: 3 });
    const v3 = await w.t.gateway.agreements.get('essex-marat', 3);
    expect((v3.doc.parties as any[]).some((p) => p.agency === NEW)).toBe(false);
    expect(await events('ACCESSION_WITHDRAWN')).toHaveLength(1);
    expect(await html(await w.page(`/cases/${caseId}/research/new`, coord))).not.toContain(`value="${NEW}"`);
    const r = await requestResearch(w.t, caseId, [NEW, 'essex-police']);
    expect(r.body.refused).toEqual([{ recipient: NEW, reason: 'PROVIDER_NOT_SIGNATORY' }]);
  });
});
