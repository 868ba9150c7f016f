/**
 * Property (decision 0010, third review): a random address whose street name and type are written
 * with random digits standing in for letters ("B1rch Wa1k", "Qu4rry R0w", "5tation R04d"), placed
 * in random text. After scrubbing, the street's name is gone, both with the case-aware net alone
 * (the case's address) and with the shape net alone (an address the case never held).
 *
 * The oracle folds on its own: every letter a digit can stand for becomes that digit, on the
 * output's words and on the street's name, so "B1rch" and "Birch" are the same word to it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_LEXICON, compileLexicon, scrubLocationText } from '../../../gateway/src/policy/location-text/index.js';
import { FILLER, type GeneratedLocation, embedArb, locationArb } from '../../helpers/location-gen.js';
import { propertyRuns } from '../../helpers/property-runs.js';

const RUNS = propertyRuns(1_500, 'LOCATION_PROPERTY_RUNS');

const DIGIT: Record<string, string> = { a: '4', e: '3', i: '1', l: '1', o: '0', s: '5', t: '7', b: '8', g: '9', z: '2' };

/**
 * Some letters of a word as digits: at least one where the word has such a letter, two letters
 * left at least, never three digits in a row (longer digit runs are numbers to any reader).
 */
function substitute(word: string, picks: readonly number[]): string {
  const chars = [...word];
  const can = chars.flatMap((c, i) => (DIGIT[c.toLowerCase()] ? [i] : []));
  if (can.length === 0) return word;
  let letters = chars.length;
  for (const p of picks) {
    const i = can[p % can.length]!;
    if (letters <= 2 || !DIGIT[chars[i]!.toLowerCase()]) continue;
    const next = chars.map((c, k) => (k === i ? DIGIT[c.toLowerCase()]! : c));
    if (/[0-9]{3}/.test(next.join(''))) continue;
    chars[i] = next[i]!;
    letters--;
  }
  return chars.join('');
}

const fold = (w: string) => [...w.toLowerCase()].map((c) => DIGIT[c] ?? c).join('');
const words = (s: string) => (s.toLowerCase().match(/[a-z0-9]+/g) ?? []).map(fold);

/** The street's name words, folded, in a row in the output's folded words. */
function nameLeaks(out: string, loc: GeneratedLocation): boolean {
  const toks = words(out);
  const name = words(loc.streetName);
  for (let i = 0; i < toks.length; i++) if (name.every((w, k) => toks[i + k] === w)) return true;
  return false;
}

const FILLER_WORDS = new Set(FILLER.flatMap((f) => words(f)));
const arb = locationArb({ withHouseName: false })
  .filter((loc) => !words(loc.streetName).some((w) => FILLER_WORDS.has(w)))
  .chain((loc) => fc.record({
    picks: fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 2 }), { minLength: 6, maxLength: 6 }),
    typeToo: fc.boolean(),
    sep: fc.constantFrom(' ', ' ', ', ', '\n'),
  }).map(({ picks, typeToo, sep }) => {
    const name = loc.streetName.split(' ').map((w, i) => substitute(w, picks[i % picks.length]!));
    const type = typeToo ? substitute(loc.streetType.full, picks[5]!) : loc.streetType.full;
    return { loc, mention: `${loc.houseNumber}${sep}${[...name, type].join(' ')}` };
  }))
  .filter(({ mention, loc }) => mention !== `${loc.houseNumber} ${loc.streetName} ${loc.streetType.full}`)
  .chain(({ loc, mention }) => embedArb([mention]).map((text) => ({ loc, text })));

const explain = (text: string, out: string) => `in:  ${JSON.stringify(text)}\nout: ${JSON.stringify(out)}`;

describe('location in free text: digits for letters (property)', () => {
  it('the case-aware net alone removes the case street written with digits for letters', () => {
    fc.assert(fc.property(arb, ({ loc, text }) => {
      const out = scrubLocationText(text, compileLexicon([loc.source]), { addressShapes: false }).text;
      expect(nameLeaks(out, loc), explain(text, out)).toBe(false);
    }), { numRuns: RUNS });
  });

  it('the address-shape net alone removes such a street the case never held', () => {
    fc.assert(fc.property(arb, ({ loc, text }) => {
      const out = scrubLocationText(text, EMPTY_LEXICON, { addressShapes: true }).text;
      expect(nameLeaks(out, loc), explain(text, out)).toBe(false);
    }), { numRuns: RUNS });
  });
});
