/** The adapter's own health: /healthz and /metrics from the runner's stats and the source's health, codes and counts only. */
import { afterEach, describe, expect, it } from 'vitest';
import { createRunner, type Runner } from '../runner.js';
import { startHealthServer, type HealthServer } from '../health-server.js';
import { createMemorySource } from '../sources/memory.js';
import { healthRecorder, type Source } from '../source.js';
import { SourceTimeout } from '../errors.js';
import { loadAdapterConfig } from '../config.js';
import type { LoadedAgency } from '../respond.js';
import { ada, fakeClient, message, tinyMapping, type TinyDb } from './helpers.js';

const db: TinyDb = { notes: new Map([['R1', 'x']]) };
let server: HealthServer | undefined;
let runner: Runner | undefined;
afterEach(async () => {
  await server?.close();
  await runner?.stop();
  server = runner = undefined;
});

async function until(f: () => boolean) {
  while (!f()) await new Promise((r) => setTimeout(r, 10));
}

describe('adapter health', () => {
  it('a failing source: /healthz 503 degraded with the codes, /metrics counts them; nothing personal', async () => {
    const rec = healthRecorder('sql');
    const failing: Source<TinyDb> = {
      search: async () => {
        const e = new SourceTimeout('the source did not answer within 30 ms');
        rec.error(e);
        throw e;
      },
      read: async () => db,
      health: () => rec.snapshot(),
    };
    const g = fakeClient([message([ada], 3)]);
    runner = createRunner({ client: g.client, agency: { mapping: tinyMapping, source: failing } as LoadedAgency, waitSeconds: 0, sourceRetries: 1, backoff: { initialMs: 1, maxMs: 2 } });
    void runner.runPull();
    await until(() => g.declined.length === 1);
    server = await startHealthServer({ name: 'tiny', runner, source: failing });
    const h = await fetch(`${server.url}/healthz`);
    expect(h.status).toBe(503);
    const body = (await h.json()) as { runner: { lastContactAt?: string } };
    expect(body).toMatchObject({ adapter: 'tiny', status: 'degraded', runner: { declined: 1, sourceErrors: 2, backlog: 0 }, source: { kind: 'sql', errors: [{ code: 'SOURCE_TIMEOUT' }, { code: 'SOURCE_TIMEOUT' }] } });
    expect(body.runner.lastContactAt).toBeDefined();
    const m = await (await fetch(`${server.url}/metrics`)).text();
    expect(m).toContain('marac_adapter_up{adapter="tiny"} 0');
    expect(m).toContain('marac_adapter_source_errors_total{adapter="tiny"} 2');
    expect(m).toContain('marac_adapter_messages_total{adapter="tiny",outcome="declined"} 1');
    expect(m).toContain('marac_adapter_source_recent_errors{adapter="tiny",kind="sql",code="SOURCE_TIMEOUT"} 2');
    expect(m).toMatch(/marac_adapter_last_contact_timestamp_seconds\{adapter="tiny"\} [1-9]/);
    expect(JSON.stringify(body) + m).not.toMatch(/Ada|Quayle|1990|9434765919/);
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
  });

  it('a healthy adapter: 200 ok, the source\'s records and searches', async () => {
    const source = createMemorySource(tinyMapping, db);
    const g = fakeClient([message([ada], 4)]);
    runner = createRunner({ client: g.client, agency: { mapping: tinyMapping, source } as LoadedAgency, waitSeconds: 0 });
    void runner.runPull();
    await until(() => g.responded.length === 1);
    server = await startHealthServer({ name: 'tiny', runner, source });
    const h = await fetch(`${server.url}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: 'ok', runner: { answered: 1 }, source: { kind: 'memory', records: 3, searches: 1, reads: 1 } });
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('marac_adapter_source_records{adapter="tiny",kind="memory"} 3');
  });

  it('is configured by --health-port / health.port, on 127.0.0.1 unless told otherwise', () => {
    expect(loadAdapterConfig(['--check', '--health-port', '9464'], { dataDir: '.' }).health).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadAdapterConfig(['--check'], { dataDir: '.' }).health).toBeUndefined();
    expect(() => loadAdapterConfig(['--check', '--health-port', 'x'], { dataDir: '.' })).toThrow(expect.objectContaining({ code: 'ADAPTER_CONFIG_INVALID' }));
  });
});
