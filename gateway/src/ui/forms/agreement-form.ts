import YAML from 'yaml';
import type { ProblemDetail } from '../../errors.js';
import { AGENCY_TYPES as AGENCY_TYPE_CODES } from '../../identity/principal.js';
import { AGENCY_TYPES, ART10_CONDITIONS, ART9_CONDITIONS, CONSENT_STATUSES, PURPOSES, RISK_CRITERIA, SUBJECT_ROLES } from '../labels.js';
import { checked, dateInput, dateParts, FormErrors, oneOf, text, wholeNumber, type FormBody } from './form-values.js';

/**
 * The agreement editor works on the stored document: each form changes only the keys it shows
 * and keeps everything else as it was. Two forms:
 *   - details: title, dates, retention, parties, purposes, lawful basis, case threshold;
 *   - one flow: who → whom, direction, purposes, conditions, and the release rule table (field,
 *     operator, settings). Settings are the operator's argument in YAML flow style, the same
 *     notation as the agreement files, so every rule round-trips exactly.
 * Validation of the whole agreement is the lifecycle service's; its problems (JSON Pointers) are
 * mapped back to the inputs here.
 */

export type Doc = Record<string, unknown>;

export const ARTICLE6 = ['PUBLIC_TASK', 'LEGAL_OBLIGATION', 'VITAL_INTERESTS', 'RECOGNISED_LI_SAFEGUARDING', 'LEGITIMATE_INTERESTS', 'CONSENT'] as const;
export const SCH8 = ['SCH8_P1', 'SCH8_P2', 'SCH8_P3', 'SCH8_P4', 'SCH8_P5', 'SCH8_P6', 'SCH8_P7', 'SCH8_P8', 'SCH8_P9'] as const;
export const MATCH_STATUSES = ['MATCHED', 'POSSIBLE', 'NOT_FOUND'] as const;
export const OPERATOR_NAMES = [
  'keep', 'drop', 'count', 'booleanise', 'pseudonymise', 'scrub',
  'mask', 'date', 'ageBand', 'postcode', 'truncate', 'window', 'limit', 'categorise', 'replace', 'pipeline',
] as const;
/** Operators written as a bare name; the others take settings. */
const BARE_OPERATORS = new Set(['keep', 'drop', 'count', 'booleanise', 'pseudonymise', 'scrub']);
export const OPERATOR_HINTS: Record<string, string> = {
  mask: '{ keepLast: 4 }',
  date: 'month or year',
  ageBand: '[0, 5, 11, 16, 18]',
  postcode: 'district or sector',
  truncate: '280',
  window: '{ months: 12, on: date }',
  limit: '{ top: 3, by: date }',
  categorise: '{ map: { A: X }, default: OTHER }',
  replace: 'CONFIDENTIAL',
  pipeline: '[{ window: { months: 12, on: date } }, { limit: { top: 3, by: date } }]',
};
/** Blank rows offered for new parties and rules. */
export const BLANK_ROWS = 3;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function flowYaml(v: unknown): string {
  return YAML.stringify(v, { collectionStyle: 'flow', lineWidth: 0 }).trim();
}

/** A selector `{ agency }` / `{ type }` / `{ role }` as one select value, e.g. `type:POLICE`. */
export function selectorValue(sel: unknown): string {
  if (!isObj(sel)) return '';
  const [k, v] = Object.entries(sel)[0] ?? [];
  return k && typeof v === 'string' ? `${k}:${v}` : '';
}

function selectorFrom(value: string): Record<string, string> | undefined {
  const m = /^(agency|type|role):([A-Za-z0-9_-]{1,63})$/.exec(value);
  return m ? { [m[1]!]: m[2]! } : undefined;
}

export function selectorOptions(parties: { agency: string; name?: string }[], selected: string) {
  const opts = [
    { value: '', text: 'Select who' },
    { value: 'role:coordinator', text: 'The MARAC coordinator' },
    ...AGENCY_TYPE_CODES.map((t) => ({ value: `type:${t}`, text: `Any party of type: ${AGENCY_TYPES[t] ?? t}` })),
    ...parties.map((p) => ({ value: `agency:${p.agency}`, text: `Only ${p.name ?? p.agency}` })),
  ];
  if (selected && !opts.some((o) => o.value === selected)) opts.push({ value: selected, text: selected });
  return opts.map((o) => ({ ...o, selected: o.value === selected }));
}

