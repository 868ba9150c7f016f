/**
 * UPRN (Unique Property Reference Number, OS AddressBase): up to twelve digits, no check digit;
 * leading zeros are not significant.
 */

/** Whitespace removed; 1 to 12 digits, not all zeros → the digits without leading zeros; else null. */
export function normaliseUprn(input: string): string | null {
  const digits = input.replace(/\s/g, '');
  if (!/^\d{1,12}$/.test(digits)) return null;
  const stripped = digits.replace(/^0+/, '');
  return stripped === '' ? null : stripped;
}

/** The digits of anything written as a UPRN, leading zeros dropped, with no length test (may be ''). */
export function uprnDigits(input: string): string {
  return input.replace(/[^0-9]/g, '').replace(/^0+/, '');
}
