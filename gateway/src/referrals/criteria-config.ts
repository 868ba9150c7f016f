/**
 * Referral criteria per MARAC area, from configuration (`policies/referrals/criteria.yaml`):
 * the four SafeLives criteria for every area, each area able to change their thresholds, drop one,
 * or add its own (the Pan-London MARAC review asks for harmful practices and adult family
 * violence) without code. Loaded once at start-up; every problem is listed and none is fatal
 * alone: a bad file refuses to start, as guardrails do.
 *
 * Each criterion has a `kind` this module knows how to judge, and maps to one of the four
 * criteria a case carries (what the agreements' thresholds and the policy engine understand).
 * A criterion an area adds is a `confirmation`: a named checkbox the referrer ticks, with reasons.
 */
import { parse as parseYaml } from 'yaml';
import { GatewayError } from '../errors.js';
import { RISK_CRITERIA, type RiskCriterion } from '../policy/types.js';

export class ReferralCriteriaInvalid extends GatewayError {
  readonly code = 'REFERRAL_CRITERIA_INVALID';
  readonly status = 500;
}

export type CriterionKind = 'dashScore' | 'judgement' | 'policeCallouts' | 'repeat' | 'confirmation';
const KINDS: readonly CriterionKind[] = ['dashScore', 'judgement', 'policeCallouts', 'repeat', 'confirmation'];

interface CriterionBase {
  id: string;
  title: string;
  /** Shown to the referrer under the criterion. */
  hint?: string;
  /** Which of the four case criteria this one opens a case under. */
  caseCriterion: RiskCriterion;
}

export type Criterion = CriterionBase & (
  | { kind: 'dashScore'; minScore: number }
  | { kind: 'judgement' }
  | { kind: 'policeCallouts'; minCallouts: number; withinMonths: number }
  | { kind: 'repeat'; withinMonths: number }
  | { kind: 'confirmation'; confirm: string; requiresRationale: boolean }
);

export interface ReferralCriteria {
  /** The criteria of an area (the defaults when the file says nothing about it). */
  forArea(area: string): readonly Criterion[];
  /** Areas named in the file (for the documentation and tests). */
  areas(): string[];
}

/** The case criterion each kind opens under, unless a `confirmation` names its own. */
const CASE_CRITERION: Record<Exclude<CriterionKind, 'confirmation'>, RiskCriterion> = {
  dashScore: 'VISIBLE_HIGH_RISK',
  judgement: 'PROFESSIONAL_JUDGEMENT',
  policeCallouts: 'POTENTIAL_ESCALATION',
  repeat: 'REPEAT',
};

/** The SafeLives criteria: what an area gets with no file at all. */
export const SAFELIVES_DEFAULTS: readonly Criterion[] = [
  { id: 'VISIBLE_HIGH_RISK', kind: 'dashScore', title: 'Visible high risk', minScore: 14, caseCriterion: 'VISIBLE_HIGH_RISK' },
  { id: 'PROFESSIONAL_JUDGEMENT', kind: 'judgement', title: 'Professional judgement', caseCriterion: 'PROFESSIONAL_JUDGEMENT' },
  { id: 'POTENTIAL_ESCALATION', kind: 'policeCallouts', title: 'Potential escalation', minCallouts: 3, withinMonths: 12, caseCriterion: 'POTENTIAL_ESCALATION' },
  { id: 'REPEAT', kind: 'repeat', title: 'Repeat referral', withinMonths: 12, caseCriterion: 'REPEAT' },
];

const ID = /^[A-Z][A-Z0-9_]{1,63}$/;
const AREA = /^[a-z0-9][a-z0-9-]{1,62}$/;
const PARAMS: Record<CriterionKind, Record<string, 'int' | 'text' | 'bool' | 'case'>> = {
  dashScore: { minScore: 'int' },
  judgement: {},
  policeCallouts: { minCallouts: 'int', withinMonths: 'int' },
  repeat: { withinMonths: 'int' },
  confirmation: { confirm: 'text', requiresRationale: 'bool', caseCriterion: 'case' },
};
const RANGES: Record<string, [number, number]> = { minScore: [1, 24], minCallouts: [1, 1000], withinMonths: [1, 60] };
const COMMON = new Set(['id', 'kind', 'title', 'hint']);
/** One of each of these per area: a case carries one Dash score, one call-out count, one repeat date. */
const SINGLE: readonly CriterionKind[] = ['dashScore', 'judgement', 'policeCallouts', 'repeat'];

