/**
 * Spans to replace, as flat [start, end, start, end, ...] offsets into the original text, merged
 * and replaced by one placeholder each. Spans separated only by a little punctuation or space
 * become one placeholder, so "9 Quarry Row, CM19 4QD" reads "[LOCATION]" and not two.
 */
import { isGapChar } from './clusters.js';

export type Spans = number[];

export function addSpan(spans: Spans, start: number, end: number): void {
  if (end > start) spans.push(start, end);
}

function joinable(text: string, a: number, b: number): boolean {
  if (b - a > 3) return false;
  for (let i = a; i < b; i++) if (!isGapChar(text.charCodeAt(i)) && text.charCodeAt(i) !== 59) return false;
  return true;
}

export function applySpans(text: string, spans: Spans, placeholder: string): string {
  const n = spans.length >> 1;
  if (n === 0) return text;
  const order = Array.from({ length: n }, (_, i) => i);
  if (n > 1) order.sort((x, y) => spans[2 * x]! - spans[2 * y]! || spans[2 * y + 1]! - spans[2 * x + 1]!);
  let out = '';
  let pos = 0;
  let s = spans[2 * order[0]!]!;
  let e = spans[2 * order[0]! + 1]!;
  for (let k = 1; k < n; k++) {
    const a = spans[2 * order[k]!]!;
    const b = spans[2 * order[k]! + 1]!;
    if (a <= e || joinable(text, e, a)) {
      if (b > e) e = b;
      continue;
    }
    out += text.slice(pos, s) + placeholder;
    pos = e;
    s = a;
    e = b;
  }
  out += text.slice(pos, s) + placeholder + text.slice(e);
  return out;
}
