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

const OPEN = 40;
const CLOSE = 41;

/** Only spaces, commas, semicolons, slashes and hyphens: a bracket or full stop between two spans stays. */
function joinable(text: string, a: number, b: number): boolean {
  if (b - a > 3) return false;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN || c === CLOSE || c === 46 || c === 58 || c === 35 || !(c === 59 || isGapChar(c))) return false;
  }
  return true;
}

/** A span that holds one half of a pair of brackets takes the other half too: "(07700) 900123". */
function balanced(text: string, s: number, e: number): [number, number] {
  let depth = 0;
  let unmatchedClose = 0;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN) depth++;
    else if (c === CLOSE) {
      if (depth > 0) depth--;
      else unmatchedClose++;
    }
  }
  if (unmatchedClose > 0 && text.charCodeAt(s - 1) === OPEN) s--;
  if (depth > 0 && text.charCodeAt(e) === CLOSE) e++;
  return [s, e];
}

export function applySpans(text: string, spans: Spans, placeholder: string): string {
  const n = spans.length >> 1;
  if (n === 0) return text;
  if (n === 1) {
    const [s, e] = balanced(text, spans[0]!, spans[1]!);
    return text.slice(0, s) + placeholder + text.slice(e);
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => spans[2 * x]! - spans[2 * y]! || spans[2 * y + 1]! - spans[2 * x + 1]!);
  // Merge, then take in brackets, then merge what the brackets made overlap.
  const merged: [number, number][] = [];
  for (const k of order) {
    const a = spans[2 * k]!;
    const b = spans[2 * k + 1]!;
    const last = merged[merged.length - 1];
    if (last && (a <= last[1] || joinable(text, last[1], a))) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  let out = '';
  let pos = 0;
  for (const [a, b] of merged) {
    const [s, e] = balanced(text, a, b);
    if (e <= pos) continue;
    out += text.slice(pos, Math.max(pos, s)) + placeholder;
    pos = e;
  }
  return out + text.slice(pos);
}
