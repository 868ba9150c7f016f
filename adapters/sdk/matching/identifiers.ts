/**
 * Strong identifiers used for deterministic matching. Each validator normalises what people type
 * (spaces, dashes, lower case, short PNC serials) and rejects values whose check character is wrong,
 * so a mistyped identifier can never produce an exact match with somebody else.
 *
 * The check-digit routines come from @marac/uk-identifiers, shared with the gateway, so both sides
 * read an identifier the same way (an adapter never imports the gateway's own source). The SDK reads
 * identifiers as agency systems export them: spaces or dashes anywhere, PNC ids with or without the
 * slash.
 */
import { normaliseNhsNumberLoose, normalisePncId, normaliseUpn, normaliseUprn } from '@marac/uk-identifiers';

export type IdentifierSystem = 'nhs-number' | 'pnc-id' | 'uprn' | 'la-child-id' | 'upn';

export const STRONG_SYSTEMS: readonly IdentifierSystem[] = ['nhs-number', 'pnc-id', 'la-child-id', 'upn'];

export {
  nhsCheckDigit, pncCheckLetter, normalisePncId, normaliseUprn, normaliseUpn,
  normaliseNhsNumberLoose as normaliseNhsNumber,
} from '@marac/uk-identifiers';

export function isValidNhsNumber(raw: string): boolean {
  return normaliseNhsNumberLoose(raw) !== null;
}

export function isValidPncId(raw: string): boolean {
  return normalisePncId(raw) !== null;
}

/** Local-authority child id: local format, compared case- and space-insensitively. */
export function normaliseLocalId(raw: string): string | null {
  const v = raw.replace(/\s/g, '').toUpperCase();
  return /^[A-Z0-9/-]{1,40}$/.test(v) ? v : null;
}

/** Normalise any identifier by system; unknown systems and invalid values give null (ignored). */
export function normaliseIdentifier(system: string, value: string): string | null {
  switch (system) {
    case 'nhs-number': return normaliseNhsNumberLoose(value);
    case 'pnc-id': return normalisePncId(value);
    case 'uprn': return normaliseUprn(value);
    case 'la-child-id': return normaliseLocalId(value);
    case 'upn': return normaliseUpn(value);
    default: return null;
  }
}
