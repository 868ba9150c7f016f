/**
 * Structured difference between two versions of an agreement, for the IG officer who approves it.
 *
 * Paths are JSON Pointers, except that list items with an identity are addressed by it, not by
 * position: `/flows/<flow id>/…` and `/parties/<agency id>/…`, so inserting a flow does not show
 * every later flow as changed. A release rule (`/flows/<id>/release/<field path>`) is compared as
 * a whole and also reported in `releaseChanges`, the part that decides what leaves the gateway.
 */
export interface DiffEntry {
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface ReleaseChange {
  flowId: string;
  field: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

export interface AgreementDiff {
  agreementId: string;
  fromVersion: number;
  toVersion: number;
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: DiffEntry[];
  releaseChanges: ReleaseChange[];
}

/** Lists keyed by an identity field instead of by position. */
const KEYED_LISTS: Record<string, string> = { '/flows': 'id', '/parties': 'agency' };
const RELEASE_LEAF = /^\/flows\/[^/]+\/release\/[^/]+$/;

const escape = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');
const unescape = (s: string): string => s.replaceAll('~1', '/').replaceAll('~0', '~');

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Index by identity if every item is an object with a unique string key; otherwise undefined. */
function keyed(list: unknown[], key: string): Map<string, unknown> | undefined {
  const m = new Map<string, unknown>();
  for (const item of list) {
    const k = isObj(item) ? item[key] : undefined;
    if (typeof k !== 'string' || m.has(k)) return undefined;
    m.set(k, item);
  }
  return m;
}

const isScalar = (v: unknown): boolean => v === null || typeof v !== 'object';

interface Acc {
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: DiffEntry[];
}

function walk(path: string, a: unknown, b: unknown, acc: Acc): void {
  if (deepEqual(a, b)) return;
  if (RELEASE_LEAF.test(path)) return void acc.changed.push({ path, before: a, after: b });
  if (isObj(a) && isObj(b)) {
    for (const k of Object.keys(a)) {
      const p = `${path}/${escape(k)}`;
      if (!Object.hasOwn(b, k)) acc.removed.push({ path: p, before: a[k] });
      else walk(p, a[k], b[k], acc);
    }
    for (const k of Object.keys(b)) {
      if (!Object.hasOwn(a, k)) acc.added.push({ path: `${path}/${escape(k)}`, after: b[k] });
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = KEYED_LISTS[path];
    const ka = key ? keyed(a, key) : undefined;
    const kb = key ? keyed(b, key) : undefined;
    if (ka && kb) {
      for (const [k, item] of ka) {
        const p = `${path}/${escape(k)}`;
        if (!kb.has(k)) acc.removed.push({ path: p, before: item });
        else walk(p, item, kb.get(k), acc);
      }
      for (const [k, item] of kb) if (!ka.has(k)) acc.added.push({ path: `${path}/${escape(k)}`, after: item });
      return;
    }
    // Lists of names (purposes, conditions, criteria) read best as one before/after pair.
    if (a.every(isScalar) && b.every(isScalar)) return void acc.changed.push({ path, before: a, after: b });
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const p = `${path}/${i}`;
      if (i >= b.length) acc.removed.push({ path: p, before: a[i] });
      else if (i >= a.length) acc.added.push({ path: p, after: b[i] });
      else walk(p, a[i], b[i], acc);
    }
    return;
  }
  acc.changed.push({ path, before: a, after: b });
}

function releaseOf(v: unknown): Record<string, unknown> {
  return isObj(v) && isObj(v.release) ? v.release : {};
}

/** The release rules an entry touches, whatever level it sits at (rule, release map or whole flow). */
function releaseChangesOf(kind: 'added' | 'removed' | 'changed', e: DiffEntry, out: ReleaseChange[]): void {
  const parts = e.path.split('/').slice(1).map(unescape);
  if (parts[0] !== 'flows' || parts[1] === undefined) return;
  const flowId = parts[1];
  if (parts.length === 2) {
    // A whole flow came or went.
    const rules = releaseOf(kind === 'added' ? e.after : e.before);
    for (const [field, spec] of Object.entries(rules)) {
      out.push(kind === 'added' ? { flowId, field, change: 'added', after: spec } : { flowId, field, change: 'removed', before: spec });
    }
    return;
  }
  if (parts[2] !== 'release') return;
  if (parts.length === 3) {
    // The release map itself came, went, or was replaced by something that is not a map.
    const before = kind === 'added' || !isObj(e.before) ? {} : e.before;
    const after = kind === 'removed' || !isObj(e.after) ? {} : e.after;
    for (const [field, spec] of Object.entries(before)) {
      if (!Object.hasOwn(after, field)) out.push({ flowId, field, change: 'removed', before: spec });
      else if (!deepEqual(spec, after[field])) out.push({ flowId, field, change: 'changed', before: spec, after: after[field] });
    }
    for (const [field, spec] of Object.entries(after)) {
      if (!Object.hasOwn(before, field)) out.push({ flowId, field, change: 'added', after: spec });
    }
    return;
  }
  const field = parts.slice(3).join('/');
  if (kind === 'added') out.push({ flowId, field, change: 'added', after: e.after });
  else if (kind === 'removed') out.push({ flowId, field, change: 'removed', before: e.before });
  else out.push({ flowId, field, change: 'changed', before: e.before, after: e.after });
}

/** `version` is the store's business, not the document's: it is ignored. */
export function diffAgreements(
  agreementId: string,
  from: { version: number; doc: Record<string, unknown> },
  to: { version: number; doc: Record<string, unknown> },
): AgreementDiff {
  const strip = (d: Record<string, unknown>) => {
    const { version: _v, ...rest } = d;
    return rest;
  };
  const acc: Acc = { added: [], removed: [], changed: [] };
  walk('', strip(from.doc), strip(to.doc), acc);
  const releaseChanges: ReleaseChange[] = [];
  for (const e of acc.added) releaseChangesOf('added', e, releaseChanges);
  for (const e of acc.removed) releaseChangesOf('removed', e, releaseChanges);
  for (const e of acc.changed) releaseChangesOf('changed', e, releaseChanges);
  releaseChanges.sort((x, y) => (x.flowId === y.flowId ? (x.field < y.field ? -1 : x.field > y.field ? 1 : 0) : x.flowId < y.flowId ? -1 : 1));
  return { agreementId, fromVersion: from.version, toVersion: to.version, ...acc, releaseChanges };
}
