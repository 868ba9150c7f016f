/**
 * Compiling a case's locations into a lexicon: token sequences (streets, house and refuge names,
 * e-mails, safe times, other locating phrases) indexed by their first token, and compact values
 * (postcodes, phone numbers, UPRNs) searched in the compact view of a text.
 *
 * Decisions (docs/decisions, issue 12):
 * - the house number with the street name is location text, with or without the street type
 *   ("30 Birch", "30 Birch Walk"), and so is the street name with its type alone ("Birch Walk"):
 *   it is the victim's street. A one-word name without its type ("Birch") is not: too common.
 * - house and refuge name lines ("Rose Cottage", "Haven House") are location text; the town and
 *   the county (lines after the street) are not: towns are too common to hide, and hiding them
 *   would blank half of every summary. The postcode's sector ("CM19 4") is location text; its
 *   district ("CM19") only for the address-shape net (when some subject's address is confidential).
 */
import { parsePostcode, uprnDigits } from '@marac/uk-identifiers';
import { digitFold } from './digit-letters.js';
import { foldLookalikes, normTokens } from './normalise.js';
import { WordFilter } from './word-filter.js';
import { FLAT_WORDS, FUNCTION_WORDS, NOT_A_NAME, isStreetType, typeVariants } from './street-types.js';

