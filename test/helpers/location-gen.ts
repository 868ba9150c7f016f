/**
 * Random locations and random free text mentioning them (issue 12, class 1), for property tests of
 * the location-in-free-text matcher and of the engine around it.
 *
 * The street-type table here is written independently of the matcher's own table on purpose: the
 * oracle must not share the implementation's idea of what an abbreviation is.
 *
 *   const { loc, text } = sample of locationTextArb()
 *   scrub(text) must leave findLeaks(output, loc) empty.
 */
import fc from 'fast-check';
import type { LocationSource } from '../../gateway/src/policy/location-text/index.js';

// ---- vocabularies ------------------------------------------------------------------------------

export interface StreetTypeDef {
  full: string;
  abbrevs: readonly string[];
}

export const STREET_TYPES: readonly StreetTypeDef[] = [
  { full: 'Road', abbrevs: ['Rd'] },
  { full: 'Street', abbrevs: ['St', 'Str'] },
  { full: 'Avenue', abbrevs: ['Ave', 'Av'] },
  { full: 'Close', abbrevs: ['Cl'] },
  { full: 'Mews', abbrevs: [] },
  { full: 'Lane', abbrevs: ['Ln'] },
  { full: 'Drive', abbrevs: ['Dr'] },
  { full: 'Court', abbrevs: ['Ct'] },
  { full: 'Crescent', abbrevs: ['Cres'] },
  { full: 'Gardens', abbrevs: ['Gdns'] },
  { full: 'Grove', abbrevs: ['Gr'] },
  { full: 'Place', abbrevs: ['Pl'] },
  { full: 'Square', abbrevs: ['Sq'] },
  { full: 'Terrace', abbrevs: ['Terr', 'Ter'] },
  { full: 'Walk', abbrevs: ['Wk'] },
  { full: 'Way', abbrevs: [] },
  { full: 'Row', abbrevs: [] },
  { full: 'Hill', abbrevs: [] },
  { full: 'Park', abbrevs: ['Pk'] },
  { full: 'Green', abbrevs: ['Grn'] },
  { full: 'Parade', abbrevs: ['Pde'] },
  { full: 'Rise', abbrevs: [] },
  { full: 'View', abbrevs: [] },
  { full: 'Vale', abbrevs: [] },
  { full: 'Wharf', abbrevs: [] },
  { full: 'Yard', abbrevs: [] },
  { full: 'Estate', abbrevs: ['Est'] },
  { full: 'Cottages', abbrevs: ['Cotts'] },
  { full: 'Buildings', abbrevs: ['Bldgs'] },
];

export const STREET_NAMES: readonly string[] = [
  'Birch', 'Quarry', 'Mill', 'Acacia', 'Station', 'Victoria', 'Orchard', 'Meadow', 'Chestnut', 'Willow',
  'Heron', 'Kingfisher', 'Foxglove', 'Beacon', 'Harbour', 'Old Mill', 'Bishops', 'Tanners', 'Lower Quarry',
  'Church', 'High', 'Queens', 'Kings', 'Abbey', 'Elm Tree', 'Coronation', 'Windsor', 'Priory', 'Rectory',
  'Nightingale', 'Primrose', 'Brook', 'Ferry', 'Market', 'Holly Bush', 'Cherry Tree', 'Malting', 'Saxon',
];

export const TOWNS: readonly string[] = [
  'Harlow', 'Basildon', 'Chelmsford', 'Colchester', 'Southend-on-Sea', 'Brentwood', 'Epping', 'Witham',
  'Maldon', 'Clacton-on-Sea', 'Saffron Walden', 'Grays', 'Rayleigh', 'Braintree',
];

export const HOUSE_NAMES: readonly string[] = [
  'Rose Cottage', 'Haven House', 'The Willows', 'Orchard Lodge', 'Ivy Cottage', 'Sunnyside', 'Heron Court',
];

