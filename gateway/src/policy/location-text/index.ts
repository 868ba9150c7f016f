/**
 * Location in free text (issue 12, class 1): finds the values that locate a subject inside free
 * text and replaces them with a placeholder. Pure: no I/O.
 *
 * Two nets:
 * - case-aware: a lexicon compiled from everything the gateway knows locates someone on the case
 *   (sealed addresses and contact details of every subject, every LOC-tagged value in the
 *   response itself), matched robustly (case, whitespace, punctuation, line breaks, street-type
 *   abbreviations, postcodes in any spacing, phone numbers in any formatting, house number and
 *   street apart from the town): lexicon.ts says what counts as location text;
 * - address-shaped text, needing no case knowledge (house/flat number with a street name and
 *   type, "refuge"/"safe house" with a name or place, UK postcodes, UK phone numbers, UPRN-like
 *   numbers): address-shapes.ts.
 *
 * Both work on one tokenisation of the text (normalise.ts: offsets into the original, one pass, no
 * backtracking), collect spans and replace each merged span by LOCATION_PLACEHOLDER.
 *
 * This file is the contract used by the exchange and redact.ts.
 */
import { matchShapes, mayHoldShapes, wordShapes } from './address-shapes.js';
import { digitsAsLetters } from './digit-letters.js';
import { decodeForMatching } from './decode.js';
import { compile, type CompiledLexicon } from './lexicon.js';
import { matchLexicon } from './match.js';
import { tokenize } from './normalise.js';
import { applySpans, type Spans } from './spans.js';

/** Values that locate one subject, as the case or a response holds them. */
export interface LocationSource {
  /** Address lines as written, e.g. ['Flat 6, 30 Birch Walk', 'Harlow']. */
  addressLines?: readonly string[];
  postcode?: string;
  uprn?: string;
  phones?: readonly string[];
  emails?: readonly string[];
  /** Any other locating text: safe times, a refuge's name, a town given as a location. */
  other?: readonly string[];
}

/** A compiled, immutable matcher for one case's locations. Build once per case and release. */
export interface LocationLexicon {
  readonly empty: boolean;
  /** @internal */
  readonly compiled: CompiledLexicon;
}

export const LOCATION_PLACEHOLDER = '[LOCATION]';

export interface LocationScrubOptions {
  /** Also scrub address-shaped text that the lexicon does not know (the second net). */
  addressShapes: boolean;
}

export interface LocationScrubResult {
  text: string;
  /** True if anything was replaced. */
  removed: boolean;
}

export const EMPTY_LEXICON: LocationLexicon = Object.freeze({ empty: true, compiled: compile([]) });

export function compileLexicon(sources: readonly LocationSource[]): LocationLexicon {
  const compiled = compile(sources);
  return compiled.empty ? EMPTY_LEXICON : Object.freeze({ empty: false, compiled });
}

export function scrubLocationText(text: string, lexicon: LocationLexicon | undefined, opts: LocationScrubOptions): LocationScrubResult {
  const lex = lexicon?.compiled;
  const useLexicon = lex !== undefined && !lex.empty;
  if (!useLexicon && !opts.addressShapes) return { text, removed: false };
  // Entities, markup, percent-encoding and escapes are read as what they show (decode.ts).
  const decoded = decodeForMatching(text);
  const work = decoded?.text ?? text;
  // With a lexicon the text is tokenised anyway and the shape net's own checks are cheaper.
  const shapes = opts.addressShapes && (useLexicon || mayHoldShapes(work));
  if (!useLexicon && !shapes) return { text, removed: false };
  const tokens = tokenize(work);
  const spans: Spans = [];
  if (useLexicon) matchLexicon(tokens, lex, opts.addressShapes, spans);
  if (shapes) matchShapes(tokens, spans);
  // Digits standing in for letters ("B1rch Wa1k"): the words again, read as a reader reads them.
  const letters = digitsAsLetters(tokens);
  if (letters) {
    if (useLexicon) matchLexicon(letters, lex, opts.addressShapes, spans);
    if (shapes) wordShapes(letters, spans);
  }
  if (spans.length === 0) return { text, removed: false };
  if (decoded) {
    for (let k = 0; k < spans.length; k += 2) {
      const e = spans[k + 1]!;
      spans[k] = decoded.from[spans[k]!] ?? text.length;
      spans[k + 1] = decoded.to[e - 1] ?? text.length;
    }
  }
  return { text: applySpans(text, spans, LOCATION_PLACEHOLDER), removed: true };
}
