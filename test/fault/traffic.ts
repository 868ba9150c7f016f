/**
 * Steady exchange traffic for fault tests, with a ledger of what the gateway promised.
 *
 * A coordinator loop opens research requests (fan-out to pull and push agencies); pull agencies
 * long-poll their inbox, push agencies take what their receiver was sent; every agency answers
 * each message with the same Idempotency-Key until it gets a 2xx (a retry after a fault must
 * return the first answer, never write a second one). Every call has a timeout, so a gateway that
 * hangs during an outage shows up as errors, not as a stuck test.
 *
 * The ledger keeps only 2xx facts: the messages a 201 fan-out named, and the answers a 201 took.
 * `checkExchangeInvariants` then holds the gateway to them.
 */
import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type pg from 'pg';
import type { AgencyCreds, TestPki } from '../helpers/pki.js';
import { exportEvents } from '../../gateway/src/audit/export.js';
import { verifyExport } from '../../gateway/src/audit/verify.js';
import { sampleCase, sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';

export const COORDINATOR = 'essex-marat';
export const RESPONSE_FILES: Record<string, string> = {
  'essex-police': 'response-police.json',
  'mse-hospitals': 'response-health.json',
  'chelmsford-housing': 'response-housing.json',
  'safe-steps-idva': 'response-idva.json',
  'essex-childrens-services': 'response-childrens-social-care.json',
  'kss-probation': 'response-probation.json',
};

export interface CallResult {
  status: number;
  body: any;
  /** Transport failure (refused, reset, timed out): status is 0. */
  error?: string;
}

/** Agency calls with per-agency keep-alive agents, a timeout, and a base URL that can be switched. */
export class FaultClient {
  private readonly agents = new Map<string, https.Agent>();
  constructor(public baseUrl: string, private readonly creds: Map<string, AgencyCreds>, private readonly timeoutMs = 8000) {}

  private agent(agency: string): https.Agent {
    let a = this.agents.get(agency);
    if (!a) {
      const c = this.creds.get(agency);
      if (!c) throw new Error(`no credentials for ${agency}`);
      a = new https.Agent({ keepAlive: true, maxSockets: 8, ca: c.caPem, cert: c.certPem, key: c.keyPem });
      this.agents.set(agency, a);
    }
    return a;
  }

  /** Drops pooled sockets (after the gateway behind them died or moved). */
  resetConnections(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  call(agency: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<CallResult> {
    const url = new URL(path, this.baseUrl);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve) => {
      const req = https.request(url, {
        method,
        agent: this.agent(agency),
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', (e) => resolve({ status: 0, body: undefined, error: e.message }));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ status: 0, body: undefined, error: e.message }));
      req.end(payload);
    });
  }

  close(): void {
    this.resetConnections();
  }
}

export type ReceiverBehaviour = number | 'hang' | 'reset' | ((res: import('node:http').ServerResponse) => void);

/**
 * A push adapter's receiver over mTLS; it remembers each message it accepted with a 2xx (adapters
 * de-duplicate by messageId) and counts every attempt. `behaviour` picks the answer: a status, no
 * answer at all, a reset connection, or a custom one (it must then write the response itself).
 */
export async function startPushReceiver(pki: TestPki, behaviour: (body: any, attempt: number) => ReceiverBehaviour = () => 202) {
  const received: any[] = [];
  const attempts: string[] = [];
  const server = https.createServer({ ...pki.serverOptions, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      attempts.push(String(body?.messageId));
      const b = behaviour(body, attempts.length);
      if (b === 'hang') return;
      if (b === 'reset') return void req.socket.destroy();
      if (typeof b === 'function') return b(res);
      if (b < 300) received.push(body);
      res.writeHead(b).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/deliveries`,
    received,
    attempts,
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
  };
}

export interface Ledger {
  /** Messages named by a 201 fan-out: id → recipient. */
  created: Map<string, { requestId: string; recipient: string }>;
  /** Messages whose answer got a 201 (first or replayed). */
  answered: Set<string>;
  /** Non-2xx outcomes by status (0 = transport error). */
  failures: Record<string, number>;
  /** 5xx answers by error code: a dependency outage should show as a clean 503, not a crash. */
  serverErrors: Record<string, number>;
}

export interface Traffic {
  ledger: Ledger;
  /** Stops the coordinator (no new requests); agencies keep answering. */
  stopRequests(): Promise<void>;
  /** Keeps answering until every message in the database is final, or throws after `timeoutMs`. */
  drain(pool: pg.Pool, timeoutMs: number, explain?: (messageId: string) => Promise<string | undefined>): Promise<void>;
  stop(): Promise<void>;
}

const FINAL = ['responded', 'declined', 'overdue', 'failed'];

/**
 * Opens one case and starts the loops. `pull` and `push` name the recipient agencies (push ones
 * must be registered with `receiver.url`). `requestEveryMs` paces the coordinator.
 */
export async function startTraffic(opts: {
  client: FaultClient;
  pull: string[];
  /** Push agencies and the receiver each one's deliveries go to. */
  push?: Record<string, { received: any[] }>;
  requestEveryMs?: number;
}): Promise<Traffic> {
  const { client } = opts;
  const ledger: Ledger = { created: new Map(), answered: new Set(), failures: {}, serverErrors: {} };
  const note = (r: CallResult) => {
    const k = String(r.status);
    ledger.failures[k] = (ledger.failures[k] ?? 0) + 1;
    if (r.status >= 500) {
      const code = String(r.body?.code ?? 'NO_CODE');
      ledger.serverErrors[code] = (ledger.serverErrors[code] ?? 0) + 1;
    }
  };

  let c: CallResult;
  for (;;) {
    c = await client.call(COORDINATOR, 'POST', '/v1/cases', sampleCase());
    if (c.status === 201) break;
    throw new Error(`traffic: could not open a case (${c.status} ${c.error ?? JSON.stringify(c.body)})`);
  }
  const caseId: string = c.body.caseId;
  const ids = subjectIds(c.body);
  const bodies = new Map(Object.entries(RESPONSE_FILES).map(([a, f]) => [a, sampleResponse(f, ids)]));

  let requesting = true;
  let running = true;
  /** Per agency: messages seen and not yet answered with a 2xx (request id to answer). */
  const push = opts.push ?? {};
  const recipients = [...opts.pull, ...Object.keys(push)];
  const todo = new Map<string, Map<string, string>>(recipients.map((a) => [a, new Map()]));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const coordinator = (async () => {
    while (requesting) {
      const r = await client.call(COORDINATOR, 'POST', `/v1/cases/${caseId}/research-requests`, {
        purpose: 'MARAC_RESEARCH', recipients,
      });
      if (r.status === 201) {
        for (const m of r.body.messages) ledger.created.set(m.messageId, { requestId: r.body.requestId, recipient: m.recipient });
      } else {
        note(r);
      }
      await sleep(opts.requestEveryMs ?? 100);
    }
  })();

  async function answerAll(agency: string): Promise<void> {
    for (const [messageId, requestId] of todo.get(agency)!) {
      const r = await client.call(agency, 'POST', `/v1/research-requests/${requestId}/response`, bodies.get(agency), { 'Idempotency-Key': `fault-${messageId}` });
      if (r.status === 201) {
        ledger.answered.add(messageId);
        todo.get(agency)!.delete(messageId);
      } else {
        note(r);
        // A 409 (not answerable yet: its delivery rolled back; or already answered, which a
        // same-key retry must never see) stays on the list, so the drain shows it if it persists.
        if (r.status > 0 && r.status < 500 && r.status !== 409) todo.get(agency)!.delete(messageId);
        else await sleep(200);
      }
    }
  }

  const pullLoops = opts.pull.map((agency) => (async () => {
    while (running) {
      const inbox = await client.call(agency, 'GET', '/v1/inbox?wait=1');
      if (inbox.status === 200) {
        for (const m of inbox.body.messages) todo.get(agency)!.set(m.messageId, m.requestId);
      } else {
        note(inbox);
        await sleep(200);
      }
      await answerAll(agency);
    }
  })());

  const pushLoops = Object.entries(push).map(([agency, receiver]) => (async () => {
    let seen = 0;
    while (running) {
      for (; seen < receiver.received.length; seen++) {
        const m = receiver.received[seen];
        todo.get(agency)!.set(m.messageId, m.requestId);
      }
      await answerAll(agency);
      await sleep(100);
    }
  })());

  async function stopRequests() {
    requesting = false;
    await coordinator;
  }

  return {
    ledger,
    stopRequests,
    async drain(pool, timeoutMs, explain) {
      await stopRequests();
      const until = Date.now() + timeoutMs;
      for (;;) {
        const open = await pool.query(`SELECT id, state FROM messages WHERE NOT (state = ANY($1))`, [FINAL]);
        if (open.rowCount === 0) return;
        if (Date.now() > until) {
          const rows = await Promise.all(open.rows.slice(0, 5).map(async (r) => ({ ...r, ...(explain ? { job: await explain(r.id).catch(String) } : {}) })));
          throw new Error(`traffic: ${open.rowCount} messages not final after ${timeoutMs} ms: ${JSON.stringify(rows)}`);
        }
        await sleep(250);
      }
    },
    async stop() {
      requesting = false;
      running = false;
      await Promise.allSettled([coordinator, ...pullLoops, ...pushLoops]);
    },
  };
}

/**
 * After a fault: every message a 201 named exists and is final; every message is answered at most
 * once and delivered at most once; every 2xx'd answer is stored; the audit chain, tree and
 * checkpoints verify with the published keys.
 */
export async function checkExchangeInvariants(
  pool: pg.Pool, ledger: Ledger, audit: { flush(): Promise<void> }, publicKeys: string[],
  opts: { redeliveredPull?: Set<string> } = {},
): Promise<void> {
  await audit.flush();
  const promised = [...ledger.created.keys()];
  expect(promised.length).toBeGreaterThan(0);
  const rows = (await pool.query<{ id: string; state: string }>('SELECT id, state FROM messages')).rows;
  const state = new Map(rows.map((r) => [r.id, r.state]));
  const missing = promised.filter((id) => !state.has(id));
  expect(missing, 'messages a 201 promised are missing').toEqual([]);
  const notFinal = rows.filter((r) => !FINAL.includes(r.state));
  expect(notFinal, 'messages not in a final state').toEqual([]);
  const notResponded = [...ledger.answered].filter((id) => state.get(id) !== 'responded');
  expect(notResponded, 'answers that got a 201 are not stored').toEqual([]);

  const counts = (await pool.query<{ message_id: string; action: string; n: number }>(
    `SELECT message_id, action, count(*)::int AS n FROM audit_events
      WHERE action IN ('DELIVERED', 'RESPONSE_RECEIVED') GROUP BY message_id, action`,
  )).rows;
  // A pull message delivered but never acknowledged is offered again after a minute (by design:
  // the adapter's copy may have been lost); the test names those it made happen.
  const dup = counts.filter((c) => c.n > 1 && !(c.action === 'DELIVERED' && c.n === 2 && opts.redeliveredPull?.has(c.message_id)));
  expect(dup, 'a message delivered or answered twice').toEqual([]);
  const answeredEvents = new Set(counts.filter((c) => c.action === 'RESPONSE_RECEIVED').map((c) => c.message_id));
  const responded = rows.filter((r) => r.state === 'responded').map((r) => r.id);
  expect(responded.filter((id) => !answeredEvents.has(id)), 'responded without a RESPONSE_RECEIVED event').toEqual([]);
  const responsesStored = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM responses')).rows[0]!.n;
  expect(responsesStored).toBe(responded.length);

  const lines: string[] = [];
  for await (const chunk of exportEvents(pool, {}, 'ndjson', { origin: 'marac-gateway' })) lines.push(chunk);
  const result = await verifyExport(lines, { publicKeys, origin: 'marac-gateway' });
  expect(result).toMatchObject({ ok: true });
}

/** Polls the operations listener's /readyz until it answers `want`; returns the milliseconds it took. */
export async function waitReady(opsUrl: string, want: 200 | 503, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const status = await fetch(`${opsUrl}/readyz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
    if (status === want) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`/readyz did not answer ${want} within ${timeoutMs} ms (last ${status})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
