/**
 * Text → tokens with offsets into the original, in one pass over the characters (no regular
 * expression per character, no backtracking). A token is a run of letters or a run of digits, so
 * "30a" is 30 + a and "CM19" is cm + 19; between tokens anything else (spaces of every kind, line
 * breaks, punctuation) is a separator and never matters for matching. Apostrophes, soft hyphens,
 * zero-width characters and combining marks inside a word are skipped ("St John's" = "St Johns",
 * "Bir\u00ADch" = "Birch"). Non-ASCII letters are folded (NFKD without marks), fullwidth digits
 * become digits. A zero-width character or soft hyphen glueing a street type to its name splits
 * them again ("Acacia\u200BAvenue" is Acacia + Avenue). House numbers written as words become
 * number tokens ("fourteen" reads 14, "twenty-two" 22: number-words.ts).
 */
import { readNumberWords, isNumberWord } from './number-words.js';
import { MAX_TYPE_LENGTH, canonicalWord, isStreetType } from './street-types.js';

const SEP = 0;
const LETTER = 1;
const DIGIT = 2;
/** Skipped inside a token, a separator outside one. */
const JOIN = 3;

const nonAscii = new Map<number, number>();
const LETTER_RE = /\p{L}/u;
const JOIN_RE = /[\p{M}\p{Cf}]/u;
const FOLD_RE = /[\p{M}\p{Cf}'\u2018\u2019`]/gu;

/**
 * Cyrillic and Greek letters that look like Latin ones: "Вirch Wаlk" is Birch Walk to a reader,
 * so it is to the matcher.
 */
const HOMOGLYPHS: Record<string, string> = {
  А: 'a', В: 'b', Е: 'e', К: 'k', М: 'm', Н: 'h', О: 'o', Р: 'p', С: 'c', Т: 't', Х: 'x', У: 'y', І: 'i', Ј: 'j', Ѕ: 's',
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w',
  Α: 'a', Β: 'b', Ε: 'e', Ζ: 'z', Η: 'h', Ι: 'i', Κ: 'k', Μ: 'm', Ν: 'n', Ο: 'o', Ρ: 'p', Τ: 't', Υ: 'y', Χ: 'x',
  ο: 'o', α: 'a', ι: 'i', κ: 'k', ν: 'v', ρ: 'p', τ: 't', υ: 'u',
};
const HOMOGLYPH_RE = new RegExp(`[${Object.keys(HOMOGLYPHS).join('')}]`, 'g');

function fold(r: string): string {
  return r.normalize('NFKD').replace(FOLD_RE, '').replace(HOMOGLYPH_RE, (c) => HOMOGLYPHS[c]!);
}

function classifyNonAscii(code: number): number {
  let c = nonAscii.get(code);
  if (c !== undefined) return c;
  const ch = String.fromCharCode(code);
  const folded = ch.normalize('NFKD');
  const f = folded.charCodeAt(0);
  if (f >= 48 && f <= 57) c = DIGIT;
  else if (LETTER_RE.test(ch)) c = LETTER;
  else if (code === 0x2018 || code === 0x2019 || JOIN_RE.test(ch)) c = JOIN;
  else c = SEP;
  nonAscii.set(code, c);
  return c;
}

const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_CLASS[c] = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ? LETTER : c >= 48 && c <= 57 ? DIGIT : c === 39 || c === 96 ? JOIN : SEP;
}

function classify(code: number): number {
  return code < 128 ? ASCII_CLASS[code]! : classifyNonAscii(code);
}

export interface Tokens {
  readonly text: string;
  readonly count: number;
  /** Original offsets: token i is text.slice(start[i], end[i]). */
  readonly start: number[];
  readonly end: number[];
  /** Lower case, folded, without joiners. */
  readonly raw: string[];
  /** `raw` with street types canonicalised (road → road, rd → road). */
  readonly norm: string[];
  /** True for digit runs. */
  readonly num: boolean[];
  /** How many digits the text holds (the digit-shaped nets need at least a few). */
  readonly digits: number;
  /** In the reading with digits as letters (digit-letters.ts): a merged word's folded form. */
  readonly folded?: readonly (string | undefined)[];
}

