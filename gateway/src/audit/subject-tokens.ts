import { createHmac } from 'node:crypto';
import { SubjectIdentifierInvalid } from './errors.js';
import { hasValidNhsCheckDigit, nhsNumberDigits, pncIdShape } from '@marac/uk-identifiers';

/**
 * Keyed tokens of normalised subject identifiers, so an auditor can ask "who saw anything about
 * NHS number 943 476 5919" while the log holds no identifier. Keyed (HMAC-SHA-256): without the
 * key nobody can test a guessed identifier against the log, which a plain hash would allow for
 * a 10-digit number in seconds. The key never appears in the log or an export.
 *
 * The same normalisation runs when a case is created (tokensForSubject) and when an auditor
 * types an identifier (tokenForQuery), so both sides meet on the same token.
 */
export type TokenSystem = 'nhs-number' | 'pnc-id' | 'name-dob';
export const TOKEN_SYSTEMS: readonly TokenSystem[] = ['nhs-number', 'pnc-id', 'name-dob'];

/** The subject shape tokensForSubject reads (a subset of the case schema's CaseSubject). */
export interface TokenSubject {
  names?: { given?: string[]; family: string }[];
  dobs?: string[];
  identifiers?: { system: string; value: string }[];
}

export type HmacKey = Buffer | Uint8Array | string;

const TOKEN_HEX_LENGTH = 32;

/**
 * NHS number as stored: its ten digits, unchecked (the check digit is tested on a query). Shared
 * with the case search through @marac/uk-identifiers.
 */
export const normaliseNhsNumber = nhsNumberDigits;

/** PNC id in its display form YY/NNNNNNNL: two-digit year, seven-digit serial, check letter (unchecked). */
export const normalisePncId = pncIdShape;

/** Upper case, accents stripped, everything but letters removed. */
export function normaliseNamePart(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toUpperCase()
    .replace(/[^\p{L}]/gu, '');
}

function normaliseDob(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value.trim() ? null : value.trim();
}

/** given + family (first given name only: forms disagree on middle names) + ISO date of birth. */
export function normaliseNameDob(given: string, family: string, dob: string): string | null {
  const g = normaliseNamePart(given);
  const f = normaliseNamePart(family);
  const d = normaliseDob(dob);
  if (!g || !f || !d) return null;
  return `${g}|${f}|${d}`;
}

function keyBytes(key: HmacKey): Buffer {
  const k = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (k.length < 16) throw new SubjectIdentifierInvalid('The subject token key is missing or too short');
  return k;
}

export function tokenOf(key: HmacKey, system: TokenSystem, normalised: string): string {
  const mac = createHmac('sha256', keyBytes(key)).update(`${system}:${normalised}`, 'utf8').digest('hex');
  return `tok_${mac.slice(0, TOKEN_HEX_LENGTH)}`;
}

/** Every token for a subject: each NHS number, each PNC id, each name (and alias) × each DOB. */
export function tokensForSubject(key: HmacKey, subject: TokenSubject): string[] {
  const out = new Set<string>();
  for (const id of subject.identifiers ?? []) {
    if (id.system === 'nhs-number') {
      const n = normaliseNhsNumber(id.value);
      if (n) out.add(tokenOf(key, 'nhs-number', n));
    } else if (id.system === 'pnc-id') {
      const n = normalisePncId(id.value);
      if (n) out.add(tokenOf(key, 'pnc-id', n));
    }
  }
  for (const name of subject.names ?? []) {
    const given = name.given?.[0];
    if (!given) continue;
    for (const dob of subject.dobs ?? []) {
      const n = normaliseNameDob(given, name.family, dob);
      if (n) out.add(tokenOf(key, 'name-dob', n));
    }
  }
  return [...out].sort();
}

/**
 * The token for what an auditor typed. `value` is the identifier; for name-dob it is
 * `given|family|YYYY-MM-DD`. Throws SubjectIdentifierInvalid (400) when it cannot be normalised.
 */
export function tokenForQuery(key: HmacKey, system: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 300) {
    throw new SubjectIdentifierInvalid('Give the subject identifier', { reason: 'SUBJECT_VALUE_MISSING' });
  }
  switch (system) {
    case 'nhs-number': {
      const n = normaliseNhsNumber(value);
      // A mistyped number would search for nobody and look like "no events": say so instead.
      if (!n || !hasValidNhsCheckDigit(n)) {
        throw new SubjectIdentifierInvalid('Enter a real NHS number: 10 digits with a valid check digit, like 943 476 5919', { reason: 'NHS_NUMBER_INVALID' });
      }
      return tokenOf(key, 'nhs-number', n);
    }
    case 'pnc-id': {
      const n = normalisePncId(value);
      if (!n) throw new SubjectIdentifierInvalid('A PNC id looks like YY/NNNNNNNL', { reason: 'PNC_ID_INVALID' });
      return tokenOf(key, 'pnc-id', n);
    }
    case 'name-dob': {
      const parts = value.split('|');
      const n = parts.length === 3 ? normaliseNameDob(parts[0]!, parts[1]!, parts[2]!) : null;
      if (!n) throw new SubjectIdentifierInvalid('Give given name|family name|YYYY-MM-DD', { reason: 'NAME_DOB_INVALID' });
      return tokenOf(key, 'name-dob', n);
    }
    default:
      throw new SubjectIdentifierInvalid('Unknown identifier system', { reason: 'SUBJECT_SYSTEM_UNKNOWN' });
  }
}

/** The two functions bound to one key, for wiring. */
export function createSubjectTokens(key: HmacKey) {
  keyBytes(key);
  return {
    tokensForSubject: (subject: TokenSubject) => tokensForSubject(key, subject),
    tokenForQuery: (system: string, value: string) => tokenForQuery(key, system, value),
  };
}
export type SubjectTokens = ReturnType<typeof createSubjectTokens>;