/** Filler chunks. Each ends with a word, never a number, so no filler number reads as a house number. */
export const FILLER: readonly string[] = [
  'Officers attended', 'the victim reported', 'on 12 March', 'after a call from a neighbour', '3 incidents in 12 months',
  '14 days later', 'she said', 'the suspect had left', 'no injuries seen', 'referral made to children\'s services',
  'risk remains high', 'DASH score 16 out of 24 questions', 'see the incident log', 'interpreter required',
  'bail conditions apply', 'he was arrested', 'the children were present', 'a neighbour heard shouting',
  'MARAC referral', 'safety planning discussed', 'the IDVA will follow up', 'contact via the IDVA only',
  'do not disclose', 'NFA', 'occurred at', 'she now lives at', 'moved to', 'visited', 'address:',
];

const SEPARATORS = [' ', ' ', ' ', '  ', '\n', '\u00A0', '\t', ' \n ', '\r\n', ', ', ' - ', '\u2009', '\u3000', '.'] as const;

// ---- case and spacing --------------------------------------------------------------------------

export type CaseMode = 'asis' | 'upper' | 'lower' | 'title' | 'mixed';
const caseModeArb: fc.Arbitrary<CaseMode> = fc.constantFrom('asis', 'upper', 'lower', 'title', 'mixed');

function applyCase(s: string, mode: CaseMode, seed: number): string {
  switch (mode) {
    case 'asis': return s;
    case 'upper': return s.toUpperCase();
    case 'lower': return s.toLowerCase();
    case 'title': return s.toLowerCase().replace(/(^|[^a-z])([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase());
    case 'mixed': {
      let out = '';
      let x = seed | 1;
      for (const ch of s) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        out += x & 0x100 ? ch.toUpperCase() : ch.toLowerCase();
      }
      return out;
    }
  }
}

const sepArb = fc.constantFrom(...SEPARATORS);

/** Joins words with random separators (spaces, NBSP, tabs, line breaks). */
function joinArb(words: readonly string[]): fc.Arbitrary<string> {
  if (words.length <= 1) return fc.constant(words[0] ?? '');
  return fc.array(sepArb, { minLength: words.length - 1, maxLength: words.length - 1 })
    .map((seps) => words.reduce((acc, w, i) => (i === 0 ? w : acc + seps[i - 1] + w), ''));
}

// ---- the location --------------------------------------------------------------------------------

export interface GeneratedLocation {
  source: LocationSource;
  /** "30" */
  houseNumber: string;
  /** '' or one upper-case letter ("A" for 30A). */
  houseLetter: string;
  /** '' or a flat number. */
  flat: string;
  /** One or two words, e.g. "Birch" or "Old Mill". */
  streetName: string;
  streetType: StreetTypeDef;
  town: string;
  /** Canonical "CM19 4QD". */
  postcode: string;
  /** Twelve digits. */
  uprn: string;
  /** National significant number: the digits after +44 or the leading 0. */
  phoneNsn: string;
  /** A house or refuge name line, if the address has one. */
  houseName: string;
}

const LETTERS_1 = 'ABCDEFGHIJKLMNOPRSTUWYZ'; // first letter of an outward code: never Q V X
const LETTERS_2 = 'ABCDEFGHKLMNOPQRSTUVWXY'; // second letter: never I J Z
const LETTERS_A9A = 'ABCDEFGHJKPSTUW';
const LETTERS_AA9A = 'ABEHMNPRVWXY';
const LETTERS_INWARD = 'ABDEFGHJLNPQRSTUWXYZ'; // never C I K M O V

const charOf = (set: string) => fc.integer({ min: 0, max: set.length - 1 }).map((i) => set[i]!);
const digit = (min = 0) => fc.integer({ min, max: 9 }).map(String);

/** A postcode in a valid Royal Mail format (canonical, upper case, one space). */
export const postcodeArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(charOf(LETTERS_1), digit(1)).map((p) => p.join('')), // A9
  fc.tuple(charOf(LETTERS_1), digit(1), digit()).map((p) => p.join('')), // A99
  fc.tuple(charOf(LETTERS_1), digit(1), charOf(LETTERS_A9A)).map((p) => p.join('')), // A9A
  fc.tuple(charOf(LETTERS_1), charOf(LETTERS_2), digit(1)).map((p) => p.join('')), // AA9
  fc.tuple(charOf(LETTERS_1), charOf(LETTERS_2), digit(1), digit()).map((p) => p.join('')), // AA99
  fc.tuple(charOf(LETTERS_1), charOf(LETTERS_2), digit(1), charOf(LETTERS_AA9A)).map((p) => p.join('')), // AA9A
).filter((o) => !o.startsWith('BF')).chain((outward) =>
  fc.tuple(digit(), charOf(LETTERS_INWARD), charOf(LETTERS_INWARD)).map((i) => `${outward} ${i.join('')}`));

