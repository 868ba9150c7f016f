/**
 * Validation on save: every problem at once, each with a JSON Pointer into the agreement and a
 * stable code. Mirrors Amazon Verified Permissions' STRICT mode: an agreement with problems is not
 * saved. The checks run even when the schema fails, on whatever parts can be read.
 */
import { agreementInstant } from './dates.js';
import { affectedNodes, analyseAgreement, arr, isObj, setsOverlap, type AnalysedAgreement, type AnalysedFlow } from './flow-analysis.js';
import { guardrailConflicts } from './static-guardrails.js';
import { isPrimitiveType } from './catalog-tree.js';
import { pipelineOutputType } from './pipeline.js';
import type { Guardrails } from './guardrails.js';
import { schemaProblems } from './schema.js';
import { AGENCY_TYPES } from '../identity/principal.js';
import type { Agreement, FieldCatalog, ValidationProblem } from './types.js';

export interface ValidateOptions {
  catalog: FieldCatalog;
  guardrails: Guardrails;
  /** Other agreements in force or pending: a new one must not disagree with them on a shared flow. */
  existing?: Agreement[];
}

export function validateAgreement(doc: unknown, opts: ValidateOptions): ValidationProblem[] {
  const problems = schemaProblems(doc);
  if (!isObj(doc)) return problems;
  checkDates(doc, problems);
  checkParties(doc, problems);
  checkArticle6(doc, problems);
  checkPurposes(doc, problems);
  const a = analyseAgreement(doc, opts.catalog, problems);
  checkFlowIds(a, problems);
  for (const flow of a.flows) checkRules(doc, flow, a, opts, problems);
  checkOverlaps(a, problems);
  checkExisting(doc, a, opts, problems);
  return problems;
}

function checkDates(doc: Record<string, unknown>, problems: ValidationProblem[]): void {
  const at: Record<string, number | undefined> = {};
  for (const k of ['effectiveFrom', 'reviewBy', 'expiresAt']) {
    const v = doc[k];
    at[k] = agreementInstant(v);
    if (typeof v === 'string' && at[k] === undefined && /^\d{4}-\d{2}-\d{2}/.test(v)) {
      problems.push({ path: `/${k}`, code: 'INVALID_DATE', message: `${v} is not a real date` });
    }
  }
  const { effectiveFrom: from, reviewBy: review, expiresAt: expires } = at;
  if (from !== undefined && expires !== undefined && expires <= from) {
    problems.push({ path: '/expiresAt', code: 'DATES_OUT_OF_ORDER', message: 'expiresAt must be after effectiveFrom' });
  }
  if (from !== undefined && review !== undefined && review <= from) {
    problems.push({ path: '/reviewBy', code: 'DATES_OUT_OF_ORDER', message: 'reviewBy must be after effectiveFrom' });
  }
  if (review !== undefined && expires !== undefined && review > expires) {
    problems.push({ path: '/reviewBy', code: 'DATES_OUT_OF_ORDER', message: 'reviewBy must not be after expiresAt' });
  }
}

function checkParties(doc: Record<string, unknown>, problems: ValidationProblem[]): void {
  const seen = new Set<string>();
  let coordinators = 0;
  arr(doc.parties).forEach((p, i) => {
    if (!isObj(p)) return;
    if (typeof p.agency === 'string') {
      if (seen.has(p.agency)) problems.push({ path: `/parties/${i}/agency`, code: 'DUPLICATE_PARTY', message: `${p.agency} is listed twice` });
      seen.add(p.agency);
    }
    if (p.role === 'coordinator') {
      coordinators++;
      if (p.type !== 'MARAC_COORDINATOR') {
        problems.push({ path: `/parties/${i}/type`, code: 'COORDINATOR_TYPE_MISMATCH', message: 'the coordinator role needs agency type MARAC_COORDINATOR' });
      }
    }
  });
  if (Array.isArray(doc.parties) && coordinators === 0) {
    problems.push({ path: '/parties', code: 'NO_COORDINATOR', message: 'one party must have role: coordinator' });
  }
  if (doc.purposes && arr(doc.purposes).includes('MARAC_TRANSFER') && isObj(doc.interArea) && coordinators < 2) {
    problems.push({ path: '/parties', code: 'INTER_AREA_NEEDS_TWO_COORDINATORS', message: 'a transfer agreement needs the coordinators of both areas as parties' });
  }
}

