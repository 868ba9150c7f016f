/**
 * One log line per request with a request id, the id on every response and problem document, the
 * same id on every line logged while handling the request, and no personal data in any of it: a
 * research round, the audit subject search (API and page) and the case search are run with the
 * sample case, then the whole log is searched for its names, dates of birth, NHS numbers, phone
 * numbers, postcodes and address lines.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeaksInText, leakNeedles } from '../../../gateway/src/audit/index.js';
import { createLogger } from '../../../gateway/src/logger.js';
import { answer, caseBody, CLOCK, openCase, readPack, requestResearch } from '../scenarios/world.js';
import { startWebWorld, type WebWorld } from '../web/world.js';

interface Line {
  level: string;
  message: string;
  requestId?: string;
  listener?: string;
  method?: string;
  route?: string;
  status?: number;
  agency?: string;
  [k: string]: unknown;
}

interface SampleSubject {
  names: { given?: string[]; family: string }[];
  dobs: string[];
  identifiers: { system: string; value: string }[];
  address?: { lines: string[]; postcode: string } | null;
  contact?: { phone?: string } | null;
}
const sample = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../fixtures/samples/case.json'), 'utf8')) as { subjects: SampleSubject[] };
const needles = leakNeedles({
  nhsNumbers: sample.subjects.flatMap((s) => s.identifiers.filter((i) => i.system === 'nhs-number').map((i) => i.value)),
  other: sample.subjects.flatMap((s) => s.identifiers.filter((i) => i.system !== 'nhs-number').map((i) => i.value)),
  names: sample.subjects.flatMap((s) => s.names.flatMap((n) => [...(n.given ?? []), n.family])),
  datesOfBirth: sample.subjects.flatMap((s) => s.dobs),
  postcodes: sample.subjects.flatMap((s) => (s.address ? [s.address.postcode] : [])),
  addressLines: sample.subjects.flatMap((s) => s.address?.lines ?? []),
  phones: sample.subjects.flatMap((s) => (s.contact?.phone ? [s.contact.phone] : [])),
});
const victim = sample.subjects[0]!;
const nhs = victim.identifiers.find((i) => i.system === 'nhs-number')!.value;

let raw = '';
const sink = new Writable({
  write(chunk, _enc, done) {
    raw += chunk.toString();
    done();
  },
});
const lines = (): Line[] => raw.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
const requestLines = () => lines().filter((l) => l.message === 'request');

let w: WebWorld;
beforeAll(async () => {
  // debug: the most the gateway ever writes.
  w = await startWebWorld({ queue: 'postgres', logger: createLogger('debug', { stream: sink }) });
  w.t.clock.set(CLOCK);
}, 60_000);
afterAll(async () => {
  await w?.close();
});

describe('request ids', () => {
  it('every response on the agency and web listeners carries a fresh X-Request-Id, and the problem document repeats it', async () => {
    const a = await w.t.as('essex-police').get('/v1/no-such-route');
    expect(a.status).toBe(404);
    const id = a.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.body).toMatchObject({ code: 'NOT_FOUND', requestId: id });

    const b = await fetch(`${w.base}/v1/no-such-route`);
    expect(b.status).toBe(404);
    const webId = b.headers.get('x-request-id');
    expect(webId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await b.json()).toMatchObject({ code: 'NOT_FOUND', requestId: webId });
    expect(webId).not.toBe(id);

    const ok = await fetch(`${w.base}/healthz`);
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ops = await fetch(`${w.t.gateway.opsUrl}/healthz`);
    expect(ops.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('each rejection path keeps the id: invalid body, bad JSON, wrong media type, not signed in', async () => {
    const invalid = await w.t.as('essex-marat').post('/v1/cases', { subjects: 'none' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.requestId).toBe(invalid.headers['x-request-id']);
    const variants = [
      await fetch(`${w.base}/v1/agreements`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
      await fetch(`${w.base}/v1/agreements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' }),
      await fetch(`${w.base}/v1/audit/events`),
    ];
    for (const r of variants) {
      const id = r.headers.get('x-request-id');
      expect(id, String(r.status)).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.status).toBeGreaterThanOrEqual(400);
      const body = (await r.json()) as { code: string; requestId: string };
      expect(typeof body.code).toBe('string');
      expect(body.requestId).toBe(id);
    }
  });

  it('an X-Request-Id from an address that is not a trusted proxy is replaced, never echoed', async () => {
    for (const offered of ['client-chosen-id-123', 'Jane Sampleton', '../../etc', 'x'.repeat(200)]) {
      const r = await fetch(`${w.base}/healthz`, { headers: { 'x-request-id': offered } });
      expect(r.headers.get('x-request-id')).not.toBe(offered);
      expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const a = await w.t.as('essex-police').get('/v1/no-such-route', { 'x-request-id': offered });
      expect(a.headers['x-request-id']).not.toBe(offered);
    }
    expect(raw).not.toContain('client-chosen-id-123');
  });

  it('an unparseable request still gets a problem document with a request id', async () => {
    const port = Number(new URL(w.base).port);
    const text = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nBad\u0000Header: y\r\n\r\n'));
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
    const id = /x-request-id: ([0-9a-f-]{36})/i.exec(text)?.[1];
    expect(id).toBeDefined();
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'MALFORMED_REQUEST', requestId: id });
  });
});

describe('the request log after a research round and subject searches', () => {
  let caseId = '';
  const seen: { id: string; route: string; listener: string }[] = [];

  beforeAll(async () => {
    const opened = await openCase(w.t, caseBody());
    caseId = opened.caseId;
    const r = await requestResearch(w.t, caseId, ['essex-police', 'mse-hospitals']);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    for (const agency of ['essex-police', 'mse-hospitals']) {
      const { response } = await answer(w.t, agency, r.body.requestId, opened.ids);
      expect(response.status, JSON.stringify(response.body)).toBe(201);
    }
    const pack = await w.t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
    seen.push({ id: String(pack.headers['x-request-id']), route: '/v1/cases/:caseId/research', listener: 'agency' });
    await readPack(w.t, 'essex-marat', caseId);

    // Searches that carry identifiers: the case search (agency API), the audit API (query string)
    // and the audit search page (a form post).
    await w.t.as('essex-marat').get(`/v1/cases?familyName=${encodeURIComponent(victim.names[0]!.family)}&dob=${victim.dobs[0]}&nhsNumber=${nhs}`);
    const auditor = await w.login('auditor');
    const api = await fetch(`${w.base}/v1/audit/events?subjectSystem=nhs-number&subjectValue=${nhs}`, { headers: { cookie: auditor.cookie } });
    expect(api.status).toBe(200);
    seen.push({ id: api.headers.get('x-request-id')!, route: '/v1/audit/events', listener: 'web' });
    const [y, m, d] = victim.dobs[0]!.split('-');
    const page = await w.form('/audit', auditor, {
      subjectSystem: 'name-dob', subjectGiven: victim.names[0]!.given![0]!, subjectFamily: victim.names[0]!.family,
      'subjectDob-day': d!, 'subjectDob-month': m!, 'subjectDob-year': y!,
    });
    expect(page.status).toBeLessThan(500);
    await w.form('/audit', auditor, { subjectSystem: 'nhs-number', subjectValue: nhs });
    await w.t.gateway.audit.flush();
  }, 60_000);

  it('writes one line per request naming the route pattern, status, listener and (agency API) the agency', () => {
    const all = requestLines();
    for (const s of seen) {
      const mine = all.filter((l) => l.requestId === s.id);
      expect(mine, s.route).toHaveLength(1);
      expect(mine[0]).toMatchObject({ level: 'info', listener: s.listener, method: 'GET', route: s.route, status: 200 });
      expect(typeof mine[0]!.durationMs).toBe('number');
    }
    expect(all.find((l) => l.requestId === seen[0]!.id)!.agency).toBe('essex-marat');
    const answers = all.filter((l) => l.route === '/v1/research-requests/:requestId/response');
    expect(answers.map((l) => l.agency).sort()).toEqual(['essex-police', 'mse-hospitals']);
    expect(answers.every((l) => l.status === 201)).toBe(true);
    // An adapter's inbox poll that went well is its heartbeat: logged at debug, not info.
    const polls = all.filter((l) => l.route === '/v1/inbox' && l.status === 200);
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((l) => l.level === 'debug')).toBe(true);
    // Every request id in the log is unique to its request.
    const ids = all.map((l) => l.requestId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('no line holds the URL, a query string or any of the sample case\'s personal data', () => {
    expect(requestLines().length).toBeGreaterThan(10);
    expect(findLeaksInText(raw, needles)).toEqual([]);
    expect(raw).not.toContain(nhs);
    expect(raw).not.toContain('subjectValue');
    expect(raw).not.toContain('familyName=');
    for (const l of requestLines()) {
      expect(l.route === 'unmatched' || l.route!.startsWith('/'), l.route).toBe(true);
      expect(l.route).not.toContain('?');
      expect(Object.keys(l).sort()).toEqual(expect.arrayContaining(['listener', 'method', 'route', 'status', 'requestId']));
      for (const k of Object.keys(l)) expect(['level', 'message', 'timestamp', 'requestId', 'listener', 'method', 'route', 'status', 'durationMs', 'agency', 'aborted']).toContain(k);
    }
  });
});
