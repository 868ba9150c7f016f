import { acceptsOnly, notApplicable, value, type CompiledOperator } from './types.js';

const MASK = '*';

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
const ASCII = /^[\x00-\x7F]*$/;


/**
 * Keeps the last n characters (grapheme clusters, so an emoji with a skin tone or a letter with a
 * combining accent is never split) and replaces the rest with "*". A value no longer than n is
 * masked entirely: releasing it whole would defeat the rule.
 */
export function maskText(text: string, keepLast: number): string {
  // Identifiers are nearly always ASCII, where one code unit is one character.
  if (ASCII.test(text)) {
    if (text.length <= keepLast) return MASK.repeat(text.length);
    return MASK.repeat(text.length - keepLast) + text.slice(text.length - keepLast);
  }
  const chars = Array.from(segmenter.segment(text), (s) => s.segment);
  if (chars.length <= keepLast) return MASK.repeat(chars.length);
  const kept = keepLast === 0 ? '' : chars.slice(-keepLast).join('');
  return MASK.repeat(chars.length - keepLast) + kept;
}

/** Strings, and integers written as their digits (identifiers stored as numbers). */
export function maskOperator(keepLast: number): CompiledOperator {
  return {
    name: 'mask',
    transforms: true,
    generalises: false,
    accepts: acceptsOnly('string', 'integer'),
    apply(v) {
      if (typeof v === 'string') return value(maskText(v, keepLast));
      if (typeof v === 'number' && Number.isSafeInteger(v)) return value(maskText(String(v), keepLast));
      return notApplicable;
    },
  };
}
