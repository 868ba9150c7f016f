import { createHash } from 'node:crypto';
import type { Queryable } from '../store/db.js';
import type { ExchangeDeps } from './deps.js';
import { createCaseReader } from './case-service.js';
import { policyCaseFacts } from './case-facts.js';
import { caseLocationContext } from './case-locations.js';
import type { Explanation, PolicyDecision } from './ports.js';
import type { AuditEventInput } from '../audit/types.js';

export interface MessageRow {
  id: string;
  request_id: string;
  case_id: string;
  sender_agency_id: string;
  recipient_agency_id: string;
  delivery_mode: 'pull' | 'push';
  agreement_id: string;
  agreement_version: number;
  state: string;
  deadline: Date;
  attempts: number;
}

export interface RequestView {
  messageId: string;
  requestId: string;
  caseId: string;
  kind: 'RESEARCH_REQUEST';
  purpose: string;
  deadline: string;
  request: {
    purpose: string;
    meetingDate: string;
    deadline: string;
    lookbackMonths: number;
    requestedDomains: string[];
    riskCriteria: string[];
    subjects: Record<string, unknown>[];
  };
}

/**
 * Flattens per-subject explanations into one audit-ready list, prefixing paths with the subject.
 * With `collapse`, array indices become `[]` and duplicates go: a pack spanning many research
 * rounds stays one bounded event that still says which fields were released, how, and why not.
 */
export function mergeExplanations(parts: { subjectId: string; explanation: Explanation }[], opts: { collapse?: boolean } = {}) {
  const norm = (path: string) => (opts.collapse ? path.replace(/\[\d+\]/g, '[]') : path);
  const p = (s: string, path: string) => `${s}/${norm(path)}`;
  const uniq = <T>(items: T[], key: (t: T) => string): T[] => {
    if (!opts.collapse) return items;
    const seen = new Map<string, T>();
    for (const i of items) if (!seen.has(key(i))) seen.set(key(i), i);
    return [...seen.values()];
  };
  return {
    fieldsReleased: uniq(parts.flatMap(({ subjectId, explanation }) => explanation.released.map((x) => p(subjectId, x.path))), (x) => x),
    fieldsTransformed: uniq(parts.flatMap(({ subjectId, explanation }) => explanation.transformed.map((x) => ({ path: p(subjectId, x.path), op: x.op }))), (x) => `${x.path} ${x.op}`),
    fieldsWithheld: uniq(parts.flatMap(({ subjectId, explanation }) => explanation.withheld.map((x) => ({ path: p(subjectId, x.path), reason: x.reason }))), (x) => `${x.path} ${x.reason}`),
    ruleIds: [...new Set(parts.flatMap(({ explanation }) => [
      ...explanation.released.map((x) => x.ruleId),
      ...explanation.transformed.map((x) => x.ruleId),
      ...explanation.withheld.map((x) => x.ruleId),
    ].filter((x): x is string => !!x)))],
  };
}

export function digest(view: unknown): string {
  return createHash('sha256').update(JSON.stringify(view)).digest('hex');
}

/**
 * What one recipient may see of a request: the subjects, each put through the policy engine
 * under the agreement version pinned when the request was made. Decided afresh on every
 * delivery, so a suspension takes effect on the next message.
 */
/** What `build` hands back when the agreement releases the request to its recipient. */
export type BuiltView = {
  view: RequestView;
  decision: Extract<PolicyDecision, { effect: 'PERMIT' }>;
  audit: ReturnType<typeof mergeExplanations> & { viewDigest: string; subjectTokens: string[] };
};

/**
 * The audit event of a released request view (a delivery, a hand-over, a person's read): one
 * shape for every path that shows a recipient its request, paths and decisions only.
 */