/** Agency types that are public authorities acting in their tasks unless a party says otherwise. */
const NOT_PUBLIC_BY_DEFAULT: ReadonlySet<string> = new Set(['IDVA', 'SUBSTANCE_MISUSE']);
const RLI = 'RECOGNISED_LI_SAFEGUARDING';
/** Data (Use and Access) Act 2025: Art 6(1)(ea) in force from 5 February 2026. */
const RLI_IN_FORCE = '2026-02-05';

/**
 * UK GDPR Art 6(1)(ea) recognised legitimate interests (DUAA 2025 Annex 1 para 6, safeguarding
 * vulnerable individuals) is not open to a public authority acting in its tasks (Art 6(1) last
 * subparagraph): a charity IDVA service or a housing association may rely on it, the police or a
 * council may not. Each party relies on its own `article6`, or else on the agreement's.
 */
function checkArticle6(doc: Record<string, unknown>, problems: ValidationProblem[]): void {
  const basis = isObj(doc.lawfulBasis) ? doc.lawfulBasis : {};
  let relied = false;
  arr(doc.parties).forEach((p, i) => {
    if (!isObj(p)) return;
    const own = typeof p.article6 === 'string' ? p.article6 : undefined;
    const effective = own ?? basis.article6;
    if (effective !== RLI) return;
    relied = true;
    const publicAuthority = typeof p.publicAuthority === 'boolean' ? p.publicAuthority : !NOT_PUBLIC_BY_DEFAULT.has(String(p.type));
    if (!publicAuthority) return;
    problems.push(own
      ? { path: `/parties/${i}/article6`, code: 'RLI_NOT_FOR_PUBLIC_AUTHORITY', message: `${String(p.agency)} is a public authority acting in its tasks: it cannot rely on recognised legitimate interests (Art 6(1)(ea))` }
      : { path: '/lawfulBasis/article6', code: 'RLI_NOT_FOR_PUBLIC_AUTHORITY', message: `${String(p.agency)} is a public authority and relies on the agreement's basis: name its own article6 (e.g. PUBLIC_TASK)` });
  });
  const from = typeof doc.effectiveFrom === 'string' ? doc.effectiveFrom.slice(0, 10) : undefined;
  if (relied && from !== undefined && from < RLI_IN_FORCE) {
    problems.push({ path: '/effectiveFrom', code: 'RLI_NOT_IN_FORCE', message: `recognised legitimate interests is a lawful basis only from ${RLI_IN_FORCE}` });
  }
}

function checkPurposes(doc: Record<string, unknown>, problems: ValidationProblem[]): void {
  const purposes = arr(doc.purposes);
  const transfer = purposes.includes('MARAC_TRANSFER');
  if (transfer && !isObj(doc.interArea)) {
    problems.push({ path: '/interArea', code: 'INTER_AREA_REQUIRED', message: 'MARAC_TRANSFER needs interArea.maracAreas (R10)' });
  }
  if (!transfer && doc.interArea !== undefined) {
    problems.push({ path: '/interArea', code: 'INTER_AREA_WITHOUT_TRANSFER', message: 'interArea applies only to the MARAC_TRANSFER purpose' });
  }
  arr(doc.flows).forEach((f, i) => {
    if (!isObj(f)) return;
    arr(f.purposes).forEach((p, k) => {
      if (typeof p === 'string' && !purposes.includes(p)) {
        problems.push({ path: `/flows/${i}/purposes/${k}`, code: 'FLOW_PURPOSE_NOT_IN_AGREEMENT', message: `${p} is not a purpose of this agreement` });
      }
    });
  });
}

function checkFlowIds(a: AnalysedAgreement, problems: ValidationProblem[]): void {
  const seen = new Set<string>();
  for (const f of a.flows) {
    if (seen.has(f.id)) problems.push({ path: `/flows/${f.index}/id`, code: 'DUPLICATE_FLOW_ID', message: `flow id ${f.id} is used twice` });
    seen.add(f.id);
  }
}

