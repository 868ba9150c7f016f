/**
 * A street the case never held, written in lower case with no number, after a word that places it
 * (decision 0010, third review): "lives on acacia avenue", "moved near birch close", "address:
 * mill lane". The shape net removes the street; narrative with everyday types stays. A property
 * renders random streets after random placing phrases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_LEXICON, LOCATION_PLACEHOLDER, scrubLocationText } from '../../../gateway/src/policy/location-text/index.js';
import { NOT_A_PLACE } from '../../../gateway/src/policy/location-text/street-types.js';
import { FILLER, STREET_NAMES, STREET_TYPES, embedArb, oracleTokens } from '../../helpers/location-gen.js';
import { propertyRuns } from '../../helpers/property-runs.js';

const RUNS = propertyRuns(1_500, 'LOCATION_PROPERTY_RUNS');
const shapeNet = (s: string) => scrubLocationText(s, EMPTY_LEXICON, { addressShapes: true }).text;

describe('lower-case streets after a placing word: the address-shape net', () => {
  it.each([
    ['she lives on acacia avenue now', 'acacia'],
    ['moved near birch close last month', 'birch'],
    ['address: mill lane, harlow', 'mill'],
    ['came from london road', 'london'],
    ['staying at heron crescent with a friend', 'heron'],
    ['lives off old mill raod', 'old mill'],
    ['seen outside kingfisher terrace', 'kingfisher'],
  ])('%s', (text, leaked) => {
    const out = shapeNet(text);
    expect(out).toContain(LOCATION_PLACEHOLDER);
    expect(out).not.toContain(leaked);
  });

  it.each([
    'on the main road',
    'went for a walk with the children',
    'at crown court next week',
    'on her way home',
    'in the garden',
    'at his nans house',
    'in a new place',
    'to the park and back',
    'lives at oak farm',
    'out on the green',
    'in court on monday',
    'in family court',
    'on 3 occasions at home',
    'further down the road',
    'referred to housing options',
    'she was in very close contact with him',
    'the meeting is due to take place on friday',
    'officers had to give chase',
    'told to keep close to her',
    'the lights were about to turn green',
    'works in real estate',
  ])('%s stays', (text) => {
    expect(shapeNet(text)).toBe(text);
  });
});

const STREETS_ONLY_TYPES = STREET_TYPES.map((s) => s.full.toLowerCase())
  .filter((w) => !['court', 'drive', 'walk', 'way', 'park', 'view', 'yard', 'buildings', 'green', 'rise', 'estate'].includes(w));
const PLACING = ['lives on', 'moved to', 'staying near', 'living at', 'address:', 'seen in', 'came from', 'went along', 'walked into', 'lives off'];
const FILLER_WORDS = new Set(FILLER.flatMap((f) => oracleTokens(f)));

const arb = fc.record({
  name: fc.constantFrom(...STREET_NAMES).map((n) => n.toLowerCase())
    .filter((n) => !n.split(' ').some((w) => NOT_A_PLACE.has(w) || FILLER_WORDS.has(w))),
  type: fc.constantFrom(...STREETS_ONLY_TYPES),
  placing: fc.constantFrom(...PLACING),
}).chain(({ name, type, placing }) => embedArb([`${placing} ${name} ${type}`]).map((text) => ({ name, text })));

describe('lower-case streets after a placing word (property)', () => {
  it('the shape net removes the street name', () => {
    fc.assert(fc.property(arb, ({ name, text }) => {
      const out = shapeNet(text);
      const toks = oracleTokens(out);
      const words = oracleTokens(name);
      const leaks = toks.some((_, i) => words.every((w, k) => toks[i + k] === w));
      expect(leaks, `in:  ${JSON.stringify(text)}\nout: ${JSON.stringify(out)}`).toBe(false);
    }), { numRuns: RUNS });
  });
});
