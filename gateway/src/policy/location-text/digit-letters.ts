/**
 * Digits standing in for letters ("B1rch Wa1k", "Qu4rry R0w", "L4rkspur House", "8irch Road"):
 * to a reader the word is the word, to the tokenizer it is letters, a number and letters again.
 *
 * A second reading of the tokens glues each such word back together. Both nets run on it as well
 * as on the first reading, so it can only find more; the first reading keeps every number. A glued
 * run of letters and short digit groups (one or two digits) becomes one word when a digit sits
 * between letters ("r0w", "qu4rry") or the letters come to two or more ("8irch", "3lm", "wa1k").
 * "30a" and "12b" stay a house number and its letter; "CM19", "3rd" and "10pm" are read both ways,
 * and as words they spell nothing a lexicon or a street type holds.
 *
 * Words are compared in a folded form where each letter a digit can stand for is that digit
 * (i and l are 1, o is 0, e 3, a 4, s 5, t 7, b 8, g 9, z 2), on both sides: "wa1k" and "walk" are
 * both "w41k", whichever letter the 1 stood for.
 */
import { parsePostcode } from '@marac/uk-identifiers';
import type { Tokens } from './normalise.js';
import { STREET_TYPE, canonicalWord } from './street-types.js';

const DIGIT_FOR: Readonly<Record<string, string>> = { i: '1', l: '1', o: '0', e: '3', a: '4', s: '5', t: '7', b: '8', g: '9', z: '2' };
/** The likelier letter for a digit, for the word's plain reading ("r3fuge" is refuge). */
const LETTER_FOR: Readonly<Record<string, string>> = { 0: 'o', 1: 'i', 2: 'z', 3: 'e', 4: 'a', 5: 's', 7: 't', 8: 'b', 9: 'g' };

/** Lower-case word → its folded form ("walk" → "w41k", "wa1k" → "w41k"). */
export function digitFold(w: string): string {
  let out = '';
  for (let i = 0; i < w.length; i++) out += DIGIT_FOR[w[i]!] ?? w[i]!;
  return out;
}

/** Every spelling of every street type, folded ("r0w" → row, "5tr337" → street). */
const FOLDED_TYPES = new Map<string, string>();
for (const [w, canonical] of STREET_TYPE) {
  const f = digitFold(w);
  if (f !== w && !FOLDED_TYPES.has(f)) FOLDED_TYPES.set(f, canonical);
}

/** The street type a folded word spells, if any. */
export function foldedStreetType(folded: string): string | undefined {
  return FOLDED_TYPES.get(folded);
}

/** Longest glued run read as one word: longer runs are codes, not words. */
const MAX_RUN = 24;

/**
 * The second reading, or undefined when no word of the text mixes digits into letters. Merged
 * words carry their folded form in `folded`; every other token is as it was.
 */
export function digitsAsLetters(t: Tokens): Tokens | undefined {
  let start: number[] | undefined;
  let end: number[] = [];
  let raw: string[] = [];
  let norm: string[] = [];
  let num: boolean[] = [];
  let folded: (string | undefined)[] = [];
  let copied = 0; // tokens of t already copied into the new arrays
  /** Tokens a..b-1 of the first reading, as they are. */
  const copy = (a: number, b: number) => {
    for (let k = a; k < b; k++) {
      start!.push(t.start[k]!);
      end.push(t.end[k]!);
      raw.push(t.raw[k]!);
      norm.push(t.norm[k]!);
      num.push(t.num[k]!);
      folded.push(undefined);
    }
  };
  for (let i = 0; i < t.count;) {
    let z = i;
    while (z + 1 < t.count && t.end[z] === t.start[z + 1]) z++;
    if (z === i || !mixes(t, i, z)) { i = z + 1; continue; }
    // A postcode ("CM19 4QD") is a postcode: the first reading has it.
    const pc = postcodeAt(t, i, z);
    if (pc > 0) { i = pc + 1; continue; }
    if (!start) { start = []; end = []; raw = []; norm = []; num = []; folded = []; }
    copy(copied, i);
    let written = '';
    let plain = '';
    for (let k = i; k <= z; k++) {
      const w = numberWordAt(t, k);
      if (w !== undefined) { written += w; plain += w; continue; }
      const r = t.raw[k]!;
      written += r;
      if (!t.num[k]) plain += r;
      else for (const d of r) plain += LETTER_FOR[d] ?? d;
    }
    start.push(t.start[i]!);
    end.push(t.end[z]!);
    raw.push(plain);
    norm.push(canonicalWord(plain));
    num.push(false);
    folded.push(digitFold(written));
    copied = z + 1;
    i = z + 1;
  }
  if (!start) return undefined;
  copy(copied, t.count);
  // The digit nets have read the first reading; this one is for words.
  return { text: t.text, count: start.length, start, end, raw, norm, num, digits: 0, folded };
}

/**
 * Where the run i..z is a postcode's outward code followed by its inward code ("cm19", space,
 * "4qd"), the last token of the inward code; otherwise -1.
 */
function postcodeAt(t: Tokens, i: number, z: number): number {
  const a = z + 1;
  if (a + 1 >= t.count || !t.num[a] || t.start[a]! - t.end[z]! > 3 || t.end[a] !== t.start[a + 1] || t.num[a + 1]) return -1;
  if (a + 2 < t.count && t.end[a + 1] === t.start[a + 2]) return -1;
  const gap = t.text.slice(t.end[z], t.start[a]);
  if (gap.trim() !== '') return -1;
  return parsePostcode(`${t.text.slice(t.start[i], t.end[z])} ${t.text.slice(t.start[a], t.end[a + 1])}`) ? a + 1 : -1;
}

/**
 * A number token the first reading made of a number word, as the word ("B4ten": b, 4, "ten" read
 * as 10): here it is letters again.
 */
function numberWordAt(t: Tokens, k: number): string | undefined {
  if (!t.num[k]) return undefined;
  const w = t.text.slice(t.start[k], t.end[k]).toLowerCase();
  return /[a-z]/.test(w) ? w.replace(/[^a-z]/g, '') : undefined;
}

/** Tokens i..z, glued: letters and digit groups of one or two, a digit inside the letters or two letters or more. */
function mixes(t: Tokens, i: number, z: number): boolean {
  if (t.end[z]! - t.start[i]! > MAX_RUN) return false;
  let letters = 0;
  let digit = false;
  let inside = false;
  for (let k = i; k <= z; k++) {
    const w = numberWordAt(t, k);
    if (w !== undefined) letters += w.length;
    else if (t.num[k]) {
      if (t.raw[k]!.length > 2) return false;
      digit = true;
      if (k > i && k < z) inside = true;
    } else letters += t.raw[k]!.length;
  }
  return digit && (inside || letters >= 2);
}