// ---------------------------------------------------------------------------------------------
// Details

export function detailsValues(doc: Doc): FormBody {
  const v: FormBody = {
    title: typeof doc.title === 'string' ? doc.title : '',
    description: typeof doc.description === 'string' ? doc.description : '',
    retentionDays: doc.retentionDays === undefined ? '' : String(doc.retentionDays),
    purposes: strings(doc.purposes),
  };
  for (const k of ['effectiveFrom', 'reviewBy', 'expiresAt']) {
    const d = dateParts(typeof doc[k] === 'string' ? (doc[k] as string) : undefined);
    v[`${k}-day`] = d.day;
    v[`${k}-month`] = d.month;
    v[`${k}-year`] = d.year;
  }
  const parties = Array.isArray(doc.parties) ? doc.parties.filter(isObj) : [];
  parties.forEach((p, i) => {
    v[`party-${i}-agency`] = typeof p.agency === 'string' ? p.agency : '';
    v[`party-${i}-type`] = typeof p.type === 'string' ? p.type : '';
    v[`party-${i}-name`] = typeof p.name === 'string' ? p.name : '';
    v[`party-${i}-coordinator`] = p.role === 'coordinator' ? 'yes' : '';
  });
  v.partyRows = String(parties.length + BLANK_ROWS);
  const basis = isObj(doc.lawfulBasis) ? doc.lawfulBasis : {};
  v.article6 = typeof basis.article6 === 'string' ? basis.article6 : '';
  v.article9 = strings(basis.article9);
  v.article10 = strings(basis.article10);
  v.part3Sch8 = strings(basis.part3Sch8);
  v.statutoryGateways = strings(basis.statutoryGateways).join(', ');
  const th = isObj(doc.caseThreshold) ? doc.caseThreshold : {};
  v.criteria = strings(th.criteria);
  for (const k of ['minDashScore', 'minPoliceCallouts12m', 'repeatWithinMonths']) v[k] = th[k] === undefined ? '' : String(th[k]);
  v.interAreas = isObj(doc.interArea) ? strings(doc.interArea.maracAreas).join(', ') : '';
  return v;
}

function keepTimeIfSameDay(original: unknown, iso: string): string {
  return typeof original === 'string' && original.slice(0, 10) === iso ? original : iso;
}

