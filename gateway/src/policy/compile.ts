/**
 * Agreement → CompiledAgreement, once per version: dates as instants, parties and purposes as
 * maps and sets, each flow's rules as compiled operator pipelines bound to catalog nodes. The
 * status (draft … expired) travels with the compiled form; only `active` ever permits.
 *
 * An agreement whose schema or operators are broken does not compile (AgreementInvalid, with
 * every problem). Other problems (unknown paths, guardrail conflicts) are kept on `problems`:
 * the store refuses to activate such a version, and the run-time guardrails hold regardless.
 */
import { GatewayError } from '../errors.js';
import { agreementInstant } from './dates.js';
import { analyseAgreement, isObj } from './flow-analysis.js';
import { guardIndex, type Guardrails } from './guardrails.js';
import type { CatalogNode, CatalogTree } from './catalog-tree.js';
import type { Pipeline } from './pipeline.js';
import { resolveThreshold, type ResolvedThreshold } from './threshold.js';
import { validateAgreement } from './validate.js';
import type {
  Agreement, AgreementStatus, Direction, FieldCatalog, LawfulBasis, Party, PartySelector, Purpose, SubjectRole,
  ValidationProblem,
} from './types.js';

export class AgreementInvalid extends GatewayError {
  readonly code = 'AGREEMENT_INVALID';
  readonly status = 422;
}

/** Codes that make an agreement impossible to carry out: it must not compile at all. */
const FATAL = /^(SCHEMA_|INVALID_OPERATOR$|INVALID_PATH$|INVALID_DATE$|DATES_OUT_OF_ORDER$|OPERATOR_TYPE_MISMATCH$)/;

export interface CompiledRule {
  readonly path: string;
  readonly node: CatalogNode;
  readonly pipeline: Pipeline;
  /** `<flowId>#<path>`: names the rule in explanations and audit events. */
  readonly ruleId: string;
  readonly flowId: string;
}

export interface CompiledFlow {
  readonly id: string;
  readonly index: number;
  readonly direction: Direction;
  readonly from: PartySelector;
  readonly to: PartySelector;
  readonly purposes: ReadonlySet<Purpose>;
  readonly roles: ReadonlySet<SubjectRole> | undefined;
  readonly consent: ReadonlySet<string> | undefined;
  readonly match: ReadonlySet<string> | undefined;
  readonly rules: readonly CompiledRule[];
}

/** What decide and redact need; shared by every status copy of the same version. */
export interface AgreementCore {
  readonly parties: ReadonlyMap<string, Party>;
  readonly purposes: ReadonlySet<Purpose>;
  readonly threshold: ResolvedThreshold;
  readonly interAreas: ReadonlySet<string> | undefined;
  readonly basis: LawfulBasis;
  readonly flows: readonly CompiledFlow[];
  readonly tree: CatalogTree;
  readonly guardrails: Guardrails;
  readonly guardIdx: readonly (readonly number[])[];
  /** decide() memo: pair key → matching flows and plan (filled lazily). */
  readonly pairs: Map<string, unknown>;
}

export const CORE: unique symbol = Symbol('policy.agreementCore');

export interface CompiledAgreement {
  readonly id: string;
  readonly version: number;
  readonly status: AgreementStatus;
  readonly title: string;
  readonly effectiveFromMs: number;
  readonly reviewByMs: number;
  readonly expiresAtMs: number;
  readonly retentionDays: number;
  /** The agreement as compiled (deep-frozen copy). */
  readonly doc: Readonly<Agreement>;
  /** Non-fatal validation problems found at compile time (empty for a valid agreement). */
  readonly problems: readonly ValidationProblem[];
  readonly [CORE]: AgreementCore;
}

export interface CompileOptions {
  catalog: FieldCatalog;
  guardrails: Guardrails;
  /** Lifecycle status from the agreement store. Defaults to 'draft', which never permits. */
  status?: AgreementStatus;
  /** Version assigned by the store (wins over doc.version). Defaults to doc.version ?? 0. */
  version?: number;
  /** Throw on any validation problem, not only fatal ones. */
  strict?: boolean;
}

export function compileAgreement(doc: Agreement, opts: CompileOptions): CompiledAgreement {
  const problems = validateAgreement(doc, { catalog: opts.catalog, guardrails: opts.guardrails });
  const fatal = problems.filter((p) => FATAL.test(p.code));
  if (fatal.length > 0 || (opts.strict && problems.length > 0)) {
    const shown = opts.strict ? problems : fatal;
    throw new AgreementInvalid(`agreement cannot be compiled: ${shown.length} problem(s)`, { problems: shown });
  }
  const copy = deepFreeze(structuredClone(doc)) as Agreement;
  const analysed = analyseAgreement(copy as unknown as Record<string, unknown>, opts.catalog, []);
  const flows: CompiledFlow[] = analysed.flows.map((f, i) => {
    const raw = copy.flows[i]!;
    return Object.freeze({
      id: raw.id,
      index: i,
      direction: raw.direction,
      from: raw.from,
      to: raw.to,
      purposes: f.purposes,
      roles: f.roles,
      consent: f.consent,
      match: f.match,
      rules: Object.freeze(f.rules.flatMap((r) => (r.node && r.pipeline
        ? [Object.freeze({ path: r.path, node: r.node, pipeline: r.pipeline, ruleId: `${raw.id}#${r.path}`, flowId: raw.id })]
        : []))),
    });
  });
  const core: AgreementCore = {
    parties: analysed.parties,
    purposes: analysed.purposes,
    threshold: resolveThreshold(copy.caseThreshold),
    interAreas: isObj(copy.interArea) ? new Set(copy.interArea.maracAreas) : undefined,
    basis: copy.lawfulBasis,
    flows: Object.freeze(flows),
    tree: analysed.tree,
    guardrails: opts.guardrails,
    guardIdx: guardIndex(opts.guardrails, analysed.tree),
    pairs: new Map(),
  };
  return Object.freeze({
    id: copy.id,
    version: opts.version ?? copy.version ?? 0,
    status: opts.status ?? 'draft',
    title: copy.title,
    effectiveFromMs: agreementInstant(copy.effectiveFrom)!,
    reviewByMs: agreementInstant(copy.reviewBy)!,
    expiresAtMs: agreementInstant(copy.expiresAt)!,
    retentionDays: copy.retentionDays,
    doc: copy,
    problems: Object.freeze(problems),
    [CORE]: core,
  });
}

/** The same compiled version under another lifecycle status (no recompilation). */
export function withStatus(a: CompiledAgreement, status: AgreementStatus): CompiledAgreement {
  return Object.freeze({ ...a, status, [CORE]: a[CORE] });
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}