/** Ordered by precedence when one phrase comes with two kinds. */
export const EntryKind = {
  /** Only for the address-shape net (a subject's postcode district). */
  District: 0,
  /** A phrase replaced as it is. */
  Phrase: 1,
  /** An address phrase: a house-number cluster before it and a street type after it go too. */
  Address: 2,
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export interface Entry {
  readonly toks: readonly string[];
  readonly kind: EntryKind;
  /** `toks` with the letters digits stand in for folded (digit-letters.ts), for words written that way. */
  readonly folded: readonly string[];
}

export interface CompiledLexicon {
  readonly empty: boolean;
  /** First token → entries starting with it, longest first. */
  readonly byFirst: ReadonlyMap<string, readonly Entry[]>;
  /** Pre-check for byFirst. */
  readonly firstFilter: WordFilter;
  /** Postcodes (lower case, no space) and digit values (phones' national numbers, UPRNs). */
  readonly compact: readonly CompactValue[];
  /** Some entry is a District (so the shape net has case knowledge to use). */
  readonly hasDistricts: boolean;
  /** Every first word with letters, folded (digit-letters.ts): "B1rch" is looked up here. */
  readonly foldedFirst: readonly { readonly folded: string; readonly first: string }[];
  /** First words long enough to be matched one slip away (match.ts `near`), by first letter (a slip never changes it). */
  readonly nearKeys: ReadonlyMap<number, readonly string[]>;
  /** Pre-check for a first word written as two (match.ts `gluedFirst`): every proper beginning of a first word of letters. */
  readonly gluePrefixes: WordFilter;
}

export interface CompactValue {
  readonly value: string;
  /** Digits only: a number may carry a prefix (0, 44, 0044) or leading zeros before it. */
  readonly digits: boolean;
}

/** Loose postcode finder inside a source line; parsePostcode decides. */
const POSTCODE_IN_LINE = /(?<![A-Za-z0-9])[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s{0,3}[0-9][A-Za-z]{2}(?![A-Za-z0-9])/g;
const LONG_DIGITS = /(?:\+|\b)[0-9][0-9 ()\-.]{6,}[0-9]/g;
const PART_SPLIT = /[,;\n\r]+/;

class Builder {
  private readonly entries = new Map<string, Entry>();
  private readonly compact = new Map<string, CompactValue>();

  add(toks: readonly string[], kind: EntryKind): void {
    if (toks.length === 0) return;
    if (kind === EntryKind.Phrase && toks.length >= 2 && toks.length <= 4) {
      // A name run together ("HavenHouse") is the same name.
      const glued = toks.join('');
      if (glued.length >= 6 && !/[0-9]/.test(glued)) this.put([glued], kind);
    }
    this.put(toks, kind);
  }

  private put(toks: readonly string[], kind: EntryKind): void {
    const key = toks.join('\u0000');
    const had = this.entries.get(key);
    // One phrase, two kinds: the broader one wins (an Address also takes its number and type).
    if (!had || had.kind < kind) this.entries.set(key, { toks, kind, folded: toks.map(digitFold) });
  }

  addCompact(value: string, digits: boolean): void {
    // Compared with look-alike letters folded on both sides ("07700 9OO456": compactView).
    if (value.length > 0) this.compact.set(value, { value: foldLookalikes(value), digits });
  }

  build(): CompiledLexicon {
    const byFirst = new Map<string, Entry[]>();
    let hasDistricts = false;
    for (const e of this.entries.values()) {
      if (e.kind === EntryKind.District) hasDistricts = true;
      const list = byFirst.get(e.toks[0]!);
      if (list) list.push(e);
      else byFirst.set(e.toks[0]!, [e]);
    }
    const firstFilter = new WordFilter();
    for (const [first, list] of byFirst) {
      list.sort((a, b) => b.toks.length - a.toks.length);
      firstFilter.add(first);
    }
    const compact = [...this.compact.values()];
    const nearKeys = new Map<number, string[]>();
    for (const k of byFirst.keys()) {
      if (k.length < 6 || /[0-9]/.test(k)) continue;
      const list = nearKeys.get(k.charCodeAt(0));
      if (list) list.push(k);
      else nearKeys.set(k.charCodeAt(0), [k]);
    }
    const foldedFirst = [...byFirst.keys()].filter((k) => /[a-z]/.test(k)).map((first) => ({ folded: digitFold(first), first }));
    const gluePrefixes = new WordFilter();
    for (const k of byFirst.keys()) {
      if (k.length < 4 || !/^[a-z]+$/.test(k)) continue;
      for (let n = 1; n < k.length; n++) gluePrefixes.add(k.slice(0, n));
    }
    return { empty: byFirst.size === 0 && compact.length === 0, byFirst, firstFilter, compact, hasDistricts, nearKeys, foldedFirst, gluePrefixes };
  }
}

// ---- digits --------------------------------------------------------------------------------------

/** A phone number's national significant number: without +44 / 0044 / (0) / the leading 0. */
export function phoneDigits(phone: string): string {
  const plus = /^\s*\+/.test(phone);
  let d = phone.replace(/\(0\)/g, '').replace(/[^0-9]/g, '');
  if (plus && d.startsWith('44')) d = d.slice(2);
  else if (d.startsWith('0044')) d = d.slice(4);
  return d.replace(/^0+/, '');
}

function addPhone(b: Builder, phone: string): void {
  const d = phoneDigits(phone);
  if (d.length >= 6) b.addCompact(d, true);
  else b.add(normTokens(phone).norm, EntryKind.Phrase);
}

function addUprn(b: Builder, uprn: string): void {
  const d = uprnDigits(uprn);
  if (d.length >= 6) b.addCompact(d, true);
  // A short UPRN is an everyday number: only "UPRN 1234" is its mention.
  else if (d.length > 0) b.add(['uprn', d], EntryKind.Phrase);
}

// ---- postcodes -----------------------------------------------------------------------------------

function addPostcode(b: Builder, pc: string): void {
  const p = parsePostcode(pc);
  if (!p) {
    // Not a UK postcode we can parse: still hide it in any spacing.
    const c = pc.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (c.length >= 4) b.addCompact(c, false);
    return;
  }
  b.addCompact((p.outward + p.inward).toLowerCase(), false);
  b.add(normTokens(p.sector).norm, EntryKind.Phrase);
  b.add(normTokens(p.district).norm, EntryKind.District);
}

// ---- address lines -------------------------------------------------------------------------------

/** Index of the first token after a leading house-number cluster ("Flat 6 30a", "no. 12", "6/30"). */
function afterNumbers(norm: readonly string[], num: readonly boolean[]): number {
  let k = 0;
  while (k < norm.length) {
    if (num[k]) { k++; continue; }
    if (FLAT_WORDS.has(norm[k]!) && k + 1 < norm.length && num[k + 1]) { k++; continue; }
    // a house letter: "30 a Birch", "30a Birch" (a letter after a number, before more words)
    if (k > 0 && num[k - 1] && norm[k]!.length === 1 && k + 1 < norm.length) { k++; continue; }
    break;
  }
  return k;
}

/** The house number (and its letter) of a number cluster: the last number, "30" of "Flat 6, 30A". */
function houseNumberOf(norm: readonly string[], num: readonly boolean[], upTo: number): string[] | undefined {
  for (let k = upTo - 1; k >= 0; k--) {
    if (!num[k]) continue;
    const letter = k + 1 < upTo && !num[k + 1] && norm[k + 1]!.length === 1 ? norm[k + 1] : undefined;
    return letter ? [norm[k]!, letter] : [norm[k]!];
  }
  return undefined;
}

/** A house name without its building word that is no everyday word ("Larkspur", not "Rose"). */
function distinctive(toks: readonly string[]): boolean {
  if (toks.length === 0 || toks[0] === 'the') return false;
  return toks.join('').length >= 6 && toks.every((t) => !/[0-9]/.test(t) && !NOT_A_NAME.has(t));
}

function meaningful(toks: readonly string[]): boolean {
  return toks.some((t) => t.length >= 2 && !NOT_A_NAME.has(t) && t !== 'the');
}

function addStreet(b: Builder, house: string[] | undefined, name: string[], type: string | undefined): void {
  if (name.length === 0) return;
  if (house) {
    b.add([house[0]!, ...name], EntryKind.Address);
    if (house.length > 1) b.add([...house, ...name], EntryKind.Address);
  }
  // With its type even a counting word names the street ("Times Road", "Mile End"); only function
  // words alone do not ("The Road").
  if (type && name.some((t) => t.length >= 3 && t !== 'the' && !FUNCTION_WORDS.has(t))) {
    b.add([...name, type], EntryKind.Address);
    // Run together, as in a hurried note or a hashtag: "BirchWalk", "birchwk".
    const glued = name.join('');
    if (glued.length >= 4 && name.every((w) => !/[0-9]/.test(w))) for (const v of typeVariants(type)) b.add([glued + v], EntryKind.Address);
  }
  // A name of two or more words is specific enough alone ("Old Mill", "Harbour Side").
  if (name.length >= 2 && name.join('').length >= 7 && meaningful(name)) b.add(name, EntryKind.Address);
}

interface Part { norm: string[]; num: boolean[] }

/**
 * Splits a part where a house-number cluster follows a word, so "Flat 6 Rose Court 30 Birch
 * Walk" is read as "Flat 6 Rose Court" and "30 Birch Walk".
 */
function segments(norm: string[], num: boolean[]): Part[] {
  const out: Part[] = [];
  let from = 0;
  for (let i = 1; i < norm.length; i++) {
    const startsCluster = (num[i]! || (FLAT_WORDS.has(norm[i]!) && num[i + 1] === true)) && !num[i - 1] && !FLAT_WORDS.has(norm[i - 1]!);
    if (startsCluster) {
      out.push({ norm: norm.slice(from, i), num: num.slice(from, i) });
      from = i;
    }
  }
  out.push({ norm: norm.slice(from), num: num.slice(from) });
  return out;
}

/**
 * Address lines as written, split at commas and line breaks. Parts before the street (house or
 * refuge names) and parts naming a building or estate are location text; plain parts after the
 * street (locality, town, county) are not.
 */
function addAddressLines(b: Builder, lines: readonly string[]): void {
  const parts: Part[] = [];
  for (const line of lines) {
    for (let p of line.split(PART_SPLIT)) {
      p = p.replace(POSTCODE_IN_LINE, (m) => { if (parsePostcode(m)) { addPostcode(b, m); return ' '; } return m; });
      const t = normTokens(p);
      if (t.norm.length > 0) parts.push(...segments(t.norm, t.num));
    }
  }
  let streetSeen = false;
  let pendingHouse: string[] | undefined;
  parts.forEach((part, idx) => {
    const { norm, num } = part;
    const k = afterNumbers(norm, num);
    const own = houseNumberOf(norm, num, k);
    const pending = pendingHouse;
    const rest = norm.slice(k);
    if (rest.length === 0) {
      pendingHouse = houseNumberOf(norm, num, norm.length);
      return;
    }
    pendingHouse = undefined;
    const last = idx === parts.length - 1;
    // Every street type is a possible end of the street name: "30 Birch Walk Harlow Green" has
    // "Birch Walk" in it as well as "Birch Walk Harlow Green".
    let typed = false;
    for (let j = 1; j < rest.length; j++) {
      if (!isStreetType(rest[j]!)) continue;
      addStreet(b, own ?? pending, rest.slice(0, j), rest[j]);
      // A house or refuge name before the street ("Larkspur House") is also found without its
      // building word ("at Larkspur"), when the name is no everyday word.
      if (!own && !pending && !streetSeen && !last && distinctive(rest.slice(0, j))) b.add(rest.slice(0, j), EntryKind.Phrase);
      typed = true;
    }
    if (typed) {
      streetSeen = true;
      return;
    }
    if (own) {
      addStreet(b, own, rest, undefined);
      streetSeen = true;
      return;
    }
    // No number of its own and no street type: a house name before the street ("Flat 5" /
    // "Sunnyside" / "12 Birch Walk"), or the locality, town or county after it. A number on the
    // line before may be a flat's or the house's: both readings are kept.
    if (!streetSeen && !last && meaningful(rest)) {
      b.add(rest, EntryKind.Phrase);
    }
    if (pending && !streetSeen) addStreet(b, pending, rest, undefined);
  });
}

/** An e-mail address as tokens, and as people write it to dodge harvesters ("jane(at)example.org"). */
function addEmail(b: Builder, email: string): void {
  const at = email.lastIndexOf('@');
  b.add(normTokens(email).norm, EntryKind.Phrase);
  if (at <= 0) return;
  // "jane.s (at) example.org", "jane dot s at example dot org" and the mixtures.
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dotted = (x: string) => normTokens(x.replace(/\./g, ' dot ')).norm;
  for (const l of [normTokens(local).norm, dotted(local)]) {
    for (const d of [normTokens(domain).norm, dotted(domain)]) b.add([...l, 'at', ...d], EntryKind.Phrase);
  }
}

/** Free locating text (refuge name, safe time, a town given as a location): itself, and any address in it. */
function addOther(b: Builder, value: string): void {
  const t = normTokens(value);
  if (t.norm.length === 0) return;
  if (t.norm.length > 1 || (t.norm[0]!.length >= 3 && !NOT_A_NAME.has(t.norm[0]!))) b.add(t.norm, EntryKind.Phrase);
  for (const m of value.match(POSTCODE_IN_LINE) ?? []) if (parsePostcode(m)) addPostcode(b, m);
  for (const m of value.match(LONG_DIGITS) ?? []) {
    const d = m.replace(/[^0-9]/g, '');
    if (d.length >= 9) addPhone(b, m);
  }
  // Streets inside the text ("refuge at 9 Quarry Row"): numbers followed by words up to a street type.
  for (let i = 0; i < t.norm.length; i++) {
    if (!t.num[i]) continue;
    let j = i + 1;
    if (j < t.norm.length && !t.num[j] && t.norm[j]!.length === 1) j++;
    const start = j;
    while (j < t.norm.length && j - start < 4 && !t.num[j] && !isStreetType(t.norm[j]!)) j++;
    if (j > start && j < t.norm.length && isStreetType(t.norm[j]!)) {
      addStreet(b, houseNumberOf(t.norm, t.num, start), t.norm.slice(start, j), t.norm[j]);
    }
  }
}

export interface SourceLike {
  addressLines?: readonly string[];
  postcode?: string;
  uprn?: string;
  phones?: readonly string[];
  emails?: readonly string[];
  other?: readonly string[];
}

export function compile(sources: readonly SourceLike[]): CompiledLexicon {
  const b = new Builder();
  for (const s of sources) {
    if (s.addressLines?.length) addAddressLines(b, s.addressLines);
    if (s.postcode) addPostcode(b, s.postcode);
    if (s.uprn) addUprn(b, s.uprn);
    for (const p of s.phones ?? []) addPhone(b, p);
    for (const e of s.emails ?? []) addEmail(b, e);
    for (const o of s.other ?? []) addOther(b, o);
  }
  return b.build();
}
