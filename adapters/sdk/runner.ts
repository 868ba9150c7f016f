/**
 * The adapter's work loop. Pull mode long-polls the inbox; push mode is fed by the push receiver.
 * For each message: search the agency's source for every subject and match (respond.ts; a source
 * failure is retried, then declined: decision 0025), map, validate the output against the schema, answer with
 * an idempotency key derived from the message id, and acknowledge.
 *
 * Exactly once, whatever crashes:
 *   - with a durable journal (state directory) a message is journaled, then acknowledged, then
 *     answered, then removed from the journal; on restart the journal is worked off first;
 *   - without one, a message is answered first and acknowledged after, so a crash before the answer
 *     leaves it `delivered` and the gateway offers it again;
 *   - either way the answer's idempotency key is `rsp.<messageId>`, and the gateway's "already
 *     answered" is taken as done, so nothing is ever answered twice.
 * Events carry ids, counts and codes only, never subject data.
 */
import { declineKey, responseKey, type GatewayClient } from './client.js';
import { GatewayRejected, GatewayUnreachable, SourceAborted, SourceError } from './errors.js';
import type { Journal } from './journal.js';
import { answerRequest, type LoadedAgency } from './respond.js';
import type { InboxMessage } from './types.js';
import { responseProblems } from './validate.js';

export type RunnerEvent =
  | { type: 'received'; messageId: string; requestId: string; subjects: number }
  | { type: 'answered'; messageId: string; requestId: string; matched: number; possible: number; notFound: number; withheld: number; alreadyAnswered: boolean; late?: boolean }
  | { type: 'declined'; messageId: string; requestId: string; reason: string; alreadyAnswered: boolean }
  | { type: 'invalid-output'; messageId: string; requestId: string; problems: number }
  | { type: 'gave-up'; messageId: string; requestId: string; code: string }
  | { type: 'retry'; messageId?: string; code: string; delayMs: number }
  /** The agency's source failed or timed out on this message (attempt counts from 1). */
  | { type: 'source-error'; messageId: string; requestId: string; code: string; attempt: number; willRetry: boolean }
  | { type: 'stopped' };

export interface RunnerOptions {
  client: GatewayClient;
  agency: LoadedAgency;
  /** Durable receipt (see journal.ts). Without it, answer-then-acknowledge keeps pull mode safe. */
  journal?: Journal;
  waitSeconds?: number;
  concurrency?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  now?: () => Date;
  completedByRole?: string;
  /**
   * A source error or time-out on a message is retried this many times with backoff (default 2);
   * after that the message is declined (reason OTHER) so the coordinator knows to follow up.
   */
  sourceRetries?: number;
  onEvent?: (e: RunnerEvent) => void;
  /** Sees each message as the gateway released it to this agency (the agency's own UI or tests); never logged here. */
  onMessage?: (msg: InboxMessage) => void;
}

export interface Runner {
  /** Runs the pull loop until stop(); resolves when stopped. */
  runPull(): Promise<void>;
  /** Takes one message from the push receiver: journals it (when durable) and answers in the background. */
  accept(msg: InboxMessage): void;
  /** Works off journaled messages left by a previous run. */
  resume(): Promise<void>;
  /** Stops polling, waits for messages in hand to be answered or given up. */
  stop(): Promise<void>;
  /** Resolves when nothing is in flight (tests, benchmarks). */
  idle(): Promise<void>;
  readonly stats: RunnerStats;
}

export interface RunnerStats {
  received: number;
  answered: number;
  declined: number;
  gaveUp: number;
  retries: number;
  sourceErrors: number;
  /** Messages received and not yet answered, declined or given up. */
  backlog: number;
  /** Last exchange with the gateway that succeeded (a poll, an answer). */
  lastContactAt?: string;
  /** The last failures (gateway or source), codes only. */
  lastErrors: { at: string; code: string }[];
}

/** Codes that mean "try again later": transient at the gateway, or a push not yet committed there. */
function retryable(e: unknown): string | null {
  if (e instanceof GatewayUnreachable) return e.code;
  // Only rethrown while stopping: leave the message journaled, or for the gateway to offer again.
  if (e instanceof SourceError) return e.code;
  if (e instanceof GatewayRejected) {
    if (e.retryable) return e.code;
    if (e.code === 'MESSAGE_NOT_ANSWERABLE') return e.code;
  }
  return null;
}

