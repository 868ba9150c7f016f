/**
 * A redaction plan: the flows of one agreement version that apply to one provider → recipient
 * pair for one purpose and direction. Built once per pair and cached on the compiled agreement.
 *
 * Per subject, the flows whose `when` fits the subject are merged into a "program": for every
 * catalog node, the rule that releases it (or a conflict marker when two applicable flows
 * disagree), plus which nodes have a rule somewhere below them. Programs are cached per set of
 * flows, so a redaction does no rule lookup by string.
 */
import type { AgencyType } from '../identity/principal.js';
import { CORE, type AgreementCore, type CompiledAgreement, type CompiledFlow, type CompiledRule } from './compile.js';
import { KEEP, type Pipeline } from './pipeline.js';
import type { Direction, PartyRef, Purpose, SubjectFacts } from './types.js';

export const PLAN: unique symbol = Symbol('policy.plan');

export interface RedactionPlan {
  readonly agreementId: string;
  readonly version: number;
  readonly purpose: Purpose;
  readonly direction: Direction;
  readonly from: Readonly<PartyRef>;
  readonly to: Readonly<PartyRef>;
  readonly flowIds: readonly string[];
  readonly [PLAN]: PlanCore;
}

export interface PlanCore {
  readonly core: AgreementCore;
  readonly flows: readonly CompiledFlow[];
  readonly recipientType: AgencyType;
  readonly programs: Map<string, Program>;
}

/** A rule as seen at one node: own, or inherited as `keep` from a pass-through ancestor. */
export interface NodeRule {
  readonly pipeline: Pipeline;
  readonly ruleId: string;
  /** What descendants inherit: keep, under the same ruleId. */
  readonly inheritable: NodeRule;
}

export const CONFLICT = Object.freeze({ conflict: true as const });
export type ProgramEntry = NodeRule | typeof CONFLICT | undefined;

export interface Program {
  readonly rules: readonly ProgramEntry[];
  /** 1 when some node strictly below has a rule. */
  readonly below: Uint8Array;
  readonly conflictIds: ReadonlyMap<number, string>;
}

export function makePlan(a: CompiledAgreement, flows: CompiledFlow[], purpose: Purpose, direction: Direction, from: PartyRef, to: PartyRef): RedactionPlan {
  const core = a[CORE];
  return Object.freeze({
    agreementId: a.id,
    version: a.version,
    purpose,
    direction,
    from: Object.freeze({ agencyId: from.agencyId, agencyType: from.agencyType }),
    to: Object.freeze({ agencyId: to.agencyId, agencyType: to.agencyType }),
    flowIds: Object.freeze(flows.map((f) => f.id)),
    [PLAN]: { core, flows, recipientType: to.agencyType, programs: new Map() },
  });
}

export type FlowSelection = { ok: true; key: string; flows: CompiledFlow[] } | { ok: false; reason: 'SUBJECT_ROLE_NOT_ALLOWED' | 'FLOW_CONDITION_NOT_MET' };

/** The plan's flows whose conditions fit this subject (and, for responses, its match status). */
export function selectFlows(flows: readonly CompiledFlow[], subject: SubjectFacts, matchStatus: string | undefined): FlowSelection {
  const chosen: CompiledFlow[] = [];
  let key = '';
  let roleAllowed = false;
  for (const f of flows) {
    if (f.roles && !f.roles.has(subject.role)) continue;
    roleAllowed = true;
    if (f.consent && !f.consent.has(subject.consentStatus)) continue;
    if (f.match && (matchStatus === undefined || !f.match.has(matchStatus))) continue;
    chosen.push(f);
    key += `${f.index},`;
  }
  if (chosen.length === 0) return { ok: false, reason: roleAllowed ? 'FLOW_CONDITION_NOT_MET' : 'SUBJECT_ROLE_NOT_ALLOWED' };
  return { ok: true, key, flows: chosen };
}

export function programFor(pc: PlanCore, sel: { key: string; flows: CompiledFlow[] }): Program {
  let p = pc.programs.get(sel.key);
  if (!p) {
    p = buildProgram(pc.core, sel.flows);
    pc.programs.set(sel.key, p);
  }
  return p;
}

function buildProgram(core: AgreementCore, flows: readonly CompiledFlow[]): Program {
  const n = core.tree.nodes.length;
  const rules: ProgramEntry[] = new Array(n).fill(undefined);
  const owners: (CompiledRule | undefined)[] = new Array(n).fill(undefined);
  const conflictIds = new Map<number, string>();
  for (const f of flows) {
    for (const r of f.rules) {
      const id = r.node.id;
      const prev = owners[id];
      if (!prev) {
        owners[id] = r;
        rules[id] = nodeRule(r.pipeline, r.ruleId);
      } else if (rules[id] !== CONFLICT && prev.pipeline.key !== r.pipeline.key) {
        rules[id] = CONFLICT;
        conflictIds.set(id, `${prev.ruleId}|${r.ruleId}`);
      }
    }
  }
  const below = new Uint8Array(n);
  for (let id = 0; id < n; id++) {
    if (rules[id] === undefined) continue;
    for (let p = core.tree.nodes[id]!.parent; p; p = p.parent) {
      if (below[p.id]) break;
      below[p.id] = 1;
    }
  }
  return { rules, below, conflictIds };
}

function nodeRule(pipeline: Pipeline, ruleId: string): NodeRule {
  const inheritable: NodeRule = { pipeline: KEEP, ruleId, inheritable: undefined as unknown as NodeRule };
  (inheritable as { inheritable: NodeRule }).inheritable = inheritable;
  return pipeline.isKeep ? inheritable : { pipeline, ruleId, inheritable };
}
