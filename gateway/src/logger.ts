import { AsyncLocalStorage } from 'node:async_hooks';
import type { Writable } from 'node:stream';
import winston from 'winston';

/**
 * What every log line written while handling one request carries (set by http/request-id.ts).
 * An id and nothing else: the request log line names the route pattern, never the URL.
 */
export interface LogContext {
  requestId: string;
}
export const logContext = new AsyncLocalStorage<LogContext>();

const withContext = winston.format((info) => {
  const ctx = logContext.getStore();
  if (ctx && info.requestId === undefined) info.requestId = ctx.requestId;
  return info;
});

/**
 * Keys whose values never reach a log line: personal data and secrets. Log lines carry ids,
 * codes and counts; anything under one of these keys is replaced, however deep it sits.
 */
const REDACT_KEY = /(name|dob|birth|address|postcode|uprn|nhs|pnc|phone|email|e-mail|contact|identifier|payload|body|summary|narrative|views|token|secret|password|passphrase|authorization|cookie|privatekey|private_key|key$)/i;

export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Error)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = REDACT_KEY.test(k) ? '[redacted]' : redactValue(v, depth + 1);
    }
    return out;
  }
  return value;
}

function unquote(text: string): string {
  return text.replace(/"[^"]*"/g, '"…"').replace(/'[^']*'/g, "'…'");
}

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message' || key === 'timestamp') continue;
    info[key] = REDACT_KEY.test(key) ? '[redacted]' : redactValue(info[key]);
  }
  // Driver and parser messages quote the value they choke on (`invalid input syntax ... "x"`):
  // keep the words, drop anything quoted.
  if (info.err instanceof Error) info.err = { name: info.err.name, message: unquote(info.err.message) };
  return info;
});

export type Logger = winston.Logger;

/** `stream`: write JSON lines there instead of the console (tests read what was logged). */
export function createLogger(level = 'info', opts: { silent?: boolean; stream?: Writable } = {}): Logger {
  return winston.createLogger({
    level,
    silent: opts.silent ?? false,
    format: winston.format.combine(winston.format.timestamp(), withContext(), redact(), winston.format.json()),
    transports: [opts.stream ? new winston.transports.Stream({ stream: opts.stream }) : new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}

/** For unit tests and tools that must say nothing. */
export const silentLogger: Logger = createLogger('error', { silent: true });
