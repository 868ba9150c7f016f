/**
 * Locations that are not street addresses, found on the text itself (bounded regular
 * expressions, linear): map coordinates ("51.7356, 0.4685", "51°44'08\"N", "lat 51.73"), Ordnance
 * Survey grid references ("TL 707 067", "TL707067"), what3words addresses ("///filled.count.soap")
 * and postcodes written with look-alike characters or an impossible inward letter ("CM1 IAB",
 * "CMl 1AB", "CM1 1OA", "CM1O 1AB"). The text is first folded to ASCII character for character
 * (fullwidth digits, Cyrillic look-alikes) so offsets stay those of the text.
 */
import { parsePostcode } from '@marac/uk-identifiers';
import type { Tokens } from './normalise.js';
import { addSpan, type Spans } from './spans.js';

const HOMOGLYPH: Record<string, string> = {
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', У: 'Y', І: 'I', Ј: 'J', Ѕ: 'S',
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  ο: 'o', α: 'a', ι: 'i', κ: 'k', ν: 'v', ρ: 'p', τ: 't', υ: 'u',
};
const INVISIBLE = /[\p{Cf}\p{M}]/u;
const SPACE = /\s/;
const ASCII_ALNUM = /^[A-Za-z0-9]$/;

/** One character for each UTF-16 unit: look-alikes and fullwidth forms as ASCII, invisibles as "\u0001". */
function foldAscii(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) { out += text[i]; continue; }
    const ch = text[i]!;
    const h = HOMOGLYPH[ch];
    if (h) { out += h; continue; }
    if (c >= 0xd800 && c <= 0xdfff) { out += ch; continue; }
    const n = ch.normalize('NFKD').replace(/\p{M}/gu, '');
    if (n.length === 1 && ASCII_ALNUM.test(n)) out += n;
    else if (n.length === 1 && n.charCodeAt(0) < 128) out += n;
    else if (SPACE.test(ch)) out += ' ';
    else if (INVISIBLE.test(ch)) out += '\u0001';
    else out += ch;
  }
  return out;
}

// Gaps inside a shape: spaces and invisible characters.
const G = '[\\s\\u0001]{0,3}';
const DEC = '[-+\\u2212]?\\d{1,3}\\s?\\.\\s?\\d{3,}';