/** Applies the details form to a copy of `doc`. Errors here are ones that cannot be saved at all. */
export function applyDetails(doc: Doc, body: FormBody): { doc: Doc; errors: FormErrors } {
  const errors = new FormErrors();
  const out: Doc = structuredClone(doc);
  const title = text(body, 'title', 300);
  if (!title) errors.add('title', 'Enter a title');
  else if (title.length > 200) errors.add('title', 'Title must be 200 characters or fewer');
  else out.title = title;
  const description = text(body, 'description', 5000);
  if (description.length > 4000) errors.add('description', 'Description must be 4000 characters or fewer');
  else if (description) out.description = description;
  else delete out.description;

  const labels: Record<string, string> = { effectiveFrom: 'Start date', reviewBy: 'Review date', expiresAt: 'End date' };
  for (const k of ['effectiveFrom', 'reviewBy', 'expiresAt']) {
    const d = dateInput(body, k);
    if (d.kind === 'empty') errors.add(`${k}-day`, `Enter the ${labels[k]!.toLowerCase()}`);
    else if (d.kind === 'invalid') errors.add(`${k}-day`, `${labels[k]} ${d.message}`);
    else out[k] = keepTimeIfSameDay(doc[k], d.iso);
  }
  const retention = wholeNumber(body, 'retentionDays', 1, 3650);
  if (retention.kind !== 'int') errors.add('retentionDays', 'Enter how many days research is kept, from 1 to 3650');
  else out.retentionDays = retention.value;

  const rows = Math.min(Number(text(body, 'partyRows', 4)) || 0, 200);
  const oldParties = Array.isArray(doc.parties) ? doc.parties : [];
  const parties: Record<string, unknown>[] = [];
  for (let i = 0; i < rows; i++) {
    const agency = text(body, `party-${i}-agency`, 80);
    if (!agency || text(body, `party-${i}-remove`) === 'yes') continue;
    const type = oneOf(body, `party-${i}-type`, AGENCY_TYPE_CODES);
    if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(agency)) errors.add(`party-${i}-agency`, 'Agency id must be lower-case letters, numbers and hyphens');
    if (!type) errors.add(`party-${i}-type`, `Select the type of ${agency}`);
    const name = text(body, `party-${i}-name`, 300);
    const old = isObj(oldParties[i]) && oldParties[i].agency === agency ? oldParties[i] : {};
    parties.push({
      ...old,
      agency,
      type: type ?? '',
      ...(text(body, `party-${i}-coordinator`) === 'yes' ? { role: 'coordinator' } : {}),
      ...(name ? { name: name.slice(0, 200) } : {}),
    });
    if (text(body, `party-${i}-coordinator`) !== 'yes') delete parties[parties.length - 1]!.role;
    if (!name) delete parties[parties.length - 1]!.name;
  }
  out.parties = parties;

  out.purposes = checked(body, 'purposes', Object.keys(PURPOSES));
  const oldBasis = isObj(doc.lawfulBasis) ? doc.lawfulBasis : {};
  const article6 = oneOf(body, 'article6', ARTICLE6);
  if (!article6) errors.add('article6', 'Select the Article 6 lawful basis');
  const gateways = text(body, 'statutoryGateways', 2000).split(/[\s,]+/).filter(Boolean).map((g) => g.toUpperCase());
  if (gateways.some((g) => !/^[A-Z0-9_]{2,64}$/.test(g))) errors.add('statutoryGateways', 'Statutory gateways are codes like CDA1998_S115, separated by commas');
  out.lawfulBasis = {
    ...oldBasis,
    article6: article6 ?? '',
    article9: checked(body, 'article9', Object.keys(ART9_CONDITIONS)),
    article10: checked(body, 'article10', Object.keys(ART10_CONDITIONS)),
    part3Sch8: checked(body, 'part3Sch8', SCH8),
    statutoryGateways: [...new Set(gateways)],
  };

  const threshold: Record<string, unknown> = { criteria: checked(body, 'criteria', Object.keys(RISK_CRITERIA)) };
  const limits: [string, number, number, string][] = [
    ['minDashScore', 1, 24, 'Minimum Dash score must be a whole number from 1 to 24'],
    ['minPoliceCallouts12m', 1, 100, 'Minimum police call-outs must be a whole number from 1 to 100'],
    ['repeatWithinMonths', 1, 36, 'Repeat window must be a whole number of months from 1 to 36'],
  ];
  for (const [k, min, max, message] of limits) {
    const n = wholeNumber(body, k, min, max);
    if (n.kind === 'invalid') errors.add(k, message);
    else if (n.kind === 'int') threshold[k] = n.value;
  }
  out.caseThreshold = threshold;

  const areas = text(body, 'interAreas', 1000).split(/[\s,]+/).filter(Boolean);
  if (areas.length) out.interArea = { maracAreas: [...new Set(areas)] };
  else delete out.interArea;
  return { doc: out, errors };
}

// ---------------------------------------------------------------------------------------------
// One flow

export interface RuleRow {
  field: string;
  op: string;
  settings: string;
}

export function ruleRow(field: string, spec: unknown): RuleRow {
  if (typeof spec === 'string') return { field, op: spec, settings: '' };
  if (Array.isArray(spec)) return { field, op: 'pipeline', settings: flowYaml(spec) };
  if (isObj(spec)) {
    const [k, v] = Object.entries(spec)[0] ?? ['', ''];
    return { field, op: k, settings: flowYaml(v) };
  }
  return { field, op: '', settings: flowYaml(spec) };
}