function checkRules(doc: Record<string, unknown>, flow: AnalysedFlow, a: AnalysedAgreement, opts: ValidateOptions, problems: ValidationProblem[]): void {
  const payloadKeys = new Set<string>();
  const allowedPayload = new Set<string>();
  if (opts.catalog.payloadKeyFor) {
    for (const t of AGENCY_TYPES) {
      const k = opts.catalog.payloadKeyFor(t);
      if (k) payloadKeys.add(k);
    }
    if (flow.direction === 'response') {
      for (const t of flow.fromTypes) {
        const k = opts.catalog.payloadKeyFor(t);
        if (k) allowedPayload.add(k);
      }
    }
  }
  const basis = isObj(doc.lawfulBasis) ? doc.lawfulBasis : {};
  const art9 = arr(basis.article9);
  const sch8 = arr(basis.part3Sch8);
  const sch8Recipients = opts.guardrails.specialCategory.sch8Recipients;
  const art10 = arr(basis.article10);
  const coSch8Recipients = opts.guardrails.criminalOffence?.sch8Recipients ?? sch8Recipients;

  for (const rule of flow.rules) {
    const { node, pipeline, pointer, path } = rule;
    if (!node || !pipeline) continue;
    const top = path.split(/[.[]/)[0]!;
    if (payloadKeys.has(top) && !allowedPayload.has(top) && flow.fromTypes.size > 0) {
      problems.push({
        path: pointer, code: 'PAYLOAD_NOT_FROM_PROVIDER',
        message: flow.direction === 'request'
          ? `${top} is an agency payload; a request carries subject details only`
          : `${top} is not sent by ${[...flow.fromTypes].join('/')}`,
      });
    }
    const fit = pipelineOutputType(pipeline, node.info.type);
    if ('failedAt' in fit) {
      const op = pipeline.ops[fit.failedAt]!.name;
      problems.push({
        path: pipeline.ops.length > 1 ? `${pointer}/${fit.failedAt}` : pointer, code: 'OPERATOR_TYPE_MISMATCH',
        message: `${op} does not apply to ${fit.input === node.info.type ? `a ${fit.input} field` : `the ${fit.input} produced before it`} (${path})`,
      });
    }
    pipeline.specs.forEach((spec, i) => {
      if (typeof spec !== 'object' || node.info.type !== 'array') return;
      const key = 'window' in spec ? spec.window.on : 'limit' in spec ? spec.limit.by : undefined;
      if (key === undefined) return;
      const target = a.tree.byPath(`${path}[].${key}`);
      const at = pipeline.specs.length > 1 ? `${pointer}/${i}` : pointer;
      if (!target || !isPrimitiveType(target.info.type)) {
        problems.push({ path: at, code: 'OPERATOR_KEY_UNKNOWN', message: `${key} is not a field of the items of ${path}` });
      } else if ('window' in spec && !['date', 'date-time', 'string'].includes(target.info.type)) {
        problems.push({ path: at, code: 'OPERATOR_KEY_UNKNOWN', message: `window needs a date field; ${key} is ${target.info.type}` });
      }
    });
    if (!pipeline.passThrough && !pipeline.isDrop) {
      for (const other of flow.rules) {
        if (other !== rule && other.path !== path && other.node && isBelow(other.path, path)) {
          problems.push({ path: other.pointer, code: 'RULE_SHADOWED', message: `${path} is released whole by ${pipeline.name}; this rule never applies` });
        }
      }
    }
    if (pipeline.isDrop) continue;
    // R3 at agreement level: special-category fields need an Art 9 condition (or Sch 8 for police).
    const sc = affectedNodes(rule, flow).find((x) => x.node.info.sensitivity.includes('SC'));
    if (sc) {
      const uncovered = [...flow.toTypes].filter((t) => art9.length === 0 && !(sch8Recipients.has(t) && sch8.length > 0));
      if (uncovered.length > 0 || (flow.toTypes.size === 0 && art9.length === 0)) {
        problems.push({
          path: pointer, code: 'SC_WITHOUT_ART9_CONDITION',
          message: `${sc.node.path} is special-category data but lawfulBasis.article9 names no condition${uncovered.length ? ` for ${uncovered.join('/')}` : ''}`,
        });
      }
    }
    // Art 10 likewise: criminal offence data needs an Art 10 condition (or Sch 8 for police).
    const co = opts.guardrails.criminalOffence && affectedNodes(rule, flow).find((x) => x.node.info.sensitivity.includes('CO'));
    if (co) {
      const uncovered = [...flow.toTypes].filter((t) => art10.length === 0 && !(coSch8Recipients.has(t) && sch8.length > 0));
      if (uncovered.length > 0 || (flow.toTypes.size === 0 && art10.length === 0)) {
        problems.push({
          path: pointer, code: 'CO_WITHOUT_ART10_CONDITION',
          message: `${co.node.path} is criminal offence data but lawfulBasis.article10 names no condition${uncovered.length ? ` for ${uncovered.join('/')}` : ''}`,
        });
      }
    }
  }
  problems.push(...guardrailConflicts(flow, opts.guardrails));
}

function isBelow(path: string, prefix: string): boolean {
  return path.length > prefix.length && path.startsWith(prefix) && (path[prefix.length] === '.' || path[prefix.length] === '[');
}

/** Two flows that can carry the same message for the same subject must not release a path differently. */
function checkOverlaps(a: AnalysedAgreement, problems: ValidationProblem[]): void {
  for (let i = 0; i < a.flows.length; i++) {
    for (let j = i + 1; j < a.flows.length; j++) {
      const x = a.flows[i]!, y = a.flows[j]!;
      if (!flowsOverlap(x, y)) continue;
      for (const ry of y.rules) {
        const rx = x.rules.find((r) => r.path === ry.path);
        if (rx?.pipeline && ry.pipeline && rx.pipeline.key !== ry.pipeline.key) {
          problems.push({
            path: ry.pointer, code: 'FLOW_CONFLICT',
            message: `flow ${y.id} releases ${ry.path} as ${ry.pipeline.name} but overlapping flow ${x.id} releases it as ${rx.pipeline.name}`,
          });
        }
      }
    }
  }
}

export function flowsOverlap(x: AnalysedFlow, y: AnalysedFlow): boolean {
  return x.direction === y.direction
    && setsOverlap(x.purposes, y.purposes)
    && setsOverlap(x.fromIds, y.fromIds) && x.fromIds.size > 0
    && setsOverlap(x.toIds, y.toIds) && x.toIds.size > 0
    && setsOverlap(x.roles, y.roles) && setsOverlap(x.consent, y.consent) && setsOverlap(x.match, y.match);
}

/** Another agreement in force at the same time must not release a shared flow's path differently. */
function checkExisting(doc: Record<string, unknown>, a: AnalysedAgreement, opts: ValidateOptions, problems: ValidationProblem[]): void {
  const from = agreementInstant(doc.effectiveFrom);
  const to = agreementInstant(doc.expiresAt);
  for (const e of opts.existing ?? []) {
    if (!isObj(e) || e.id === doc.id) continue;
    const eFrom = agreementInstant(e.effectiveFrom);
    const eTo = agreementInstant(e.expiresAt);
    if (from === undefined || to === undefined || eFrom === undefined || eTo === undefined) continue;
    if (!(eFrom < to && from < eTo)) continue;
    const other = analyseAgreement(e as unknown as Record<string, unknown>, opts.catalog, []);
    for (const y of a.flows) {
      for (const x of other.flows) {
        if (!flowsOverlap(x, y)) continue;
        for (const ry of y.rules) {
          const rx = x.rules.find((r) => r.path === ry.path);
          if (rx?.pipeline && ry.pipeline && rx.pipeline.key !== ry.pipeline.key) {
            problems.push({
              path: ry.pointer, code: 'AGREEMENT_CONFLICT',
              message: `agreement ${String(e.id)} (flow ${x.id}) releases ${ry.path} as ${rx.pipeline.name} to the same parties at the same time`,
            });
          }
        }
      }
    }
  }
}
