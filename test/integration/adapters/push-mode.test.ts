/**
 * Push mode against the real gateway: the gateway POSTs the research request to the adapter's
 * receiver over mTLS (its own client certificate), the receiver answers 202, and the adapter
 * answers the request through the API, exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { makeTestPki } from '../../helpers/pki.js';
import { issueServerCert } from '../../../gateway/src/identity/pki/ca.js';
import { ADAPTERS } from '../../../adapters/catalog.js';
import { createGatewayClient } from '../../../adapters/sdk/client.js';
import { createFileJournal } from '../../../adapters/sdk/journal.js';
import { startPushReceiver } from '../../../adapters/sdk/push-receiver.js';
import { readDataDir } from '../../../adapters/sdk/data.js';
import { loadAgency } from '../../../adapters/sdk/respond.js';
import { createRunner, type Runner, type RunnerEvent } from '../../../adapters/sdk/runner.js';
import { generatePopulation } from '../../../adapters/sdk/synthetic/population.js';
import { caseBody, pickRichHousehold } from '../../../adapters/sdk/synthetic/cases.js';
import type { InboxMessage } from '../../../adapters/sdk/types.js';

const pop = generatePopulation();
const truths = Object.fromEntries(ADAPTERS.map((a) => [a.dataDir.split('/').filter(Boolean).slice(-2)[0]!, JSON.parse(readFileSync(join(a.dataDir, 'truth.json'), 'utf8'))]));
const household = pickRichHousehold(pop, truths);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('push mode with the real gateway', () => {
  let t: TestGateway | undefined;
  afterAll(async () => {
    await t?.stop();
  });

  it('the gateway pushes, the adapter accepts (202) and answers once', async () => {
    const pki = makeTestPki();
    const server = issueServerCert(pki.ca, { hostnames: ['127.0.0.1', 'localhost'], validDays: 5 });
    // The receiver must listen before the gateway registers its URL; the runner joins once the gateway is up.
    let runner: Runner | undefined;
    const early: InboxMessage[] = [];
    const rx = await startPushReceiver({
      runner: { accept: (m) => (runner ? runner.accept(m) : void early.push(m)) },
      certPem: server.certPem, keyPem: server.keyPem, caPem: pki.caPem,
    });
    t = await startTestGateway({ queue: 'postgres', pki, push: { 'safe-steps-idva': rx.url } });
    const c = t.creds.get('safe-steps-idva')!;
    const client = createGatewayClient({ baseUrl: t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem });
    const dir = mkdtempSync(join(tmpdir(), 'adapter-push-'));
    dirs.push(dir);
    const events: RunnerEvent[] = [];
    const entry = ADAPTERS.find((a) => a.name === 'idva')!;
    runner = createRunner({ client, agency: loadAgency(entry.mapping, readDataDir(entry.dataDir)), journal: createFileJournal(dir), backoff: { initialMs: 50, maxMs: 500 }, onEvent: (e) => events.push(e) });
    try {
      const meeting = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
      const cs = await t.as('essex-marat').post('/v1/cases', caseBody(pop, household, { meetingDate: meeting, maxChildren: 2 }));
      expect(cs.status).toBe(201);
      const r = await t.as('essex-marat').post(`/v1/cases/${cs.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['safe-steps-idva'], requestedDomains: ['VICTIM_VIEWS'], lookbackMonths: 12 });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const messageId = r.body.messages[0].messageId;
      await expect.poll(async () => (await t!.db.pool.query(`SELECT state FROM messages WHERE id = $1`, [messageId])).rows[0]?.state, { timeout: 20_000, interval: 200 }).toBe('responded');
      expect(early).toEqual([]);
      expect(events.filter((e) => e.type === 'answered')).toHaveLength(1);
      const victim = (await t.as('essex-marat').get(`/v1/cases/${cs.body.caseId}/research`)).body.sections[0].subjects.find((s: any) => s.role === 'VICTIM');
      expect(victim.view.match.status).toBe('MATCHED');
      expect(victim.view.idva.victimContacted).toBeDefined();
      await t.gateway.audit.flush();
      const n = await t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'RESPONSE_RECEIVED' AND message_id = $1`, [messageId]);
      expect(n.rows[0].n).toBe(1);
    } finally {
      await rx.close();
      await runner.stop();
      client.close();
    }
  }, 60_000);
});
