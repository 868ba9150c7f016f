/**
 * UK postcodes. Generalising by cutting characters is wrong for UK formats (NE3 vs NE35), so a
 * postcode is parsed into outward and inward codes and validated against the Royal Mail letter
 * rules; anything that does not parse is dropped rather than guessed at (`parsePostcode`,
 * `generalisePostcode`).
 *
 * Matching compares keys instead (`postcodeKey`, `postcodeKeySector`): the compact shape without
 * the letter rules, so that two records holding the same mistyped postcode still agree.
 */
export interface ParsedPostcode {
  /** Outward code = postcode district, e.g. "CM1", "SW1A". */
  outward: string;
  /** Inward code, e.g. "4XX". */
  inward: string;
  /** "CM1 4XX" */
  normalised: string;
  /** "CM1" */
  district: string;
  /** "CM1 4" */
  sector: string;
}

// Outward forms A9, A99, A9A, AA9, AA99, AA9A. First letter never Q V X; second never I J Z;
// the trailing letter of A9A is one of ABCDEFGHJKPSTUW, of AA9A one of ABEHMNPRVWXY.
const OUTWARD_RE = /^(?:[A-PR-UWYZ]\d[\dA-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y]\d[\dABEHMNPRVWXY]?)$/;
// Inward: a digit and two letters, never C I K M O V.
const INWARD_RE = /^\d[ABD-HJLNP-UW-Z]{2}$/;
const WHITESPACE_RUN = /\s+/;

function build(outward: string, inward: string): ParsedPostcode {
  return {
    outward,
    inward,
    normalised: `${outward} ${inward}`,
    district: outward,
    sector: `${outward} ${inward[0]}`,
  };
}

/**
 * Parses a UK postcode, tolerating case, a missing space and extra whitespace ("cm14xx",
 * " CM1   4XX "). Whitespace, when present, must sit between outward and inward code.
 * British Forces (BFPO, BF1) and non-UK codes → null. GIR 0AA is accepted.
 */
export function parsePostcode(input: string): ParsedPostcode | null {
  if (input.length > 16) return null;
  const trimmed = input.trim().toUpperCase();
  const parts = trimmed.split(WHITESPACE_RUN);
  let outward: string;
  let inward: string;
  if (parts.length === 1) {
    const compact = parts[0] ?? '';
    if (compact.length < 5 || compact.length > 7) return null;
    outward = compact.slice(0, -3);
    inward = compact.slice(-3);
  } else if (parts.length === 2) {
    outward = parts[0] ?? '';
    inward = parts[1] ?? '';
  } else {
    return null;
  }
  if (outward === 'GIR' && inward === '0AA') return build(outward, inward);
  if (!OUTWARD_RE.test(outward) || !INWARD_RE.test(inward)) return null;
  if (outward.startsWith('BF')) return null;
  return build(outward, inward);
}

export function isValidPostcode(input: string): boolean {
  return parsePostcode(input) !== null;
}

export type PostcodeLevel = 'district' | 'sector';

/** "CM1 4XX" → "CM1" (district) or "CM1 4" (sector); anything that does not parse → null. */
export function generalisePostcode(input: string, level: PostcodeLevel): string | null {
  const p = parsePostcode(input);
  if (!p) return null;
  return level === 'district' ? p.district : p.sector;
}

const POSTCODE_KEY_SHAPE = /^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$/;

/** Comparison key: whitespace removed, upper case, postcode-shaped ("cm1 4xx" → "CM14XX"); else null. */
export function postcodeKey(input: string): string | null {
  const v = input.replace(/\s/g, '').toUpperCase();
  return POSTCODE_KEY_SHAPE.test(v) ? v : null;
}

/** The sector of a key: outward code + first digit of the inward code ("CM14XX" → "CM14"). */
export function postcodeKeySector(key: string): string {
  return key.slice(0, -2);
}

/**
 * The postcode areas Royal Mail uses (the letters of the outward code before its digit), Crown
 * dependencies included. A text that only looks like a postcode ("to 20 GB", "at-80.ts") has
 * letters that are no area.
 */
export const POSTCODE_AREAS: ReadonlySet<string> = new Set([
  'AB', 'AL', 'B', 'BA', 'BB', 'BD', 'BH', 'BL', 'BN', 'BR', 'BS', 'BT', 'CA', 'CB', 'CF', 'CH', 'CM', 'CO', 'CR', 'CT', 'CV',
  'CW', 'DA', 'DD', 'DE', 'DG', 'DH', 'DL', 'DN', 'DT', 'DY', 'E', 'EC', 'EH', 'EN', 'EX', 'FK', 'FY', 'G', 'GL', 'GU', 'GY',
  'HA', 'HD', 'HG', 'HP', 'HR', 'HS', 'HU', 'HX', 'IG', 'IM', 'IP', 'IV', 'JE', 'KA', 'KT', 'KW', 'KY', 'L', 'LA', 'LD', 'LE',
  'LL', 'LN', 'LS', 'LU', 'M', 'ME', 'MK', 'ML', 'N', 'NE', 'NG', 'NN', 'NP', 'NR', 'NW', 'OL', 'OX', 'PA', 'PE', 'PH', 'PL',
  'PO', 'PR', 'RG', 'RH', 'RM', 'S', 'SA', 'SE', 'SG', 'SK', 'SL', 'SM', 'SN', 'SO', 'SP', 'SR', 'SS', 'ST', 'SW', 'SY', 'TA',
  'TD', 'TF', 'TN', 'TQ', 'TR', 'TS', 'TW', 'UB', 'W', 'WA', 'WC', 'WD', 'WF', 'WN', 'WR', 'WS', 'WV', 'YO', 'ZE',
]);

/** The postcode's area is one Royal Mail uses ("CM1 1AB": CM); format alone is parsePostcode's. */
export function hasKnownPostcodeArea(p: ParsedPostcode): boolean {
  return POSTCODE_AREAS.has(p.outward.replace(/[0-9].*$/, ''));
}
