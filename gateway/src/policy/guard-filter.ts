/**
 * A transform of a parent must not reveal what a guardrail withholds below it (issue 12, class 6).
 *
 * `health: booleanise` would otherwise tell housing that a perpetrator is known to the mental-health
 * trust although G-PERPETRATOR-MENTAL-HEALTH withholds `health.mentalHealth`; `count` of a list
 * whose items a guardrail blocks would count them. Before a terminal pipeline is applied to an
 * object or a list, every descendant that a guardrail would block for this recipient and subject,
 * under that same pipeline, is taken out of the value (a guardrail's replacement is put in its
 * place); so is anything the catalog does not know, which no guardrail can vouch for. A container
 * left with no value at all once something was taken out goes too, and if nothing is left of the
 * parent the caller withholds it, naming the guardrail.
 *
 * Written once, over every guardrail kind and every operator: the verdicts are the run-time
 * guardrails' own (`verdictOf` with the parent's pipeline), read from the modes the redaction
 * already computed and the coverage index of the catalog. Pure: the input is never mutated.
 */
import type { CatalogNode } from './catalog-tree.js';
import { verdictOf, type GuardMode } from './guardrails.js';
import type { Pipeline } from './pipeline.js';
import { DEFAULT_DENY_RULE, type WithheldReason } from './reasons.js';

export interface GuardRemoval {
  /** Concrete path (indexes as in the document). */
  path: string;
  reason: WithheldReason;
  ruleId: string;
}

export type GuardFiltered =
  /** No guardrail applies below: use the value as it is (no copy made). */
  | { kind: 'unchanged' }
  | { kind: 'filtered'; value: unknown; removed: GuardRemoval[]; replaced: { path: string; ruleId: string }[] }
  /** Everything below was withheld: the parent must be withheld too. */
  | { kind: 'empty'; removed: GuardRemoval[] };

const SAFE_KEY = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const GONE = Symbol('gone');

/** Per coverage index: for each node, the guardrails covering any node strictly below it. */
const below = new WeakMap<readonly (readonly number[])[], (readonly number[])[]>();

function guardsBelow(node: CatalogNode, guardIdx: readonly (readonly number[])[]): readonly number[] {
  let memo = below.get(guardIdx);
  if (!memo) below.set(guardIdx, (memo = []));
  const hit = memo[node.id];
  if (hit) return hit;
  const set = new Set<number>();
  const kids = [...node.children.values(), ...(node.item ? [node.item] : [])];
  for (const k of kids) {
    for (const i of guardIdx[k.id] ?? []) set.add(i);
    for (const i of guardsBelow(k, guardIdx)) set.add(i);
  }
  const out = [...set].sort((a, b) => a - b);
  memo[node.id] = out;
  return out;
}

export function filterGuardedDescendants(
  node: CatalogNode,
  value: unknown,
  path: string,
  pipeline: Pipeline,
  modes: readonly GuardMode[],
  guardIdx: readonly (readonly number[])[],
): GuardFiltered {
  const t = node.info.type;
  if (t !== 'object' && t !== 'array') return { kind: 'unchanged' };
  // Fast exit: nothing below this node is covered by a guardrail that acts under this pipeline,
  // and the value holds nothing the catalog does not know.
  const acting = guardsBelow(node, guardIdx).some((i) => verdictOf(modes[i]!, pipeline) !== undefined);
  if (!acting && !hasUnknown(node, value)) return { kind: 'unchanged' };

  const removed: GuardRemoval[] = [];
  const replaced: { path: string; ruleId: string }[] = [];

  function verdictAt(n: CatalogNode) {
    const idx = guardIdx[n.id] ?? [];
    let replace: ReturnType<typeof verdictOf>;
    for (const i of idx) {
      const v = verdictOf(modes[i]!, pipeline);
      if (!v) continue;
      if (v.kind === 'block') return v;
      replace ??= v;
    }
    return replace;
  }

  /** The value with guarded descendants taken out, or GONE if nothing is left of it. */
  function walk(n: CatalogNode, v: unknown, p: string, top: boolean): unknown {
    if (!top) {
      const verdict = verdictAt(n);
      if (verdict?.kind === 'block') {
        removed.push({ path: p, reason: verdict.reason, ruleId: verdict.ruleId });
        return GONE;
      }
      if (verdict?.kind === 'replace') {
        replaced.push({ path: p, ruleId: verdict.ruleId });
        return verdict.value;
      }
    }
    if (Array.isArray(v)) {
      if (!n.item) return v;
      const before = removed.length;
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) {
        const r = walk(n.item, v[i], `${p}[${i}]`, false);
        if (r !== GONE) out.push(r);
      }
      return removed.length > before && !hasLeaf(out) ? GONE : out;
    }
    if (v !== null && typeof v === 'object') {
      const before = removed.length;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        const child = n.children.get(key);
        const cp = `${p}.${SAFE_KEY.test(key) ? key : '<invalid-key>'}`;
        if (!child) {
          removed.push({ path: cp, reason: 'NOT_IN_AGREEMENT', ruleId: DEFAULT_DENY_RULE });
          continue;
        }
        const r = walk(child, (v as Record<string, unknown>)[key], cp, false);
        if (r !== GONE) out[key] = r;
      }
      return removed.length > before && !hasLeaf(out) ? GONE : out;
    }
    return v;
  }

  const out = walk(node, value, path, true);
  if (out === GONE) return { kind: 'empty', removed };
  if (removed.length === 0 && replaced.length === 0) return { kind: 'unchanged' };
  return { kind: 'filtered', value: out, removed, replaced };
}

/** Does the value hold any primitive (a container holding only empty containers holds nothing)? */
function hasLeaf(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasLeaf);
  if (v !== null && typeof v === 'object') return Object.values(v).some(hasLeaf);
  return v !== undefined && v !== null;
}

function hasUnknown(n: CatalogNode, v: unknown): boolean {
  if (Array.isArray(v)) return n.item !== undefined && v.some((x) => hasUnknown(n.item!, x));
  if (v !== null && typeof v === 'object') {
    for (const key of Object.keys(v)) {
      const child = n.children.get(key);
      if (!child || hasUnknown(child, (v as Record<string, unknown>)[key])) return true;
    }
  }
  return false;
}
