/**
 * A postcode the case never held, spaced out or split where no postcode is split (decision 0010,
 * third review): "C M 1 1 A B", "S.E.1 7.P.B", "CM 1 1AB", "c m one nine four q d". The shape net
 * removes it; times, dates and references made of short tokens stay. A property renders random
 * valid postcodes with random separators between random groups of their characters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_LEXICON, LOCATION_PLACEHOLDER, scrubLocationText } from '../../../gateway/src/policy/location-text/index.js';
import { POSTCODE_AREAS, parsePostcode } from '@marac/uk-identifiers';
import { embedArb } from '../../helpers/location-gen.js';
import { propertyRuns } from '../../helpers/property-runs.js';

const RUNS = propertyRuns(1_500, 'LOCATION_PROPERTY_RUNS');
const shapeNet = (s: string) => scrubLocationText(s, EMPTY_LEXICON, { addressShapes: true }).text;

describe('spaced-out postcodes: the address-shape net', () => {
  it.each([
    'her postcode is C M 1 1 A B now',
    'S E 1 7 P B',
    'S.E.1 7.P.B.',
    'moved to s-w-1-a 1-a-a',
    'CM 1 1AB',
    'c m one nine four q d',
    'E 1  6 A N',
  ])('%s', (text) => {
    const out = shapeNet(text);
    expect(out).toContain(LOCATION_PLACEHOLDER);
    expect(out.replace(/[^A-Za-z0-9]/g, '')).not.toMatch(/[0-9][A-Z]{2}$/i);
  });

  it.each([
    'at 1 2 am the police attended',
    'seen by P C 1 2 3 4 on 1 2 2026',
    'scored 1 2 3 on the Dash',
    'PC 12 A',
    'service pages say up to 20 GB and up to 50GB',
    'S32 LB Newham MARAC referral form',
    'the Children Act 2004: s.16LA, a duty',
    'snapshot 352d3c72bf2b of the repository',
    'npx tsx scripts/bench/load-at-80.ts',
    'corresponding to 1.1 TB of logging',
  ])('%s stays', (text) => {
    expect(shapeNet(text)).toBe(text);
  });
});

const SEPS = [' ', ' ', '.', '-', '  ', '_', '. '];

/** The postcode's characters in groups of one or two, with a separator between groups; at least two separators. */
/** A postcode of a real area in a valid format (the net also checks the area: "to 20 GB" is none). */
const realPostcodeArb = fc.tuple(
  fc.constantFrom(...POSTCODE_AREAS), fc.integer({ min: 1, max: 9 }), fc.option(fc.integer({ min: 0, max: 9 })),
  fc.integer({ min: 0, max: 9 }), fc.constantFrom(...'ABDEFGHJLNPQRSTUWXYZ'), fc.constantFrom(...'ABDEFGHJLNPQRSTUWXYZ'),
).map(([area, d1, d2, d3, a, b]) => `${area}${d1}${d2 ?? ''} ${d3}${a}${b}`).filter((pc) => parsePostcode(pc) !== null);

const spacedArb = realPostcodeArb.chain((pc) => {
  const chars = pc.replace(' ', '').split('');
  return fc.tuple(
    fc.array(fc.boolean(), { minLength: chars.length - 1, maxLength: chars.length - 1 }),
    fc.array(fc.constantFrom(...SEPS), { minLength: chars.length - 1, maxLength: chars.length - 1 }),
    fc.constantFrom('upper', 'lower'),
  ).filter(([split]) => split.filter(Boolean).length >= 2 && chars.every((_, i) => i < 2 || split[i - 1] || split[i - 2]))
    .map(([split, seps, mode]) => {
      let out = chars[0]!;
      for (let i = 1; i < chars.length; i++) out += (split[i - 1] ? seps[i - 1]! : '') + chars[i]!;
      return { pc, text: mode === 'lower' ? out.toLowerCase() : out };
    });
});

describe('spaced-out postcodes (property)', () => {
  it('the shape net removes a postcode the case never held, however it is spaced', () => {
    const arb = spacedArb.chain(({ pc, text }) => embedArb([text]).map((full) => ({ pc, full })));
    fc.assert(fc.property(arb, ({ pc, full }) => {
      const out = shapeNet(full);
      const compact = out.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
      expect(compact.includes(pc.replace(' ', '')), `in:  ${JSON.stringify(full)}\nout: ${JSON.stringify(out)}`).toBe(false);
    }), { numRuns: RUNS });
  });
});
