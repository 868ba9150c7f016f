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
import { isHouseLetter, numberAfter, numbersBefore, openingBefore, tightGap } from './clusters.js';
import type { Tokens } from './normalise.js';
import { NUMBER_WORD_HINT } from './number-words.js';
import { digitShapes } from './number-shapes.js';
import { addSpan, type Spans } from './spans.js';
import { otherShapes } from './other-shapes.js';
import { FUNCTION_WORDS, NOT_A_PLACE } from './street-types.js';
import { streetTypeAt } from './typos.js';

const STARTS_CAPITAL = /^\p{Lu}/u;

const REFUGE_HINT = /refuge|safe\s*-?\s*house/i;
const HAS_DIGIT = /[0-9\uFF10-\uFF19]/;
/** A capital letter (a street written as a name) or a number word (a house number in words). */
const CAPITAL = /\p{Lu}/u;
/** A word that places a street after it, in lower-case text ("lives on acacia avenue"). */
const LOCATIVE_HINT = /\b(?:on|at|in|off|near|nr|along|to|from|via|opposite|behind|outside|into|onto|towards|address|addr)\b/i;
/** A word.word.word (a what3words address). */
const DOTTED = /\p{L}\.\p{L}/u;

/** Cheap test before tokenising: can this text hold an address shape at all? */
export function mayHoldShapes(text: string): boolean {
  return HAS_DIGIT.test(text) || REFUGE_HINT.test(text) || CAPITAL.test(text) || NUMBER_WORD_HINT.test(text) || DOTTED.test(text)
    || LOCATIVE_HINT.test(text);
}

/** The word before a type that makes "Name Type" an institution rather than a street ("Crown Court"). */
const INSTITUTION: Readonly<Record<string, ReadonlySet<string>>> = {
  court: new Set(['crown', 'magistrates', 'magistrate', 'county', 'family', 'youth', 'civil', 'coroners', 'coroner', 'combined', 'supreme', 'high', 'appeal', 'appeals', 'justice', 'law', 'royal', 'courts']),
  hall: new Set(['town', 'city', 'county', 'village', 'church', 'community', 'council', 'sports', 'concert']),
  point: new Set(['action', 'key', 'access', 'contact', 'focal', 'single', 'data', 'starting', 'talking', 'pressure', 'tipping', 'crisis']),
  house: new Set(['police', 'council', 'companies', 'safe', 'open', 'full', 'whole', 'halfway', 'care']),
  park: new Set(['car', 'retail', 'business', 'science', 'theme', 'industrial']),
};

const isCapitalised = (t: Tokens, j: number) => STARTS_CAPITAL.test(t.text.slice(t.start[j]!, t.end[j]!));

/**
 * Street-shaped text around the street type at z, each a span:
 * - a house number before the name ("12 Acacia Avenue", "fourteen Birch Road", "274 times walk":
 *   a counting word before a type is read as a name, costing "5 minutes walk" to the net);
 * - the number after it ("Acacia Avenue 12", "Birch Walk, number 30", "acacia ave 12"), unless a
 *   counting word follows ("Mill Lane 3 times");
 * - the street on its own when written as a name ("lives on Acacia Avenue", "Rose Cottage, Mill
 *   Lane"), an institution apart ("Crown Court", "Town Hall", "Action Point").
 */
function streetAt(t: Tokens, z: number, type: string, spans: Spans): void {
  let j = z - 1;
  let words = 0;
  let institution = false;
  const inst = INSTITUTION[type];
  while (j >= 0 && words < 4 && !t.num[j] && !isHouseLetter(t, j)) {
    if (!tightGap(t, j) || FUNCTION_WORDS.has(t.raw[j]!)) break;
    if (j === z - 1 && inst?.has(t.raw[j]!)) institution = true;
    j--;
    words++;
  }
  if (words === 0) return;
  if (j >= 0 && tightGap(t, j) && (t.num[j] || isHouseLetter(t, j)) && !FUNCTION_WORDS.has(t.raw[j + 1]!)) {
    addSpan(spans, openingBefore(t, t.start[numbersBefore(t, j)]!), t.end[z]!);
    return;
  }
  const nameStart = t.start[j + 1]!;
  const after = numberAfter(t, z);
  if (after > 0 && !institution) {
    addSpan(spans, nameStart, t.end[after]!);
    return;
  }
  if (!institution && afterLocative(t, j, z, type, spans)) return;
  // Written as a name, type included ("Acacia Avenue", not "Refuge place arranged"): the
  // capitalised words right before it ("c/o Mrs Smith, Acacia Avenue": from Mrs).
  if (!isCapitalised(t, z)) return;
  let k = z - 1;
  while (k > j && isCapitalised(t, k)) k--;
  if (k < z - 1 && !institution) addSpan(spans, t.start[k + 1]!, t.end[z]!);
}

/** Words that put a place after them: "lives on", "moved to", "staying near", "address:". */
const LOCATIVE = new Set(['on', 'at', 'in', 'off', 'near', 'nr', 'along', 'to', 'from', 'via', 'opposite', 'behind', 'outside',
  'into', 'onto', 'towards', 'address', 'addr']);

/**
 * Street types that are streets whatever the case: everyday words that are also types ("house",
 * "park", "court", "bank", "end", "side", "view", "gate", "green", "rise", "chase", "estate",
 * "approach") are not, nor "walk", "drive", "drove" and "way".
 */
