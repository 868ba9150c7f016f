/**
 * The shape net's numbers, found on the tokens rather than by regular expressions over the whole
 * text (prose has few digits, so this costs next to nothing): UK phone numbers in their usual
 * formattings, UPRN-like numbers (9 to 12 digits, possibly grouped by single spaces or hyphens)
 * and UK postcodes in any spacing and case (validated against the Royal Mail format).
 */
import { hasKnownPostcodeArea, parsePostcode } from '@marac/uk-identifiers';
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

/** Between the characters of a spaced-out postcode: nothing, or one or two spaces, dots, hyphens or underscores. */
function spacedGap(text: string, a: number, b: number): boolean {
  if (b - a > 2) return false;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 0xa0 && c !== 46 && c !== 45 && c !== 95) return false;
  }
  return true;
}

/**
 * The text as units of one or two characters, with offsets: tokens of one or two characters as
 * they are, and a word the tokenizer glued from spelt-out letters ("Y. T. a" read as "yta") as its
 * letters again. Any other word is a barrier (undefined).
 */
function shortUnits(t: Tokens): { raw: string[]; start: number[]; end: number[] } {
  const raw: string[] = [];
  const start: number[] = [];
  const end: number[] = [];
  const { text } = t;
  for (let k = 0; k < t.count; k++) {
    const r = t.raw[k]!;
    const s = t.start[k]!;
    const e = t.end[k]!;
    if (r.length <= 2) { raw.push(r); start.push(s); end.push(e); continue; }
    if (t.num[k] || e - s <= r.length || !/^[a-z]+$/.test(r)) { raw.push(''); start.push(s); end.push(e); continue; }
    // Spelt out: one unit per letter, at the letter's place.
    let n = 0;
    for (let i = s; i < e && n < r.length; i++) {
      if (/[A-Za-z]/.test(text[i]!)) { raw.push(r[n]!); start.push(i); end.push(i + 1); n++; }
    }
    if (n < r.length) { raw.splice(raw.length - n, n, ''); start.splice(start.length - n, n, s); end.splice(end.length - n, n, e); }
  }
  return { raw, start, end };
}

/**
 * A postcode spaced out or split where no postcode is split: "C M 1 1 A B", "S.E.1 7.P.B",
 * "CM 1 1AB", "c m one nine four q d". Runs of units of one or two characters, with at most two
 * spaces, dots, hyphens or underscores between them (two such gaps at least, so the usual forms
 * stay postcodeShapes' business), not glued to letters or digits either side, whose characters
 * (five to seven) parse as a postcode of an area Royal Mail uses: "up to 20 GB", "S32 LB",
 * "load-at-80.ts" and hexadecimal strings stay.
 */
function spacedPostcodes(t: Tokens, spans: Spans): void {
  const { text } = t;
  const u = shortUnits(t);
  const n = u.raw.length;
  for (let i = 0; i + 2 < n; i++) {
    if (u.raw[i] === '' || /^[0-9]/.test(u.raw[i]!) || (i > 0 && u.end[i - 1] === u.start[i])) continue;
    let s = '';
    let gaps = 0;
    let best = -1;
    for (let j = i; j < n && u.raw[j] !== ''; j++) {
      if (j > i) {
        if (!spacedGap(text, u.end[j - 1]!, u.start[j]!)) break;
        if (u.end[j - 1] !== u.start[j]) gaps++;
      }
      s += u.raw[j];
      if (s.length > 7) break;
      // Spaced out (two gaps or more), not glued to what follows ("352d3c72bf2b"), a real area ("to 20 GB" is none).
      if (gaps < 2 || s.length < 5 || (j + 1 < n && u.end[j] === u.start[j + 1])) continue;
      const p = parsePostcode(s);
      if (p && hasKnownPostcodeArea(p)) best = j;
    }
    if (best < 0) continue;
    addSpan(spans, u.start[i]!, u.end[best]!);
    i = best;
  }
}

export function digitShapes(t: Tokens, spans: Spans): void {
  if (t.digits === 0) return;
  postcodeShapes(t, spans);
  if (t.digits >= 2) spacedPostcodes(t, spans);
  if (t.digits >= 9) numberShapes(t, spans);
}
