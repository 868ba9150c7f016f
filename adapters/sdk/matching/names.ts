/**
 * Name comparison for subject matching: normalisation, nickname variants, a phonetic key and edit
 * distance for typos. Scores are in [0, 1]; `how` says which rule produced the score so the matcher
 * can report what it matched on.
 */
import { areNameVariants } from './nicknames.js';

export interface PersonName {
  given?: string[];
  family?: string;
  use?: string;
}

export type NameHow = 'exact' | 'variant' | 'typo' | 'phonetic' | 'partial' | 'initial' | 'none';

export interface PartScore {
  score: number;
  how: NameHow;
}

/** Names repeat a lot (every candidate, every query): memoise the pure string functions, bounded. */
function memo(f: (s: string) => string, max = 50_000): (s: string) => string {
  const cache = new Map<string, string>();
  return (s) => {
    let v = cache.get(s);
    if (v === undefined) {
      v = f(s);
      if (cache.size >= max) cache.clear();
      cache.set(s, v);
    }
    return v;
  };
}

/** Lower case, strip accents, keep letters, spaces and hyphens; apostrophes and dots vanish (O'Brien = OBrien). */
export const normaliseName = memo(normaliseNameRaw);

function normaliseNameRaw(raw: string): string {
  return raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’.`]/g, '')
    .replace(/[^a-z\s-]/g, ' ')
    .replace(/\s*-\s*/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Damerau–Levenshtein (optimal string alignment): a transposition counts as one edit. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/** Jaro–Winkler similarity (prefix scale 0.1, prefix up to 4). */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  if (!a.length || !b.length) return 0;
  const range = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aM = new Array<boolean>(a.length).fill(false);
  const bM = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const lo = Math.max(0, i - range);
    const hi = Math.min(i + range + 1, b.length);
    for (let j = lo; j < hi; j++) {
      if (bM[j] || a[i] !== b[j]) continue;
      aM[i] = bM[j] = true;
      matches++;
      break;
    }
  }
  if (!matches) return 0;
  let t = 0;
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    if (!aM[i]) continue;
    while (!bM[k]) k++;
    if (a[i] !== b[k]) t++;
    k++;
  }
  const jaro = (matches / a.length + matches / b.length + (matches - t / 2) / matches) / 3;
  let prefix = 0;
  while (prefix < 4 && prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

const SOUNDEX: Record<string, string> = {
  b: '1', f: '1', p: '1', v: '1',
  c: '2', g: '2', j: '2', k: '2', q: '2', s: '2', x: '2', z: '2',
  d: '3', t: '3', l: '4', m: '5', n: '5', r: '6',
};

/**
 * Soundex with English spelling normalised first (PH→F, initial KN/WR/PS, soft C, CK, Y as a vowel),
 * and the first letter coded by sound too, so Catherine/Kathryn and Philips/Filips share a key.
 */
export const phoneticKey = memo(phoneticKeyRaw);

function phoneticKeyRaw(raw: string): string {
  let s = normaliseName(raw).replace(/[^a-z]/g, '');
  if (!s) return '';
  s = s
    .replace(/^kn/, 'n').replace(/^wr/, 'r').replace(/^ps/, 's').replace(/^wh/, 'w')
    .replace(/ph/g, 'f').replace(/ck/g, 'k').replace(/c(?=[eiy])/g, 's').replace(/c/g, 'k')
    .replace(/q/g, 'k').replace(/y/g, 'i');
  const first = 'aeiou'.includes(s[0]!) ? 'A' : s[0]!.toUpperCase();
  let out = '';
  let last = SOUNDEX[s[0]!] ?? '';
  for (let i = 1; i < s.length && out.length < 3; i++) {
    const c = s[i]!;
    const code = SOUNDEX[c];
    if (code === undefined) {
      if (c !== 'h' && c !== 'w') last = '';
      continue;
    }
    if (code !== last) out += code;
    last = code;
  }
  return (first + out).padEnd(4, '0');
}

function typoTolerance(len: number): number {
  // Short names are too close to each other (Mark/Mary, Jon/Jan) for an edit to be a typo.
  if (len >= 8) return 2;
  if (len >= 5) return 1;
  return 0;
}

/** Compare two single name tokens (already normalised). */
export function compareToken(a: string, b: string, opts: { nicknames: boolean }): PartScore {
  if (!a || !b) return { score: 0, how: 'none' };
  if (a === b) return { score: 1, how: 'exact' };
  if (opts.nicknames && areNameVariants(a, b)) return { score: 0.95, how: 'variant' };
  const ca = a.replace(/[\s-]/g, '');
  const cb = b.replace(/[\s-]/g, '');
  if (ca === cb) return { score: 1, how: 'exact' };
  const tolerance = typoTolerance(Math.min(a.length, b.length));
  // The edit distance is at least the difference in length: skip the matrix when it cannot pass.
  if (tolerance > 0 && Math.abs(ca.length - cb.length) <= tolerance && editDistance(ca, cb) <= tolerance) return { score: 0.9, how: 'typo' };
  if (phoneticKey(a) === phoneticKey(b) && jaroWinkler(a, b) >= 0.8) return { score: 0.85, how: 'phonetic' };
  if (opts.nicknames && (a.length === 1 || b.length === 1) && a[0] === b[0]) return { score: 0.6, how: 'initial' };
  return { score: 0, how: 'none' };
}

/** Family names: double-barrelled / hyphenated names match on any part ("Smith-Jones" ~ "Jones"). */
export function compareFamily(a: string, b: string): PartScore {
  const na = normaliseName(a);
  const nb = normaliseName(b);
  const whole = compareToken(na, nb, { nicknames: false });
  if (whole.score > 0) return whole;
  const pa = na.split(/[\s-]/).filter((p) => p.length > 1);
  const pb = nb.split(/[\s-]/).filter((p) => p.length > 1);
  if (pa.length > 1 || pb.length > 1) {
    for (const x of pa) for (const y of pb) if (x === y) return { score: 0.85, how: 'partial' };
  }
  return { score: 0, how: 'none' };
}

/** Given names: first against first, else any given name against any (a middle name used as first). */
export function compareGiven(a: string[], b: string[]): PartScore {
  const na = a.flatMap((g) => normaliseName(g).split(' ')).filter(Boolean);
  const nb = b.flatMap((g) => normaliseName(g).split(' ')).filter(Boolean);
  if (!na.length || !nb.length) return { score: 0, how: 'none' };
  const first = compareToken(na[0]!, nb[0]!, { nicknames: true });
  if (first.score >= 0.85) return first;
  let best = first;
  for (const x of na) {
    for (const y of nb) {
      if (x.length === 1 || y.length === 1) continue;
      const s = compareToken(x, y, { nicknames: true });
      const scaled = { score: s.score * 0.9, how: s.how };
      if (scaled.score > best.score) best = scaled;
    }
  }
  return best;
}

export interface NameComparison {
  family: PartScore;
  given: PartScore;
  /** Given and family were entered the wrong way round. */
  reversed: boolean;
}

export function compareNames(a: PersonName, b: PersonName): NameComparison {
  const straight: NameComparison = {
    family: a.family && b.family ? compareFamily(a.family, b.family) : { score: 0, how: 'none' },
    given: compareGiven(a.given ?? [], b.given ?? []),
    reversed: false,
  };
  if (straight.family.score >= 0.85 && straight.given.score >= 0.85) return straight;
  // "SMITH John" keyed as given=Smith, family=John: compare crosswise, at a small discount.
  const aGiven0 = a.given?.[0];
  const bGiven0 = b.given?.[0];
  if (a.family && b.family && aGiven0 && bGiven0) {
    const f = compareFamily(a.family, bGiven0);
    const g = compareGiven([aGiven0], [b.family]);
    if (f.score >= 0.9 && g.score >= 0.9 && f.score + g.score > straight.family.score + straight.given.score) {
      return { family: { score: f.score * 0.9, how: f.how }, given: { score: g.score * 0.9, how: g.how }, reversed: true };
    }
  }
  return straight;
}
