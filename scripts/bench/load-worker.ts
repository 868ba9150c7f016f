/**
 * Worker-thread entry for `runLoadInWorker` (load.ts): runs a scripted load and posts the result.
 * Runs under tsx's loader, which load.ts registers before importing this file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runLoad, type ScriptedLoad } from './load.js';

const spec = workerData as ScriptedLoad;
const queues = spec.connections.map((c) => [...c.requests]);
const result = await runLoad({
  baseUrl: spec.baseUrl,
  connections: spec.connections.length,
  creds: (c) => spec.connections[c]!.creds,
  next: (c) => queues[c]!.shift(),
  // A scripted load is bounded by its own list.
  requests: spec.requests ?? queues.reduce((n, q) => n + q.length, 0),
  ...(spec.durationMs !== undefined ? { durationMs: spec.durationMs } : {}),
  ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
  ...(spec.stopOnError !== undefined ? { stopOnError: spec.stopOnError } : {}),
});
parentPort!.postMessage(result);