/** "North Essex" and "north-essex" are the same area (as for cases). */
export function areaKey(area: string): string {
  return area.trim().toLowerCase().replace(/\s+/g, '-');
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkParam(where: string, name: string, type: 'int' | 'text' | 'bool' | 'case', v: unknown, problems: string[]): void {
  if (type === 'int') {
    const [lo, hi] = RANGES[name] ?? [0, 1000];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) problems.push(`${where}.${name}: a whole number from ${lo} to ${hi}`);
  } else if (type === 'text') {
    if (typeof v !== 'string' || v.trim().length === 0 || v.length > 300) problems.push(`${where}.${name}: text of 1 to 300 characters`);
  } else if (type === 'bool') {
    if (typeof v !== 'boolean') problems.push(`${where}.${name}: true or false`);
  } else if (!(RISK_CRITERIA as readonly unknown[]).includes(v)) {
    problems.push(`${where}.${name}: one of ${RISK_CRITERIA.join(', ')}`);
  }
}

/** A whole criterion as written under `criteria:` or an area's `add:`. */
function parseCriterion(raw: unknown, where: string, problems: string[]): Criterion | undefined {
  if (!isObj(raw)) return void problems.push(`${where}: expected a mapping`);
  const before = problems.length;
  const { id, kind, title, hint } = raw;
  if (typeof id !== 'string' || !ID.test(id)) problems.push(`${where}.id: upper-case letters, digits and _ (like HARMFUL_PRACTICES)`);
  if (!(KINDS as readonly unknown[]).includes(kind)) return void problems.push(`${where}.kind: one of ${KINDS.join(', ')}`);
  if (typeof title !== 'string' || title.trim().length === 0 || title.length > 100) problems.push(`${where}.title: text of 1 to 100 characters`);
  if (hint !== undefined && (typeof hint !== 'string' || hint.length > 500)) problems.push(`${where}.hint: text of up to 500 characters`);
  const params = PARAMS[kind as CriterionKind];
  for (const k of Object.keys(raw)) if (!COMMON.has(k) && !(k in params)) problems.push(`${where}.${k}: not a setting of a ${String(kind)} criterion`);
  for (const [name, type] of Object.entries(params)) {
    const optional = name === 'requiresRationale' || name === 'caseCriterion' || name === 'withinMonths';
    if (raw[name] === undefined && optional) continue;
    checkParam(where, name, type, raw[name], problems);
  }
  if (problems.length > before) return undefined;
  const k = kind as CriterionKind;
  const base = { id: id as string, title: (title as string).trim(), ...(typeof hint === 'string' ? { hint } : {}) };
  switch (k) {
    case 'dashScore': return { ...base, kind: k, minScore: raw.minScore as number, caseCriterion: CASE_CRITERION[k] };
    case 'judgement': return { ...base, kind: k, caseCriterion: CASE_CRITERION[k] };
    case 'policeCallouts': return { ...base, kind: k, minCallouts: raw.minCallouts as number, withinMonths: (raw.withinMonths as number | undefined) ?? 12, caseCriterion: CASE_CRITERION[k] };
    case 'repeat': return { ...base, kind: k, withinMonths: (raw.withinMonths as number | undefined) ?? 12, caseCriterion: CASE_CRITERION[k] };
    case 'confirmation': return {
      ...base, kind: k, confirm: (raw.confirm as string).trim(), requiresRationale: raw.requiresRationale !== false,
      caseCriterion: (raw.caseCriterion as RiskCriterion | undefined) ?? 'PROFESSIONAL_JUDGEMENT',
    };
  }
}

/** An override changes settings of a criterion, never its kind or id. */
function applyOverride(c: Criterion, raw: unknown, where: string, problems: string[]): Criterion {
  if (!isObj(raw)) {
    problems.push(`${where}: expected a mapping of settings`);
    return c;
  }
  const params = PARAMS[c.kind];
  const merged: Record<string, unknown> = { ...c };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'id' || k === 'kind') problems.push(`${where}.${k}: an override cannot change the ${k}`);
    else if (k === 'title' || k === 'hint') merged[k] = v;
    else if (k in params) merged[k] = v;
    else problems.push(`${where}.${k}: not a setting of a ${c.kind} criterion`);
  }
  // Only a confirmation says which case criterion it opens under; the others follow their kind.
  if (c.kind !== 'confirmation') delete merged.caseCriterion;
  return parseCriterion(merged, where, problems) ?? c;
}