export function releaseEvent(
  action: 'DELIVERED' | 'VIEW_READ',
  actor: AuditEventInput['actor'],
  m: MessageRow,
  built: BuiltView,
  detail: NonNullable<AuditEventInput['detail']>,
): AuditEventInput {
  return {
    action,
    actor,
    caseId: m.case_id,
    requestId: m.request_id,
    messageId: m.id,
    agreementId: built.decision.agreementId,
    agreementVersion: built.decision.version,
    purpose: built.view.purpose,
    decision: built.audit.fieldsTransformed.length || built.audit.fieldsWithheld.length ? 'PERMIT_WITH_TRANSFORMS' : 'PERMIT',
    ruleIds: built.audit.ruleIds,
    fieldsReleased: built.audit.fieldsReleased,
    fieldsTransformed: built.audit.fieldsTransformed,
    fieldsWithheld: built.audit.fieldsWithheld,
    viewDigest: built.audit.viewDigest,
    subjectTokens: built.audit.subjectTokens,
    agencyIds: [m.sender_agency_id, m.recipient_agency_id],
    detail,
  };
}

export function createRequestViewBuilder(deps: ExchangeDeps) {
  const cases = createCaseReader(deps);

  async function build(q: Queryable, m: MessageRow): Promise<
    | ({ ok: true } & BuiltView)
    | { ok: false; decision: Extract<PolicyDecision, { effect: 'DENY' }>; subjectTokens: string[] }
  > {
    const now = deps.now();
    const theCase = await cases.getCase(q, m.case_id);
    const req = (await q.query('SELECT purpose, requested_domains, lookback_months, deadline FROM research_requests WHERE id = $1', [m.request_id])).rows[0];
    const sender = await deps.agencies.getAgency(m.sender_agency_id, q);
    const recipient = await deps.agencies.getAgency(m.recipient_agency_id, q);
    if (!sender || !recipient) {
      return { ok: false, decision: { effect: 'DENY', reason: 'UNKNOWN_AGENCY' }, subjectTokens: theCase.tokens };
    }
    const decision = await deps.policy.decide({
      now,
      purpose: req.purpose,
      direction: 'request',
      from: { agencyId: sender.id, agencyType: sender.type },
      to: { agencyId: recipient.id, agencyType: recipient.type },
      caseFacts: policyCaseFacts(theCase),
      pinned: { agreementId: m.agreement_id, version: m.agreement_version },
    }, q);
    if (decision.effect === 'DENY') return { ok: false, decision, subjectTokens: theCase.tokens };

    const sealed = theCase.sealed;
    // One location context for the whole request: every subject's free text is cleared of every
    // other subject's locations this recipient may not hold (issue 12).
    const locations = caseLocationContext(sealed, theCase.subjectFacts);
    const parts: { subjectId: string; explanation: Explanation }[] = [];
    const subjects: Record<string, unknown>[] = [];
    for (const s of sealed.subjects) {
      const facts = theCase.subjectFacts.find((f) => f.subjectId === s.subjectId)!;
      const { key: _key, subjectId, consent: _c, legal: _l, ...details } = s;
      const { view, explanation } = deps.policy.redact(decision, { subjectId, subject: { ...details, role: s.role } }, facts, now, locations);
      parts.push({ subjectId, explanation });
      const released = (view.subject ?? {}) as Record<string, unknown>;
      // The subject id and role are structural: the recipient needs them to answer at all.
      subjects.push({ subjectId, role: s.role, ...released });
    }
    const view: RequestView = {
      messageId: m.id,
      requestId: m.request_id,
      caseId: m.case_id,
      kind: 'RESEARCH_REQUEST',
      purpose: req.purpose,
      deadline: m.deadline.toISOString(),
      request: {
        purpose: req.purpose,
        meetingDate: theCase.meetingDate,
        deadline: m.deadline.toISOString(),
        lookbackMonths: req.lookback_months,
        requestedDomains: req.requested_domains,
        riskCriteria: theCase.riskBasis.criteria,
        subjects,
      },
    };
    return { ok: true, view, decision, audit: { ...mergeExplanations(parts), viewDigest: digest(view), subjectTokens: theCase.tokens } };
  }

  return { build };
}