function codeOf(e: unknown): string {
  return typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : 'ERROR';
}

export function createRunner(opts: RunnerOptions): Runner {
  const { client, agency } = opts;
  const journal = opts.journal;
  const wait = opts.waitSeconds ?? 20;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const initial = opts.backoff?.initialMs ?? 250;
  const max = opts.backoff?.maxMs ?? 30_000;
  const emit = (e: RunnerEvent) => opts.onEvent?.(e);
  const stats: RunnerStats = { received: 0, answered: 0, declined: 0, gaveUp: 0, retries: 0, sourceErrors: 0, backlog: 0, lastErrors: [] };
  const sourceRetries = Math.max(0, opts.sourceRetries ?? 2);
  const clock = opts.now ?? (() => new Date());
  const contact = () => {
    stats.lastContactAt = clock().toISOString();
  };
  const failure = (code: string) => {
    stats.lastErrors.push({ at: clock().toISOString(), code });
    if (stats.lastErrors.length > 20) stats.lastErrors.shift();
  };
  const inFlight = new Map<string, Promise<void>>();
  const stopCtl = new AbortController();
  let active = 0;
  const waiting: (() => void)[] = [];
  /** At most `concurrency` messages worked on at once. */
  async function limit<T>(f: () => Promise<T>): Promise<T> {
    while (active >= concurrency) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await f();
    } finally {
      active--;
      waiting.shift()?.();
    }
  }
  let stopped = false;
  let loop: Promise<void> | undefined;

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    if (stopCtl.signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      stopCtl.signal.removeEventListener('abort', done);
      resolve();
    }
    stopCtl.signal.addEventListener('abort', done, { once: true });
  });
  const delay = (attempt: number) => Math.min(max, initial * 2 ** attempt) * (0.75 + Math.random() * 0.5);

  /** Retries transient failures with backoff; while stopping, gives up so shutdown is prompt. */
  async function withRetry<T>(messageId: string, f: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        const code = retryable(e);
        if (!code || (stopped && attempt > 0)) throw e;
        const ms = delay(attempt);
        stats.retries++;
        emit({ type: 'retry', messageId, code, delayMs: Math.round(ms) });
        await sleep(ms);
        if (stopped && attempt > 2) throw e;
      }
    }
  }

  const SOURCE_FAILED_NOTE = "The agency's system did not answer in time; the agency will follow up directly.";

  async function decline(msg: InboxMessage, note: string): Promise<void> {
    const { messageId, requestId } = msg;
    const r = await withRetry(messageId, () => client.decline(requestId, { reason: 'OTHER', note }, declineKey(messageId)));
    contact();
    stats.declined++;
    emit({ type: 'declined', messageId, requestId, reason: 'OTHER', alreadyAnswered: !!r.alreadyAnswered });
  }

  async function answer(msg: InboxMessage): Promise<void> {
    const { messageId, requestId } = msg;
    let built: Awaited<ReturnType<typeof answerRequest>> | undefined;
    let problems = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        built = await answerRequest(agency, msg, { signal: stopCtl.signal, ...(opts.now ? { now: opts.now } : {}), ...(opts.completedByRole ? { completedByRole: opts.completedByRole } : {}) });
        problems = responseProblems(built.response).length;
        break;
      } catch (e) {
        if (e instanceof SourceError) {
          if (e instanceof SourceAborted || stopped) throw e;
          const willRetry = attempt <= sourceRetries;
          stats.sourceErrors++;
          failure(e.code);
          emit({ type: 'source-error', messageId, requestId, code: e.code, attempt, willRetry });
          if (willRetry) {
            stats.retries++;
            await sleep(delay(attempt - 1));
            if (stopped) throw e;
            continue;
          }
          // Nothing half-searched is sent as NOT_FOUND: decline visibly, the agency follows up.
          return decline(msg, SOURCE_FAILED_NOTE);
        }
        problems = -1;
        break;
      }
    }
    if (!built || problems !== 0) {
      // A bug in the mapping must not send something the schema refuses, nor leave the
      // coordinator waiting in silence: decline visibly and let the agency follow up by hand.
      emit({ type: 'invalid-output', messageId, requestId, problems });
      return decline(msg, 'The agency system could not produce a valid response; the agency will follow up directly.');
    }
    const receipt = await withRetry(messageId, () => client.respond(requestId, built!.response, responseKey(messageId)));
    contact();
    stats.answered++;
    const { matched, possible, notFound, withheld } = built.report;
    emit({ type: 'answered', messageId, requestId, matched, possible, notFound, withheld, alreadyAnswered: !!receipt.alreadyAnswered, ...(receipt.late !== undefined ? { late: receipt.late } : {}) });
  }

  async function handle(msg: InboxMessage, alreadyJournaled: boolean): Promise<void> {
    const { messageId, requestId } = msg;
    try {
      if (journal && !alreadyJournaled) {
        journal.put(msg);
        // Acknowledge once the message is safe here (acks are idempotent; a failed one is harmless:
        // the answer follows, and a pushed message is acknowledged by being answered).
        await client.ack(messageId).catch(() => undefined);
      }
      await answer(msg);
      if (!journal) await client.ack(messageId).catch(() => undefined);
      journal?.remove(messageId);
    } catch (e) {
      const code = codeOf(e);
      if (retryable(e)) {
        // Stopping, or the gateway stayed away: keep it journaled (durable) or let the gateway redeliver.
        return;
      }
      // The gateway refused for good (policy denied, request withdrawn, validation): stop trying.
      stats.gaveUp++;
      failure(code);
      emit({ type: 'gave-up', messageId, requestId, code });
      journal?.remove(messageId);
    }
  }

  function start(msg: InboxMessage, alreadyJournaled = false): Promise<void> {
    const existing = inFlight.get(msg.messageId);
    if (existing) return existing; // redelivered while we still work on it
    stats.received++;
    stats.backlog++;
    opts.onMessage?.(msg);
    emit({ type: 'received', messageId: msg.messageId, requestId: msg.requestId, subjects: msg.request.subjects.length });
    const p = handle(msg, alreadyJournaled).finally(() => {
      inFlight.delete(msg.messageId);
      stats.backlog--;
    });
    inFlight.set(msg.messageId, p);
    return p;
  }

  async function runBatch(msgs: InboxMessage[]): Promise<void> {
    if (journal) {
      // Journal and acknowledge the whole batch at once, before working on any of it, so a crash
      // mid-batch leaves every message either journaled here or still redeliverable there.
      const fresh = msgs.filter((m) => !inFlight.has(m.messageId) && !journal.has(m.messageId));
      for (const m of fresh) journal.put(m);
      await Promise.all(fresh.map((m) => client.ack(m.messageId).catch(() => undefined)));
      await Promise.all(msgs.filter((m) => !inFlight.has(m.messageId)).map((m) => limit(() => start(m, true))));
      return;
    }
    const queue = [...msgs];
    const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) await start(m);
    });
    await Promise.all(workers);
  }

  async function pullLoop(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      let msgs: InboxMessage[];
      try {
        msgs = await client.pollInbox(wait, stopCtl.signal);
        contact();
        failures = 0;
      } catch (e) {
        if (stopped) break;
        failure(codeOf(e));
        const ms = delay(failures++);
        stats.retries++;
        emit({ type: 'retry', code: codeOf(e), delayMs: Math.round(ms) });
        await sleep(ms);
        continue;
      }
      await runBatch(msgs);
    }
  }

  const runner: Runner = {
    stats,
    async resume() {
      if (!journal) return;
      const pending = journal.pending();
      // A crash may have come between journaling and acknowledging: acks are idempotent.
      await Promise.all(pending.map((m) => client.ack(m.messageId).catch(() => undefined)));
      await Promise.all(pending.map((m) => limit(() => start(m, true))));
    },
    runPull() {
      loop ??= (async () => {
        await runner.resume();
        await pullLoop();
      })();
      return loop;
    },
    accept(msg) {
      if (stopped) throw new Error('runner is stopped');
      if (inFlight.has(msg.messageId) || journal?.has(msg.messageId)) return;
      // Journaled before the receiver answers 202, so an accepted push survives a crash.
      journal?.put(msg);
      void start(msg, !!journal);
    },
    async stop() {
      stopped = true;
      stopCtl.abort();
      await loop?.catch(() => undefined);
      await Promise.all([...inFlight.values()]);
      emit({ type: 'stopped' });
    },
    async idle() {
      while (inFlight.size) await Promise.all([...inFlight.values()]);
    },
  };
  return runner;
}