export const uprnArb: fc.Arbitrary<string> = fc.tuple(digit(1), fc.array(digit(), { minLength: 11, maxLength: 11 }))
  .map(([a, rest]) => a + rest.join(''));

/** A UK national significant number: mobile 7xxx xxxxxx, geographic 1xxx xxxxxx or London 20 xxxx xxxx. */
export const phoneNsnArb: fc.Arbitrary<string> = fc.oneof(
  fc.array(digit(), { minLength: 9, maxLength: 9 }).map((d) => '7' + d.join('')),
  fc.tuple(digit(1), fc.array(digit(), { minLength: 8, maxLength: 8 })).map(([a, d]) => '1' + a + d.join('')),
  fc.array(digit(), { minLength: 8, maxLength: 8 }).map((d) => '20' + d.join('')),
);

const SYLLABLE_C = 'bdfghklmnprstvwz';
const SYLLABLE_V = 'aeiou';
/** An invented street name word, five letters (consonant-vowel-consonant-vowel-consonant). */
export const syllableNameArb: fc.Arbitrary<string> = fc.tuple(
  charOf(SYLLABLE_C), charOf(SYLLABLE_V), charOf(SYLLABLE_C), charOf(SYLLABLE_V), charOf(SYLLABLE_C),
).map((c) => c[0]!.toUpperCase() + c.slice(1).join(''));

export const streetNameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...STREET_NAMES) },
  { weight: 2, arbitrary: syllableNameArb },
  { weight: 1, arbitrary: fc.tuple(syllableNameArb, fc.constantFrom('Mill', 'Farm', 'Hall', 'Tree', 'Cross')).map(([a, b]) => `${a} ${b}`) },
);

/** Renders a phone number (given by its national significant number) in one of many UK formats. */
export function renderPhone(nsn: string, style: number): string {
  const nat = '0' + nsn;
  const london = nsn.startsWith('20');
  // Conventional grouping: 020 xxxx xxxx for London, 0xxxx xxxxxx otherwise.
  const [a, b, c] = london ? [nat.slice(0, 3), nat.slice(3, 7), nat.slice(7)] : [nat.slice(0, 5), nat.slice(5), ''];
  const grouped = [a, b, c].filter(Boolean);
  const intlHead = nsn.slice(0, london ? 2 : 4);
  const intlTail = nsn.slice(london ? 2 : 4);
  switch (style % 12) {
    case 0: return nat;
    case 1: return grouped.join(' ');
    case 2: return grouped.join('-');
    case 3: return `(${a}) ${[b, c].filter(Boolean).join(' ')}`;
    case 4: return `+44 ${intlHead} ${intlTail}`;
    case 5: return `+44 (0)${intlHead} ${intlTail}`;
    case 6: return `0044 ${intlHead} ${intlTail}`;
    case 7: return `+44${nsn}`;
    case 8: return grouped.join('.');
    case 9: return `${nat.slice(0, 3)} ${nat.slice(3, 6)} ${nat.slice(6)}`;
    case 10: return `+44 (0) ${nsn.slice(0, 3)}-${nsn.slice(3, 6)}-${nsn.slice(6)}`;
    default: return `tel.${nat}`;
  }
}

