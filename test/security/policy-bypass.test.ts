import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAgreement, type Agreement } from '../../gateway/src/policy/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { sampleCase, sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';
import { catalog, COORD, compile, essexDoc, guardrails, POLICE, release } from '../unit/policy/helpers.js';

/**
 * Policy bypass attempts: a field asked for through a nested path, an array index, another case,
 * a unicode look-alike or extra keys, in RESPONSES (refused by the schema, nothing stored) and in
 * AGREEMENT RULES (a validation problem, and the compiled plan still releases nothing for it).
 * What reaches the pack is checked against what the sample agreement allows.
 */
const BYPASS_KEYS = [
  'Police', 'POLICE', 'SUBJECT', 'Subject', 'pol\u0456ce', 'ｐｏｌｉｃｅ', 'police\u200b', 'police ', ' police', 'polic\u0435',
  'police.incidents[0].summary', 'police.incidents', 'subject.address', 'withheld[0]', '__proto__', 'constructor',
];
const INNER_KEYS = ['Incidents', 'incidents[0]', 'summary', 'incidents.summary', 'bailconditions', 'bailConditions\u200b', 'address', 'subjectId'];

describe('policy bypass through responses', () => {
  let t: TestGateway;
  let caseId: string;
  let ids: { v1: string; p1: string; c1: string };

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    caseId = c.body.caseId;
    ids = subjectIds(c.body);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  async function openRequest(): Promise<string> {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    await t.as('essex-police').get('/v1/inbox?wait=0');
    return r.body.requestId;
  }

  async function stored(): Promise<string> {
    const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM responses) x, (SELECT string_agg(state, ',' ORDER BY id) FROM messages) m, (SELECT count(*) FROM idempotency_keys) k`);
    return JSON.stringify(r.rows[0]);
  }

  it('a look-alike, case-variant, dotted or indexed key anywhere in a response is refused and nothing is stored', async () => {
    const requestId = await openRequest();
    let n = 0;
    const attempts: { where: string; body: any }[] = [];
    for (const k of BYPASS_KEYS) {
      const b = sampleResponse('response-police.json', ids);
      // Built from text so __proto__ is an own key, as a parser would deliver it.
      const sr = JSON.parse(`{${JSON.stringify(k)}: {"incidentCount12m": 1}}`);
      Object.assign(b.subjectResults[0], k === '__proto__' ? {} : sr);
      const text = k === '__proto__' ? JSON.stringify(b).replace('"subjectResults":[{', `"subjectResults":[{"__proto__":{"incidentCount12m":1},`) : JSON.stringify(b);
      attempts.push({ where: `subject result key ${JSON.stringify(k)}`, body: text });
    }
    for (const k of INNER_KEYS) {
      const b = sampleResponse('response-police.json', ids);
      b.subjectResults[0].police[k] = [{ conditions: ['EXCLUSION_ZONE'] }];
      attempts.push({ where: `police payload key ${JSON.stringify(k)}`, body: JSON.stringify(b) });
      if (k === 'summary') continue; // a real incident field
      const c = sampleResponse('response-police.json', ids);
      c.subjectResults[0].police.incidents[0][k] = 'leak';
      attempts.push({ where: `incident key ${JSON.stringify(k)}`, body: JSON.stringify(c) });
    }
    for (const a of attempts) {
      const before = await stored();
      const r = await t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, a.body, { 'Idempotency-Key': `bypass-${String(n++).padStart(4, '0')}` });
      expect(r.status, `${a.where}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.code, a.where).toBe('VALIDATION_FAILED');
      expect(await stored(), a.where).toBe(before);
    }
  });

  it('a body with a repeated key is refused whole (DUPLICATE_JSON_KEY): neither copy is checked or stored', async () => {
    const requestId = await openRequest();
    const b = sampleResponse('response-police.json', ids);
    const text = JSON.stringify(b);
    // A hidden field in either copy of a repeated key: parsers disagree on which copy wins, so
    // the gateway takes neither.
    const hiddenLast = text.replace('"police":{', '"police":{"incidentCount12m":1},"police":{"secret":"x",');
    const hiddenFirst = text.replace('"police":{', '"police":{"secret":"x","bailConditions":[{"conditions":["EXCLUSION_ZONE"]}]},"police":{');
    for (const [i, body] of [hiddenLast, hiddenFirst].entries()) {
      const r = await t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, body, { 'Idempotency-Key': `dup-key-000${i}` });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('DUPLICATE_JSON_KEY');
    }
    const status = await t.as('essex-police').get(`/v1/research-requests/${requestId}`);
    expect(status.body.messages[0].answeredAt).toBeNull();
    const pack = await t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
    expect(JSON.stringify(pack.body)).not.toContain('secret');
  });

  it('the pack never shows what the agreement does not release to the coordinator', async () => {
    const requestId = await openRequest();
    const b = sampleResponse('response-police.json', ids);
    // The victim's own bail conditions would locate her: the "others" flow does not release them.
    b.subjectResults[0].police.bailConditions = [{ conditions: ['NOT_TO_ENTER_ADDRESS', 'EXCLUSION_ZONE'], until: '2027-02-01' }];
    b.subjectResults[0].subject.contact = { phone: '07700 900123', email: 'jane@example.org', safeTimes: 'after 6pm' };
    const r = await t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, b, { 'Idempotency-Key': 'pack-check-0001' });
    expect(r.status).toBe(201);
    const pack = await t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
    const section = pack.body.sections.find((s: any) => s.requestId === requestId);
    expect(section.release.released).toBe(true);
    const victim = section.subjects.find((s: any) => s.subjectId === ids.v1);
    expect(victim.view.police.bailConditions).toBeUndefined();
    expect(victim.view.subject?.contact).toBeUndefined();
    expect(victim.view.subject?.address?.lines).toBeUndefined();
    const text = JSON.stringify(victim.view);
    for (const v of ['NOT_TO_ENTER_ADDRESS', '07700 900123', 'jane@example.org', 'after 6pm', '1 Example Row', 'CM2 9ZZ']) expect(text, v).not.toContain(v);
    expect(victim.withheld.map((w: { path: string }) => w.path)).toEqual(expect.arrayContaining([expect.stringMatching(/^police\.bailConditions/)]));
  });
});

