/**
 * Word lists of the matcher. Street types are canonicalised both in the lexicon and in the text,
 * so "Birch Wk." finds "Birch Walk" and the other way round. The first word of each group is the
 * canonical form. "St" is Street and Saint at once: both spellings meet at the same canonical
 * word, so "St John's Rd" and "Saint Johns Road" are one street.
 */
import { WordFilter } from './word-filter.js';

const GROUPS: readonly (readonly string[])[] = [
  ['road', 'rd'],
  ['street', 'st', 'str', 'saint'],
  ['avenue', 'ave', 'av', 'avn', 'avenu'],
  ['close', 'cl', 'clo'],
  ['mews', 'mws'],
  ['lane', 'ln', 'la'],
  ['drive', 'dr', 'drv'],
  ['court', 'ct', 'crt'],
  ['crescent', 'cres', 'cresc', 'cr', 'crs'],
  ['gardens', 'gdns', 'gdn', 'garden', 'gardns'],
  ['grove', 'gr', 'grv'],
  ['place', 'pl'],
  ['square', 'sq'],
  ['terrace', 'terr', 'ter', 'tce', 'trce'],
  ['walk', 'wk', 'wlk'],
  ['way', 'wy'],
  ['row', 'rw'],
  ['hill', 'hl'],
  ['park', 'pk'],
  ['green', 'grn'],
  ['parade', 'pde', 'prde'],
  ['rise'],
  ['view', 'vw'],
  ['vale'],
  ['wharf', 'whf'],
  ['yard', 'yd'],
  ['estate', 'est'],
  ['hall'],
  ['house', 'ho', 'hse'],
  ['cottages', 'cotts', 'cottage', 'cott'],
  ['buildings', 'bldgs', 'bldg', 'building'],
  ['boulevard', 'blvd'],
  ['approach', 'appr'],
  ['broadway'],
  ['chase'],
  ['circus'],
  ['croft'],
  ['end'],
  ['field', 'fields'],
  ['gate'],
  ['grange'],
  ['heights', 'hts'],
  ['lodge'],
  ['manor'],
  ['mansions'],
  ['mead'],
  ['meadow', 'meadows'],
  ['mount', 'mt'],
  ['passage'],
  ['path'],
  ['quay'],
  ['ride'],
  ['side'],
  ['towers'],
  ['villas', 'villa'],
  ['wood'],
  ['farm'],
  ['barn'],
  ['mill'],
  ['bank'],
  ['brow'],
  ['causeway'],
  ['crossing', 'cross'],
  ['drove'],
  ['embankment'],
  ['hollow'],
  ['link'],
  ['market'],
  ['orchard'],
  ['point'],
  ['precinct'],
  ['reach'],
  ['spur'],
  ['strand'],
  ['wynd'],
  ['flats'],
];

/** Variant → canonical street type. */
export const STREET_TYPE = new Map<string, string>();
for (const g of GROUPS) for (const w of g) STREET_TYPE.set(w, g[0]!);

/** No street-type word is longer: longer words skip the lookup. */
export const MAX_TYPE_LENGTH = Math.max(...[...STREET_TYPE.keys()].map((w) => w.length));

const CANONICAL = new Set(GROUPS.map((g) => g[0]!));
const VARIANTS = new Map(GROUPS.map((g) => [g[0]!, g]));

/** Every spelling of a canonical street type ("walk" → walk, wk, wlk). */
export function typeVariants(canonical: string): readonly string[] {
  return VARIANTS.get(canonical) ?? [canonical];
}

const TYPE_FILTER = new WordFilter();
for (const w of STREET_TYPE.keys()) TYPE_FILTER.add(w);

/** The canonical form of a lower-case word (itself when it is no street type). */
export function canonicalWord(lower: string): string {
  return TYPE_FILTER.mayHave(lower) ? STREET_TYPE.get(lower) ?? lower : lower;
}

const CANONICAL_FILTER = new WordFilter();
for (const w of CANONICAL) CANONICAL_FILTER.add(w);

/** True for a canonical street-type word. */
export function isStreetType(norm: string): boolean {
  return CANONICAL_FILTER.mayHave(norm) && CANONICAL.has(norm);
}

