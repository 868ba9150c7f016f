/**
 * Strong identifiers used for deterministic matching. Each validator normalises what people type
 * (spaces, dashes, lower case, short PNC serials) and rejects values whose check character is wrong,
 * so a mistyped identifier can never produce an exact match with somebody else.
 *
 * Kept in the SDK rather than imported from the gateway: an adapter runs inside the agency and
 * must not depend on gateway internals.
 */

export type IdentifierSystem = 'nhs-number' | 'pnc-id' | 'uprn' | 'la-child-id' | 'upn';

export const STRONG_SYSTEMS: readonly IdentifierSystem[] = ['nhs-number', 'pnc-id', 'la-child-id', 'upn'];

/** NHS number: 10 digits, the 10th a modulus-11 check digit (weights 10..2; 11 → 0; 10 → invalid). */
export function nhsCheckDigit(first9: string): number | null {
  if (!/^\d{9}$/.test(first9)) return null;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(first9[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return null;
  return check;
}

export function normaliseNhsNumber(raw: string): string | null {
  const digits = raw.replace(/[\s-]/g, '');
  if (!/^\d{10}$/.test(digits)) return null;
  const check = nhsCheckDigit(digits.slice(0, 9));
  return check !== null && check === Number(digits[9]) ? digits : null;
}

export function isValidNhsNumber(raw: string): boolean {
  return normaliseNhsNumber(raw) !== null;
}

/** The 23 check letters of the PNC / CRO scheme: I, O and S are never used. */
const PNC_LETTERS = 'ZABCDEFGHJKLMNPQRTUVWXY';

/** Check letter for a two-digit year and a serial of up to seven digits: (YY ‖ NNNNNNN) mod 23. */
export function pncCheckLetter(year2: string, serial: string): string {
  const n = BigInt(`${year2}${serial.padStart(7, '0')}`);
  return PNC_LETTERS[Number(n % 23n)]!;
}

/**
 * PNC id as `YY/NNNNNNNC`. Accepts `YYYY/…`, no slash, and short serials (`89/12345K`), which is how
 * they appear on forms; the check letter is computed over the two-digit year and seven-digit serial.
 */
export function normalisePncId(raw: string): string | null {
  const m = /^(\d{2}|\d{4})\/?(\d{1,7})([A-Z])$/.exec(raw.replace(/\s/g, '').toUpperCase());
  if (!m) return null;
  const year2 = m[1]!.slice(-2);
  const serial = m[2]!.padStart(7, '0');
  if (pncCheckLetter(year2, serial) !== m[3]) return null;
  return `${year2}/${serial}${m[3]}`;
}

export function isValidPncId(raw: string): boolean {
  return normalisePncId(raw) !== null;
}

/** UPRN: up to 12 digits, no check digit; leading zeros are not significant. */
export function normaliseUprn(raw: string): string | null {
  const digits = raw.replace(/\s/g, '');
  if (!/^\d{1,12}$/.test(digits)) return null;
  const stripped = digits.replace(/^0+/, '');
  return stripped === '' ? null : stripped;
}

/** Local-authority child id: local format, compared case- and space-insensitively. */
export function normaliseLocalId(raw: string): string | null {
  const v = raw.replace(/\s/g, '').toUpperCase();
  return /^[A-Z0-9/-]{1,40}$/.test(v) ? v : null;
}

/**
 * UPN (unique pupil number): 13 characters, a check letter then 12 characters; the check letter is
 * sum(position weight × char value) mod 23 over the last 12 (weights 2..13).
 */
const UPN_LETTERS = 'ABCDEFGHJKLMNPQRTUVWXYZ';
export function normaliseUpn(raw: string): string | null {
  const v = raw.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]\d{11}[0-9A-Z]$/.test(v)) return null;
  let sum = 0;
  for (let i = 1; i < 13; i++) {
    const c = v[i]!;
    const value = /\d/.test(c) ? Number(c) : UPN_LETTERS.indexOf(c);
    if (value < 0) return null;
    sum += value * (i + 1);
  }
  return UPN_LETTERS[sum % 23] === v[0] ? v : null;
}

/** Normalise any identifier by system; unknown systems and invalid values give null (ignored). */
export function normaliseIdentifier(system: string, value: string): string | null {
  switch (system) {
    case 'nhs-number': return normaliseNhsNumber(value);
    case 'pnc-id': return normalisePncId(value);
    case 'uprn': return normaliseUprn(value);
    case 'la-child-id': return normaliseLocalId(value);
    case 'upn': return normaliseUpn(value);
    default: return null;
  }
}