const ASCII_ONLY = /^[\x00-\x7f]*$/;

export function tokenize(text: string): Tokens {
  const start: number[] = [];
  const end: number[] = [];
  const raw: string[] = [];
  const norm: string[] = [];
  const num: boolean[] = [];
  const n = text.length;
  // One lower-casing of the whole text when it is ASCII (same offsets); per token otherwise.
  const lower = ASCII_ONLY.test(text) ? text.toLowerCase() : undefined;
  let digits = 0;
  let words = 0;
  let streak = 0;
  let spelt = false;
  let i = 0;
  while (i < n) {
    let cls = classify(text.charCodeAt(i));
    if (cls === SEP || cls === JOIN) { i++; continue; }
    const s = i;
    const kind = cls;
    let plain = true; // ASCII only, nothing skipped
    let e = i + 1;
    i++;
    while (i < n) {
      const code = text.charCodeAt(i);
      cls = classify(code);
      if (cls === kind) { if (code >= 128) plain = false; e = ++i; continue; }
      if (cls === JOIN) { plain = false; i++; continue; }
      break;
    }
    if (text.charCodeAt(s) >= 128) plain = false;
    let r: string;
    if (plain && lower !== undefined) r = lower.slice(s, e);
    else {
      r = text.slice(s, e);
      if (!plain) r = fold(r);
      r = r.toLowerCase();
      if (r.length === 0) continue;
    }
    const isNum = kind === DIGIT;
    if (!isNum && !plain) {
      const cut = typeAfterInvisible(text, s, e);
      if (cut > 0) {
        const left = fold(text.slice(s, cut)).toLowerCase();
        start.push(s);
        end.push(cut);
        raw.push(left);
        num.push(false);
        norm.push(left.length <= MAX_TYPE_LENGTH ? canonicalWord(left) : left);
        r = fold(text.slice(cut + 1, e)).toLowerCase();
        start.push(cut + 1);
        end.push(e);
        raw.push(r);
        num.push(false);
        norm.push(canonicalWord(r));
        continue;
      }
    }
    start.push(s);
    end.push(e);
    raw.push(r);
    num.push(isNum);
    if (isNum) streak = 0;
    if (isNum) {
      digits += r.length;
      norm.push(stripZeros(r));
    } else {
      norm.push(r.length <= MAX_TYPE_LENGTH ? canonicalWord(r) : r);
      if (r.length >= 3 && r.length <= 9 && isNumberWord(r)) words++;
      // Three one-letter words in a row: maybe a word spelt out.
      if (r.length === 1) { if (++streak >= 3) spelt = true; } else streak = 0;
    }
  }
  let t: Tokens = { text, count: start.length, start, end, raw, norm, num, digits };
  if (spelt) t = withSpelledWords(t);
  return words > 0 || spelt ? withNumberWords(t) : t;
}

/** One or two spaces, dots, hyphens, underscores or invisible characters: "A c a c i a", "B.i.r.c.h". */
export function letterGap(text: string, a: number, b: number): boolean {
  if (b - a < 1 || b - a > 2) return false;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 46 && c !== 45 && c !== 95 && c !== 0xa0 && classify(c) !== JOIN) return false;
  }
  return true;
}

/** Where a street type of three letters or more ends the run-together word, or -1. */
function typeCut(word: string): number {
  for (let k = Math.max(3, word.length - MAX_TYPE_LENGTH); k + 3 <= word.length; k++) if (isStreetType(canonicalWord(word.slice(k)))) return k;
  return -1;
}

/**
 * A word spelt out letter by letter ("A c a c i a A v e n u e", "B.i.r.c.h") is the word: runs of
 * three or more one-letter tokens become one token, split again before a street type of three
 * letters or more at its end ("birchwalk" is birch + walk, "acaciaave" acacia + ave).
 */
