/**
 * Police National Computer id: year, slash, serial (up to seven digits), check letter, e.g.
 * "89/12345X" or "1989/0012345X". The check letter is (YY followed by the serial zero-padded to
 * seven digits) mod 23, indexed into an alphabet without I, O and S.
 *
 * - `parsePncId`: the written form with its slash (policy operators, case forms);
 * - `normalisePncId`: also without the slash and with spaces anywhere, as agency systems export it
 *   (the adapter SDK's matching); both test the check letter;
 * - `pncIdShape`: the comparable form of anything shaped like a PNC id, with no check-letter test
 *   (keyed tokens of what was stored).
 */
export const PNC_CHECK_LETTERS = 'ZABCDEFGHJKLMNPQRTUVWXY';
const PNC_WRITTEN = /^(\d{2}|\d{4})\/(\d{1,7})([A-Za-z])$/;
const PNC_LOOSE = /^(\d{2}|\d{4})\/?(\d{1,7})([A-Za-z])$/;

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
  return PNC_CHECK_LETTERS[n % 23] ?? null;
}

function split(m: RegExpExecArray): ParsedPncId {
  const yy = (m[1] ?? '').slice(-2);
  const serial = (m[2] ?? '').padStart(7, '0');
  const checkLetter = (m[3] ?? '').toUpperCase();
  return { yy, serial, checkLetter, canonical: `${yy}/${serial}${checkLetter}` };
}

/** "89/12345X", " 1989/0012345x " → parsed; no slash, wrong letter or other shapes → null. */
export function parsePncId(input: string): ParsedPncId | null {
  const m = PNC_WRITTEN.exec(input.trim());
  if (!m) return null;
  const p = split(m);
  return pncCheckLetter(p.yy, p.serial) === p.checkLetter ? p : null;
}

export function isValidPncId(input: string): boolean {
  return parsePncId(input) !== null;
}

/** Spaces anywhere and a missing slash tolerated; valid check letter → "YY/NNNNNNNL", else null. */
export function normalisePncId(input: string): string | null {
  const m = PNC_LOOSE.exec(input.replace(/\s/g, ''));
  if (!m) return null;
  const p = split(m);
  return pncCheckLetter(p.yy, p.serial) === p.checkLetter ? p.canonical : null;
}

/** "YY/NNNNNNNL" for anything shaped like a PNC id (spaces removed, slash optional), unchecked. */
export function pncIdShape(input: string): string | null {
  const m = PNC_LOOSE.exec(input.replace(/\s+/g, ''));
  return m ? split(m).canonical : null;
}