/** Renders a canonical postcode with random case and spacing ("cm194qd", "CM19  4QD", "Cm19\u00A04qD"). */
export const postcodeRenderingArb = (postcode: string): fc.Arbitrary<string> =>
  fc.tuple(caseModeArb, fc.nat(), fc.constantFrom('', ' ', ' ', '  ', '\u00A0', '\t', '   ')).map(([mode, seed, sp]) => {
    const [o, i] = postcode.split(' ');
    return applyCase(`${o}${sp}${i}`, mode, seed);
  });

const typeWordArb = (t: StreetTypeDef, allowAbbrev = true): fc.Arbitrary<string> => {
  const forms = [t.full, ...(allowAbbrev ? t.abbrevs.flatMap((x) => [x, `${x}.`]) : [])];
  return fc.constantFrom(...forms);
};

function sourceLines(loc: Omit<GeneratedLocation, 'source'>, layout: number, typeWord: string, includePostcodeInLine: boolean): string[] {
  const num = `${loc.houseNumber}${loc.houseLetter}`;
  const street = `${num} ${loc.streetName} ${typeWord}`;
  const flatPrefix = loc.flat ? `Flat ${loc.flat}, ` : '';
  const lines: string[] = [];
  switch (layout % 4) {
    case 0:
      if (loc.houseName) lines.push(loc.houseName);
      lines.push(flatPrefix + street, loc.town);
      break;
    case 1:
      if (loc.flat) lines.push(`Flat ${loc.flat}`);
      if (loc.houseName) lines.push(loc.houseName);
      lines.push(street, loc.town, 'Essex');
      break;
    case 2:
      lines.push(`${loc.houseName ? loc.houseName + ', ' : ''}${flatPrefix}${street}, ${loc.town}${includePostcodeInLine ? ' ' + loc.postcode : ''}`);
      break;
    default:
      lines.push(loc.flat ? `${loc.flat}/${loc.houseNumber}${loc.houseLetter} ${loc.streetName} ${typeWord}` : street);
      if (loc.houseName) lines.unshift(loc.houseName);
      lines.push(loc.town);
  }
  return lines;
}

/** A random location of one subject, with the source the gateway would hold for it. */
export function locationArb(opts: { withHouseName?: boolean } = {}): fc.Arbitrary<GeneratedLocation> {
  return fc.record({
    houseNumber: fc.integer({ min: 1, max: 399 }).map(String),
    houseLetter: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('A', 'B', 'C') }),
    flat: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map(String) }),
    streetName: streetNameArb,
    streetType: fc.constantFrom(...STREET_TYPES),
    town: fc.constantFrom(...TOWNS),
    postcode: postcodeArb,
    uprn: uprnArb,
    phoneNsn: phoneNsnArb,
    houseName: opts.withHouseName === false ? fc.constant('')
      : fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(...HOUSE_NAMES) }),
    layout: fc.nat({ max: 3 }),
    phoneStyle: fc.nat({ max: 11 }),
    sourceAbbrev: fc.boolean(),
    postcodeInLine: fc.boolean(),
    withEmail: fc.boolean(),
  }).map((r) => {
    const { layout, phoneStyle, sourceAbbrev, postcodeInLine, withEmail, ...loc } = r;
    const typeWord = sourceAbbrev && loc.streetType.abbrevs[0] ? loc.streetType.abbrevs[0] : loc.streetType.full;
    const source: LocationSource = {
      addressLines: sourceLines(loc, layout, typeWord, postcodeInLine),
      postcode: loc.postcode,
      uprn: loc.uprn,
      phones: [renderPhone(loc.phoneNsn, phoneStyle)],
      ...(withEmail ? { emails: [`${loc.streetName.replace(/\s/g, '').toLowerCase()}.${loc.houseNumber}@example.org`] } : {}),
    };
    return { ...loc, source };
  });
}

// ---- mentions in text -----------------------------------------------------------------------------

