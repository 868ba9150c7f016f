/**
 * NHS number (NHS Data Dictionary): ten digits, the tenth a modulus-11 check digit. Weights 10..2
 * over the first nine digits; check = 11 − (sum mod 11); 11 → 0; 10 → the number is never issued.
 *
 * Three readings of what people type, one check:
 * - `normaliseNhsNumber`: the display forms "943 476 5919", "943-476-5919", "9434765919" (the
 *   policy operators and the case forms);
 * - `normaliseNhsNumberLoose`: any spaces or dashes anywhere ("9434 765 919"), as agency systems
 *   export them (the adapter SDK's matching);
 * - `nhsNumberDigits`: the ten digits left after removing everything else, with no check, for
 *   keyed tokens of what was stored (the audit subject tokens check the digit only on a query).
 */

/** The check digit for nine digits; null if not nine digits or if the number is never issued (10). */
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
  if (digits.length !== 10 || !/^\d{10}$/.test(digits)) return false;
  const expected = nhsCheckDigit(digits.slice(0, 9));
  return expected !== null && expected === digits.charCodeAt(9) - 48;
}

const NHS_DISPLAY_FORMAT = /^(\d{3})[ -]?(\d{3})[ -]?(\d{4})$/;

/**
 * "943 476 5919", "943-476-5919" or "9434765919" with a valid check digit → "9434765919";
 * anything else → null. Surrounding whitespace is ignored.
 */
export function normaliseNhsNumber(input: string): string | null {
  const m = NHS_DISPLAY_FORMAT.exec(input.trim());
  if (!m) return null;
  const digits = `${m[1]}${m[2]}${m[3]}`;
  return hasValidNhsCheckDigit(digits) ? digits : null;
}

export function isValidNhsNumber(input: string): boolean {
  return normaliseNhsNumber(input) !== null;
}

/** Whitespace and dashes anywhere removed; ten digits with a valid check digit → the digits. */
export function normaliseNhsNumberLoose(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '');
  return hasValidNhsCheckDigit(digits) ? digits : null;
}

/** Everything but digits removed; exactly ten left → those digits (no check-digit test). */
export function nhsNumberDigits(input: string): string | null {
  const digits = input.replace(/\D/g, '');
  return digits.length === 10 ? digits : null;
}