export function flowValues(flow: Doc | undefined): FormBody {
  const f = flow ?? {};
  const when = isObj(f.when) ? f.when : {};
  const v: FormBody = {
    id: typeof f.id === 'string' ? f.id : '',
    description: typeof f.description === 'string' ? f.description : '',
    from: selectorValue(f.from),
    to: selectorValue(f.to),
    direction: typeof f.direction === 'string' ? f.direction : 'response',
    purposes: strings(f.purposes),
    subjectRoles: strings(when.subjectRoles),
    consentStatus: strings(when.consentStatus),
    matchStatus: strings(when.matchStatus),
  };
  const rules = Object.entries(isObj(f.release) ? f.release : {}).map(([field, spec]) => ruleRow(field, spec));
  rules.forEach((r, i) => {
    v[`rule-${i}-field`] = r.field;
    v[`rule-${i}-op`] = r.op;
    v[`rule-${i}-settings`] = r.settings;
  });
  v.ruleRows = String(rules.length + BLANK_ROWS);
  return v;
}

function specFrom(op: string, settings: string): { ok: true; spec: unknown } | { ok: false; message: string } {
  if (BARE_OPERATORS.has(op)) {
    return settings ? { ok: false, message: `${op} takes no settings` } : { ok: true, spec: op };
  }
  let arg: unknown;
  try {
    arg = YAML.parse(settings, { maxAliasCount: 0, uniqueKeys: true });
  } catch {
    return { ok: false, message: `Settings for ${op} could not be read: write them like ${OPERATOR_HINTS[op] ?? 'the examples'}` };
  }
  if (arg === null || arg === undefined || arg === '') return { ok: false, message: `Enter the settings for ${op}, like ${OPERATOR_HINTS[op]}` };
  if (op === 'pipeline') return Array.isArray(arg) ? { ok: true, spec: arg } : { ok: false, message: 'Several operators are written as a list, like [keep, { truncate: 280 }]' };
  return { ok: true, spec: { [op]: arg } };
}

/** Applies the flow form to flow `index` of a copy of `doc` (index = flows.length adds a flow). */
export function applyFlow(doc: Doc, index: number, body: FormBody): { doc: Doc; errors: FormErrors; rowOf: Map<string, number> } {
  const errors = new FormErrors();
  const out: Doc = structuredClone(doc);
  const flows = Array.isArray(out.flows) ? (out.flows as unknown[]) : [];
  const old = isObj(flows[index]) ? flows[index] : {};
  const flow: Doc = { ...old };

  const id = text(body, 'id', 100);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) errors.add('id', 'Enter a rule set name of letters, numbers, dots, hyphens or underscores');
  else if (flows.some((f, i) => i !== index && isObj(f) && f.id === id)) errors.add('id', `Another flow is already called ${id}`);
  flow.id = id;
  const description = text(body, 'description', 3000);
  if (description.length > 2000) errors.add('description', 'Description must be 2000 characters or fewer');
  else if (description) flow.description = description;
  else delete flow.description;
  for (const k of ['from', 'to'] as const) {
    const sel = selectorFrom(text(body, k, 100));
    if (!sel) errors.add(k, k === 'from' ? 'Select who sends' : 'Select who receives');
    else flow[k] = sel;
  }
  const direction = oneOf(body, 'direction', ['request', 'response'] as const);
  if (!direction) errors.add('direction', 'Select whether this is a request or a response');
  else flow.direction = direction;
  const purposes = checked(body, 'purposes', Object.keys(PURPOSES));
  if (purposes.length) flow.purposes = purposes;
  else delete flow.purposes;
  const when: Doc = {};
  const roles = checked(body, 'subjectRoles', Object.keys(SUBJECT_ROLES));
  const consent = checked(body, 'consentStatus', Object.keys(CONSENT_STATUSES));
  const match = checked(body, 'matchStatus', MATCH_STATUSES);
  if (roles.length) when.subjectRoles = roles;
  if (consent.length) when.consentStatus = consent;
  if (match.length) when.matchStatus = match;
  if (Object.keys(when).length) flow.when = when;
  else delete flow.when;

  const rows = Math.min(Number(text(body, 'ruleRows', 4)) || 0, 1000);
  const release: Doc = {};
  const rowOf = new Map<string, number>();
  const seen = new Set<string>();
  for (let i = 0; i < rows; i++) {
    const field = text(body, `rule-${i}-field`, 300);
    const op = text(body, `rule-${i}-op`, 40);
    const settings = text(body, `rule-${i}-settings`, 4000);
    if (text(body, `rule-${i}-remove`) === 'yes' || (!field && !op && !settings)) continue;
    if (!field) {
      errors.add(`rule-${i}-field`, `Rule ${i + 1}: enter the field`);
      continue;
    }
    if (!/^[A-Za-z][A-Za-z0-9]*(\[\])?(\.[A-Za-z][A-Za-z0-9]*(\[\])?)*$/.test(field)) {
      errors.add(`rule-${i}-field`, `Rule ${i + 1}: ${field} is not a field path (like health.edAttendances12m[].date)`);
      continue;
    }
    if (seen.has(field)) {
      errors.add(`rule-${i}-field`, `Rule ${i + 1}: ${field} already has a rule in this flow`);
      continue;
    }
    seen.add(field);
    if (!(OPERATOR_NAMES as readonly string[]).includes(op)) {
      errors.add(`rule-${i}-op`, `Rule ${i + 1}: select what happens to ${field}`);
      continue;
    }
    const spec = specFrom(op, settings);
    if (!spec.ok) {
      errors.add(`rule-${i}-settings`, `Rule ${i + 1}: ${spec.message}`);
      continue;
    }
    release[field] = spec.spec;
    rowOf.set(field, i);
  }
  flow.release = release;
  flows[index] = flow;
  out.flows = flows;
  return { doc: out, errors, rowOf };
}

