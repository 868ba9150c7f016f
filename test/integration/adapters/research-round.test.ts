/**
 * A full research round over real mTLS: a case with a victim, a perpetrator and two children, from
 * the synthetic population, fans out to all seven adapter types running in pull mode against the
 * real gateway; every adapter answers from its own synthetic data; the pack is complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { ADAPTERS } from '../../../adapters/catalog.js';
import { startAdapter, type RunningAdapter } from '../../../adapters/sdk/cli.js';
import type { RunnerEvent } from '../../../adapters/sdk/runner.js';
import type { InboxMessage } from '../../../adapters/sdk/types.js';
import { generatePopulation } from '../../../adapters/sdk/synthetic/population.js';
import { caseBody, pickRichHousehold } from '../../../adapters/sdk/synthetic/cases.js';

export const AGENCY_ADAPTER: Record<string, string> = {
  'essex-police': 'police',
  'mse-hospitals': 'nhs',
  'chelmsford-housing': 'housing',
  'essex-childrens-services': 'childrens-social-care',
  'essex-adult-social-care': 'adult-social-care',
  'kss-probation': 'probation',
  'safe-steps-idva': 'idva',
};
const ALL_DOMAINS = ['DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS', 'HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH', 'TENANCY', 'CHILDREN_STATUS', 'ADULT_SOCIAL_CARE', 'SUPERVISION', 'VICTIM_VIEWS'];

const pop = generatePopulation();
const truths = Object.fromEntries(ADAPTERS.map((a) => [a.dataDir.split('/').filter(Boolean).slice(-2)[0]!, JSON.parse(readFileSync(join(a.dataDir, 'truth.json'), 'utf8'))]));
const household = pickRichHousehold(pop, truths);

describe('research round with all seven adapters (pull mode, real gateway)', () => {
  let t: TestGateway;
  const adapters: RunningAdapter[] = [];
  const events: { agency: string; e: RunnerEvent }[] = [];
  const received = new Map<string, InboxMessage>();
  let caseId: string;
  let requestId: string;
  let subjects: Record<string, string>;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'postgres' });
    const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
    for (const [agencyId, name] of Object.entries(AGENCY_ADAPTER)) {
      const entry = ADAPTERS.find((a) => a.name === name)!;
      const c = t.creds.get(agencyId)!;
      adapters.push(await startAdapter(entry, {
        gateway: base, certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem, dataDir: entry.dataDir,
        mode: 'pull', gatewayId: 'marac-gateway', waitSeconds: 5, once: false, check: false, extra: {},
      }, { log: () => {}, onEvent: (e) => events.push({ agency: agencyId, e }), onMessage: (m) => received.set(agencyId, m) }));
    }
  });
  afterAll(async () => {
    await Promise.all(adapters.map((a) => a.stop()));
    await t?.stop();
  });

  it('every adapter answers the fan-out, exactly once', async () => {
    const meeting = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
    const c = await t.as('essex-marat').post('/v1/cases', caseBody(pop, household, { meetingDate: meeting, maxChildren: 2 }));
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    caseId = c.body.caseId;
    subjects = Object.fromEntries(c.body.subjects.map((s: any) => [s.key, s.subjectId]));
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, {
      purpose: 'MARAC_RESEARCH', recipients: Object.keys(AGENCY_ADAPTER), requestedDomains: ALL_DOMAINS, lookbackMonths: 12,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    requestId = r.body.requestId;
    expect(r.body.messages).toHaveLength(7);
    await expect.poll(async () => {
      const s = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
      return s.body.messages.filter((m: any) => m.state === 'responded').length;
    }, { timeout: 20_000, interval: 200 }).toBe(7);
    const answered = events.filter((x) => x.e.type === 'answered' && (x.e as { requestId: string }).requestId === requestId);
    expect(answered.map((x) => x.agency).sort()).toEqual(Object.keys(AGENCY_ADAPTER).sort());
    expect(events.filter((x) => x.e.type === 'gave-up' || x.e.type === 'invalid-output')).toEqual([]);
    const stored = await t.db.pool.query(`SELECT count(*)::int AS n FROM responses WHERE request_id = $1`, [requestId]);
    expect(stored.rows[0].n).toBe(7);
  });

  it('the research pack is complete: a section from each agency, subjects found where the data holds them', async () => {
    const pack = await t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
    expect(pack.status).toBe(200);
    const sections = pack.body.sections as any[];
    expect(sections).toHaveLength(7);
    expect(sections.every((s) => s.state === 'responded' && s.release.released)).toBe(true);
    const view = (agency: string, key: string) => sections.find((s) => s.agencyId === agency).subjects.find((x: any) => x.subjectId === subjects[key]).view;
    // Strong identifiers the agreement lets the agency see give MATCHED.
    expect(view('mse-hospitals', 'v1').match).toMatchObject({ status: 'MATCHED', matchedOn: expect.arrayContaining(['nhs-number']) });
    expect(view('mse-hospitals', 'c1').match.status).toBe('MATCHED');
    expect(view('essex-police', 'p1').match).toMatchObject({ status: 'MATCHED', matchedOn: expect.arrayContaining(['pnc-id']) });
    expect(view('kss-probation', 'p1').match.status).toBe('MATCHED');
    expect(view('kss-probation', 'p1').probation.supervisionType).not.toBe('NONE');
    for (const c of ['c1', 'c2']) {
      expect(view('essex-childrens-services', c).match).toMatchObject({ status: 'MATCHED', matchedOn: expect.arrayContaining(['la-child-id']) });
    }
    expect(view('essex-childrens-services', 'c1').childrensSocialCare.children[0].status).toBe(household.story.childrenStatus);
    // Adults' services, IDVA and police know the victim by name and date of birth.
    expect(view('essex-adult-social-care', 'v1').match.status).toBe('MATCHED');
    expect(view('essex-adult-social-care', 'v1').adultSocialCare.careAndSupportNeeds).toBe(true);
    expect(view('safe-steps-idva', 'v1').match.status).toBe('MATCHED');
    expect(['MATCHED', 'POSSIBLE']).toContain(view('essex-police', 'v1').match.status);
    // Children's identifiers and exact DOBs are not shown to housing, so housing can only say
    // POSSIBLE, and the guardrail holds everything about a possible match back.
    const housingChild = sections.find((s) => s.agencyId === 'chelmsford-housing').subjects.find((x: any) => x.subjectId === subjects.c1);
    expect(housingChild.view.match.status).not.toBe('MATCHED');
    if (housingChild.view.match.status === 'POSSIBLE') {
      expect(housingChild.withheld).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'MATCH_NOT_CONFIRMED' })]));
    }
  });

  it('each agency received the request as the sample agreement allows it to see it', () => {
    expect([...received.keys()].sort()).toEqual(Object.keys(AGENCY_ADAPTER).sort());
    const subj = (agency: string, key: string) => received.get(agency)!.request.subjects.find((s) => s.subjectId === subjects[key])!;
    // The victim's address: in full to police and IDVA, a postcode district to everyone else.
    for (const a of ['essex-police', 'safe-steps-idva']) expect(typeof subj(a, 'v1').address).toBe('object');
    for (const a of ['mse-hospitals', 'chelmsford-housing', 'essex-childrens-services', 'essex-adult-social-care', 'kss-probation']) {
      expect(typeof (subj(a, 'v1').address ?? '')).toBe('string');
    }
    // Children's exact DOBs and identifiers: only children's services and health.
    for (const a of ['mse-hospitals', 'essex-childrens-services']) expect(subj(a, 'c1').dobs![0]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const a of ['essex-police', 'chelmsford-housing', 'kss-probation', 'safe-steps-idva', 'essex-adult-social-care']) {
      expect(subj(a, 'c1').dobs?.[0] ?? '').not.toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (const id of subj(a, 'c1').identifiers ?? []) expect(id.value).toContain('*');
    }
  });
});
