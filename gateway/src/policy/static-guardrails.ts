/**
 * Guardrails checked when an agreement is validated: a rule that would release a field a
 * guardrail forbids, for some recipient and some subject role the flow allows, is a
 * GUARDRAIL_CONFLICT. Data-dependent guardrails (a confidential address, a perpetrator's
 * risk-to-others flag, a subject's own Art 9 conditions) can only be enforced at run time.
 */
import { affectedNodes, type AnalysedFlow } from './flow-analysis.js';
import { covers, type Guardrail, type Guardrails } from './guardrails.js';
import { KEEP, type Pipeline } from './pipeline.js';
import { SUBJECT_ROLES, type ValidationProblem } from './types.js';

export function guardrailConflicts(flow: AnalysedFlow, g: Guardrails): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const roles = flow.roles ?? new Set(SUBJECT_ROLES);
  for (const rule of flow.rules) {
    if (!rule.node || !rule.pipeline || rule.pipeline.isDrop) continue;
    const nodes = affectedNodes(rule, flow);
    for (const gr of g.list) {
      const hits: string[] = [];
      let detail = '';
      if (gr.kind === 'matchConfirmed') {
        const nonMatched = flow.match && [...flow.match].some((s) => s !== 'MATCHED');
        const top = rule.path.split(/[.[]/)[0]!;
        if (nonMatched && !gr.allowedPaths.includes(top)) {
          hits.push(rule.path);
          detail = 'the flow applies to possible or not-found matches';
        }
      } else {
        for (const { node, inherited } of nodes) {
          if (!covers(gr, node)) continue;
          const p = inherited ? KEEP : rule.pipeline;
          const why = conflict(gr, p, flow, roles);
          if (why) {
            hits.push(node.path);
            detail = why;
          }
        }
      }
      if (hits.length > 0) {
        const shown = hits.slice(0, 3).join(', ') + (hits.length > 3 ? `, and ${hits.length - 3} more` : '');
        problems.push({
          path: rule.pointer, code: 'GUARDRAIL_CONFLICT', guardrailId: gr.id,
          message: `${gr.id}: ${gr.title}. This rule releases ${shown} ${detail}`.trim(),
        });
      }
    }
  }
  return problems;
}

function conflict(gr: Guardrail, p: Pipeline, flow: AnalysedFlow, roles: ReadonlySet<string>): string | undefined {
  const outside = (allowed: readonly string[]) => [...flow.toTypes].filter((t) => !allowed.includes(t));
  switch (gr.kind) {
    case 'location': {
      const r = outside(gr.allowedRecipients);
      return !p.generalises && r.length > 0 && gr.protectedRoles.some((x) => roles.has(x))
        ? `as ${p.name} to ${r.join('/')}; use a generalising operator (postcode, replace, drop, ...)` : undefined;
    }
    case 'clinicalNarrative': case 'mentalHealthDiagnosis': {
      const r = outside(gr.allowedRecipients);
      return r.length > 0 ? `to ${r.join('/')}` : undefined;
    }
    case 'childDob': {
      const r = outside(gr.allowedRecipients);
      return !p.generalises && r.length > 0 && roles.has('CHILD') ? `exactly to ${r.join('/')}; use ageBand or { date: year }` : undefined;
    }
    case 'transferNoPayload':
      return gr.purposes.some((x) => flow.purposes.has(x)) ? 'on a MARAC transfer' : undefined;
    case 'freeText': {
      const r = outside(gr.exemptRecipients);
      return !p.neutralisesText && r.length > 0 ? `as ${p.name}; free text must be scrubbed (e.g. [scrub, { truncate: 500 }])` : undefined;
    }
    case 'locationInText': {
      // Data-dependent (only while an address on the case is confidential), but no agreement can
      // know in advance that none will be: refuse the rule outright.
      const r = outside(gr.allowedRecipients);
      return !p.neutralisesText && r.length > 0
        ? `as ${p.name} to ${r.join('/')}; while an address on the case is confidential free text may only leave scrubbed (e.g. [scrub, { truncate: 500 }])` : undefined;
    }
    default:
      return undefined;
  }
}
