/**
 * Property (issue 12, class 1): random confidential addresses in random formats, placed at random
 * in random surrounding text. After scrubbing, no reader can find the street number together with
 * the street name, the postcode in any spacing, the UPRN, the phone number or the house name.
 *
 * The generators and the oracle live in test/helpers/location-gen.ts (shared with the end-to-end
 * property through the policy engine); the oracle normalises on its own, not with the matcher's
 * code. Runs: LOCATION_PROPERTY_RUNS (default 2000, a few seconds a property; 10000 or more to hunt).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_LEXICON, compileLexicon, scrubLocationText,
} from '../../../gateway/src/policy/location-text/index.js';
import {
  FILLER, embedArb, findLeaks, locationArb, locationTextArb, mentionArb,
} from '../../helpers/location-gen.js';

const RUNS = Number(process.env.LOCATION_PROPERTY_RUNS ?? 2_000);

const explain = (text: string, out: string, leaks: string[]) => `leaked ${leaks.join(', ')}\nin:  ${JSON.stringify(text)}\nout: ${JSON.stringify(out)}`;

describe('location in free text (property)', () => {
  it('the case-aware net alone removes every mention of the case location', () => {
    fc.assert(fc.property(locationTextArb(), ({ loc, text }) => {
      const out = scrubLocationText(text, compileLexicon([loc.source]), { addressShapes: false }).text;
      const leaks = findLeaks(out, loc);
      expect(leaks, explain(text, out, leaks)).toEqual([]);
    }), { numRuns: RUNS });
  });

  it('both nets together remove every mention of the case location', () => {
    fc.assert(fc.property(locationTextArb(), ({ loc, text }) => {
      const out = scrubLocationText(text, compileLexicon([loc.source]), { addressShapes: true }).text;
      const leaks = findLeaks(out, loc);
      expect(leaks, explain(text, out, leaks)).toEqual([]);
    }), { numRuns: RUNS });
  });

  it("every subject's locations go when the text mentions several subjects", () => {
    const arb = fc.tuple(locationArb(), locationArb()).chain(([a, b]) =>
      fc.tuple(
        fc.array(mentionArb(a, ['street', 'postcode', 'phone', 'full', 'houseName']), { minLength: 1, maxLength: 2 }),
        fc.array(mentionArb(b, ['street', 'postcode', 'uprn', 'full', 'houseName']), { minLength: 1, maxLength: 2 }),
      ).chain(([ma, mb]) => embedArb([...ma, ...mb]).map((text) => ({ a, b, text }))));
    fc.assert(fc.property(arb, ({ a, b, text }) => {
      const out = scrubLocationText(text, compileLexicon([a.source, b.source]), { addressShapes: false }).text;
      const leaks = [...findLeaks(out, a), ...findLeaks(out, b)];
      expect(leaks, explain(text, out, leaks)).toEqual([]);
    }), { numRuns: Math.ceil(RUNS / 5) });
  });

  it('the address-shape net alone removes house number + street + type, postcodes, phones and UPRNs', () => {
    const arb = locationTextArb({ kinds: ['street', 'postcode', 'full', 'phone', 'uprn'], requireType: true });
    fc.assert(fc.property(arb, ({ loc, text }) => {
      const out = scrubLocationText(text, EMPTY_LEXICON, { addressShapes: true }).text;
      // A house name without a number or "refuge" is not address-shaped: the case-aware net's job.
      const leaks = findLeaks(out, loc).filter((l) => l !== 'houseName');
      expect(leaks, explain(text, out, leaks)).toEqual([]);
    }), { numRuns: RUNS });
  });

  it('text without locations passes both nets unchanged', () => {
    const arb = fc.tuple(locationArb(), fc.array(fc.constantFrom(...FILLER), { minLength: 1, maxLength: 10 }), fc.constantFrom(' ', '. ', '\n', ', '));
    fc.assert(fc.property(arb, ([loc, chunks, sep]) => {
      const text = chunks.join(sep);
      const r = scrubLocationText(text, compileLexicon([loc.source]), { addressShapes: true });
      expect(r, JSON.stringify(text)).toEqual({ text, removed: false });
    }), { numRuns: Math.ceil(RUNS / 5) });
  });
});
