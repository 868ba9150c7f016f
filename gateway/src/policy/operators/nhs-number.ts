/**
 * NHS number check digit (modulus 11, NHS Data Dictionary). Exported for the adapter SDK's
 * subject matching as well as for `scrub`.
 *
 * Weights 10..2 over the first nine digits; check = 11 − (sum mod 11); 11 → 0; 10 → the number
 * is invalid (never issued).
 */
export function nhsCheckDigit(firstNine: string): number | null {
  if (!/^\d{9}$/.test(firstNine)) return null;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (firstNine.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return null;
  return check;
}

/** True if ten digits (nothing else) carry a valid check digit. */
export function hasValidNhsCheckDigit(digits: string): boolean {
  if (digits.length !== 10) return false;
  const expected = nhsCheckDigit(digits.slice(0, 9));
  return expected !== null && expected === digits.charCodeAt(9) - 48;
}

const NHS_FORMAT = /^(\d{3})[ -]?(\d{3})[ -]?(\d{4})$/;

/**
 * "943 476 5919", "943-476-5919" or "9434765919" with a valid check digit → "9434765919";
 * anything else → null. Surrounding whitespace is ignored.
 */
export function normaliseNhsNumber(input: string): string | null {
  const m = NHS_FORMAT.exec(input.trim());
  if (!m) return null;
  const digits = `${m[1]}${m[2]}${m[3]}`;
  return hasValidNhsCheckDigit(digits) ? digits : null;
}

export function isValidNhsNumber(input: string): boolean {
  return normaliseNhsNumber(input) !== null;
}
