/**
 * The GOV.UK Notify transport against a local HTTP server standing in for the Notify API (an
 * external service): the official client's request (path, JWT signed with the key's secret and
 * naming the service, template, address, personalisation, reference), the per-kind template, and
 * an attempt whose answer is lost: the next attempt asks Notify for the reference and does not
 * send the message a second time.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertPerson } from '../../../gateway/src/notifications/people-directory.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleCase } from '../exchange/fixtures.js';
import { PERSONAL_DATA, settle } from './helpers.js';

const SERVICE_ID = randomUUID();
const SECRET = randomUUID();
const API_KEY = `marac_test-${SERVICE_ID}-${SECRET}`;
const TEMPLATE = randomUUID();
const REQUEST_TEMPLATE = randomUUID();

interface Seen {
  method: string;
  path: string;
  claims: { iss?: string; iat?: number };
  signatureOk: boolean;
  body?: { template_id: string; email_address: string; personalisation: Record<string, string>; reference: string };
}

const seen: Seen[] = [];
const accepted = new Map<string, { id: string; reference: string }>();
/** References whose first POST is taken but whose answer is lost (the connection is cut). */
const loseAnswer = new Set<string>();
let notify: http.Server;
let base: string;
let t: TestGateway;

function verify(auth: string | undefined): { claims: Seen['claims']; ok: boolean } {
  const [h, p, s] = (auth ?? '').replace(/^Bearer /, '').split('.');
  if (!h || !p || !s) return { claims: {}, ok: false };
  const expected = createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url');
  return { claims: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')), ok: expected === s };
}

beforeAll(async () => {
  notify = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const { claims, ok } = verify(req.headers.authorization);
      const url = new URL(req.url!, 'http://x');
      const s: Seen = { method: req.method!, path: url.pathname + url.search, claims, signatureOk: ok };
      if (chunks.length) s.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      seen.push(s);
      res.setHeader('content-type', 'application/json');
      if (!ok) return void res.writeHead(403).end(JSON.stringify({ errors: [{ error: 'AuthError', message: 'Invalid token' }], status_code: 403 }));
      if (req.method === 'POST' && url.pathname === '/v2/notifications/email') {
        const ref = s.body!.reference;
        const n = { id: randomUUID(), reference: ref };
        accepted.set(ref, n);
        if (loseAnswer.delete(ref)) return void req.socket.destroy();
        return void res.writeHead(201).end(JSON.stringify({ ...n, content: { subject: s.body!.personalisation.subject, body: s.body!.personalisation.body, from_email: 'marac@notifications.service.gov.uk' }, uri: `${base}/v2/notifications/${n.id}`, template: { id: s.body!.template_id, version: 1, uri: '' } }));
      }
      if (req.method === 'GET' && url.pathname === '/v2/notifications') {
        const ref = url.searchParams.get('reference');
        const found = ref ? accepted.get(ref) : undefined;
        return void res.writeHead(200).end(JSON.stringify({ notifications: found ? [{ ...found, type: 'email', status: 'delivered' }] : [], links: {} }));
      }
      res.writeHead(404).end(JSON.stringify({ errors: [{ error: 'NotFound' }], status_code: 404 }));
    });
  });
  await new Promise<void>((r) => notify.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(notify.address() as AddressInfo).port}`;
  t = await startTestGateway({
    queue: 'postgres',
    env: {
      NOTIFICATIONS_TRANSPORT: 'notify', NOTIFY_API_KEY: API_KEY, NOTIFY_BASE_URL: base, NOTIFY_TEMPLATE_ID: TEMPLATE,
      NOTIFY_TEMPLATE_IDS: `REQUEST_NEW=${REQUEST_TEMPLATE}`, NOTIFICATIONS_POLL_MS: '3600000',
    },
  });
  for (const [userId, agencyId] of [['h1', 'chelmsford-housing'], ['p1', 'essex-police'], ['c1', 'essex-marat']] as const) {
    const roles = agencyId === 'essex-marat' ? ['coordinator'] : ['agency_researcher'];
    await upsertPerson(t.gateway.pool, { userId, displayName: userId, email: `${userId}@staff.example`, roles, agencyId }, new Date());
  }
}, 120_000);
afterAll(async () => {
  await t?.stop();
  await new Promise((r) => notify?.close(r));
});

describe('GOV.UK Notify', () => {
  it('sends through the official client: signed, the template, the address, personalisation and the reference', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing', 'essex-police'] });
    expect(r.status).toBe(201);
    await settle(t.gateway);
    const posts = seen.filter((s) => s.method === 'POST');
    expect(posts).toHaveLength(2);
    const rows = (await t.gateway.pool.query(`SELECT id, address, provider_id, state FROM notification_outbox ORDER BY address`)).rows;
    for (const p of posts) {
      expect(p.path).toBe('/v2/notifications/email');
      expect(p.signatureOk).toBe(true);
      expect(p.claims.iss).toBe(SERVICE_ID);
      expect(typeof p.claims.iat).toBe('number');
      expect(Object.keys(p.body!).sort()).toEqual(['email_address', 'personalisation', 'reference', 'template_id']);
      expect(p.body!.template_id).toBe(REQUEST_TEMPLATE);
      const row = rows.find((x) => x.address === p.body!.email_address)!;
      expect(p.body!.reference).toBe(row.id);
      expect(row).toMatchObject({ state: 'sent', provider_id: accepted.get(row.id)!.id });
      expect(Object.keys(p.body!.personalisation).sort()).toEqual(['body', 'link', 'reference', 'subject']);
      expect(p.body!.personalisation.link).toMatch(/\/agency\/requests\/req_[0-9a-f]{32}\/answer$/);
      const all = JSON.stringify(p.body);
      for (const pd of PERSONAL_DATA) expect(all.includes(pd), pd).toBe(false);
    }
    expect(posts.map((p) => p.body!.email_address).sort()).toEqual(['h1@staff.example', 'p1@staff.example']);
  });

  it('an answer lost after Notify took the message: the next attempt finds the reference and sends nothing again', async () => {
    seen.length = 0;
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing'] });
    expect(r.status).toBe(201);
    await t.gateway.audit.flush();
    await t.gateway.notifications.derive();
    const row = (await t.gateway.pool.query(`SELECT id FROM notification_outbox WHERE state = 'pending'`)).rows;
    expect(row).toHaveLength(1);
    loseAnswer.add(row[0].id);
    const first = await t.gateway.notifications.dispatch();
    expect(first).toMatchObject({ sent: 0, retrying: 1 });
    expect((await t.gateway.pool.query('SELECT uncertain, state FROM notification_outbox WHERE id = $1', [row[0].id])).rows[0]).toEqual({ uncertain: true, state: 'pending' });
    // The retry is due after the backoff.
    t.clock.advance(2 * 3_600_000);
    try {
      await settle(t.gateway);
    } finally {
      t.clock.real();
    }
    const again = (await t.gateway.pool.query('SELECT state, attempts, provider_id FROM notification_outbox WHERE id = $1', [row[0].id])).rows[0];
    expect(again).toEqual({ state: 'sent', attempts: 2, provider_id: accepted.get(row[0].id)!.id });
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /v2/notifications/email',
      `GET /v2/notifications?template_type=email&reference=${row[0].id}`,
    ]);
    await t.gateway.audit.flush();
    const ev = await t.gateway.pool.query(`SELECT canonical FROM audit_events WHERE action = 'NOTIFICATION_SENT' ORDER BY seq DESC LIMIT 1`);
    expect(JSON.parse(ev.rows[0].canonical).detail).toMatchObject({ notificationId: row[0].id, recovered: true, attempt: 2, transport: 'notify' });
  });

  it('a refusal by Notify is given up at once and audited as NOTIFICATION_FAILED', async () => {
    await t.gateway.pool.query(`UPDATE people_directory SET email = 'not-accepted@staff.example' WHERE user_id = 'h1'`);
    // Notify answers 400 (BadRequestError) for an address or personalisation it will never accept.
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing'] });
    await t.gateway.audit.flush();
    await t.gateway.notifications.derive();
    const before = seen.length;
    const original = notify.listeners('request')[0] as http.RequestListener;
    notify.removeAllListeners('request');
    notify.on('request', (_req, res) => void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ error: 'BadRequestError', message: 'email_address Not a valid email address' }], status_code: 400 })));
    try {
      expect(await t.gateway.notifications.dispatch()).toMatchObject({ failed: 1 });
    } finally {
      notify.removeAllListeners('request');
      notify.on('request', original);
    }
    expect(seen.length).toBe(before);
    const failed = (await t.gateway.pool.query(`SELECT state, last_error_code FROM notification_outbox WHERE address = 'not-accepted@staff.example'`)).rows;
    expect(failed).toEqual([{ state: 'failed', last_error_code: 'NOTIFY_400' }]);
    await t.gateway.audit.flush();
    const ev = await t.gateway.pool.query(`SELECT reason_code FROM audit_events WHERE action = 'NOTIFICATION_FAILED'`);
    expect(ev.rows).toEqual([{ reason_code: 'NOTIFY_400' }]);
  });
});
