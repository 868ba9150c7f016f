/**
 * Explanations: which agreement version and which rule did what to which path. Built during a
 * redaction (for the audit event: paths and decisions, never values) and rendered for people.
 */
import type { Decision } from './decide.js';
import type { Explanation, WithheldReason } from './types.js';

export class ExplanationBuilder {
  readonly released: Explanation['released'] = [];
  readonly transformed: Explanation['transformed'] = [];
  readonly withheld: Explanation['withheld'] = [];
  private readonly rules = new Set<string>();

  constructor(private readonly agreementId: string, private readonly version: number) {}

  release(path: string, ruleId: string): void {
    this.released.push({ path, ruleId });
    this.rules.add(ruleId);
  }

  transform(path: string, op: string, ruleId: string): void {
    this.transformed.push({ path, op, ruleId });
    this.rules.add(ruleId);
  }

  withhold(path: string, reason: WithheldReason, ruleId?: string): void {
    this.withheld.push(ruleId === undefined ? { path, reason } : { path, reason, ruleId });
    if (ruleId !== undefined) this.rules.add(ruleId);
  }

  build(): Explanation {
    return {
      agreementId: this.agreementId,
      version: this.version,
      released: this.released,
      transformed: this.transformed,
      withheld: this.withheld,
      ruleIds: [...this.rules].sort(),
    };
  }
}

/** Plain-text rendering for the preview CLI and people reading an audit event. */
export function explainText(e: Explanation): string {
  const lines = [`Agreement ${e.agreementId} v${e.version}`];
  for (const r of e.released) lines.push(`  released     ${r.path}  (${r.ruleId})`);
  for (const t of e.transformed) lines.push(`  transformed  ${t.path}  by ${t.op}  (${t.ruleId})`);
  for (const w of e.withheld) lines.push(`  withheld     ${w.path}  ${w.reason}${w.ruleId ? `  (${w.ruleId})` : ''}`);
  return lines.join('\n');
}

/** One line for a decision: what a coordinator or auditor sees. */
export function explainDecision(d: Decision): string {
  if (d.effect === 'DENY') {
    return `DENY ${d.reason}${d.agreementId ? ` under ${d.agreementId} v${d.version}` : ''}: ${d.detail}`;
  }
  const warn = d.warnings?.length ? ` [${d.warnings.join(', ')}]` : '';
  return `PERMIT under ${d.agreementId} v${d.version} by flow(s) ${d.flowIds.join(', ')}; criteria met: ${d.criteriaMet.join(', ')}${warn}`;
}
