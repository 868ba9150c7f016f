/**
 * Worker-thread entry for `runLoadInWorker` and `startLoadInWorker` (load.ts): runs a scripted
 * load and posts the result. Between requests it obeys the parent's pause, resume and stop:
 * "paused" is reported once no connection has a request in flight, "flowing" once, after a
 * resume, every connection has a request on an open connection and (with `flowingAfterRefusal`)
 * some request has been refused (a 4xx or 5xx: the server is limiting the load).
 * Runs under tsx's loader, which load.ts registers before importing this file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runLoad, type ScriptedLoad, type WorkerCommand, type WorkerReport } from './load.js';

const spec = workerData as ScriptedLoad & { startPaused?: boolean; flowingAfterRefusal?: boolean };
const queues = spec.connections.map((c) => [...c.requests]);
const n = queues.length;
const post = (m: WorkerReport) => parentPort!.postMessage(m);

let gate: { promise: Promise<void>; open: () => void; reported: boolean; drop?: ReturnType<typeof setTimeout> } | undefined;
let abort = new AbortController();
let held = 0;
const done = new Set<number>();
let stopped = false;
/** Connections with a request on an open connection since the last resume; undefined: not watching. */
let connected: Set<number> | undefined;
let refusedSinceResume = false;

function reportIfIdle(): void {
  if (gate && !gate.reported && held + done.size === n) {
    gate.reported = true;
    clearTimeout(gate.drop);
    post({ type: 'paused' });
  }
}
function reportIfFlowing(): void {
  const limited = refusedSinceResume || !spec.flowingAfterRefusal || done.size === n;
  if (connected && connected.size + done.size >= n && limited) {
    connected = undefined;
    post({ type: 'flowing' });
  }
}
function pause(dropAfterMs: number): void {
  if (gate || stopped) return;
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  gate = { promise, open, reported: false };
  const a = abort;
  gate.drop = setTimeout(() => a.abort(), dropAfterMs);
  reportIfIdle();
}
function resume(): void {
  const g = gate;
  gate = undefined;
  clearTimeout(g?.drop);
  abort = new AbortController();
  connected = new Set();
  refusedSinceResume = false;
  g?.open();
  reportIfFlowing();
}

if (spec.startPaused) pause(0);
parentPort!.on('message', (c: WorkerCommand) => {
  if (c.type === 'pause') pause(c.dropAfterMs);
  else if (c.type === 'resume') resume();
  else if (c.type === 'stop') {
    stopped = true;
    abort.abort();
    resume();
  }
});

const result = await runLoad({
  baseUrl: spec.baseUrl,
  connections: n,
  creds: (c) => spec.connections[c]!.creds,
  next: (c) => (stopped ? undefined : queues[c]!.shift()),
  hold: () => {
    if (!gate) return undefined;
    held++;
    reportIfIdle();
    return gate.promise.then(() => {
      held--;
    });
  },
  onDone: (c) => {
    done.add(c);
    reportIfIdle();
    reportIfFlowing();
  },
  signal: () => abort.signal,
  onResponse: (_c, status) => {
    if (status < 400 || !connected) return;
    refusedSinceResume = true;
    reportIfFlowing();
  },
  onConnected: (c) => {
    if (!connected) return;
    connected.add(c);
    reportIfFlowing();
  },
  // A scripted load is bounded by its own list.
  requests: spec.requests ?? queues.reduce((k, q) => k + q.length, 0),
  ...(spec.durationMs !== undefined ? { durationMs: spec.durationMs } : {}),
  ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
  ...(spec.stopOnError !== undefined ? { stopOnError: spec.stopOnError } : {}),
});
// The parent terminates this thread once it has the result.
post({ type: 'result', result });
