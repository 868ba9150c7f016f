/**
 * Issue 12, class 5: revocation ends delivery at once. A certificate revoked (or an agency
 * disabled) while a long-poll is open, or on another gateway instance whose authentication cache
 * has not heard of it yet, gets nothing more: the hand-over re-reads the certificate in the
 * transaction that would mark messages delivered. Push deliveries check that the agency still holds
 * a valid certificate; otherwise the message is parked (queued, audited once) until one is issued.
 */
import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockAgencyForHandOver } from '../../../gateway/src/identity/delivery-check.js';
import type { AgencyPrincipal } from '../../../gateway/src/identity/principal.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { agencyFetch, makeAgencyCert, makeTestPki, TEST_ADMIN, type AgencyCreds } from '../../helpers/pki.js';
import { eventually, sampleCase } from '../exchange/fixtures.js';

async function startReceiver(pki: ReturnType<typeof makeTestPki>) {
  const received: { requestId: string; messageId: string }[] = [];
  const server = https.createServer({ ...pki.serverOptions, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(202).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/deliveries`,
    received,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

describe('revocation-mid-poll: revocation ends delivery at once', () => {
  const pki = makeTestPki();
  let t: TestGateway;
  let other: TestGateway;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver(pki);
    t = await startTestGateway({ queue: 'redis', pki, push: { 'kss-probation': receiver.url } });
    // A second instance on the same database, with its own authentication cache.
    other = await startTestGateway({ queue: 'redis', pki, db: t.db, seed: false, creds: t.creds, sharedEnv: t.env, sharedTls: t.tls });
  }, 120_000);
  afterAll(async () => {
    await other?.stop();
    await t?.stop();
    await receiver?.close();
  });

  const freshCert = (agencyId: string, type: AgencyPrincipal['agencyType']) =>
    makeAgencyCert(pki, t.gateway.registry, { id: agencyId, type, mode: 'pull' });
  const as = (creds: AgencyCreds, path: string, base = t.gateway.agencyUrl) =>
    agencyFetch(base.replace('localhost', '127.0.0.1'), creds, path);

  async function askResearch(recipient: string): Promise<{ requestId: string; messageId: string }> {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [recipient] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const m = r.body.messages.find((x: { recipient: string }) => x.recipient === recipient);
    expect(m, JSON.stringify(r.body)).toBeDefined();
    return { requestId: r.body.requestId, messageId: m.messageId };
  }

  async function messageRow(messageId: string) {
    return (await t.db.pool.query('SELECT state, attempts, last_error_code, delivered_at FROM messages WHERE id = $1', [messageId])).rows[0];
  }

  async function events(where: string, params: unknown[]) {
    await t.gateway.audit.flush();
    return (await t.db.pool.query(`SELECT action, reason_code, message_id, canonical FROM audit_events WHERE ${where} ORDER BY seq`, params)).rows;
  }

  it('a long-poll open when its certificate is revoked ends 401 CLIENT_CERT_REVOKED and the new request stays queued', async () => {
    const creds = await freshCert('essex-police', 'POLICE');
    // Know when the poll is past authentication and inside the inbox service.
    const inbox = t.gateway.exchange.inbox;
    const realPoll = inbox.poll;
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    inbox.poll = (actor, wait, signal) => {
      if (actor.certFingerprint === creds.fingerprint) entered();
      return realPoll(actor, wait, signal);
    };
    try {
      const polling = as(creds, '/v1/inbox?wait=20');
      await inside;
      await t.gateway.registry.revoke(TEST_ADMIN, creds.serialHex, 'keyCompromise');
      const { requestId, messageId } = await askResearch('essex-police');
      const res = await polling;
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('CLIENT_CERT_REVOKED');
      expect(res.text).not.toContain(requestId);
      expect(res.text).not.toContain(messageId);
      expect((await messageRow(messageId)).state).toBe('queued');
      expect(await events(`action = 'DELIVERED' AND message_id = $1`, [messageId])).toHaveLength(0);
      // The refused hand-over is audited, with the connection's certificate as the actor.
      const denied = await events(`action = 'ACCESS_DENIED' AND reason_code = 'CERTIFICATE_REVOKED' AND canonical LIKE $1`, [`%${creds.fingerprint}%`]);
      expect(denied.length).toBeGreaterThanOrEqual(1);
    } finally {
      inbox.poll = realPoll;
    }
    // The agency's other certificate still collects what is waiting for it.
    const police = t.as('essex-police');
    const later = await police.get('/v1/inbox');
    expect(later.status).toBe(200);
  });

  it('a poll made right after revocation gets nothing, on this instance and on another instance whose cache still holds the certificate', async () => {
    const here = await freshCert('mse-hospitals', 'HEALTH_ACUTE');
    const there = await freshCert('mse-hospitals', 'HEALTH_ACUTE');
    // Warm the other instance's authentication cache with the certificate about to be revoked.
    expect((await as(there, '/v1/inbox', other.gateway.agencyUrl)).status).toBe(200);
    const { messageId } = await askResearch('mse-hospitals');
    await t.gateway.registry.revoke(TEST_ADMIN, here.serialHex, 'affiliationChanged');
    await t.gateway.registry.revoke(TEST_ADMIN, there.serialHex, 'keyCompromise');
    const a = await as(here, '/v1/inbox?wait=1');
    const b = await as(there, '/v1/inbox?wait=1', other.gateway.agencyUrl);
    for (const res of [a, b]) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('CLIENT_CERT_REVOKED');
      expect(res.text).not.toContain(messageId);
    }
    expect((await messageRow(messageId)).state).toBe('queued');
    expect(await events(`action = 'DELIVERED' AND message_id = $1`, [messageId])).toHaveLength(0);
  });

  it('the hand-over re-reads the certificate in its transaction: a stale principal gets nothing and each waiting message is audited', async () => {
    const creds = await freshCert('chelmsford-housing', 'HOUSING');
    const principal: AgencyPrincipal = { kind: 'agency', agencyId: 'chelmsford-housing', agencyType: 'HOUSING', certFingerprint: creds.fingerprint };
    const first = await askResearch('chelmsford-housing');
    const second = await askResearch('chelmsford-housing');
    await t.gateway.registry.revoke(TEST_ADMIN, creds.fingerprint, 'privilegeWithdrawn');
    // What an in-flight request authenticated before the revocation carries.
    await expect(t.gateway.exchange.inbox.poll(principal, 0)).rejects.toMatchObject({ code: 'CLIENT_CERT_REVOKED', status: 401 });
    for (const m of [first, second]) {
      const row = await messageRow(m.messageId);
      expect(row.state).toBe('queued');
      expect(row.delivered_at).toBeNull();
      expect(row.last_error_code).toBe('CERTIFICATE_REVOKED');
      const denied = await events(`action = 'ACCESS_DENIED' AND message_id = $1`, [m.messageId]);
      expect(denied.map((e) => e.reason_code)).toEqual(['CERTIFICATE_REVOKED']);
      expect(denied[0].canonical).not.toMatch(/Sampleton|CM2|07700 900123/);
    }
    // A valid certificate of the same agency then receives both.
    const ok = await t.as('chelmsford-housing').get('/v1/inbox');
    expect(ok.status).toBe(200);
    expect(ok.body.messages.map((m: { messageId: string }) => m.messageId).sort()).toEqual([first.messageId, second.messageId].sort());    for (const m of [first, second]) expect(await messageRow(m.messageId)).toMatchObject({ state: 'delivered', last_error_code: null });
  });

  it('a certificate of another agency, or one the registry does not know, never collects a batch', async () => {
    const { messageId } = await askResearch('essex-childrens-services');
    const police = t.creds.get('essex-police')!;
    const forged: AgencyPrincipal = { kind: 'agency', agencyId: 'essex-childrens-services', agencyType: 'CHILDRENS_SOCIAL_CARE', certFingerprint: police.fingerprint };
    await expect(t.gateway.exchange.inbox.poll(forged, 0)).rejects.toMatchObject({ code: 'CLIENT_CERT_UNTRUSTED' });
    const unknown: AgencyPrincipal = { ...forged, certFingerprint: 'f'.repeat(64) };
    await expect(t.gateway.exchange.inbox.poll(unknown, 0)).rejects.toMatchObject({ code: 'CLIENT_CERT_UNTRUSTED' });
    expect((await messageRow(messageId)).state).toBe('queued');
  });

  it('a disabled agency receives nothing, even through a poll authenticated before it was disabled', async () => {
    const creds = t.creds.get('eput-mental-health')!;
    const principal: AgencyPrincipal = { kind: 'agency', agencyId: 'eput-mental-health', agencyType: 'HEALTH_MENTAL', certFingerprint: creds.fingerprint };
    const { messageId } = await askResearch('eput-mental-health');
    await t.gateway.registry.disableAgency(TEST_ADMIN, 'eput-mental-health');
    await expect(t.gateway.exchange.inbox.poll(principal, 0)).rejects.toMatchObject({ code: 'AGENCY_DISABLED', status: 401 });
    const res = await t.as('eput-mental-health').get('/v1/inbox');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('AGENCY_DISABLED');
    expect((await messageRow(messageId)).state).toBe('queued');
    expect((await events(`action = 'ACCESS_DENIED' AND message_id = $1`, [messageId])).map((e) => e.reason_code)).toEqual(['AGENCY_DISABLED']);
    // Push deliveries make the same check.
    expect(await lockAgencyForHandOver(t.db.pool, 'eput-mental-health')).toBe('AGENCY_DISABLED');
  });

  it('push: an agency whose certificates are all revoked is sent nothing; the message is parked, audited once, and goes out when a new certificate is issued', async () => {
    for (const c of await t.gateway.registry.listCertificates('kss-probation')) {
      if (!c.revokedAt) await t.gateway.registry.revoke(TEST_ADMIN, c.serialHex, 'cessationOfOperation');
    }
    const { requestId, messageId } = await askResearch('kss-probation');
    const parked = await eventually(async () => {
      const row = await messageRow(messageId);
      return row.last_error_code === 'CERTIFICATE_REVOKED' ? row : undefined;
    });
    expect(parked.state).toBe('queued');
    expect(parked.attempts).toBe(0);
    // The job ended without retrying, and a sweep does not send or audit it again.
    await eventually(async () => (await t.gateway.deliveryJobs.state(messageId)) === 'completed');
    await t.gateway.sweepNow();
    await other.gateway.sweepNow();
    expect(receiver.received.filter((m) => m.requestId === requestId)).toHaveLength(0);
    const denied = await events(`action = 'ACCESS_DENIED' AND message_id = $1`, [messageId]);
    expect(denied.map((e) => e.reason_code)).toEqual(['CERTIFICATE_REVOKED']);
    expect(JSON.parse(denied[0].canonical).detail).toMatchObject({ stage: 'push' });
    expect(await events(`action IN ('DELIVERED', 'DELIVERY_FAILED') AND message_id = $1`, [messageId])).toHaveLength(0);
    const status = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
    expect(status.body.messages[0]).toMatchObject({ state: 'queued', lastError: 'CERTIFICATE_REVOKED' });

    // A new certificate: the parked message is delivered, once.
    await makeAgencyCert(pki, t.gateway.registry, { id: 'kss-probation', type: 'PROBATION', mode: 'push', pushUrl: receiver.url });
    await eventually(async () => receiver.received.some((m) => m.requestId === requestId));
    await eventually(async () => (await messageRow(messageId)).state === 'delivered');
    expect(receiver.received.filter((m) => m.requestId === requestId)).toHaveLength(1);
    expect((await messageRow(messageId)).last_error_code).toBeNull();
  });

  it('push needs a certificate that would authenticate now: expired-only is NO_VALID_CERTIFICATE, revoked wins, a good one passes', async () => {
    const id = 'expired-only-idva';
    await makeAgencyCert(pki, t.gateway.registry, { id, type: 'IDVA', mode: 'pull', notBefore: new Date('2021-01-01T00:00:00Z'), validDays: 1 });
    expect(await lockAgencyForHandOver(t.db.pool, id)).toBe('NO_VALID_CERTIFICATE');
    const early = await makeAgencyCert(pki, t.gateway.registry, { id, type: 'IDVA', mode: 'pull', notBefore: new Date(Date.now() + 86_400_000), validDays: 5 });
    expect(await lockAgencyForHandOver(t.db.pool, id)).toBe('NO_VALID_CERTIFICATE');
    await t.gateway.registry.revoke(TEST_ADMIN, early.serialHex, 'superseded');
    expect(await lockAgencyForHandOver(t.db.pool, id)).toBe('CERTIFICATE_REVOKED');
    await makeAgencyCert(pki, t.gateway.registry, { id, type: 'IDVA', mode: 'pull' });
    expect(await lockAgencyForHandOver(t.db.pool, id)).toBe('valid');
    expect(await lockAgencyForHandOver(t.db.pool, 'no-such-agency')).toBe('CERTIFICATE_UNKNOWN');
  });

  // Last: it stops the other instance from hearing identity changes.
  it('the research pack is not released to a revoked certificate on an instance that has not heard of the revocation', async () => {
    const coordinator = await makeAgencyCert(pki, t.gateway.registry, { id: 'essex-marat', type: 'MARAC_COORDINATOR', mode: 'pull' });
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    expect(c.status).toBe(201);
    // The other instance stops listening for identity changes, then caches the certificate as good.
    await other.gateway.registry.close();
    const path = `/v1/cases/${c.body.caseId}/research`;
    expect((await as(coordinator, path, other.gateway.agencyUrl)).status).toBe(200);
    await t.gateway.registry.revoke(TEST_ADMIN, coordinator.serialHex, 'keyCompromise');
    for (const p of [path, `${path}/export`]) {
      const res = await as(coordinator, p, other.gateway.agencyUrl);
      expect(res.status, p).toBe(401);
      expect(res.body.code).toBe('CLIENT_CERT_REVOKED');
    }
  });
});
