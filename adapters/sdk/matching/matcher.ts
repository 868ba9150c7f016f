/**
 * Subject matching: deterministic on strong identifiers, then name + date of birth (+ postcode/UPRN).
 *
 * Rules that keep a life-safety setting safe:
 *   - MATCHED needs either a valid strong identifier that agrees, or a name that agrees AND an exact
 *     date of birth. Name-only evidence can at most be POSSIBLE, by construction.
 *   - A conflicting strong identifier, a sex conflict, or a second candidate almost as good holds the
 *     result back to POSSIBLE, for a person to confirm.
 *   - Invalid identifiers (bad check digit) are ignored, never compared.
 */
import { postcodeKey } from '@marac/uk-identifiers';
import { compareDobs, type DobScore } from './dates.js';
import { normaliseIdentifier, STRONG_SYSTEMS, type IdentifierSystem } from './identifiers.js';
import { compareNames, normaliseName, phoneticKey, type NameComparison } from './names.js';
import type { CandidatePerson, MatchedOn, MatchResult, PersonName, SubjectQuery } from './types.js';

export interface Matcher {
  match(subject: SubjectQuery): MatchResult;
  readonly size: number;
}

export interface BlockingMatcher extends Matcher {
  /**
   * The people sharing the subject's blocking keys (identifier values, family/given phonetic keys,
   * dates of birth with day/month swaps, UPRN): exactly those `match` would score. An in-memory
   * source answers a search with them (never the whole population).
   */
  candidates(subject: SubjectQuery): CandidatePerson[];
}

interface Indexed {
  person: CandidatePerson;
  ids: Map<string, string>;
  uprns: Set<string>;
  postcodes: Set<string>;
}

interface Scored {
  c: Indexed;
  status: 'MATCHED' | 'POSSIBLE' | 'NOT_FOUND';
  confidence: number;
  matchedOn: string[];
  caveats: string[];
  byIdentifier: boolean;
}

/** Postcode comparison key ("cm1 2ab" → "CM12AB"): the shape, without the Royal Mail letter rules. */
export const normalisePostcode = postcodeKey;

function normaliseSex(raw: string | undefined): 'F' | 'M' | null {
  const v = raw?.trim().toUpperCase();
  if (v === 'F' || v === 'FEMALE') return 'F';
  if (v === 'M' || v === 'MALE') return 'M';
  return null;
}

function identifierMap(ids: readonly { system: string; value: string }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const { system, value } of ids) {
    const v = normaliseIdentifier(system, value);
    if (v !== null && system !== 'uprn') out.set(system, v);
  }
  return out;
}

function bestName(qs: readonly PersonName[], cs: readonly PersonName[]): { cmp: NameComparison; alias: boolean } | null {
  let best: { cmp: NameComparison; alias: boolean; total: number } | null = null;
  qs.forEach((q, i) => {
    cs.forEach((c, j) => {
      const cmp = compareNames(q, c);
      const alias = i > 0 || j > 0 || isAliasUse(q.use) || isAliasUse(c.use);
      const total = cmp.family.score + cmp.given.score - (alias ? 0.001 : 0);
      if (!best || total > best.total) best = { cmp, alias, total };
    });
  });
  return best ? { cmp: (best as { cmp: NameComparison }).cmp, alias: (best as { alias: boolean }).alias } : null;
}

function isAliasUse(use: string | undefined): boolean {
  return use !== undefined && use !== 'official' && use !== 'usual';
}

function nameTokens(n: NameComparison, alias: boolean): string[] {
  const out = [alias ? 'alias' : 'name'];
  const hows = [n.family.how, n.given.how];
  if (hows.includes('variant')) out.push('name-variant');
  if (hows.some((h) => h === 'typo' || h === 'phonetic')) out.push('name-typo');
  if (n.reversed) out.push('name-reversed');
  return out;
}

function dobTokens(d: DobScore): string[] {
  const out = [d.how === 'exact' ? 'dob' : d.how === 'swapped' ? 'dob-swapped' : 'dob-typo'];
  if (d.alternative) out.push('dob-alternative');
  return out;
}

const round = (x: number) => Math.round(x * 100) / 100;

