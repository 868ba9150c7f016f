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
 * Everything walks the tokens with bounded look-around, so the cost is linear in the text
 * (number-shapes.ts has the numbers and postcodes).
 */
import { isHouseLetter, numbersBefore, openingBefore, tightGap } from './clusters.js';
import type { Tokens } from './normalise.js';
import { digitShapes } from './number-shapes.js';
import { addSpan, type Spans } from './spans.js';
import { EVERYDAY_TYPES, FUNCTION_WORDS, NOT_A_NAME, NOT_A_PLACE, isStreetType } from './street-types.js';

const CAPITAL = /^\p{Lu}/u;

const REFUGE_HINT = /refuge|safe\s*-?\s*house/i;
const HAS_DIGIT = /[0-9\uFF10-\uFF19]/;

/** Cheap test before tokenising: can this text hold an address shape at all? */
export function mayHoldShapes(text: string): boolean {
  return HAS_DIGIT.test(text) || REFUGE_HINT.test(text);
}

/** Number, name words, street type: returns where the name's number cluster starts, or -1. */
function streetEndingAt(t: Tokens, z: number): number {
  let j = z - 1;
  let words = 0;
  // "14 days walk", "5 minutes drive": a counting word before a type that is also an everyday
  // word is narrative unless written as a name ("274 Times Walk"). Before any other type
  // ("274 Times Street", "12 Mile End Road") it is a street's name.
  const everyday = EVERYDAY_TYPES.has(t.norm[z]!);
  while (j >= 0 && words < 4 && !t.num[j] && !isHouseLetter(t, j)) {
    if (!tightGap(t, j) || FUNCTION_WORDS.has(t.raw[j]!)) return -1;
    if (everyday && NOT_A_NAME.has(t.raw[j]!) && !CAPITAL.test(t.text.slice(t.start[j]!, t.end[j]!))) return -1;
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

export function matchShapes(t: Tokens, spans: Spans): void {
  digitShapes(t, spans);
  if (t.digits > 0) streetShapes(t, spans);
  refugeShapes(t, spans);
}
