/**
 * Police National Computer id: year, slash, serial (up to seven digits), check letter, e.g.
 * "89/12345X" or "1989/0012345X". The check letter is (YY followed by the serial zero-padded to
 * seven digits) mod 23, indexed into an alphabet without I, O and S. Exported for the adapter
 * SDK's subject matching as well as for `scrub`.
 */
const CHECK_LETTERS = 'ZABCDEFGHJKLMNPQRTUVWXY';
const PNC_FORMAT = /^(\d{2}|\d{4})\/(\d{1,7})([A-Za-z])$/;

export interface ParsedPncId {
  /** Two-digit year used in the check. */
  yy: string;
  /** Serial zero-padded to seven digits. */
  serial: string;
  checkLetter: string;
  /** Comparable form "YY/NNNNNNNL" (4-digit years shortened, serial padded, letter upper case). */
  canonical: string;
}

/** The check letter for a two-digit year and a serial of up to seven digits; null if malformed. */
export function pncCheckLetter(yy: string, serial: string): string | null {
  if (!/^\d{2}$/.test(yy) || !/^\d{1,7}$/.test(serial)) return null;
  const n = Number(yy + serial.padStart(7, '0'));
  return CHECK_LETTERS[n % 23] ?? null;
}

export function parsePncId(input: string): ParsedPncId | null {
  const m = PNC_FORMAT.exec(input.trim());
  if (!m) return null;
  const year = m[1] ?? '';
  const yy = year.slice(-2);
  const serial = (m[2] ?? '').padStart(7, '0');
  const letter = (m[3] ?? '').toUpperCase();
  if (pncCheckLetter(yy, serial) !== letter) return null;
  return { yy, serial, checkLetter: letter, canonical: `${yy}/${serial}${letter}` };
}

export function isValidPncId(input: string): boolean {
  return parsePncId(input) !== null;
}