function score(q: SubjectQuery, qIds: Map<string, string>, qUprn: string | null, qPc: string | null, c: Indexed): Scored {
  const matchedOn: string[] = [];
  const caveats: string[] = [];
  const agreeing: IdentifierSystem[] = [];
  const conflicting: IdentifierSystem[] = [];
  for (const sys of STRONG_SYSTEMS) {
    const a = qIds.get(sys);
    const b = c.ids.get(sys);
    if (a === undefined || b === undefined) continue;
    if (a === b) agreeing.push(sys);
    else conflicting.push(sys);
  }
  const name = q.names?.length && c.person.names.length ? bestName(q.names, c.person.names) : null;
  const dob = q.dobs?.length && c.person.dobs.length ? compareDobs(q.dobs, c.person.dobs) : null;
  const uprnAgrees = qUprn !== null && c.uprns.has(qUprn);
  const pcAgrees = qPc !== null && c.postcodes.has(qPc);
  const qSex = normaliseSex(q.sexOrGender);
  const cSex = normaliseSex(c.person.sexOrGender);
  const sexConflict = qSex !== null && cSex !== null && qSex !== cSex;

  const fam = name?.cmp.family.score ?? 0;
  const giv = name?.cmp.given.score ?? 0;
  const nameAgrees = fam >= 0.85 && giv >= 0.85;
  const nameExact = fam >= 0.95 && giv >= 0.95 && !name?.cmp.reversed;
  const partialName = !nameAgrees && (fam >= 0.85 || giv >= 0.85);
  const dobExact = dob?.how === 'exact';
  const dobNear = dob !== null && (dob.how === 'swapped' || dob.how === 'typo');
  const address = uprnAgrees || pcAgrees;

  if (name && (nameAgrees || partialName)) matchedOn.push(...nameTokens(name.cmp, name.alias));
  if (dob && dob.score > 0) matchedOn.push(...dobTokens(dob));
  if (uprnAgrees) matchedOn.push('uprn');
  if (pcAgrees) matchedOn.push('postcode');
  if (sexConflict) caveats.push('SEX_CONFLICT');

  if (agreeing.length) {
    matchedOn.unshift(...agreeing);
    const nameDisagrees = name !== null && fam < 0.5 && giv < 0.5;
    const dobDisagrees = dob !== null && dob.score === 0;
    if (conflicting.length) caveats.push(`IDENTIFIER_CONFLICT:${conflicting.join(',')}`);
    if (nameDisagrees && dobDisagrees) caveats.push('DEMOGRAPHICS_CONFLICT');
    if (sexConflict && nameDisagrees) caveats.push('DEMOGRAPHICS_CONFLICT');
    const held = conflicting.length > 0 || caveats.includes('DEMOGRAPHICS_CONFLICT');
    if (held) return { c, status: 'POSSIBLE', confidence: 0.5, matchedOn, caveats, byIdentifier: true };
    const corroborated = nameAgrees || dobExact || partialName;
    const confidence = corroborated ? (nameAgrees && dobExact ? 0.99 : 0.98) : nameDisagrees || dobDisagrees ? 0.9 : 0.97;
    return { c, status: 'MATCHED', confidence, matchedOn, caveats, byIdentifier: true };
  }

  // No strong identifier agrees: demographics decide, and a conflicting strong identifier is
  // strong evidence of a different person.
  const idConflict = conflicting.length > 0;
  if (idConflict) caveats.push(`IDENTIFIER_CONFLICT:${conflicting.join(',')}`);
  let status: Scored['status'] = 'NOT_FOUND';
  let confidence = 0;
  if (nameAgrees && dobExact) {
    const addr = address ? 0.04 : 0;
    if (nameExact || address) {
      status = 'MATCHED';
      confidence = (nameExact ? 0.93 : 0.91) + addr;
    } else {
      status = 'POSSIBLE';
      confidence = 0.8;
    }
  } else if (nameAgrees && dobNear) {
    status = 'POSSIBLE';
    confidence = (dob!.how === 'swapped' ? 0.75 : 0.65) + (address ? 0.1 : 0);
  } else if (partialName && dobExact && (address || giv >= 0.95)) {
    // A changed family name (marriage, separation) with the same given name and DOB.
    status = 'POSSIBLE';
    confidence = address ? 0.7 : 0.6;
  } else if (nameAgrees && dob === null) {
    status = 'POSSIBLE';
    confidence = address ? 0.6 : 0.5;
  }
  if (status !== 'NOT_FOUND' && (idConflict || sexConflict)) {
    if (idConflict && !(nameExact && dobExact)) return { c, status: 'NOT_FOUND', confidence: 0, matchedOn: [], caveats, byIdentifier: false };
    status = 'POSSIBLE';
    confidence = Math.min(confidence, idConflict ? 0.4 : 0.6);
  }
  return { c, status, confidence, matchedOn: status === 'NOT_FOUND' ? [] : matchedOn, caveats, byIdentifier: false };
}

const RANK = { MATCHED: 2, POSSIBLE: 1, NOT_FOUND: 0 } as const;

