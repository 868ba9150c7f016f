/**
 * Growing a match over what sits next to it in the text: the house-number cluster before a
 * street ("Flat 6, 30a", "6/30", "no. 12", "f6 30") and the dialling prefix before a phone
 * number ("+44 (0)", "0044", "0"). Both are bounded, so matching stays linear.
 */
import type { Tokens } from './normalise.js';
import { FLAT_WORDS } from './street-types.js';

const GAP_CHARS = new Set([32, 9, 10, 11, 12, 13, 44, 47, 46, 45, 35, 58, 40, 41, 0x2013, 0x2014]);
const SPACE_RE = /\s/;
const wideSpace = new Map<number, boolean>();

/** Spaces of every kind (NBSP, thin space, ideographic space...) and address punctuation. */
export function isGapChar(code: number): boolean {
  if (code < 128) return GAP_CHARS.has(code);
  let w = wideSpace.get(code);
  if (w === undefined) wideSpace.set(code, (w = code === 0x2013 || code === 0x2014 || SPACE_RE.test(String.fromCharCode(code))));
  return w;
}

/** The text between token j and token j+1 is a short run of spaces and address punctuation. */
export function tightGap(t: Tokens, j: number): boolean {
  const a = t.end[j]!;
  const b = t.start[j + 1]!;
  if (b - a > 4) return false;
  for (let i = a; i < b; i++) if (!isGapChar(t.text.charCodeAt(i))) return false;
  return true;
}

/** A one-letter token right after a number: the "a" of "30a" or "30 A". */
export function isHouseLetter(t: Tokens, j: number): boolean {
  return j > 0 && !t.num[j] && t.raw[j]!.length === 1 && t.num[j - 1]! && tightGap(t, j - 1);
}

/** The first token of the house-number cluster ending just before token `a` (or `a` itself). */
export function numbersBefore(t: Tokens, a: number): number {
  let k = a;
  for (let steps = 0; k > 0 && steps < 6; steps++) {
    const j = k - 1;
    if (!tightGap(t, j)) break;
    if (t.num[j] || FLAT_WORDS.has(t.raw[j]!) || isHouseLetter(t, j)) k = j;
    else break;
  }
  return k;
}

const PHONE_PREFIX = new Set(['0', '44', '0044', '440', '00440']);

/** Start offset of a digit match beginning at token `a`, with its dialling prefix or leading zeros. */
export function prefixStart(t: Tokens, a: number): number {
  let k = a;
  for (let steps = 0; k > 0 && steps < 2; steps++) {
    const j = k - 1;
    if (!t.num[j] || !tightGap(t, j)) break;
    const r = t.raw[j]!;
    if (PHONE_PREFIX.has(r) || /^0+$/.test(r)) k = j;
    else break;
  }
  return openingBefore(t, t.start[k]!);
}

/** Takes in a "+" or "#" just before offset s: "+44 …", "#30 …". */
export function openingBefore(t: Tokens, s: number): number {
  const c = s > 0 ? t.text.charCodeAt(s - 1) : 0;
  return c === 43 || c === 35 ? s - 1 : s;
}
