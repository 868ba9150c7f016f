import { hasValidNhsCheckDigit, parsePncId, parsePostcode } from '@marac/uk-identifiers';
import { acceptsOnly, notApplicable, value, type CompiledOperator } from './types.js';

/**
 * Free-text scrubber: identifiers and contact details become typed placeholders.
 *
 * Boundaries for the numeric and postcode patterns look only at ASCII letters and digits, so an
 * identifier glued to accented, Cyrillic or Arabic text ("адресCM1 4XX") is still caught: here a
 * false positive costs a word, a false negative can cost a life. Every pattern starts with a
 * lookbehind so the engine only tries real token starts, which keeps the scan linear on long or
 * hostile input. E-mails go first because they may contain digits and postcode-like text.
 */
export const Placeholder = {
  NHS_NUMBER: '[NHS-NUMBER]',
  PNC_ID: '[PNC-ID]',
  PHONE: '[PHONE]',
  EMAIL: '[EMAIL]',
  POSTCODE: '[POSTCODE]',
} as const;

const EMAIL_RE = /(?<![\p{L}\p{N}._%+'-])[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;

// Ten digits, optionally grouped 3-3-4 with spaces or hyphens; replaced only if mod 11 holds.
const NHS_RE = /(?<![0-9])[0-9]{3}[ \u00A0-]?[0-9]{3}[ \u00A0-]?[0-9]{4}(?![0-9])/g;

const PNC_RE = /(?<![A-Za-z0-9/])(?:[0-9]{2}|[0-9]{4})\/[0-9]{1,7}[A-Za-z](?![A-Za-z0-9])/g;

// A digit preceded by an optional closing bracket of an area code and up to two separators.
const SEP_DIGIT = String.raw`(?:\)?[\s.\-]{0,2}[0-9])`;
// +44 / 0044, optional "(0)", then 9 or 10 national digits.
const INTL = String.raw`(?:\+|00)\s?44\s?(?:\(0\)\s?)?[1-9]${SEP_DIGIT}{8,9}`;
// 0 then 9 or 10 digits: mobiles (07…), geographic (01…, 02…), 03, 08…; "(01245) 123456" too.
const NATIONAL = String.raw`\(?0[1-9]${SEP_DIGIT}{8,9}`;
const PHONE_RE = new RegExp(`(?<![0-9+])(?:${INTL}|${NATIONAL})(?![0-9])`, 'gu');

const POSTCODE_RE =
  /(?<![A-Za-z0-9])(?:[Gg][Ii][Rr][ \t\u00A0]{0,3}0[Aa][Aa]|[A-Za-z]{1,2}[0-9][A-Za-z0-9]?[ \t\u00A0]{0,3}[0-9][A-Za-z]{2})(?![A-Za-z0-9])/g;

const HAS_DIGIT = /[0-9]/;

function replaceNhs(match: string): string {
  const digits = match.replace(/[^0-9]/g, '');
  return hasValidNhsCheckDigit(digits) ? Placeholder.NHS_NUMBER : match;
}

function replacePnc(match: string): string {
  return parsePncId(match) ? Placeholder.PNC_ID : match;
}

function replacePostcode(match: string): string {
  return parsePostcode(match.replace(/[ \t\u00A0]+/g, ' ')) ? Placeholder.POSTCODE : match;
}

/** Replaces NHS numbers, PNC ids, UK phone numbers, e-mails and UK postcodes in free text. */
export function scrubText(text: string): string {
  let out = text;
  if (out.includes('@')) out = out.replace(EMAIL_RE, Placeholder.EMAIL);
  if (!HAS_DIGIT.test(out)) return out;
  out = out.replace(NHS_RE, replaceNhs);
  if (out.includes('/')) out = out.replace(PNC_RE, replacePnc);
  out = out.replace(PHONE_RE, Placeholder.PHONE);
  out = out.replace(POSTCODE_RE, replacePostcode);
  return out;
}

export const scrubOperator: CompiledOperator = {
  name: 'scrub',
  transforms: true,
  generalises: false,
  accepts: acceptsOnly('string'),
  apply(v) {
    if (typeof v !== 'string') return notApplicable;
    return value(scrubText(v));
  },
};
