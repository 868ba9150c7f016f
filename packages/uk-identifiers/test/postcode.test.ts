import { describe, expect, it } from 'vitest';
import { POSTCODE_AREAS, hasKnownPostcodeArea, parsePostcode } from '../src/index.js';

describe('postcode areas', () => {
  it('knows the areas Royal Mail uses and nothing that only has the format', () => {
    expect(POSTCODE_AREAS.size).toBe(124);
    for (const pc of ['CM1 1AB', 'E1 6AN', 'SW1A 1AA', 'B1 1BB', 'ZE1 0AA', 'JE2 3AB', 'W1A 0AX']) expect(hasKnownPostcodeArea(parsePostcode(pc)!), pc).toBe(true);
    for (const pc of ['TO20 0GB', 'AT8 0TS', 'C7 2BF', 'HL7 9UA', 'P9 5BY', 'DV1 2AB']) expect(hasKnownPostcodeArea(parsePostcode(pc)!), pc).toBe(false);
  });
});
