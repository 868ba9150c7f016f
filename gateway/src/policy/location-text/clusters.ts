/**
 * Growing a match over what sits next to it in the text: the house-number cluster before a
 * street ("Flat 6, 30a", "6/30", "no. 12", "f6 30") and the dialling prefix before a phone
 * number ("+44 (0)", "0044", "0"). Both are bounded, so matching stays linear.
 */
import type { Tokens } from './normalise.js';
import { FLAT_WORDS } from './street-types.js';

/** Units after a number that make it a count, not a house number: "Mill Lane 3 times", "High St 2pm". */
const COUNTED: ReadonlySet<string> = new Set([
  'times', 'time', 'pm', 'am', 'mph', 'kph', 'minutes', 'minute', 'mins', 'min', 'hours', 'hour', 'hrs', 'hr', 'days', 'day',
  'weeks', 'week', 'months', 'month', 'years', 'year', 'yrs', 'miles', 'mile', 'metres', 'meters', 'm', 'km', 'yards', 'yds',
  'feet', 'ft', 'seconds', 'secs', 'percent', 'o', 'oclock', 'occasions', 'nights',
]);

// Space, tab, line breaks , / . - # : ( ) and + _ * ~ | (URL-encoded spaces, markdown, tables).
// Control characters (NUL, escape, NEL...) too: they show as nothing or a break.
const GAP_CHARS = new Set([
  32, 44, 47, 46, 45, 35, 58, 40, 41, 43, 95, 42, 126, 124, 127, ...Array.from({ length: 32 }, (_, i) => i),
]);
const SPACE_RE = /\s/;
const wideSpace = new Map<number, boolean>();

const WIDE_GAP = new Set([0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xff0c, 0xff0f, 0xff0d, 0x3001]);
const INVISIBLE_RE = /[\p{Cf}\p{M}]/u;

/**
 * Spaces of every kind (NBSP, thin space, ideographic space...), address punctuation, and the
 * invisible characters an evasion puts between words (zero-width space, soft hyphen, joiners).
 */
export function isGapChar(code: number): boolean {
  if (code < 128) return GAP_CHARS.has(code);
  let w = wideSpace.get(code);
  if (w === undefined) {
    const ch = String.fromCharCode(code);
    w = WIDE_GAP.has(code) || (code >= 0x80 && code <= 0x9f) || SPACE_RE.test(ch) || INVISIBLE_RE.test(ch);
    wideSpace.set(code, w);
  }
  return w;
}

/** The text between token j and token j+1 is a short run of spaces and address punctuation. */
export function tightGap(t: Tokens, j: number): boolean {
  const a = t.end[j]!;
  const b = t.start[j + 1]!;
  if (b - a > 4) {
    // Invisible characters do not count towards the four: "30\u200B\u200B…Birch" is "30 Birch".
    if (b - a > 64) return false;
    let seen = 0;
    for (let i = a; i < b; i++) {
      const c = t.text.charCodeAt(i);
      if (!isGapChar(c)) return false;
      if (c < 128 || !INVISIBLE_RE.test(String.fromCharCode(c))) seen++;
    }
    return seen <= 4;
  }
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

/**
 * The house number right after a street ("Acacia Avenue 12", "Birch Walk, number 30", "Birch
 * Walk (no. 30a)"): the last token of it, or -1. A number followed by a counting word ("Mill
 * Lane 3 times") is not a house number.
 */
export function numberAfter(t: Tokens, z: number): number {
  let k = z + 1;
  for (let n = 0; n < 2 && k < t.count && !t.num[k] && FLAT_WORDS.has(t.raw[k]!) && tightGap(t, k - 1); n++) k++;
  if (k >= t.count || !t.num[k] || !tightGap(t, k - 1)) return -1;
  if (k + 1 < t.count && !t.num[k + 1] && t.raw[k + 1]!.length === 1 && tightGap(t, k)) k++;
  else if (k + 1 < t.count && COUNTED.has(t.raw[k + 1]!)) return -1;
  return k;
}