/**
 * The house number with the street name, in a random format: flat forms ("Flat 6, 30", "6/30",
 * "f6 30"), "no. 30", "30, Birch", house letters, abbreviated or full street type with or without
 * a full stop, random case and separators. `requireType` keeps the street type (the address-shape
 * net needs it); otherwise it is sometimes left out ("30 Birch").
 */
export function streetMentionArb(loc: GeneratedLocation, opts: { requireType?: boolean } = {}): fc.Arbitrary<string> {
  const num = loc.houseNumber;
  const letter = loc.houseLetter;
  const numberForms: string[] = [
    `${num}${letter}`, `${num}${letter}`, `${num}${letter.toLowerCase()}`, `${num}${letter},`, `no. ${num}${letter}`,
    `No ${num}${letter}`, letter ? `${num} ${letter}` : `${num}`, `No.${num}${letter}`, `#${num}${letter}`,
  ];
  if (loc.flat) {
    numberForms.push(`Flat ${loc.flat}, ${num}${letter}`, `${loc.flat}/${num}${letter}`, `Flat ${loc.flat} ${num}${letter}`,
      `f${loc.flat} ${num}${letter}`, `Apartment ${loc.flat}, ${num}${letter}`, `Flat ${loc.flat} - ${num}${letter}`,
      `FLAT ${loc.flat}/${num}${letter}`);
  }
  const typeArb = opts.requireType
    ? typeWordArb(loc.streetType)
    : fc.oneof({ weight: 4, arbitrary: typeWordArb(loc.streetType) }, { weight: 1, arbitrary: fc.constant('') });
  return fc.tuple(fc.constantFrom(...numberForms), typeArb, caseModeArb, fc.nat(), fc.boolean()).chain(([n, t, mode, seed, withTown]) => {
    const words = [...n.split(' '), ...loc.streetName.split(' '), ...(t ? [t] : [])].map((w) => applyCase(w, mode, seed));
    return joinArb(words).map((s) => (withTown ? `${s}, ${loc.town}` : s));
  });
}

export const postcodeMentionArb = (loc: GeneratedLocation): fc.Arbitrary<string> => postcodeRenderingArb(loc.postcode);

export const phoneMentionArb = (loc: GeneratedLocation): fc.Arbitrary<string> =>
  fc.tuple(fc.nat({ max: 11 }), fc.constantFrom('', 'tel ', 'Tel: ', 'mobile ', 'call ')).map(([s, p]) => p + renderPhone(loc.phoneNsn, s));

export const uprnMentionArb = (loc: GeneratedLocation): fc.Arbitrary<string> =>
  fc.constantFrom(loc.uprn, `UPRN ${loc.uprn}`, `${loc.uprn.slice(0, 4)} ${loc.uprn.slice(4, 8)} ${loc.uprn.slice(8)}`, `uprn:${loc.uprn}`);

/** The whole address on one line or several: "9 Quarry Row, Harlow CM19 4QD". */
export const fullAddressMentionArb = (loc: GeneratedLocation, opts: { requireType?: boolean } = {}): fc.Arbitrary<string> =>
  fc.tuple(streetMentionArb(loc, opts), postcodeRenderingArb(loc.postcode), fc.constantFrom(', ', ',\n', ' ', '\n'), fc.boolean())
    .map(([street, pc, sep, town]) => `${street}${sep}${town ? loc.town + ' ' : ''}${pc}`);

/** The house or refuge name line ("Haven House"), when the address has one (else the street). */
export const houseNameMentionArb = (loc: GeneratedLocation): fc.Arbitrary<string> =>
  !loc.houseName ? streetMentionArb(loc)
    : fc.tuple(caseModeArb, fc.nat()).chain(([mode, seed]) => joinArb(loc.houseName.split(' ').map((w) => applyCase(w, mode, seed))));

export type MentionKind = 'street' | 'postcode' | 'phone' | 'uprn' | 'full' | 'houseName';

