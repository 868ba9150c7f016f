import { compileOperator, type OperatorContext, type OperatorSpec, type OpResult } from '../../../../gateway/src/policy/operators/index.js';

export const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
/** 5 June 2025, 09:00 UTC (10:00 BST). */
export const NOW = new Date('2025-06-05T09:00:00Z');
export const ctxAt = (now: Date | string = NOW, hmacKey: Buffer = KEY): OperatorContext => ({
  now: typeof now === 'string' ? new Date(now) : now,
  hmacKey,
});

export function run(spec: OperatorSpec, v: unknown, ctx: OperatorContext = ctxAt()): OpResult {
  return compileOperator(spec).apply(v, ctx);
}
export function valueOf(spec: OperatorSpec, v: unknown, ctx: OperatorContext = ctxAt()): unknown {
  const r = run(spec, v, ctx);
  if (r.kind !== 'value') throw new Error(`expected a value, got drop ${r.reason}`);
  return r.value;
}
export function reasonOf(spec: OperatorSpec, v: unknown, ctx: OperatorContext = ctxAt()): string {
  const r = run(spec, v, ctx);
  if (r.kind !== 'drop') throw new Error(`expected a drop, got ${JSON.stringify(r.value)}`);
  return r.reason;
}