function withSpelledWords(t: Tokens): Tokens {
  const start: number[] = [];
  const end: number[] = [];
  const raw: string[] = [];
  const norm: string[] = [];
  const num: boolean[] = [];
  const push = (s: number, e: number, r: string) => {
    start.push(s);
    end.push(e);
    raw.push(r);
    norm.push(r.length <= MAX_TYPE_LENGTH ? canonicalWord(r) : r);
    num.push(false);
  };
  for (let i = 0; i < t.count;) {
    let j = i;
    // A letter glued to a number is a house letter ("66A W a f u r"), never the start of a run.
    const houseLetter = i > 0 && t.num[i - 1] && t.end[i - 1] === t.start[i];
    // Every gap of the run the same ("D u t a n. a neighbour": the article is not part of the name).
    let gap: string | undefined;
    if (!houseLetter) {
      while (j < t.count && !t.num[j] && t.raw[j]!.length === 1) {
        if (j > i) {
          const g = t.text.slice(t.end[j - 1], t.start[j]);
          if (!letterGap(t.text, t.end[j - 1]!, t.start[j]!) || (gap !== undefined && g !== gap)) break;
          gap = g;
        }
        j++;
      }
    }
    if (j - i < 3) {
      start.push(t.start[i]!);
      end.push(t.end[i]!);
      raw.push(t.raw[i]!);
      norm.push(t.norm[i]!);
      num.push(t.num[i]!);
      i++;
      continue;
    }
    let word = t.raw.slice(i, j).join('');
    let cut = typeCut(word);
    // "M e w s a neighbour": the article after a spelt-out type is a word of its own.
    let article = false;
    if (cut < 0 && j - i >= 4 && (word.endsWith('a') || word.endsWith('i'))) {
      const head = word.slice(0, -1);
      const headCut = typeCut(head);
      if (headCut > 0 || isStreetType(canonicalWord(head))) { cut = headCut; article = true; word = head; j--; }
    }
    if (cut > 0) {
      push(t.start[i]!, t.end[i + cut - 1]!, word.slice(0, cut));
      push(t.start[i + cut]!, t.end[j - 1]!, word.slice(cut));
    } else push(t.start[i]!, t.end[j - 1]!, word);
    if (article) { push(t.start[j]!, t.end[j]!, t.raw[j]!); j++; }
    i = j;
  }
  return { text: t.text, count: start.length, start, end, raw, norm, num, digits: t.digits };
}

/** Zero-width characters, soft hyphens and word joiners: invisible, so they may hide a word break. */
const INVISIBLE = /[\u00AD\u180E\u200B-\u200D\u2060-\u2064\uFEFF]/g;

/**
 * Where an invisible character inside a letter token separates a name (2+ letters) from a street
 * type ("Acacia\u200BAvenue"), its offset; otherwise -1. Such a character inside a name
 * ("Bir\u200Bch") still joins the name.
 */
function typeAfterInvisible(text: string, s: number, e: number): number {
  const slice = text.slice(s, e);
  INVISIBLE.lastIndex = 0;
  for (let m = INVISIBLE.exec(slice); m; m = INVISIBLE.exec(slice)) {
    const p = s + m.index;
    const right = fold(text.slice(p + 1, e)).toLowerCase();
    // Only a type written in full: "Bab\u200Bav" is not Bab Avenue.
    // Four letters or more: "Sa\u200Brow", "He\u00ADrow" are names, not Sa Row.
    if (right.length >= 4 && right.length <= MAX_TYPE_LENGTH && isStreetType(right) && fold(text.slice(s, p)).length >= 2) return p;
  }
  return -1;
}

/** Space, tab, hyphens, "+" and "_" (URL-encoded and hashtag forms). */
const NUMBER_GAP = new Set([32, 9, 45, 43, 95, 0xa0, 0x2010, 0x2011]);

/** Only spaces, hyphens or invisible characters (a few) between tokens k and k+1. */
function wordGap(text: string, end: readonly number[], start: readonly number[], k: number): boolean {
  const a = end[k]!;
  const b = start[k + 1];
  if (b === undefined || b - a > 8 || b === a) return false;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (!NUMBER_GAP.has(c) && classify(c) !== JOIN && !(c >= 128 && /\s/.test(text[i]!))) return false;
  }
  return true;
}