const STREETS_ONLY = new Set([
  'road', 'street', 'avenue', 'close', 'mews', 'lane', 'crescent', 'gardens', 'grove', 'place', 'square', 'terrace', 'row',
  'hill', 'parade', 'vale', 'wharf', 'cottages', 'boulevard', 'croft', 'mead', 'meadow', 'quay', 'villas', 'embankment',
  'wynd', 'causeway', 'precinct', 'heights', 'mansions', 'grange', 'manor', 'broadway',
]);

/** Words that make "close" or "place" everyday ("to keep close", "to take place", "in very close contact"). */
const EVERYDAY_BEFORE = new Set([
  'keep', 'kept', 'keeping', 'very', 'so', 'too', 'stay', 'stayed', 'staying', 'come', 'came', 'coming', 'get', 'got', 'getting',
  'take', 'took', 'taking', 'taken', 'takes', 'give', 'gave', 'giving', 'given', 'turn', 'turned', 'pretty', 'quite', 'really',
  'extremely', 'fairly', 'rather', 'hold', 'held', 'holding', 'stand', 'stood', 'standing', 'sit', 'sat', 'sitting', 'remain',
  'remained', 'remaining', 'draw', 'drew', 'drawing', 'drawn', 'be', 'being', 'first', 'second', 'third', 'safe', 'right',
  'wrong', 'dangerously', 'as', 'how', 'more', 'most', 'uncomfortably', 'living', 'working', 'work',
]);

/**
 * A street the case may not know, in any case and with no number, after a word that places it
 * ("lives on acacia avenue", "moved near birch close", "address: mill lane"): one to three name
 * words between, none of them narrative ("on the main road", "in a new place" stay).
 */
function afterLocative(t: Tokens, j: number, z: number, type: string, spans: Spans): boolean {
  if (!STREETS_ONLY.has(type)) return false;
  let p = -1;
  for (let k = z - 1; k >= Math.max(0, j) && k >= z - 4; k--) {
    if (!t.num[k] && LOCATIVE.has(t.raw[k]!)) { p = k; break; }
  }
  if (p < 0 || p === z - 1 || !tightGap(t, p)) return false;
  for (let k = p + 1; k < z; k++) if (t.num[k] || NOT_A_PLACE.has(t.raw[k]!) || EVERYDAY_BEFORE.has(t.raw[k]!) || !tightGap(t, k)) return false;
  addSpan(spans, t.start[p + 1]!, t.end[z]!);
  return true;
}

function streetShapes(t: Tokens, spans: Spans): void {
  for (let z = 1; z < t.count; z++) {
    const type = streetTypeAt(t, z);
    if (type !== undefined) streetAt(t, z, type, spans);
  }
}

const DWELLING = new Set(['flat', 'flt', 'apartment', 'apt', 'maisonette']);

/**
 * A flat in a named building: "Flat 2, The Willows", "Apartment 4 Rosewood". The flat number with
 * up to three capitalised words after it (a house name needs no street type).
 */
function flatNames(t: Tokens, spans: Spans): void {
  for (let i = 0; i + 2 < t.count; i++) {
    if (!DWELLING.has(t.raw[i]!) || !t.num[i + 1] || !tightGap(t, i)) continue;
    let k = i + 2;
    if (k < t.count && isHouseLetter(t, k)) k++;
    let z = -1;
    // Not across a full stop: "Flat 2. Police attended" is two sentences.
    const joined = (j: number) => tightGap(t, j - 1) && !t.text.slice(t.end[j - 1], t.start[j]).includes('.');
    for (let n = 0; n < 3 && k < t.count && !t.num[k] && joined(k) && isCapitalised(t, k) && !FUNCTION_WORDS.has(t.raw[k]!); n++, k++) z = k;
    // "The" starts a house name ("The Willows") and is capitalised there.
    if (z < 0 && t.raw[k] === 'the' && k + 1 < t.count && isCapitalised(t, k + 1)) z = k + 1;
    if (z >= 0) addSpan(spans, t.start[i]!, t.end[z]!);
  }
}

/** "PO Box 123", "P.O. Box 12", "Post Office Box 9". */
function poBoxes(t: Tokens, spans: Spans): void {
  for (let i = 0; i + 1 < t.count; i++) {
    let a = -1;
    if (t.raw[i] === 'po' && t.raw[i + 1] === 'box') a = i;
    else if (t.raw[i] === 'p' && t.raw[i + 1] === 'o' && t.raw[i + 2] === 'box') a = i;
    else if (t.raw[i] === 'post' && t.raw[i + 1] === 'office' && t.raw[i + 2] === 'box') a = i;
    if (a < 0) continue;
    let k = i + 1;
    while (k < t.count && t.raw[k] !== 'box') k++;
    if (k + 1 < t.count && t.num[k + 1] && tightGap(t, k)) {
      addSpan(spans, t.start[a]!, t.end[k + 1]!);
      i = k + 1;
    }
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

/** The shapes made of words (streets, refuges, PO boxes, flats in named buildings): for the reading with digits as letters. */
export function wordShapes(t: Tokens, spans: Spans): void {
  streetShapes(t, spans);
  refugeShapes(t, spans);
  poBoxes(t, spans);
  flatNames(t, spans);
}

export function matchShapes(t: Tokens, spans: Spans): void {
  digitShapes(t, spans);
  streetShapes(t, spans);
  refugeShapes(t, spans);
  poBoxes(t, spans);
  flatNames(t, spans);
  otherShapes(t, spans);
}