describe('policy bypass through agreement rules', () => {
  const FLOW = 'police-to-coordinator-others';
  // Ways to name the victim's bail conditions (not released by this flow) other than the real path.
  const VARIANTS = [
    'Police.bailConditions', 'POLICE.BAILCONDITIONS', 'police.BailConditions', 'police.bailConditions[0]', 'police.bailConditions[0].conditions',
    'police.bailConditions[*]', 'police.*', 'police', 'police..bailConditions', ' police.bailConditions', 'police.bailConditions ', 'police.bailCondition\u0455',
    'police\u200b.bailConditions', 'ｐｏｌｉｃｅ.bailConditions', 'police/bailConditions', 'police["bailConditions"]', 'police.bailConditions.conditions',
    '__proto__', 'constructor.prototype', 'subject.address.lines[0]', 'SUBJECT.address', 'subject.Address.lines',
  ];
  const victimDoc = () => {
    const r = JSON.parse(JSON.stringify(essexSampleVictim()));
    r.police.bailConditions = [{ conditions: ['NOT_TO_ENTER_ADDRESS'], until: '2027-02-01' }];
    return r;
  };

  it('the unmodified sample agreement validates clean (so each problem below is the variant\'s)', () => {
    expect(validateAgreement(essexDoc(), { catalog, guardrails })).toEqual([]);
  });

  it.each(VARIANTS)('a release rule on %j is a validation problem and releases nothing', (variant) => {
    const doc = essexDoc() as Agreement & { flows: { id: string; release: Record<string, unknown> }[] };
    const i = doc.flows.findIndex((f) => f.id === FLOW);
    doc.flows[i]!.release = { ...doc.flows[i]!.release, ...JSON.parse(`{${JSON.stringify(variant)}: "keep"}`) };
    const problems = validateAgreement(doc, { catalog, guardrails });
    expect(problems.some((p) => p.path.startsWith(`/flows/${i}/release`)), JSON.stringify(problems)).toBe(true);
    // Even if someone ran it anyway (non-strict compile skips what it cannot place), nothing more comes out.
    let compiled;
    try {
      compiled = compile(doc as Agreement);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('AGREEMENT_INVALID');
      return;
    }
    const { view } = release({ agreement: compiled, from: POLICE, to: COORD, doc: victimDoc(), subject: { role: 'VICTIM' }, now: new Date('2026-12-01T00:00:00Z') });
    expect(view.police?.bailConditions).toBeUndefined();
    expect(JSON.stringify(view)).not.toContain('NOT_TO_ENTER_ADDRESS');
    expect(view.subject?.address?.lines).toBeUndefined();
  });
});

function essexSampleVictim(): Record<string, any> {
  const r = sampleResponse('response-police.json', { v1: 'subj_v', p1: 'subj_p', c1: 'subj_c' });
  const { withheld: _w, ...doc } = r.subjectResults[0];
  return doc;
}
