/**
 * The operations metrics after a research round: every operational metric is exposed with a
 * value that follows from what the round did (requests per agency, deliveries, a dead letter,
 * queue counts, audit lag and checkpoint age, certificate expiry), and no label holds an id.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { TEST_ADMIN } from '../../helpers/pki.js';
import { answer, caseBody, openCase, requestResearch } from '../scenarios/world.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

let t: TestGateway;
let caseId = '';
const scrape = async () => parse(await (await fetch(`${t.gateway.opsUrl}/metrics`)).text());
const one = (all: Sample[], name: string, labels: Record<string, string> = {}) =>
  all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

beforeAll(async () => {
  // The hospital is a push agency whose adapter is not there: its message is dead-lettered.
  t = await startTestGateway({ queue: 'redis', push: { 'mse-hospitals': 'https://127.0.0.1:9/inbox' }, env: { CHECKPOINT_INTERVAL_MS: '200' } });
  const opened = await openCase(t, caseBody());
  caseId = opened.caseId;
  const r = await requestResearch(t, caseId, ['essex-police', 'mse-hospitals']);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const { response } = await answer(t, 'essex-police', r.body.requestId, opened.ids);
  expect(response.status).toBe(201);
  await t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
  await t.as('essex-police').get('/v1/no-such-route');
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe('operations metrics after a research round', () => {
  it('counts requests per agency by status class', async () => {
    const m = await scrape();
    const marat = one(m, 'marac_agency_requests_total', { agency: 'essex-marat', status_class: '2xx' });
    expect(marat[0]?.value).toBeGreaterThanOrEqual(3); // case, request, pack
    expect(one(m, 'marac_agency_requests_total', { agency: 'essex-police', status_class: '2xx' })[0]?.value).toBeGreaterThanOrEqual(3);
    expect(one(m, 'marac_agency_requests_total', { agency: 'essex-police', status_class: '4xx' })[0]?.value).toBeGreaterThanOrEqual(1);
    expect(one(m, 'marac_agency_requests_total', { agency: 'kss-probation' })).toEqual([]);
  });

  it('reports delivery attempts and the dead letter of the unreachable push agency', async () => {
    await expect.poll(async () => one(await scrape(), 'marac_delivery_dead_letters', { mode: 'push' })[0]?.value, { timeout: 30_000, interval: 250 }).toBe(1);
    const m = await scrape();
    // Three attempts (DELIVERY_MAX_ATTEMPTS in the test world), all recorded on the message.
    expect(one(m, 'marac_delivery_attempts', { mode: 'push' })[0]?.value).toBe(3);
    expect(one(m, 'marac_delivery_dead_letters', { mode: 'pull' })[0]?.value ?? 0).toBe(0);
  });

  it('exposes queue depth and failures for each queue', async () => {
    const m = await scrape();
    for (const queue of ['delivery', 'deadline', 'maintenance']) {
      for (const state of ['waiting', 'active', 'delayed', 'failed']) {
        const s = one(m, 'marac_queue_jobs', { queue, state });
        expect(s, `${queue} ${state}`).toHaveLength(1);
        expect(s[0]!.value).toBeGreaterThanOrEqual(0);
      }
      expect(one(m, 'marac_queue_depth', { queue })).toHaveLength(1);
    }
    // The research request scheduled its deadline reminder: the deadline queue holds delayed jobs.
    expect(one(m, 'marac_queue_jobs', { queue: 'deadline', state: 'delayed' })[0]!.value).toBeGreaterThan(0);
    expect(one(m, 'marac_queue_depth', { queue: 'deadline' })[0]!.value).toBeGreaterThan(0);
    // The dead-lettered push job stays in the delivery queue as failed.
    expect(one(m, 'marac_queue_jobs', { queue: 'delivery', state: 'failed' })[0]!.value).toBeGreaterThanOrEqual(1);
  });

  it('reports audit sequencing lag and the age of the last signed checkpoint', async () => {
    await t.gateway.audit.flush();
    await expect.poll(async () => one(await scrape(), 'marac_audit_checkpoint_age_seconds').length, { timeout: 20_000, interval: 200 }).toBe(1);
    const m = await scrape();
    const age = one(m, 'marac_audit_checkpoint_age_seconds')[0]!.value;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(600);
    const lag = one(m, 'marac_audit_sequencing_lag_seconds')[0]!.value;
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(600);
    expect(one(m, 'marac_audit_pending_events')[0]!.value).toBeGreaterThanOrEqual(0);
    expect(one(m, 'marac_audit_unsigned_events')[0]!.value).toBeGreaterThanOrEqual(0);
  });

  it('checkpoint age follows the gateway clock', async () => {
    t.clock.advance(3_600_000);
    try {
      const age = one(await scrape(), 'marac_audit_checkpoint_age_seconds')[0]!.value;
      expect(age).toBeGreaterThanOrEqual(3590);
    } finally {
      t.clock.real();
    }
  });

  it('reports days to expiry of the gateway\'s own certificates and of each agency\'s', async () => {
    const m = await scrape();
    for (const kind of ['ca', 'server', 'push-client']) {
      const s = one(m, 'marac_certificate_expiry_days', { kind });
      expect(s, kind).toHaveLength(1);
      expect(s[0]!.value).toBeGreaterThan(0);
    }
    const agencies = one(m, 'marac_certificate_expiry_days', { kind: 'agency' });
    expect(agencies.map((s) => s.labels.subject).sort()).toEqual([...t.creds.keys()].sort());
    for (const s of agencies) {
      expect(s.value).toBeGreaterThan(0);
      expect(s.value).toBeLessThan(3 * 366);
    }
    // A revoked certificate stops counting for its agency.
    await t.gateway.registry.revoke(TEST_ADMIN, t.creds.get('kss-probation')!.serialHex, 'keyCompromise');
    expect(one(await scrape(), 'marac_certificate_expiry_days', { kind: 'agency', subject: 'kss-probation' })).toEqual([]);
  });

  it('no label value is a case, request or message id, or a concrete path', async () => {
    const m = await scrape();
    for (const s of m) {
      for (const v of Object.values(s.labels)) {
        expect(v).not.toContain(caseId);
        expect(v).not.toMatch(/(case|req|msg)_[0-9a-z]{8,}/i);
      }
    }
    const routes = new Set(m.filter((s) => s.name.startsWith('marac_http_request_duration_seconds')).map((s) => s.labels.route));
    expect(routes.has('/v1/cases/:caseId/research')).toBe(true);
  });
});

describe('the Grafana dashboard', () => {
  it('is valid JSON whose every query names a metric the gateway exposes', async () => {
    const dash = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../docs/grafana-dashboard.json'), 'utf8'));
    // Declared metrics (a `# TYPE` line), whether or not they have a series yet (no witness here).
    const text = await (await fetch(`${t.gateway.opsUrl}/metrics`)).text();
    const exposed = new Set([...text.matchAll(/^# TYPE (\w+) /gm)].map((x) => x[1]!));
    const exprs: string[] = (dash.panels as { targets?: { expr: string }[] }[]).flatMap((p) => (p.targets ?? []).map((x) => x.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(marac_[a-z_]+)/g)].map((x) => x[1]!.replace(/_(bucket|sum|count)$/, ''))));
    for (const name of used) expect(exposed.has(name), name).toBe(true);
    for (const required of ['marac_queue_depth', 'marac_queue_jobs', 'marac_delivery_attempts', 'marac_delivery_dead_letters', 'marac_audit_sequencing_lag_seconds',
      'marac_audit_checkpoint_age_seconds', 'marac_certificate_expiry_days', 'marac_agency_requests_total']) {
      expect(used.has(required), required).toBe(true);
    }
  });
});
