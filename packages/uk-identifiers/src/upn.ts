/**
 * UPN (unique pupil number, Department for Education): 13 characters, a check letter then 12
 * characters; the check letter is sum(position weight × character value) mod 23 over the last 12
 * (weights 2..13), indexed into an alphabet without I, O and S.
 */
export const UPN_CHECK_LETTERS = 'ABCDEFGHJKLMNPQRTUVWXYZ';

/** Whitespace removed, upper case; a valid check letter → the 13 characters; else null. */
export function normaliseUpn(input: string): string | null {
  const v = input.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]\d{11}[0-9A-Z]$/.test(v)) return null;
  let sum = 0;
  for (let i = 1; i < 13; i++) {
    const c = v[i]!;
    const value = /\d/.test(c) ? Number(c) : UPN_CHECK_LETTERS.indexOf(c);
    if (value < 0) return null;
    sum += value * (i + 1);
  }
  return UPN_CHECK_LETTERS[sum % 23] === v[0] ? v : null;
}
