/**
 * The NHS adapter over FHIR R4, end to end: a real gateway (mTLS, PostgreSQL queue), a FHIR R4
 * server in the test (node:http over its own PostgreSQL database, loaded with UK Core bundles made
 * from the synthetic NHS data) with a SMART Backend Services token endpoint. The coordinator asks
 * the trust; the adapter gets a token with a signed JWT assertion, searches FHIR, checks every
 * resource against UK Core, answers; the pack shows the health section. A resource that breaks its
 * profile is withheld and reported, never sent; an expired token brings a new one; a wrong key
 * leaves the message unanswered with FHIR_AUTH_FAILED in the adapter's health.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { ADAPTERS } from '../../../adapters/catalog.js';
import { createGatewayClient } from '../../../adapters/sdk/client.js';
import { readDataDir } from '../../../adapters/sdk/data.js';
import { answerRequest, loadAgency } from '../../../adapters/sdk/respond.js';
import { createRunner, type Runner, type RunnerEvent } from '../../../adapters/sdk/runner.js';
import type { InboxMessage, ResearchResponse } from '../../../adapters/sdk/types.js';
import type { GatewayClient } from '../../../adapters/sdk/client.js';
import { generatePopulation } from '../../../adapters/sdk/synthetic/population.js';
import { caseBody, pickRichHousehold } from '../../../adapters/sdk/synthetic/cases.js';
import { nhsMapping } from '../../../adapters/nhs/map.js';
import { createFhirClient, type FhirClient } from '../../../adapters/nhs/fhir/client.js';
import { CLIENT_ASSERTION_TYPE, createSmartAuth, signClientAssertion, type SmartAuth } from '../../../adapters/nhs/fhir/smart-auth.js';
import { createFhirNhsAgency } from '../../../adapters/nhs/fhir/source.js';
import { FhirAuthFailed } from '../../../adapters/nhs/fhir/errors.js';
import { startFhirTestServer, type FhirTestServer } from './fhir-server.js';
import { badPatientLike, badResourcesFor, ukCoreResources } from './fhir-fixtures.js';

const NHS = 'mse-hospitals';
const DOMAINS = ['HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH'];
const CLIENT_ID = 'marac-nhs-adapter-test';
const pop = generatePopulation();
const truths = Object.fromEntries(ADAPTERS.map((a) => [a.dataDir.split('/').filter(Boolean).slice(-2)[0]!, JSON.parse(readFileSync(join(a.dataDir, 'truth.json'), 'utf8'))]));
const household = pickRichHousehold(pop, truths);
const nhsDir = ADAPTERS.find((a) => a.name === 'nhs')!.dataDir;
const pidOf = (personId: string) => Object.entries(truths.nhs.records as Record<string, { personId: string }>).find(([, r]) => r.personId === personId)?.[0];

describe('NHS adapter over FHIR R4 with SMART Backend Services (real gateway, FHIR server in the test)', () => {
  let t: TestGateway;
  let fhirDb: TestDatabase;
  let server: FhirTestServer;
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const wrongKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const running: { runner: Runner; loop: Promise<void>; close: () => void }[] = [];
  const events: RunnerEvent[] = [];
  const received = new Map<string, InboxMessage>();
  /** What the adapter sent, as it sent it (the pack shows dates generalised for the coordinator). */
  const sent = new Map<string, ResearchResponse>();
  let auth: SmartAuth;
  let fhir: FhirClient;
  let nhs: ReturnType<typeof createFhirNhsAgency>;
  const victimPid = pidOf(household.victimId)!;
  const perpPid = pidOf(household.perpetratorId);
  const badDay = new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10);

  function startNhsAdapter(o: { privateKeyPem: string }) {
    const a = createSmartAuth({ fhirBase: server.baseUrl, clientId: CLIENT_ID, privateKeyPem: o.privateKeyPem, kid: 'k1', now: clock });
    // A small page size so that every search of any length pages through Bundle.link next.
    const f = createFhirClient({ baseUrl: server.baseUrl, auth: a, pageSize: 2 });
    const agency = createFhirNhsAgency({ client: f });
    const c = t.creds.get(NHS)!;
    const gw = createGatewayClient({ baseUrl: t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem });
    const capture: GatewayClient = { ...gw, respond: (id, body, k) => {
      sent.set(id, body);
      return gw.respond(id, body, k);
    } };
    const runner = createRunner({
      client: capture, agency: { ...agency, limits: { pageSize: 2 } }, waitSeconds: 2, sourceRetries: 1, backoff: { initialMs: 100, maxMs: 500 },
      onEvent: (e) => events.push(e),
      onMessage: (m) => received.set(m.requestId, m),
    });
    running.push({ runner, loop: runner.runPull(), close: () => gw.close() });
    return { agency, auth: a, fhir: f };
  }

  async function stopAdapters() {
    for (const r of running.splice(0)) {
      await r.runner.stop();
      await r.loop;
      r.close();
    }
  }

  async function ask(): Promise<{ caseId: string; requestId: string; subjects: Record<string, string> }> {
    const meeting = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
    const c = await t.as('essex-marat').post('/v1/cases', caseBody(pop, household, { meetingDate: meeting, maxChildren: 2 }));
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [NHS], requestedDomains: DOMAINS, lookbackMonths: 12 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { caseId: c.body.caseId, requestId: r.body.requestId, subjects: Object.fromEntries(c.body.subjects.map((s: any) => [s.key, s.subjectId])) };
  }

  const responded = async (requestId: string) => {
    const s = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
    return s.body.messages.filter((m: any) => m.state === 'responded').length;
  };

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'postgres' });
    fhirDb = await createTestDatabase({ migrate: false });
    server = await startFhirTestServer({ pool: fhirDb.pool, clients: [{ clientId: CLIENT_ID, kid: 'k1', publicKeyPem: key.publicKey.export({ type: 'spki', format: 'pem' }).toString() }], now: clock });
    const resources = ukCoreResources();
    const perpPatient = resources.find((r) => r.resourceType === 'Patient' && r.id === perpPid);
    await server.load([...resources, ...badResourcesFor(victimPid, badDay), ...(perpPatient ? [badPatientLike(perpPatient)] : [])]);
    ({ agency: nhs, auth, fhir } = startNhsAdapter({ privateKeyPem: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }));
  });
  afterAll(async () => {
    await stopAdapters();
    await server?.close();
    await fhirDb?.drop();
    await t?.stop();
  });

  it('answers a research request end to end from FHIR, with the token flow; the pack shows the health section', async () => {
    const { caseId, requestId, subjects } = await ask();
    await expect.poll(() => responded(requestId), { timeout: 30_000, interval: 250 }).toBe(1);
    expect(events.filter((e) => e.type === 'invalid-output' || e.type === 'gave-up')).toEqual([]);
    // One discovery, one token: every search of the request used the cached token.
    expect(auth.stats).toMatchObject({ discoveries: 1, tokensIssued: 1 });
    expect(server.stats.tokensIssued).toBe(1);
    expect(server.stats.unauthorised).toBe(0);
    expect(fhir.stats.nextPages).toBeGreaterThan(0); // pages of 2: searches went through Bundle.link next
    expect(server.stats.getSearches).toBe(0); // every search was POST _search: no names or NHS numbers in URLs
    expect(server.stats.searches).toMatchObject({ Patient: expect.any(Number), Encounter: expect.any(Number), Condition: expect.any(Number), EpisodeOfCare: expect.any(Number), Observation: expect.any(Number), Flag: expect.any(Number) });

    const pack = await t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
    expect(pack.status).toBe(200);
    const section = (pack.body.sections as any[]).find((s) => s.agencyId === NHS);
    expect(section).toMatchObject({ state: 'responded' });
    const victim = section.subjects.find((x: any) => x.subjectId === subjects.v1);
    expect(victim.view.match).toMatchObject({ status: 'MATCHED', matchedOn: expect.arrayContaining(['nhs-number']) });
    expect(victim.view.health).toEqual(expect.any(Object));

    // The same request answered from the file export gives the same health section for every
    // subject both sources matched (the FHIR source reads the same records, minus what failed UK Core).
    const msg = received.get(requestId)!;
    const fromFile = (await answerRequest(loadAgency(nhsMapping, readDataDir(nhsDir)), msg)).response;
    const answer = sent.get(requestId)!;
    let compared = 0;
    for (const s of fromFile.subjectResults) {
      const fromFhir = answer.subjectResults.find((x) => x.subjectId === s.subjectId)!;
      if (s.match.status !== 'MATCHED' || fromFhir.match.status !== 'MATCHED') continue;
      expect(fromFhir.health ?? {}, s.subjectId).toEqual(s.health ?? {});
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(2);

    // The bad resources: not in the answer, and each one listed as withheld with its reason.
    expect((victim.view.health.edAttendances12m ?? []).map((e: any) => e.date)).not.toContain(badDay);
    // The pack lists each as withheld by the agency (path and reason); the answer's notes name the resource type and rules.
    expect(victim.withheld).toEqual(expect.arrayContaining([
      { path: 'health.edAttendances12m', reason: 'OTHER', by: 'agency' },
      { path: 'health.pregnancy', reason: 'OTHER', by: 'agency' },
      { path: 'health', reason: 'OTHER', by: 'agency' },
    ]));
    const notes = answer.subjectResults.find((x) => x.subjectId === subjects.v1)!.withheld.filter((w) => w.reason === 'OTHER' && /UK Core/.test(w.note ?? ''));
    expect(notes.map((w) => /An? (\w+) record/.exec(w.note!)?.[1]).sort()).toEqual(['Encounter', 'Flag', 'Observation']);
    expect(notes.find((w) => /Encounter/.test(w.note!))).toMatchObject({ fieldPath: 'health.edAttendances12m', note: expect.stringContaining('(value-set)') });
    expect(JSON.stringify(notes)).not.toContain(badDay);
    // The second patient record with the perpetrator's name and birth date fails modulus 11: it is
    // not a candidate (the perpetrator is matched on the real record), and the health counts it.
    if (perpPid) expect(section.subjects.find((x: any) => x.subjectId === subjects.p1).view.match.status).toBe('MATCHED');
    const h = nhs.source.health();
    expect(h.withheldByType).toMatchObject({ Encounter: 1, Flag: 1, Observation: 1, ...(perpPid ? { Patient: 1 } : {}) });
    expect(h.withheldByRule).toMatchObject({ 'value-set': 1, 'coding-system': 1, required: 1, ...(perpPid ? { 'nhs-number-check-digit': 1 } : {}) });
    expect(h.kind).toBe('fhir');
    expect(h.errors).toEqual([]);
    expect(h.lastSuccessAt).toEqual(expect.any(String));
  });

  it('an expired token brings a new one: by the adapter clock, and after a 401 from the FHIR server', async () => {
    const before = auth.stats.tokensIssued;
    offsetMs += 301_000; // past the 300 s token on both clocks
    const first = await ask();
    await expect.poll(() => responded(first.requestId), { timeout: 30_000, interval: 250 }).toBe(1);
    expect(auth.stats.tokensIssued).toBe(before + 1);
    expect(server.stats.unauthorised).toBe(0);

    server.expireTokens(); // revoked early: the cached token is refused
    const second = await ask();
    await expect.poll(() => responded(second.requestId), { timeout: 30_000, interval: 250 }).toBe(1);
    expect(server.stats.unauthorised).toBeGreaterThanOrEqual(1);
    expect(fhir.stats.retriedAfter401).toBeGreaterThanOrEqual(1);
    expect(auth.stats.tokensIssued).toBeGreaterThanOrEqual(before + 2);
    expect(nhs.source.health().errors).toEqual([]);
  });

  it('the test token endpoint verifies the assertion: bad signature, expired, wrong aud, replayed jti, unknown kid → 401', async () => {
    const post = async (jwt: string) => {
      const r = await fetch(server.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: jwt, scope: 'system/Patient.rs' }) });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const sign = (o: Partial<Parameters<typeof signClientAssertion>[0]> = {}) => signClientAssertion({ clientId: CLIENT_ID, tokenEndpoint: server.tokenUrl, key: key.privateKey, kid: 'k1', nowMs: clock(), ...o });
    const before = server.stats.refused.length;
    const good = sign();
    expect((await post(good)).status).toBe(200);
    expect(await post(good)).toMatchObject({ status: 401, body: { error: 'invalid_client' } }); // replayed jti
    expect((await post(sign({ key: wrongKey.privateKey }))).status).toBe(401);
    expect((await post(sign({ nowMs: clock() - 600_000 }))).status).toBe(401);
    expect((await post(sign({ tokenEndpoint: `${server.baseUrl}/token` }))).status).toBe(401);
    expect((await post(sign({ kid: 'k9' }))).status).toBe(401);
    expect((await post(sign({ clientId: 'someone-else' }))).status).toBe(401);
    expect(server.stats.refused.slice(before)).toEqual(['jti', 'signature', 'expired', 'aud', 'kid', 'unknown-client']);
  });

  it('a wrong key: the token endpoint refuses the assertion, the adapter reports FHIR_AUTH_FAILED, retries, then declines visibly', async () => {
    await stopAdapters();
    const bad = startNhsAdapter({ privateKeyPem: wrongKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const refusedBefore = server.stats.refused.length;
    const { requestId } = await ask();
    await expect.poll(async () => {
      const s = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
      return s.body.messages[0].state;
    }, { timeout: 30_000, interval: 250 }).toBe('declined');
    const errs = events.filter((e) => e.type === 'source-error' && e.requestId === requestId);
    expect(errs.map((e) => (e as { code: string }).code)).toEqual(['FHIR_AUTH_FAILED', 'FHIR_AUTH_FAILED']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'declined', requestId, reason: 'OTHER' }));
    expect(sent.has(requestId)).toBe(false);
    const err = bad.agency.source.health().errors[0]!;
    expect(err.code).toBe('FHIR_AUTH_FAILED');
    expect(err.message).toMatch(/refused the client \(401 invalid_client\)/);
    expect(server.stats.refused.slice(refusedBefore)).toContain('signature');
    await expect(bad.auth.token()).rejects.toBeInstanceOf(FhirAuthFailed);
  });
});
