/**
 * A release rule's operators, compiled once: one operator or a short pipeline applied left to
 * right (`[{window: ...}, {limit: ...}]`, `[scrub, {truncate: 280}]`, `[{window: ...}, count]`).
 *
 * A pipeline made only of keep / window / limit is "pass-through": the list (or object) goes on
 * and the fields below it are released under their own rules, or as kept when they have none.
 * Any other pipeline is terminal: its output replaces the whole value.
 */
import {
  compileOperator, parseOperator, type CompiledOperator, type OperatorContext, type OperatorSpec,
} from './operators/index.js';
import type { FieldType, ReleaseSpec } from './types.js';

const PASS_THROUGH = new Set(['keep', 'window', 'limit']);
/** Operators whose output cannot repeat free text verbatim (besides the generalising ones). */
const TEXT_SAFE = new Set(['scrub', 'categorise']);
const OPAQUE = new Set(['booleanise', 'count', 'replace']);

export interface Pipeline {
  readonly specs: readonly OperatorSpec[];
  readonly ops: readonly CompiledOperator[];
  /** 'keep', 'postcode', 'window+limit', 'scrub+truncate': goes in explanations as `op`. */
  readonly name: string;
  readonly transforms: boolean;
  /** True if any step generalises (its output cannot reveal the exact value or location). */
  readonly generalises: boolean;
  readonly passThrough: boolean;
  readonly isDrop: boolean;
  readonly isKeep: boolean;
  /** Safe for free text: scrubbed, categorised or generalised. */
  readonly neutralisesText: boolean;
  /** The output says nothing about the value itself (a flag, a count or a constant). */
  readonly opaque: boolean;
  /** Canonical JSON of the specs: two rules agree iff their keys are equal. */
  readonly key: string;
}

export type ParsedRelease = { ok: true; specs: OperatorSpec[] } | { ok: false; message: string; index?: number };

export function parseRelease(raw: unknown): ParsedRelease {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) return { ok: false, message: 'an operator list must not be empty' };
  const specs: OperatorSpec[] = [];
  for (let i = 0; i < list.length; i++) {
    const p = parseOperator(list[i]);
    if (!p.ok) return { ok: false, message: p.message, ...(Array.isArray(raw) ? { index: i } : {}) };
    specs.push(p.spec);
  }
  return { ok: true, specs };
}

export function compilePipeline(specs: readonly OperatorSpec[]): Pipeline {
  const ops = specs.map((s) => compileOperator(s));
  const names = ops.map((o) => o.name);
  const passThrough = names.every((n) => PASS_THROUGH.has(n));
  const generalises = ops.some((o) => o.generalises);
  return Object.freeze({
    specs: Object.freeze([...specs]),
    ops: Object.freeze(ops),
    name: names.join('+'),
    transforms: ops.some((o) => o.transforms),
    generalises,
    passThrough,
    isDrop: names.includes('drop'),
    isKeep: names.every((n) => n === 'keep'),
    neutralisesText: generalises || names.some((n) => TEXT_SAFE.has(n)),
    opaque: OPAQUE.has(names[names.length - 1]!),
    key: canonicalJson(specs.length === 1 ? specs[0] : specs),
  });
}

export function compileRelease(raw: ReleaseSpec): Pipeline {
  const p = parseRelease(raw);
  if (!p.ok) throw new Error(p.message);
  return compilePipeline(p.specs);
}

export const KEEP: Pipeline = compilePipeline(['keep']);

/**
 * Type of the value after the pipeline, or undefined with the failing step when a step does not
 * accept its input (static check for agreement validation).
 */
export function pipelineOutputType(p: Pipeline, input: FieldType): { type: FieldType } | { failedAt: number; input: FieldType } {
  let t = input;
  for (let i = 0; i < p.ops.length; i++) {
    const op = p.ops[i]!;
    if (!op.accepts(t)) return { failedAt: i, input: t };
    t = outputTypeOf(op.name, t);
  }
  return { type: t };
}

function outputTypeOf(name: string, input: FieldType): FieldType {
  switch (name) {
    case 'keep': case 'window': case 'limit': case 'drop':
      return input;
    case 'count':
      return 'integer';
    case 'booleanise':
      return 'boolean';
    default:
      return 'string';
  }
}

export type StepResult = { kind: 'value'; value: unknown } | { kind: 'drop'; reason: string; step: number };

/** Applies a terminal pipeline. Never throws: operators fail closed to a drop. */
export function applyPipeline(p: Pipeline, value: unknown, ctx: OperatorContext): StepResult {
  let v = value;
  for (let i = 0; i < p.ops.length; i++) {
    const r = p.ops[i]!.apply(v, ctx);
    if (r.kind === 'drop') return { kind: 'drop', reason: r.reason, step: i };
    v = r.value;
  }
  return { kind: 'value', value: v };
}

/** JSON with object keys sorted, so equal specs compare equal whatever order they were written in. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