/** Words that introduce a flat or house number: "Flat 6", "f6", "No. 30", "Apt 2". */
export const FLAT_WORDS: ReadonlySet<string> = new Set([
  'flat', 'flt', 'f', 'apartment', 'apt', 'apts', 'unit', 'room', 'rm', 'no', 'nos', 'number', 'num', 'plot',
  'block', 'blk', 'suite', 'maisonette',
]);

/** Street types that are also everyday words after a count: "5 minutes walk", "10 minutes drive". */
export const EVERYDAY_TYPES: ReadonlySet<string> = new Set(['walk', 'drive', 'way', 'ride', 'run', 'rise', 'view', 'end']);

/**
 * Function words: never inside a street's name, so one between a number and a street type means
 * narrative ("3 incidents on the road"), not an address.
 */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'or', 'of', 'on', 'in', 'at', 'to', 'for', 'from', 'by', 'with', 'into', 'onto', 'off', 'as',
  'is', 'was', 'were', 'are', 'be', 'been', 'has', 'had', 'have', 'he', 'she', 'they', 'we', 'it', 'his', 'her',
  'their', 'them', 'him', 'i', 'you', 'me', 'my', 'our', 'this', 'that', 'these', 'those', 'not', 'but', 'if',
  'so', 'per', 'than', 'x',
]);

/**
 * Words that never start a street name after a number: "14 days walk", "3 incidents on the
 * road", "2 of them close". Cheap protection from the commonest false positives where no street
 * type closes the phrase (a house name, a refuge's name). Counting and measuring words ("times",
 * "miles", "days") are also street names ("274 Times Street", "12 Mile End Road"), so the street
 * shape itself, which ends in a street type, stops only at FUNCTION_WORDS: "14 days walk" is then
 * redacted, which costs a phrase, never an address.
 */
export const NOT_A_NAME: ReadonlySet<string> = new Set([
  ...FUNCTION_WORDS,
  'pm', 'am', 'times', 'time', 'days', 'day', 'weeks', 'week', 'months', 'month', 'years',
  'year', 'yrs', 'hours', 'hour', 'hrs', 'minutes', 'minute', 'mins', 'seconds', 'secs', 'incidents', 'incident',
  'calls', 'call', 'children', 'child', 'people', 'persons', 'officers', 'officer', 'adults', 'occasions',
  'previous', 'other', 'more', 'less', 'miles', 'mile', 'metres', 'meters', 'km', 'yards', 'feet', 'ft',
  'percent', 'out', 'points', 'point', 'questions', 'crimes', 'reports', 'referrals', 'visits', 'nights',
  'injuries', 'counts', 'offences', 'arrests', 'cases', 'weekdays', 'mg', 'ml', 'kg', 'units', 'doses', 'mph', 'kph',
]);

/** Function words and narrative words that are never part of a refuge's name or place. */
export const NOT_A_PLACE: ReadonlySet<string> = new Set([
  ...NOT_A_NAME,
  'the', 'local', 'new', 'current', 'previous', 'former', 'emergency', 'temporary', 'same', 'another', 'any',
  'secure', 'safe', 'suitable', 'nearest', 'nearby', 'out', 'area', 'past', 'future', 'meantime', 'interim',
  'placement', 'space', 'accommodation', 'support', 'worker', 'staff', 'attended', 'went', 'moved', 'stayed',
  'staying', 'visited', 'living', 'lives', 'lived', 'left', 'fled', 'entered', 'placed', 'offered', 'referred',
  'now', 'then', 'still', 'when', 'while', 'until', 'after', 'before', 'since', 'there', 'here', 'where', 'which',
  'who', 'told', 'said', 'says', 'will', 'would', 'can', 'could', 'may', 'might', 'should', 'must', 'did', 'does',
  'do', 'no', 'yes', 'further', 'via', 'about', 'its', 'refuges', 'refuge', 'accommodated', 'last', 'next', 'early',
  'late', 'recently', 'ago', 'today', 'yesterday', 'tomorrow', 'tonight', 'morning', 'afternoon', 'evening', 'night',
  'weekend', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'because', 'due', 'and',
  'but', 'or', 'for', 'with', 'without', 'again', 'too', 'also', 'only', 'just', 'all', 'both', 'each', 'some',
]);
