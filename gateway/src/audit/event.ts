import { hash as oneShotHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Principal } from '../identity/principal.js';
import { canonicalize } from './jcs.js';
import { sha256 } from './merkle.js';
import { AuditEventInvalid, AuditPersonalData } from './errors.js';
import { hasPersonalData, scanForPersonalData } from './pii-guard.js';
import type { AuditActor, AuditEvent, AuditEventInput } from './types.js';

const addFormats = addFormatsModule.default;

export const EVENT_VERSION = 1 as const;
export const GENESIS_HASH = '0'.repeat(64);
export const SCHEMA_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../schemas/audit-event.schema.json');

let compiled: { full: ValidateFunction; unsequenced: ValidateFunction } | undefined;
function compile() {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
    addFormats(ajv);
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { $id: string; required: string[] };
    const full = ajv.compile(schema);
    // The same schema before sequencing: seq, prevHash and hash are not known yet.
    const unsequenced = ajv.compile({
      ...schema,
      $id: schema.$id.replace(/\.schema\.json$/, ".unsequenced.schema.json"),
      required: schema.required.filter((k) => k !== 'seq' && k !== 'prevHash' && k !== 'hash'),
    });
    compiled = { full, unsequenced };
  }
  return compiled;
}

/** The audit event schema, compiled once. A broken schema file fails every append: fail closed. */
export function eventValidator(): ValidateFunction {
  return compile().full;
}

/** The actor as the log records it: who, never a display name. */
export function toAuditActor(p: Principal): AuditActor {
  switch (p.kind) {
    case 'agency':
      return { kind: 'agency', agencyId: p.agencyId, certFingerprint: p.certFingerprint };
    case 'person':
      return { kind: 'person', userId: p.userId, roles: [...p.roles].sort(), ...(p.agencyId ? { agencyId: p.agencyId } : {}) };
    case 'system':
      return { kind: 'system', component: p.component };
    default:
      throw new AuditEventInvalid('Unknown actor kind');
  }
}

/** What is queued at append time: the event without seq, prevHash and hash. */
export type UnsequencedEvent = Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'>;

// Staff identities are needed for accountability (an OIDC subject may be an e-mail address);
// case subjects never appear in `actor`. Digests and tokens are fixed-format hex (the schema).
const SKIP_SCAN = new Set(['/actor', '/ts', '/viewDigest', '/subjectTokens']);

/**
 * Builds the unsequenced event from a caller's input and checks it: schema (with placeholder
 * seq/hashes) and the personal-data guard. Throws, so the caller's transaction rolls back.
 */
export function prepareEvent(input: AuditEventInput, ts: Date): UnsequencedEvent {
  if (!input || typeof input !== 'object') throw new AuditEventInvalid('Audit input must be an object');
  const { actor, ...rest } = input;
  const event: Record<string, unknown> = { v: EVENT_VERSION, ts: ts.toISOString(), actor: toAuditActor(actor) };
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) continue;
    // Empty lists say nothing; leaving them out keeps events small and the canonical form unique.
    if (Array.isArray(v) && v.length === 0) continue;
    event[k] = v;
  }
  if (Array.isArray(event.subjectTokens)) event.subjectTokens = [...new Set(event.subjectTokens as string[])].sort();
  if (Array.isArray(event.agencyIds)) event.agencyIds = [...new Set(event.agencyIds as string[])].sort();

  const validate = compile().unsequenced;
  if ('seq' in event || 'prevHash' in event || 'hash' in event || !validate(event)) {
    const problems = (validate.errors ?? [{ instancePath: '/seq', keyword: 'sequencedBySequencer', message: 'assigned by the log' }]).map((e) => ({
      path: e.instancePath || '/',
      code: e.keyword,
      message: e.message ?? 'invalid',
    }));
    throw new AuditEventInvalid(`Audit event for ${String(input.action)} does not fit the schema`, { problems });
  }
  const findings = hasPersonalData(event, SKIP_SCAN) ? scanForPersonalData(event, SKIP_SCAN) : [];
  if (findings.length > 0) {
    throw new AuditPersonalData('An audit event value looks like personal data', {
      problems: findings.map((f) => ({ path: f.path, code: f.kind, message: 'looks like personal data' })),
    });
  }
  return event as unknown as UnsequencedEvent;
}

export interface SequencedEvent {
  event: AuditEvent;
  /** Canonical JSON of the whole event: the exported line and the Merkle leaf data. */
  canonical: string;
}

const PREV_MEMBER = ',"prevHash":"';
const MESSAGE_MEMBER = ',"messageId":"';

/**
 * Where the `hash` member goes in the canonical text of an event without it: just before the
 * top-level messageId (if any) or prevHash, the two keys that sort right after "hash". Nested
 * objects (actor, detail, fields*) all sort before "hash", so the last prevHash is top-level.
 */
function hashInsertionPoint(text: string, messageId: string | undefined): number {
  const p = text.lastIndexOf(PREV_MEMBER);
  if (messageId === undefined) return p;
  const m = p - (MESSAGE_MEMBER.length + JSON.stringify(messageId).length - 1);
  return text.startsWith(MESSAGE_MEMBER, m) ? m : -1;
}

/** Gives a prepared event its place in the chain: seq, prevHash, and its own hash. */
export function sequenceEvent(prepared: UnsequencedEvent, seq: number, prevHash: string): SequencedEvent {
  const event = { ...prepared, seq, prevHash } as AuditEvent;
  const text = canonicalize(event);
  // A string input is hashed as UTF-8, the same bytes as the canonical text.
  const hash = oneShotHash('sha256', text, 'hex');
  event.hash = hash;
  // Splice the hash member in rather than canonicalise the whole event a second time.
  const at = hashInsertionPoint(text, prepared.messageId);
  const canonical = at > 0 ? `${text.slice(0, at)},"hash":"${hash}"${text.slice(at)}` : canonicalize(event);
  return { event, canonical };
}

/** Recomputes an event's hash from its canonical form (used by tests and the verifier's slow path). */
export function eventHash(event: AuditEvent | Omit<AuditEvent, 'hash'>): string {
  const { hash: _ignored, ...rest } = event as AuditEvent;
  return sha256(Buffer.from(canonicalize(rest), 'utf8')).toString('hex');
}
