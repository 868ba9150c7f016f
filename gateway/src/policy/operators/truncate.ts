import { acceptsOnly, notApplicable, value, type CompiledOperator } from './types.js';

export const CUT_MARK = '…[cut]';

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
const SPACE = /\s/u;
// Below U+0300 (where combining marks start) every code unit is a character of its own, except
// CR LF, which is one grapheme: CR is left out.
const SIMPLE = /^[\t\n\x20-\u02FF]*$/;

/** graphemes 0..n of text (n+1 of them if the text is longer), cheaply when the prefix is simple. */
function leadingGraphemes(text: string, n: number): string[] {
  const prefix = text.slice(0, n + 1);
  if (SIMPLE.test(prefix)) return prefix.split('');
  const graphemes: string[] = [];
  for (const { segment } of segmenter.segment(text)) {
    graphemes.push(segment);
    if (graphemes.length > n) break;
  }
  return graphemes;
}

/**
 * Cuts text to at most n user-perceived characters (grapheme clusters, so flags, emoji with skin
 * tones and letters with combining accents stay whole), at the last whitespace within the
 * limit, and marks the cut. A single word longer than n is cut at n. Text that fits is returned
 * unchanged and unmarked.
 */
export function truncateText(text: string, n: number): string {
  // UTF-16 length is never less than the grapheme count: if it fits, it fits.
  if (text.length <= n) return text;
  const graphemes = leadingGraphemes(text, n);
  if (graphemes.length <= n) return text;
  // graphemes[n] is the first one that does not fit: a cut just before whitespace is a word boundary.
  let end = n;
  if (!SPACE.test(graphemes[n] as string)) {
    let i = n - 1;
    while (i >= 0 && !SPACE.test(graphemes[i] as string)) i--;
    if (i >= 0) end = i;
  }
  let kept = graphemes.slice(0, end).join('').trimEnd();
  // Only leading whitespace before one long word: cut the word instead of releasing nothing.
  if (kept === '') kept = graphemes.slice(0, n).join('').trimEnd();
  return kept + CUT_MARK;
}

export function truncateOperator(n: number): CompiledOperator {
  return {
    name: 'truncate',
    transforms: true,
    generalises: false,
    accepts: acceptsOnly('string'),
    apply(v) {
      if (typeof v !== 'string') return notApplicable;
      return value(truncateText(v, n));
    },
  };
}