function checkList(list: readonly Criterion[], where: string, problems: string[]): void {
  const ids = new Set<string>();
  for (const c of list) {
    if (ids.has(c.id)) problems.push(`${where}: criterion ${c.id} appears twice`);
    ids.add(c.id);
  }
  for (const kind of SINGLE) {
    if (list.filter((c) => c.kind === kind).length > 1) problems.push(`${where}: only one ${kind} criterion per area`);
  }
  if (list.length === 0) problems.push(`${where}: an area needs at least one criterion`);
}

/** Parses and checks the criteria file. Throws ReferralCriteriaInvalid listing every problem. */
export function loadReferralCriteria(yamlText: string): ReferralCriteria {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (e) {
    throw new ReferralCriteriaInvalid(`referral criteria: not YAML: ${(e as Error).message}`);
  }
  if (!isObj(doc)) throw new ReferralCriteriaInvalid('referral criteria: expected a mapping with `version`, `criteria` and `areas`');
  const problems: string[] = [];
  for (const k of Object.keys(doc)) if (!['version', 'criteria', 'areas'].includes(k)) problems.push(`unknown key ${k}`);
  if (doc.version !== 1) problems.push('version must be 1');

  let defaults: Criterion[] = [...SAFELIVES_DEFAULTS];
  if (doc.criteria !== undefined) {
    if (!Array.isArray(doc.criteria)) problems.push('criteria: expected a list');
    else defaults = doc.criteria.map((c, i) => parseCriterion(c, `criteria[${i}]`, problems)).filter((c): c is Criterion => !!c);
    checkList(defaults, 'criteria', problems);
  }

  const byArea = new Map<string, Criterion[]>();
  if (doc.areas !== undefined && !isObj(doc.areas)) problems.push('areas: expected a mapping of area name to its changes');
  for (const [area, spec] of Object.entries(isObj(doc.areas) ? doc.areas : {})) {
    const where = `areas.${area}`;
    if (!AREA.test(area)) problems.push(`${where}: an area name is lower case, digits and hyphens (as registered, like north-essex)`);
    if (!isObj(spec)) {
      problems.push(`${where}: expected a mapping with override, remove and add`);
      continue;
    }
    for (const k of Object.keys(spec)) if (!['override', 'remove', 'add'].includes(k)) problems.push(`${where}: unknown key ${k}`);
    let list = [...defaults];
    if (spec.override !== undefined) {
      if (!isObj(spec.override)) problems.push(`${where}.override: expected a mapping of criterion id to settings`);
      else for (const [id, change] of Object.entries(spec.override)) {
        const i = list.findIndex((c) => c.id === id);
        if (i < 0) problems.push(`${where}.override.${id}: no such criterion to override`);
        else list[i] = applyOverride(list[i]!, change, `${where}.override.${id}`, problems);
      }
    }
    if (spec.remove !== undefined) {
      if (!Array.isArray(spec.remove)) problems.push(`${where}.remove: expected a list of criterion ids`);
      else for (const id of spec.remove) {
        if (!list.some((c) => c.id === id)) problems.push(`${where}.remove: no criterion ${String(id)} to remove`);
        list = list.filter((c) => c.id !== id);
      }
    }
    if (spec.add !== undefined) {
      if (!Array.isArray(spec.add)) problems.push(`${where}.add: expected a list of criteria`);
      else list.push(...spec.add.map((c, i) => parseCriterion(c, `${where}.add[${i}]`, problems)).filter((c): c is Criterion => !!c));
    }
    checkList(list, where, problems);
    byArea.set(areaKey(area), list);
  }
  if (problems.length > 0) {
    throw new ReferralCriteriaInvalid(`referral criteria: ${problems.length} problem(s): ${problems.join('; ')}`);
  }
  const frozen = Object.freeze([...defaults]);
  return {
    forArea: (area) => byArea.get(areaKey(area)) ?? frozen,
    areas: () => [...byArea.keys()].sort(),
  };
}

/** No file: the SafeLives criteria everywhere. */
export function defaultReferralCriteria(): ReferralCriteria {
  return { forArea: () => SAFELIVES_DEFAULTS, areas: () => [] };
}