/** Runs of number words ("twenty two", "one hundred and five") become one number token each. */
function withNumberWords(t: Tokens): Tokens {
  const start: number[] = [];
  const end: number[] = [];
  const raw: string[] = [];
  const norm: string[] = [];
  const num: boolean[] = [];
  let digits = t.digits;
  const joined = (k: number) => !t.num[k] && !t.num[k + 1] && wordGap(t.text, t.end, t.start, k);
  for (let i = 0; i < t.count;) {
    const w = t.raw[i]!;
    let read = !t.num[i] && (isNumberWord(w) || w === 'a') ? readNumberWords(t.raw, i, joined) : undefined;
    // "oh" for nought, between numbers as a phone number is read out ("oh seven seven oh oh nine").
    if (!read && w === 'oh' && ((i > 0 && num.length > 0 && num[num.length - 1] && wordGap(t.text, t.end, t.start, i - 1))
      || (i + 1 < t.count && (t.num[i + 1] || isNumberWord(t.raw[i + 1]!) || t.raw[i + 1] === 'oh') && joined(i)))) read = { value: 0, next: i + 1 };
    if (!read) {
      start.push(t.start[i]!);
      end.push(t.end[i]!);
      raw.push(w);
      norm.push(t.norm[i]!);
      num.push(t.num[i]!);
      i++;
      continue;
    }
    const d = String(read.value);
    start.push(t.start[i]!);
    end.push(t.end[read.next - 1]!);
    raw.push(d);
    norm.push(d);
    num.push(true);
    digits += d.length;
    i = read.next;
  }
  return { text: t.text, count: start.length, start, end, raw, norm, num, digits };
}

/** "030" and "30" are the same house number; "0" stays "0". */
function stripZeros(d: string): string {
  if (d.charCodeAt(0) !== 48 || d.length === 1) return d;
  let k = 0;
  while (k < d.length - 1 && d.charCodeAt(k) === 48) k++;
  return d.slice(k);
}

/** Normalised tokens of a short value (used when compiling the lexicon). */
export function normTokens(value: string): { norm: string[]; num: boolean[]; raw: string[] } {
  const t = tokenize(value);
  return { norm: t.norm, num: t.num, raw: t.raw };
}

/**
 * The compact view: the raw forms of the tokens near digits (two either side) concatenated, with
 * "|" where tokens were left out. Postcodes in any spacing and phone numbers or UPRNs in any
 * formatting are substrings of it; every one of them holds a digit, so prose far from digits
 * never needs joining.
 */
export interface CompactView {
  readonly s: string;
  /** Token index of each included token, in order. */
  readonly tok: number[];
  /** Where each included token starts in `s`. */
  readonly offset: number[];
}

export function compactView(t: Tokens): CompactView {
  const tok: number[] = [];
  const offset: number[] = [];
  let s = '';
  let lastDigit = -100;
  let next = 0; // next digit token at or after i
  let prev = -1;
  for (let i = 0; i < t.count; i++) {
    if (t.num[i]) lastDigit = i;
    if (next < i) { next = i; while (next < t.count && !t.num[next]) next++; }
    if (i - lastDigit > 2 && next - i > 2) continue;
    if (prev >= 0 && prev !== i - 1) s += '|';
    tok.push(i);
    offset.push(s.length);
    s += t.num[i] ? t.raw[i]! : foldLookalikes(t.raw[i]!);
    prev = i;
  }
  return { s, tok, offset };
}

/**
 * Letters that stand in for digits ("o" for 0, "i" and "l" for 1), folded the same way in the
 * compact view and in the lexicon's compact values, one character for one.
 */
export function foldLookalikes(s: string): string {
  let k = 0;
  for (; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 111 || c === 105 || c === 108) break;
  }
  if (k === s.length) return s;
  let out = s.slice(0, k);
  for (; k < s.length; k++) {
    const c = s.charCodeAt(k);
    out += c === 111 ? '0' : c === 105 || c === 108 ? '1' : s[k];
  }
  return out;
}

/** The token holding compact offset `at` (binary search), as an index into view.tok. */
export function tokenAt(view: CompactView, at: number): number {
  let lo = 0;
  let hi = view.offset.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (view.offset[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