export function mentionArb(loc: GeneratedLocation, kinds: readonly MentionKind[], opts: { requireType?: boolean } = {}): fc.Arbitrary<string> {
  const by: Record<MentionKind, () => fc.Arbitrary<string>> = {
    street: () => streetMentionArb(loc, opts),
    postcode: () => postcodeMentionArb(loc),
    phone: () => phoneMentionArb(loc),
    uprn: () => uprnMentionArb(loc),
    full: () => fullAddressMentionArb(loc, opts),
    houseName: () => houseNameMentionArb(loc),
  };
  return fc.oneof(...kinds.map((k) => by[k]()));
}

/** Random surrounding text: filler chunks joined by random punctuation and spacing. */
export const fillerArb: fc.Arbitrary<string[]> = fc.array(fc.constantFrom(...FILLER), { minLength: 0, maxLength: 8 });

const JOINERS = [' ', ' ', '. ', ', ', '\n', ' - ', '; ', ': ', '\n\n', ' (', ') '] as const;

/** Places the mentions at random positions among random filler chunks. */
export function embedArb(mentions: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fillerArb, fc.array(fc.nat(), { minLength: mentions.length, maxLength: mentions.length }))
    .chain(([filler, positions]) => {
      const parts = [...filler];
      mentions.forEach((m, i) => parts.splice(positions[i]! % (parts.length + 1), 0, m));
      return fc.array(fc.constantFrom(...JOINERS), { minLength: parts.length, maxLength: parts.length })
        .map((joins) => parts.reduce((acc, p, i) => (i === 0 ? p : acc + joins[i]! + p), ''));
    });
}

export interface LocationText {
  loc: GeneratedLocation;
  text: string;
  mentions: string[];
}

/**
 * A random location and a random free text mentioning it one to four times.
 * `requireType`: every street mention carries its street type (for the address-shape net alone).
 */
export function locationTextArb(opts: { kinds?: readonly MentionKind[]; requireType?: boolean; withHouseName?: boolean } = {}): fc.Arbitrary<LocationText> {
  const kinds = opts.kinds ?? ['street', 'postcode', 'phone', 'uprn', 'full', 'houseName'];
  return locationArb({ withHouseName: opts.withHouseName }).chain((loc) =>
    fc.array(mentionArb(loc, kinds, opts), { minLength: 1, maxLength: 4 }).chain((mentions) =>
      embedArb(mentions).map((text) => ({ loc, text, mentions }))));
}

// ---- the oracle ----------------------------------------------------------------------------------

/** Lower case, accents folded, apostrophes dropped, split into letter runs and digit runs. */
export function oracleTokens(s: string): string[] {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/['’‘]/g, '')
    .match(/[a-z]+|[0-9]+/g) ?? [];
}

/**
 * What of `loc` survives in `output`: 'street' (house number followed by the street name, in any
 * normalised form), 'postcode' (in any spacing, compared with whitespace removed), 'uprn' and
 * 'phone' (compared digits only), 'houseName' (the house or refuge name's words in a row).
 * Empty means nothing leaked.
 */
export function findLeaks(output: string, loc: GeneratedLocation): string[] {
  const leaks: string[] = [];
  const toks = oracleTokens(output);
  const name = oracleTokens(loc.streetName);
  const letter = loc.houseLetter.toLowerCase();
  for (let i = 0; i < toks.length; i++) {
    if (toks[i] !== loc.houseNumber) continue;
    let j = i + 1;
    if (letter && toks[j] === letter) j++;
    if (name.every((w, k) => toks[j + k] === w)) { leaks.push('street'); break; }
  }
  const compact = output.replace(/\s+/g, '').toLowerCase();
  if (compact.includes(loc.postcode.replace(/\s+/g, '').toLowerCase())) leaks.push('postcode');
  const digits = output.replace(/[^0-9]/g, '');
  if (digits.includes(loc.uprn)) leaks.push('uprn');
  if (digits.includes(loc.phoneNsn)) leaks.push('phone');
  if (loc.houseName) {
    const hn = oracleTokens(loc.houseName);
    for (let i = 0; i < toks.length; i++) if (hn.every((w, k) => toks[i + k] === w)) { leaks.push('houseName'); break; }
  }
  return leaks;
}
