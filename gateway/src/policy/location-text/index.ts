/**
 * Location in free text (issue 12, class 1): finds the values that locate a subject inside free
 * text and replaces them with a placeholder. Pure: no I/O.
 *
 * Two nets:
 * - case-aware: a lexicon compiled from everything the gateway knows locates someone on the case
 *   (sealed addresses and contact details of every subject, every LOC-tagged value in the
 *   response itself), matched robustly (case, whitespace, punctuation, line breaks, street-type
 *   abbreviations, postcodes in any spacing, house number and street apart from the town);
 * - address-shaped text, needing no case knowledge (house/flat number with a street name and
 *   type, "refuge"/"safe house" with a name or place, UK postcodes, UPRN-like numbers).
 *
 * THIS FILE DEFINES THE CONTRACT used by the exchange and redact.ts. The implementation below is
 * a placeholder to be replaced by the robust matcher.
 */

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
  readonly patterns: readonly RegExp[];
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

export const EMPTY_LEXICON: LocationLexicon = Object.freeze({ empty: true, patterns: Object.freeze([]) as readonly RegExp[] });

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileLexicon(sources: readonly LocationSource[]): LocationLexicon {
  const values: string[] = [];
  for (const s of sources) {
    for (const l of s.addressLines ?? []) values.push(l);
    if (s.postcode) values.push(s.postcode);
    if (s.uprn) values.push(s.uprn);
    for (const p of s.phones ?? []) values.push(p);
    for (const e of s.emails ?? []) values.push(e);
    for (const o of s.other ?? []) values.push(o);
  }
  const patterns = values.filter((v) => v.trim().length >= 3).map((v) => new RegExp(escape(v.trim()), 'gi'));
  return patterns.length === 0 ? EMPTY_LEXICON : Object.freeze({ empty: false, patterns: Object.freeze(patterns) });
}

export function scrubLocationText(text: string, lexicon: LocationLexicon | undefined, opts: LocationScrubOptions): LocationScrubResult {
  let out = text;
  for (const re of lexicon?.patterns ?? []) out = out.replace(re, LOCATION_PLACEHOLDER);
  void opts;
  return { text: out, removed: out !== text };
}
