/**
 * The shape net's numbers, found on the tokens rather than by regular expressions over the whole
 * text (prose has few digits, so this costs next to nothing): UK phone numbers in their usual
 * formattings, UPRN-like numbers (9 to 12 digits, possibly grouped by single spaces or hyphens)
 * and UK postcodes in any spacing and case (validated against the Royal Mail format).
 */
import { parsePostcode } from '@marac/uk-identifiers';
import type { Tokens } from './normalise.js';
import { addSpan, type Spans } from './spans.js';

const MAX_TOKENS = 6;

/** Gap inside a phone number: up to three of space, dot, hyphen, brackets ("(01245) 123", "0 7700"). */
function phoneGap(text: string, a: number, b: number): boolean {
  if (b - a > 3) return false;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 0xa0 && c !== 9 && c !== 46 && c !== 45 && c !== 40 && c !== 41) return false;
  }
  return true;
}

/** Gap inside a grouped UPRN: exactly one space or hyphen ("1000 1234 5678"). */
function uprnGap(text: string, a: number, b: number): boolean {
  if (b - a !== 1) return false;
  const c = text.charCodeAt(a);
  return c === 32 || c === 0xa0 || c === 45;
}

function isPhone(d: string, plus: boolean): boolean {
  let nsn: string;
  if (d.startsWith('0044')) nsn = d.slice(4);
  else if (plus && d.startsWith('44')) nsn = d.slice(2);
  else return d.length >= 10 && d.length <= 11 && d.charCodeAt(0) === 48 && d.charCodeAt(1) !== 48;
  if (nsn.charCodeAt(0) === 48) nsn = nsn.slice(1); // "(0)"
  return nsn.length >= 9 && nsn.length <= 10 && nsn.charCodeAt(0) !== 48;
}

function numberShapes(t: Tokens, spans: Spans): void {
  const { text } = t;
  for (let k = 0; k < t.count; k++) {
    if (!t.num[k]) continue;
    const plus = t.start[k]! > 0 && text.charCodeAt(t.start[k]! - 1) === 43;
    let digits = '';
    let phoneOk = true;
    let uprnOk = true;
    let best = -1;
    for (let m = k; m < t.count && m < k + MAX_TOKENS && t.num[m]; m++) {
      if (m > k) {
        phoneOk &&= phoneGap(text, t.end[m - 1]!, t.start[m]!);
        uprnOk &&= uprnGap(text, t.end[m - 1]!, t.start[m]!);
        if (!phoneOk && !uprnOk) break;
      }
      digits += t.raw[m];
      if (digits.length > 15) break;
      if ((phoneOk && isPhone(digits, plus)) || (uprnOk && digits.length >= 9 && digits.length <= 12)) best = m;
    }
    if (best < 0) continue;
    addSpan(spans, plus ? t.start[k]! - 1 : t.start[k]!, t.end[best]!);
    k = best;
  }
}

const OUTWARD_LETTERS = /^[a-z]{1,2}$/;
const INWARD_LETTERS = /^[a-z]{2}$/;

/**
 * Postcodes start with one or two letters glued to a digit ("CM19", "sw1a", "E1") and end with two
 * letters glued to a digit ("4QD"); the whole, at most 11 characters with at most 3 spaces inside,
 * must parse as a postcode.
 */
function postcodeShapes(t: Tokens, spans: Spans): void {
  const { text } = t;
  for (let i = 0; i + 1 < t.count; i++) {
    const r = t.raw[i]!;
    const gir = r === 'gir';
    if (!gir && !(t.num[i + 1] && OUTWARD_LETTERS.test(r) && t.end[i] === t.start[i + 1])) continue;
    if (i > 0 && t.end[i - 1] === t.start[i]) continue; // glued to what comes before: not a token start
    for (let j = i + 1; j < t.count && j <= i + 4; j++) {
      if (t.end[j]! - t.start[i]! > 11) break;
      if (t.num[j] || !INWARD_LETTERS.test(t.raw[j]!) || !t.num[j - 1] || t.end[j - 1] !== t.start[j]) continue;
      if (j + 1 < t.count && t.end[j] === t.start[j + 1]) continue;
      const candidate = text.slice(t.start[i], t.end[j]).replace(/\s+/g, ' ');
      if (parsePostcode(candidate)) {
        addSpan(spans, t.start[i]!, t.end[j]!);
        i = j;
        break;
      }
    }
  }
}

export function digitShapes(t: Tokens, spans: Spans): void {
  if (t.digits === 0) return;
  postcodeShapes(t, spans);
  if (t.digits >= 9) numberShapes(t, spans);
}