// ---------------------------------------------------------------------------------------------
// Problems from the lifecycle service → inputs

const unescapePointer = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');

/** Where a problem belongs: the details form, or flow n (with the input when it can be found). */
export function locateProblem(problem: ProblemDetail, doc: Doc): { section: 'details' | 'flow'; flowIndex?: number; field: string } {
  const parts = problem.path.split('/').slice(1).map(unescapePointer);
  if (parts[0] === 'flows' && parts[1] !== undefined && /^\d+$/.test(parts[1])) {
    const flowIndex = Number(parts[1]);
    const rest = parts.slice(2);
    if (rest[0] === 'release' && rest[1] !== undefined) {
      const flow = Array.isArray(doc.flows) && isObj(doc.flows[flowIndex]) ? doc.flows[flowIndex] : {};
      const fields = Object.keys(isObj(flow.release) ? flow.release : {});
      const row = fields.indexOf(rest[1]);
      return { section: 'flow', flowIndex, field: row >= 0 ? `rule-${row}-${rest.length > 2 ? 'settings' : 'op'}` : 'rules' };
    }
    const map: Record<string, string> = { id: 'id', from: 'from', to: 'to', direction: 'direction', purposes: 'purposes', when: 'subjectRoles', description: 'description', release: 'rules' };
    return { section: 'flow', flowIndex, field: map[rest[0] ?? ''] ?? 'id' };
  }
  if (parts[0] === 'flows') return { section: 'details', field: 'flows' };
  if (parts[0] === 'parties') return { section: 'details', field: parts[1] !== undefined ? `party-${parts[1]}-${parts[2] === 'type' ? 'type' : 'agency'}` : 'party-0-agency' };
  if (parts[0] === 'lawfulBasis') return { section: 'details', field: parts[1] ?? 'article6' };
  if (parts[0] === 'caseThreshold') return { section: 'details', field: parts[1] && parts[1] !== 'criteria' ? parts[1] : 'criteria' };
  if (parts[0] === 'interArea') return { section: 'details', field: 'interAreas' };
  if (parts[0] === 'effectiveFrom' || parts[0] === 'reviewBy' || parts[0] === 'expiresAt') return { section: 'details', field: `${parts[0]}-day` };
  const simple = ['title', 'description', 'retentionDays', 'purposes'];
  return { section: 'details', field: simple.includes(parts[0] ?? '') ? parts[0]! : 'title' };
}

/** Labels for a flow in lists: "coordinator → POLICE (request)". */
export function selectorText(sel: unknown): string {
  if (!isObj(sel)) return '?';
  if (sel.role === 'coordinator') return 'coordinator';
  if (typeof sel.type === 'string') return sel.type;
  if (typeof sel.agency === 'string') return sel.agency;
  return '?';
}
