/**
 * The second net: address-shaped text, needing no case knowledge. It runs for recipients without
 * LOC rights whenever some subject of the case has a confidential address, and prefers removing
 * a few words too many to leaving a way to the refuge:
 *
 * - a house or flat number, one to four name words and a street type ("12 Acacia Avenue",
 *   "Flat 3, 4 Mill Ln", "3/4 Mill Lane"); the name may not start with a count word ("14 days
 *   walk", "3 incidents on the road" are not addresses);
 * - "refuge" / "safe house" with a name or place before it or after a preposition ("the Harlow
 *   refuge", "Haven House refuge", "refuge in Basildon", "safe house called The Willows");
 * - UK postcodes in any spacing or case (validated against the Royal Mail format);
 * - UK phone numbers in any usual formatting, and UPRN-like numbers (9 to 12 digits standing
 *   alone, possibly grouped).
 *
 * The regular expressions each start with a lookbehind and have bounded quantifiers, so every
 * position costs a bounded amount of work (linear on hostile input); the rest walks the tokens.
 */
import { parsePostcode } from '../operators/postcode.js';
import { isHouseLetter, numbersBefore, openingBefore, tightGap } from './clusters.js';
import type { Tokens } from './normalise.js';
import { addSpan, type Spans } from './spans.js';
import { NOT_A_NAME, NOT_A_PLACE, isStreetType } from './street-types.js';

const POSTCODE_RE = /(?<![A-Za-z0-9])(?:[Gg][Ii][Rr]\s{0,3}0[Aa][Aa]|[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s{0,3}[0-9][A-Za-z]{2})(?![A-Za-z0-9])/g;

// A digit after an optional closing bracket and up to two separators (as the scrub operator).
const SEP_DIGIT = String.raw`(?:\)?[\s.\-]{0,2}[0-9])`;
const INTL = String.raw`(?:\+|00)\s?44\s?(?:\(0\)\s?)?[1-9]${SEP_DIGIT}{8,9}`;
const NATIONAL = String.raw`\(?0[1-9]${SEP_DIGIT}{8,9}`;
const PHONE_RE = new RegExp(String.raw`(?<![0-9+])(?:${INTL}|${NATIONAL})(?![0-9])`, 'g');

const UPRN_RE = /(?<![0-9])[0-9](?:[ \u00A0-]?[0-9]){8,11}(?![0-9])/g;

const HAS_DIGIT = /[0-9\uFF10-\uFF19]/;
const REFUGE_HINT = /refuge|safe\s*-?\s*house/i;

/** Cheap test: can this text hold an address shape at all? */
export function mayHoldShapes(text: string): boolean {
  return HAS_DIGIT.test(text) || REFUGE_HINT.test(text);
}

/** Letters (one or two) glued to digits, as a postcode's outward code starts: "CM19", "e1", "SW1A". */
function mayHoldPostcode(t: Tokens): boolean {
  for (let i = 0; i + 1 < t.count; i++) {
    if (!t.num[i] && t.num[i + 1] && t.raw[i]!.length <= 2 && t.end[i] === t.start[i + 1]) return true;
    if (t.raw[i] === 'gir') return true;
  }
  return false;
}

function regexShapes(text: string, t: Tokens, spans: Spans): void {
  if (t.digits === 0) return;
  if (mayHoldPostcode(t)) {
    for (const m of text.matchAll(POSTCODE_RE)) {
      if (parsePostcode(m[0].replace(/\s+/g, ' '))) addSpan(spans, m.index, m.index + m[0].length);
    }
  }
  if (t.digits < 9) return;
  for (const m of text.matchAll(PHONE_RE)) addSpan(spans, m.index, m.index + m[0].length);
  for (const m of text.matchAll(UPRN_RE)) addSpan(spans, m.index, m.index + m[0].length);
}

/** Number, name words, street type: returns where the name's number cluster starts, or -1. */
function streetEndingAt(t: Tokens, z: number): number {
  let j = z - 1;
  let words = 0;
  while (j >= 0 && words < 4 && !t.num[j] && !isHouseLetter(t, j)) {
    if (!tightGap(t, j) || NOT_A_NAME.has(t.raw[j]!)) return -1;
    j--;
    words++;
  }
  if (j < 0 || words === 0 || !tightGap(t, j)) return -1;
  if (!t.num[j] && !isHouseLetter(t, j)) return -1;
  return numbersBefore(t, j);
}

function streetShapes(t: Tokens, spans: Spans): void {
  for (let z = 1; z < t.count; z++) {
    if (t.num[z] || !isStreetType(t.norm[z]!)) continue;
    const a = streetEndingAt(t, z);
    if (a >= 0) addSpan(spans, openingBefore(t, t.start[a]!), t.end[z]!);
  }
}

const PREPOSITIONS = new Set(['in', 'at', 'near', 'nr', 'on', 'called', 'named', 'off', 'by', 'outside', 'known']);

function isPlaceWord(t: Tokens, j: number): boolean {
  return !t.num[j] && !NOT_A_PLACE.has(t.raw[j]!);
}

function refugeShapes(t: Tokens, spans: Spans): void {
  for (let i = 0; i < t.count; i++) {
    const r = t.raw[i]!;
    let end = i; // last token of the trigger
    if (r === 'safe' && i + 1 < t.count && (t.raw[i + 1] === 'house' || t.raw[i + 1] === 'houses')) end = i + 1;
    else if (r !== 'refuge' && r !== 'refuges' && r !== 'safehouse' && r !== 'safehouses') continue;
    let a = i;
    for (let n = 0; n < 3 && a > 0 && tightGap(t, a - 1) && isPlaceWord(t, a - 1); n++) a--;
    let z = end;
    let k = end + 1;
    if (k < t.count && PREPOSITIONS.has(t.raw[k]!) && tightGap(t, end)) {
      if (t.raw[k] === 'known' && t.raw[k + 1] === 'as') k++;
      if (t.raw[k + 1] === 'the' && k + 1 < t.count) k++;
      let n = 0;
      while (n < 3 && k + 1 < t.count && tightGap(t, k) && (t.num[k + 1] || isPlaceWord(t, k + 1))) { k++; n++; }
      if (n > 0) z = k;
    }
    if (a < i || z > end) addSpan(spans, t.start[a]!, t.end[z]!);
    i = z;
  }
}

export function matchShapes(text: string, t: Tokens, spans: Spans): void {
  regexShapes(text, t, spans);
  streetShapes(t, spans);
  if (REFUGE_HINT.test(text)) refugeShapes(t, spans);
}
