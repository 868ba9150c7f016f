/**
 * `node --import tsx adapters/<name> ...`: load config and data, then run pull or push mode until
 * SIGINT/SIGTERM, logging one JSON line per event (ids, counts and codes only — never subject data).
 */
import { createGatewayClient } from './client.js';
import { loadAdapterConfig, type AdapterConfig } from './config.js';
import { readDataDir } from './data.js';
import { AdapterError } from './errors.js';
import { createFileJournal } from './journal.js';
import type { AgencyMapping } from './mapping.js';
import { startHealthServer, type HealthServer } from './health-server.js';
import { startPushReceiver } from './push-receiver.js';
import { loadAgency, type LoadedAgency } from './respond.js';
import { sourceFromConfig } from './sources/from-config.js';
import { createRunner, type Runner, type RunnerEvent } from './runner.js';
import { mapEveryRecord } from './self-check.js';
import type { InboxMessage } from './types.js';

export interface AdapterDefinition {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  mapping: AgencyMapping<any>;
  dataDir: string;
}

export interface RunningAdapter {
  runner: Runner;
  pushUrl?: string;
  /** The health listener's base URL (/healthz, /metrics), when configured. */
  healthUrl?: string;
  stop(): Promise<void>;
}

type Log = (line: Record<string, unknown>) => void;
const stdoutLog: Log = (line) => process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), ...line })}\n`);

/** Starts an adapter from a parsed config (used by the CLI, the demo and tests). */
export async function startAdapter(def: AdapterDefinition, cfg: AdapterConfig, o: { log?: Log; agency?: LoadedAgency; onEvent?: (e: RunnerEvent) => void; onMessage?: (m: InboxMessage) => void } = {}): Promise<RunningAdapter> {
  const log = o.log ?? stdoutLog;
  const agency = o.agency ?? agencyOf(def, cfg);
  const client = createGatewayClient({ baseUrl: cfg.gateway!, certPem: cfg.certPem!, keyPem: cfg.keyPem!, caPem: cfg.caPem! });
  const runner = createRunner({
    client,
    agency,
    ...(cfg.stateDir ? { journal: createFileJournal(cfg.stateDir) } : {}),
    waitSeconds: cfg.waitSeconds,
    ...(cfg.completedByRole ? { completedByRole: cfg.completedByRole } : {}),
    onEvent: (e) => {
      log({ adapter: def.name, event: e.type, ...e });
      o.onEvent?.(e);
    },
    ...(o.onMessage ? { onMessage: o.onMessage } : {}),
  });
  log({ adapter: def.name, event: 'started', mode: cfg.mode, people: agency.source?.health?.().records ?? agency.matcher?.size, durable: !!cfg.stateDir });
  let health: HealthServer | undefined;
  if (cfg.health) {
    health = await startHealthServer({ name: def.name, runner, ...(agency.source ? { source: agency.source } : {}), host: cfg.health.host, port: cfg.health.port });
    log({ adapter: def.name, event: 'health-listening', url: health.url });
  }
  const healthUrl = health ? { healthUrl: health.url } : {};
  if (cfg.mode === 'push') {
    const receiver = await startPushReceiver({ runner, certPem: cfg.push!.certPem, keyPem: cfg.push!.keyPem, caPem: cfg.caPem!, gatewayId: cfg.gatewayId, host: cfg.push!.host, port: cfg.push!.port });
    log({ adapter: def.name, event: 'push-receiver-listening', url: receiver.url });
    await runner.resume();
    return {
      runner,
      pushUrl: receiver.url,
      ...healthUrl,
      async stop() {
        await health?.close();
        await receiver.close();
        await runner.stop();
        client.close();
        if (!o.agency) await agency.source?.close?.();
      },
    };
  }
  const loop = runner.runPull();
  return {
    runner,
    ...healthUrl,
    async stop() {
      await health?.close();
      await runner.stop();
      await loop;
      client.close();
      if (!o.agency) await agency.source?.close?.();
    },
  };
}

/** The agency as the configuration names it: its source (SQL, CSV), or its export served from memory. */
export function agencyOf(def: AdapterDefinition, cfg: AdapterConfig): LoadedAgency {
  if (cfg.source) return { mapping: def.mapping, source: sourceFromConfig(def.mapping, cfg.source) };
  return loadAgency(def.mapping, readDataDir(cfg.dataDir));
}

export async function runAdapterMain(def: AdapterDefinition, argv: readonly string[]): Promise<void> {
  let cfg: AdapterConfig;
  try {
    cfg = loadAdapterConfig(argv, { dataDir: def.dataDir });
  } catch (e) {
    if (e instanceof AdapterError) {
      process.stderr.write(`${def.name} adapter: ${e.message}\n${(e.problems ?? []).map((p) => `  - ${p.path}: ${p.message}`).join('\n')}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  if (cfg.check) {
    if (cfg.source) {
      process.stderr.write(`${def.name} adapter: --check maps a whole export offline; with a ${cfg.source.kind} source, run it against the export instead (--data)\n`);
      process.exitCode = 2;
      return;
    }
    const agency = loadAgency(def.mapping, readDataDir(cfg.dataDir));
    const results = mapEveryRecord(agency, { asOf: new Date().toISOString().slice(0, 10) });
    const bad = results.filter((r) => r.problems.length);
    stdoutLog({ adapter: def.name, event: 'check', records: results.length, invalid: bad.length, firstProblems: bad.slice(0, 3).map((b) => ({ recordId: b.recordId, problems: b.problems.slice(0, 3) })) });
    process.exitCode = bad.length ? 1 : 0;
    return;
  }
  if (cfg.once) {
    const agency = agencyOf(def, cfg);
    const client = createGatewayClient({ baseUrl: cfg.gateway!, certPem: cfg.certPem!, keyPem: cfg.keyPem!, caPem: cfg.caPem! });
    const runner = createRunner({ client, agency, ...(cfg.stateDir ? { journal: createFileJournal(cfg.stateDir) } : {}), onEvent: (e) => stdoutLog({ adapter: def.name, event: e.type, ...e }) });
    await runner.resume();
    const msgs = await client.pollInbox(cfg.waitSeconds);
    for (const m of msgs) runner.accept(m);
    await runner.idle();
    client.close();
    await agency.source?.close?.();
    return;
  }
  const running = await startAdapter(def, cfg);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      stdoutLog({ adapter: def.name, event: 'stopping', signal });
      void running.stop().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
