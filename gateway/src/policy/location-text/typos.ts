/**
 * Misspelt street types ("Birch Raod", "Acacia Avnue", "Mill Lnae", "Station Stret", "Heron
 * Closse", "Quarry Rwo"): a word one slip away from a street type reads as that type. Slips
 * counted: two neighbouring letters swapped (in a three-letter type only the last two), one letter doubled, one letter left out (not the first, and only
 * from types of five letters or more) and, for a capitalised word, one letter changed (not the
 * first, types of six letters or more). Real words one slip away from a type are not slips
 * ("stand", "tower", "case", "marked"): see NOT_A_SLIP.
 */
import { foldedStreetType } from './digit-letters.js';
import type { Tokens } from './normalise.js';
import { STREET_TYPE, isStreetType } from './street-types.js';
import { WordFilter } from './word-filter.js';

/** Real words that are one slip away from a street type. */
const NOT_A_SLIP: ReadonlySet<string> = new Set([
  'filed', 'bran', 'stand', 'tower', 'height', 'dive', 'curt', 'case', 'pint', 'dove', 'flat', 'fats', 'hose', 'pace',
  'lode', 'loge', 'marked', 'marker', 'avenge', 'towels', 'squire', 'hallow', 'strange', 'roads', 'clos', 'plae',
  'feld', 'fiel', 'vila', 'vill', 'vills', 'cott', 'bldg', 'mont', 'mout', 'gree', 'moun', 'flas', 'flats', 'strad',
  'crossin', 'grange', 'manor', 'lodge', 'farmed', 'parked', 'walked', 'hilly', 'viewed', 'ended', 'gated',
]);

const TYPE_WORDS = [...new Set([...STREET_TYPE.values(), 'garden', 'cottage', 'building', 'villa', 'meadows', 'fields'])]
  .filter((w) => w.length >= 4);

/** Slip → canonical type, any case. */
const SLIPS = new Map<string, string>();
/** "str?et" → street, for capitalised words with one letter changed. */
const CHANGED = new Map<string, string>();
const FILTER = new WordFilter();
/** First letter and length of every CHANGED key: a word that fits none needs no lookups. */
const CHANGED_SHAPES = new Set<number>();
const shapeOf = (w: string) => w.charCodeAt(0) * 64 + Math.min(w.length, 63);

function slip3(word: string, type: string): void {
  SLIPS.set(word, type);
  FILTER.add(word);
}

function slip(word: string, type: string): void {
  if (word.length < 4 || STREET_TYPE.has(word) || NOT_A_SLIP.has(word) || SLIPS.has(word)) return;
  SLIPS.set(word, STREET_TYPE.get(type) ?? type);
  FILTER.add(word);
}

// Three-letter types: the last two letters swapped ("Quarry Rwo", "Acacia Wya") or one letter
// doubled ("Quarry Roww", "Acacia Waay"); none of those is an English word.
for (const w of ['row', 'way', 'end']) {
  slip3(w[0]! + w[2]! + w[1]!, w);
  for (let i = 0; i < 3; i++) slip3(w.slice(0, i + 1) + w[i] + w.slice(i + 1), w);
}

for (const w of TYPE_WORDS) {
  for (let i = 0; i + 1 < w.length; i++) if (w[i] !== w[i + 1]) slip(w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2), w);
  for (let i = 0; i < w.length; i++) slip(w.slice(0, i + 1) + w[i] + w.slice(i + 1), w);
  if (w.length >= 5) for (let i = 1; i < w.length; i++) slip(w.slice(0, i) + w.slice(i + 1), w);
  if (w.length >= 6) {
    CHANGED_SHAPES.add(shapeOf(w));
    for (let i = 1; i < w.length; i++) CHANGED.set(`${w.slice(0, i)}?${w.slice(i + 1)}`, STREET_TYPE.get(w) ?? w);
  }
}

const CAPITAL = /^\p{Lu}/u;

/** The canonical street type of token j, counting slips; undefined if it is none. */
export function streetTypeAt(t: Tokens, j: number): string | undefined {
  if (t.num[j]) return undefined;
  const f = t.folded?.[j];
  if (f !== undefined) {
    const type = foldedStreetType(f);
    if (type !== undefined) return type;
  }
  const n = t.norm[j]!;
  if (isStreetType(n)) return n;
  const r = t.raw[j]!;
  if (r.length < 3 || r.length > 14) return undefined;
  if (FILTER.mayHave(r)) {
    const s = SLIPS.get(r);
    if (s !== undefined) return s;
  }
  if (r.length >= 6 && CHANGED_SHAPES.has(shapeOf(r)) && !NOT_A_SLIP.has(r) && CAPITAL.test(t.text.slice(t.start[j]!, t.end[j]!))) {
    for (let i = 1; i < r.length; i++) {
      const c = CHANGED.get(`${r.slice(0, i)}?${r.slice(i + 1)}`);
      if (c !== undefined) return c;
    }
  }
  return undefined;
}