export function createMatcher(people: readonly CandidatePerson[]): BlockingMatcher {
  const indexed: Indexed[] = people.map((person) => ({
    person,
    ids: identifierMap(person.identifiers),
    uprns: new Set((person.uprns ?? []).map((u) => normaliseIdentifier('uprn', u)).filter((u): u is string => u !== null)),
    postcodes: new Set((person.postcodes ?? []).map(normalisePostcode).filter((p): p is string => p !== null)),
  }));
  // Blocking keys keep matching sub-linear: identifier values, family-name phonetic keys, given-name
  // phonetic keys and DOBs (with day/month swapped) each point at the candidates sharing them.
  const blocks = new Map<string, Set<number>>();
  const add = (key: string, i: number) => {
    const s = blocks.get(key) ?? new Set<number>();
    s.add(i);
    blocks.set(key, s);
  };
  indexed.forEach((c, i) => {
    for (const [sys, v] of c.ids) add(`id:${sys}:${v}`, i);
    for (const n of c.person.names) {
      for (const k of nameKeys(n)) add(k, i);
    }
    for (const d of c.person.dobs) for (const k of dobKeys(d)) add(k, i);
    for (const u of c.uprns) add(`uprn:${u}`, i);
  });

  function blocked(subject: SubjectQuery): { cand: number[]; qIds: Map<string, string>; qUprn: string | null } {
    const qIds = identifierMap(subject.identifiers ?? []);
    const address = typeof subject.address === 'object' ? subject.address : undefined;
    const uprnRaw = address?.uprn ?? subject.identifiers?.find((i) => i.system === 'uprn')?.value;
    const qUprn = uprnRaw ? normaliseIdentifier('uprn', uprnRaw) : null;
    // Which kinds of blocking key each candidate shares with the query. A candidate sharing only
    // one kind (a common given name, say) cannot reach POSSIBLE unless it has an identifier or
    // the query has no date of birth, so it is not scored at all.
    const kinds = new Map<number, number>();
    const take = (k: string, kind: number) => blocks.get(k)?.forEach((i) => kinds.set(i, (kinds.get(i) ?? 0) | kind));
    const ID = 1, FAM = 2, GIV = 4, DOB = 8;
    for (const [sys, v] of qIds) take(`id:${sys}:${v}`, ID);
    for (const n of subject.names ?? []) for (const k of nameKeys(n)) take(k, k.startsWith('fam:') ? FAM : GIV);
    const dobs = (subject.dobs ?? []).flatMap(dobKeys);
    for (const k of dobs) take(k, DOB);
    if (qUprn) take(`uprn:${qUprn}`, ID);
    const anyKind = dobs.length === 0;
    const cand: number[] = [];
    for (const [i, k] of kinds) if (k & ID || anyKind || (k & (k - 1)) !== 0) cand.push(i);
    return { cand, qIds, qUprn };
  }

  return {
    size: indexed.length,
    candidates(subject: SubjectQuery): CandidatePerson[] {
      return blocked(subject).cand.map((i) => indexed[i]!.person);
    },
    match(subject: SubjectQuery): MatchResult {
      const { cand, qIds, qUprn } = blocked(subject);
      const address = typeof subject.address === 'object' ? subject.address : undefined;
      const qPc = address?.postcode ? normalisePostcode(address.postcode) : null;
      const scored = cand
        .map((i) => score(subject, qIds, qUprn, qPc, indexed[i]!))
        .filter((s) => s.status !== 'NOT_FOUND')
        .sort((a, b) => RANK[b.status] - RANK[a.status] || b.confidence - a.confidence);
      const best = scored[0];
      if (!best) return { status: 'NOT_FOUND', confidence: 0, matchedOn: [], evidence: [] };
      const evidence = [...new Set(best.matchedOn)];
      const result: MatchResult = {
        status: best.status,
        confidence: round(best.confidence),
        matchedOn: toSchemaTokens(evidence),
        evidence,
        recordId: best.c.person.recordId,
      };
      const caveats = [...best.caveats];
      const runnerUp = scored[1];
      // Two people both look right (twins with similar names, duplicate records): a human decides.
      if (runnerUp && !best.byIdentifier && best.status === 'MATCHED' && runnerUp.confidence >= best.confidence - 0.05) {
        result.status = 'POSSIBLE';
        result.confidence = round(Math.min(best.confidence, 0.6));
        caveats.push('AMBIGUOUS');
      }
      if (caveats.length) result.caveats = caveats;
      return result;
    },
  };
}

const SCHEMA_TOKENS: Record<string, MatchedOn> = {
  'nhs-number': 'nhs-number', 'pnc-id': 'pnc-id', 'la-child-id': 'la-child-id', upn: 'upn', uprn: 'uprn', postcode: 'postcode',
  name: 'name', alias: 'name', 'name-variant': 'name', 'name-typo': 'name', 'name-reversed': 'name',
  dob: 'dob', 'dob-swapped': 'dob', 'dob-typo': 'dob', 'dob-alternative': 'dob',
};

function toSchemaTokens(evidence: string[]): MatchedOn[] {
  const out: MatchedOn[] = [];
  for (const e of evidence) {
    const t = SCHEMA_TOKENS[e];
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

function nameKeys(n: PersonName): string[] {
  const keys: string[] = [];
  if (n.family) {
    const f = normaliseName(n.family);
    keys.push(`fam:${phoneticKey(f)}`);
    for (const part of f.split(/[\s-]/)) if (part.length > 1 && part !== f) keys.push(`fam:${phoneticKey(part)}`);
  }
  const g = n.given?.[0];
  if (g) keys.push(`giv:${phoneticKey(normaliseName(g).split(' ')[0] ?? '')}`);
  return keys;
}

function dobKeys(d: string): string[] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d.trim());
  if (!m) return [];
  // Exact, swapped and same-day-month keys; a one-digit error elsewhere is still found via the name keys.
  return [`dob:${m[1]}-${m[2]}-${m[3]}`, `dob:${m[1]}-${m[3]}-${m[2]}`, `dm:${m[2]}-${m[3]}`, `ym:${m[1]}-${m[2]}`];
}