/** A compass letter after a coordinate, not the first letter of a word ("0.46 E", not "0.46 east"). */
const COMPASS = (letters: string) => `(?:${G}°)?(?:${G}[${letters}](?![A-Za-z]))?`;
const COORD_PAIR = new RegExp(`(?<![\\d.])${DEC}${COMPASS('NSns')}${G}[,;/]?${G}${DEC}${COMPASS('EWew')}(?!\\d)`, 'g');
const DMS = /(?<!\d)\d{1,3}\s?°\s?\d{1,2}(?:\.\d+)?\s?['′’](?:\s?\d{1,2}(?:\.\d+)?\s?(?:["″”]|''))?(?:\s?[NSEWnsew](?![A-Za-z]))?/g;
const DEGREES = /(?<![\d.])[-+\u2212]?\d{1,3}(?:\.\d+)?\s?°(?!\s?[CFcf]\b)(?:\s?[NSEWnsew](?![A-Za-z]))?/g;
const LABELLED = /\b(?:lat|latitude|long|lng|lon|longitude)\b\s{0,3}[:=]?\s{0,3}[-+\u2212]?\d{1,3}(?:\.\d+)?/gi;

/** "TL 707 067" (two groups of the same length), "TL707067" (an even number of digits, 6 to 10). */
const GRID_SPACED = /(?<![A-Za-z0-9])[HNOST][A-HJ-Z][\s\u0001]{0,2}(\d{3,5})[\s\u0001]{1,2}(\d{3,5})(?![A-Za-z0-9])/g;
const GRID_GLUED = /(?<![A-Za-z0-9])[HNOST][A-HJ-Z][\s\u0001]{0,2}(\d{6,10})(?![A-Za-z0-9])/g;

const NOT_W3W_LAST = new Set([
  'com', 'org', 'net', 'gov', 'nhs', 'police', 'info', 'edu', 'biz', 'co', 'ac', 'sch', 'mod', 'io', 'app', 'dev', 'int',
  'uk', 'eu', 'txt', 'pdf', 'doc', 'docx', 'html', 'htm', 'json', 'xml', 'csv', 'jpg', 'png', 'mil', 'scot', 'wales', 'london',
]);

// Postcodes with O for 0 or I/l for 1 in a digit's place, or an inward letter Royal Mail never uses.
const LOOSE_POSTCODE = /(?<![A-Za-z0-9])([A-Za-z]{1,2})([0-9OoIl])([0-9A-Za-z]?)[\s\u0001-]{0,3}([0-9OoIl])([A-Za-z]{2})(?![A-Za-z0-9])/g;
/** "pool 2pm", "tool 1st": times and ordinals. */
const NOT_INWARD = new Set(['am', 'pm', 'st', 'nd', 'rd', 'th']);
const DIGIT_OF: Record<string, string> = { O: '0', o: '0', I: '1', l: '1' };

function loosePostcodes(f: string, spans: Spans): void {
  for (const m of f.matchAll(LOOSE_POSTCODE)) {
    const [, area, d1, third, d2, letters] = m;
    // At least one real digit, or the text is prose ("go lab").
    if (!/[0-9]/.test(d1! + third! + d2!) || NOT_INWARD.has(letters!.toLowerCase())) continue;
    const a = DIGIT_OF[d1!] ?? d1!;
    const b = DIGIT_OF[d2!] ?? d2!;
    const thirds = third === '' ? [''] : DIGIT_OF[third!] ? [DIGIT_OF[third!]!, third!.toUpperCase()] : [third!];
    // The inward letters are not checked against the Royal Mail list: "CM1 1OA" is a mistyped
    // postcode, and the outward code with the sector already locates.
    if (thirds.some((x) => parsePostcode(`${area}${a}${x} ${b}AA`))) addSpan(spans, m.index!, m.index! + m[0].length);
  }
}

const GRID_LETTERS = /^[HNOST][A-HJ-Z]$/;
const COORD_WORDS = new Set(['lat', 'latitude', 'long', 'lng', 'lon', 'longitude']);
const W3W_NAMED = /(?:\/\/\/|w3w|what3words)[:\s]{0,3}$/i;

/** Which of the shapes can be in the text at all, in one pass over the tokens. */
function hints(t: Tokens): { coords: boolean; grid: boolean; loose: boolean; w3w: boolean } {
  let coords = false;
  let grid = false;
  let loose = false;
  let w3w = false;
  const { text } = t;
  for (let k = 0; k < t.count; k++) {
    const glued = k + 1 < t.count && t.end[k] === t.start[k + 1];
    if (t.num[k]) {
      if (glued || (k > 0 && t.end[k - 1] === t.start[k])) loose = true;
      const c = text.charCodeAt(t.end[k]!);
      if (c === 0xb0 || (c === 32 && text.charCodeAt(t.end[k]! + 1) === 0xb0)) coords = true;
      if (k > 0 && t.num[k - 1] && t.raw[k]!.length >= 3) {
        const gap = text.slice(t.end[k - 1], t.start[k]);
        if (gap === '.' || gap === ' . ' || gap === '. ' || gap === ' .') coords = true;
      }
      continue;
    }
    const r = t.raw[k]!;
    if (r.length === 2 && k + 1 < t.count && t.num[k + 1] && GRID_LETTERS.test(text.slice(t.start[k], t.end[k]))) grid = true;
    if (COORD_WORDS.has(r)) coords = true;
    if (k + 2 < t.count && !t.num[k + 1] && !t.num[k + 2] && t.start[k + 1] === t.end[k]! + 1 && text.charCodeAt(t.end[k]!) === 46
      && t.start[k + 2] === t.end[k + 1]! + 1 && text.charCodeAt(t.end[k + 1]!) === 46) w3w = true;
    if (r.length <= 3 && (r.includes('o') || r.includes('i') || r.includes('l')) && (glued || (k > 0 && t.num[k - 1]))) loose = true;
  }
  return { coords, grid, loose, w3w };
}

/** word.word.word: a what3words address (named as one, or three longer words not a web address). */
function w3wShapes(t: Tokens, spans: Spans): void {
  const { text } = t;
  for (let k = 0; k + 2 < t.count; k++) {
    if (t.num[k] || t.num[k + 1] || t.num[k + 2]) continue;
    if (!(t.start[k + 1] === t.end[k]! + 1 && text.charCodeAt(t.end[k]!) === 46 && t.start[k + 2] === t.end[k + 1]! + 1 && text.charCodeAt(t.end[k + 1]!) === 46)) continue;
    const before = text.charCodeAt(t.start[k]! - 1);
    const after = text.charCodeAt(t.end[k + 2]!);
    if (before === 64 || after === 64 || (after === 46 && k + 3 < t.count && t.start[k + 3] === t.end[k + 2]! + 1)) continue;
    if (before === 46 && k > 0 && t.end[k - 1] === t.start[k]! - 1) continue;
    const named = W3W_NAMED.test(text.slice(Math.max(0, t.start[k]! - 14), t.start[k]));
    const [x, y, z] = [t.raw[k]!, t.raw[k + 1]!, t.raw[k + 2]!];
    if (!named && (x.length < 3 || y.length < 3 || z.length < 3 || NOT_W3W_LAST.has(z) || x === 'www')) continue;
    const m = named ? W3W_NAMED.exec(text.slice(Math.max(0, t.start[k]! - 14), t.start[k])) : null;
    addSpan(spans, m ? t.start[k]! - m[0].length : t.start[k]!, t.end[k + 2]!);
    k += 2;
  }
}

export function otherShapes(t: Tokens, spans: Spans): void {
  const h = hints(t);
  if (h.w3w) w3wShapes(t, spans);
  if (!h.coords && !h.grid && !h.loose) return;
  const f = foldAscii(t.text);
  if (h.coords) {
    for (const re of [COORD_PAIR, DMS, DEGREES, LABELLED]) {
      for (const m of f.matchAll(re)) addSpan(spans, m.index!, m.index! + m[0].length);
    }
  }
  if (h.grid) {
    for (const m of f.matchAll(GRID_SPACED)) if (m[1]!.length === m[2]!.length) addSpan(spans, m.index!, m.index! + m[0].length);
    for (const m of f.matchAll(GRID_GLUED)) if (m[1]!.length % 2 === 0) addSpan(spans, m.index!, m.index! + m[0].length);
  }
  if (h.loose) loosePostcodes(f, spans);
}
