import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENCY_TYPES, isAgencyType, SCHEMAS_DIR } from '../src/index.js';

describe('the agency types', () => {
  it('are exactly the agreement schema\'s AgencyType enum, in its order', () => {
    const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'agreement.schema.json'), 'utf8'));
    expect([...AGENCY_TYPES]).toEqual(schema.$defs.AgencyType.enum);
  });

  it('recognise their own members only', () => {
    for (const t of AGENCY_TYPES) expect(isAgencyType(t)).toBe(true);
    for (const v of ['police', 'MI5', '', ' POLICE', 42, null, undefined, 'toString']) expect(isAgencyType(v)).toBe(false);
  });
});
