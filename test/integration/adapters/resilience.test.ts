/**
 * Resilience of the adapter SDK against the real gateway:
 *   - an adapter process killed (SIGKILL) mid-batch and restarted answers every request exactly once;
 *   - a gateway restart under a running adapter loses nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { ADAPTERS } from '../../../adapters/catalog.js';
import { startAdapter } from '../../../adapters/sdk/cli.js';
import { generatePopulation } from '../../../adapters/sdk/synthetic/population.js';
import { caseBody, pickRichHousehold } from '../../../adapters/sdk/synthetic/cases.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pop = generatePopulation();
const truths = Object.fromEntries(ADAPTERS.map((a) => [a.dataDir.split('/').filter(Boolean).slice(-2)[0]!, JSON.parse(readFileSync(join(a.dataDir, 'truth.json'), 'utf8'))]));
const household = pickRichHousehold(pop, truths);
const meeting = () => new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
const tmp: string[] = [];

afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

async function newCase(t: TestGateway): Promise<string> {
  const c = await t.as('essex-marat').post('/v1/cases', caseBody(pop, household, { meetingDate: meeting(), maxChildren: 2 }));
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  return c.body.caseId;
}

async function requestPolice(t: TestGateway, caseId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'], lookbackMonths: 12 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    ids.push(r.body.messages[0].messageId);
  }
  return ids;
}

async function responsesPerMessage(t: TestGateway, ids: string[]): Promise<{ responses: number[]; events: number[] }> {
  await t.gateway.audit.flush();
  const r = await t.db.pool.query(`SELECT message_id, count(*)::int AS n FROM responses WHERE message_id = ANY($1) GROUP BY message_id`, [ids]);
  const a = await t.db.pool.query(`SELECT message_id, count(*)::int AS n FROM audit_events WHERE action = 'RESPONSE_RECEIVED' AND message_id = ANY($1) GROUP BY message_id`, [ids]);
  const by = (rows: { message_id: string; n: number }[]) => ids.map((id) => rows.find((x) => x.message_id === id)?.n ?? 0);
  return { responses: by(r.rows), events: by(a.rows) };
}

async function answeredCount(t: TestGateway, ids: string[]): Promise<number> {
  const r = await t.db.pool.query(`SELECT count(*)::int AS n FROM messages WHERE id = ANY($1) AND state = 'responded'`, [ids]);
  return r.rows[0].n;
}

function spawnAdapter(args: string[], onLine: (l: Record<string, unknown>) => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'adapters/police', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        onLine(JSON.parse(line));
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.resume();
  return child;
}

const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

describe('adapter killed mid-batch', () => {
  let t: TestGateway | undefined;
  afterAll(async () => {
    await t?.stop();
  });

  it('answers every request exactly once after a SIGKILL and a restart', async () => {
    t = await startTestGateway({ queue: 'postgres' });
    const dir = mkdtempSync(join(tmpdir(), 'adapter-kill-'));
    tmp.push(dir);
    const c = t.creds.get('essex-police')!;
    writeFileSync(join(dir, 'cert.pem'), c.certPem);
    writeFileSync(join(dir, 'key.pem'), c.keyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'ca.pem'), c.caPem);
    const args = ['--gateway', t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--ca', join(dir, 'ca.pem'), '--state-dir', join(dir, 'state'), '--wait', '1'];
    const caseId = await newCase(t);
    const ids = await requestPolice(t, caseId, 16);

    let first = true;
    const killed = spawnAdapter(args, (l) => {
      if (l.event === 'answered' && first) {
        first = false;
        killed.kill('SIGKILL');
      }
    });
    await exited(killed);
    const before = await answeredCount(t, ids);
    expect(before).toBeGreaterThanOrEqual(1);
    expect(before).toBeLessThan(ids.length); // really killed mid-batch

    // Anything taken but not journaled would be offered again after the redelivery delay.
    t.clock.advance(61_000);
    const answeredAfterRestart: string[] = [];
    const again = spawnAdapter(args, (l) => {
      if (l.event === 'answered') answeredAfterRestart.push(String(l.messageId));
    });
    try {
      await expect.poll(() => answeredCount(t!, ids), { timeout: 30_000, interval: 250 }).toBe(ids.length);
    } finally {
      again.kill('SIGTERM');
      await exited(again);
    }
    const per = await responsesPerMessage(t, ids);
    expect(per.responses).toEqual(ids.map(() => 1));
    expect(per.events).toEqual(ids.map(() => 1));
  }, 120_000);
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('gateway restart under a running adapter', () => {
  it('loses nothing: requests made before, during and after the restart are all answered once', async () => {
    const port = await freePort();
    const a = await startTestGateway({ queue: 'postgres', env: { AGENCY_API_PORT: String(port) } });
    let b: TestGateway | undefined;
    const entry = ADAPTERS.find((x) => x.name === 'police')!;
    const c = a.creds.get('essex-police')!;
    const adapter = await startAdapter(entry, {
      gateway: `https://127.0.0.1:${port}`, certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem, dataDir: entry.dataDir,
      mode: 'pull', gatewayId: 'marac-gateway', waitSeconds: 2, once: false, check: false, extra: {},
    }, { log: () => {} });
    try {
      const caseId = await newCase(a);
      const early = await requestPolice(a, caseId, 3);
      await expect.poll(() => answeredCount(a, early), { timeout: 15_000, interval: 200 }).toBe(3);
      // Made just before the gateway goes down: queued in the database, not yet delivered.
      const during = await requestPolice(a, caseId, 3);
      await a.gateway.stop();
      b = await startTestGateway({ queue: 'postgres', db: a.db, sharedEnv: a.env, sharedTls: a.tls, creds: a.creds, pki: a.pki, seed: false, queuePrefix: a.env.QUEUE_PREFIX });
      const after = await requestPolice(b, caseId, 3);
      const all = [...early, ...during, ...after];
      await expect.poll(() => answeredCount(b!, all), { timeout: 45_000, interval: 250 }).toBe(all.length);
      const per = await responsesPerMessage(b, all);
      expect(per.responses).toEqual(all.map(() => 1));
      expect(per.events).toEqual(all.map(() => 1));
      expect(adapter.runner.stats.gaveUp).toBe(0);
    } finally {
      await adapter.stop();
      await b?.stop();
      await a.db.drop();
    }
  }, 120_000);
});
