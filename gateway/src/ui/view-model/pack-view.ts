import type { ResearchPack } from '../../exchange/pack-service.js';
import { workingDaysBetween } from '../../exchange/working-days.js';
import type { FieldCatalog } from '../../schema/catalog.js';
import { AGENCY_TYPES, describeCode, domainsText, MESSAGE_STATES, operatorLabel, pathLabel, RISK_CRITERIA_SHORT, SUBJECT_ROLES } from '../labels.js';
import { caseAboutView } from './case-about-view.js';
import { displayGroups, type DisplayGroup } from './released-view.js';

/** The research pack as the draft-minutes page shows it. */

export interface Tag {
  text: string;
  classes: string;
}

const STATE_TAG: Record<string, string> = {
  queued: 'govuk-tag--grey',
  delivered: 'govuk-tag--blue',
  acknowledged: 'govuk-tag--light-blue',
  responded: 'govuk-tag--green',
  declined: 'govuk-tag--orange',
  overdue: 'govuk-tag--red',
  failed: 'govuk-tag--red',
};

export function stateTag(state: string): Tag {
  return { text: MESSAGE_STATES[state] ?? state, classes: STATE_TAG[state] ?? 'govuk-tag--grey' };
}

/** "3 working days left", "Due today", "2 working days overdue" (London calendar). */
export function countdown(deadline: string, now: Date): { text: string; overdue: boolean } {
  const deadlineAt = new Date(deadline);
  const days = workingDaysBetween(now, deadlineAt);
  if (deadlineAt.getTime() <= now.getTime()) {
    const late = Math.max(workingDaysBetween(deadlineAt, now), 0);
    return { text: late === 0 ? 'Deadline passed today' : `${late} working day${late === 1 ? '' : 's'} overdue`, overdue: true };
  }
  if (days === 0) return { text: 'Due today', overdue: false };
  return { text: `${days} working day${days === 1 ? '' : 's'} left`, overdue: false };
}

export interface PackViewOptions {
  catalog: Pick<FieldCatalog, 'get'>;
  agencyName: (id: string) => string;
  now: Date;
}

function subjectHeadings(pack: ResearchPack): Map<string, string> {
  const byRole = new Map<string, string[]>();
  for (const s of pack.sections.flatMap((x) => x.subjects)) {
    const ids = byRole.get(s.role) ?? [];
    if (!ids.includes(s.subjectId)) ids.push(s.subjectId);
    byRole.set(s.role, ids);
  }
  const out = new Map<string, string>();
  for (const [role, ids] of byRole) {
    ids.forEach((id, i) => out.set(id, `${SUBJECT_ROLES[role] ?? role}${ids.length > 1 ? ` ${i + 1}` : ''}`));
  }
  return out;
}

const ANSWERED = new Set(['responded', 'declined']);

/**
 * Sections grouped by request round: per agency its latest answer first (the newest round it
 * answered, else the newest round it was asked in), then every earlier round with what it holds
 * besides those, newest first, for the page to fold. Each round keeps its label.
 */
function byRound<S extends { agencyId: string; requestId: string; state: string }>(pack: ResearchPack, sections: S[]) {
  const order = pack.rounds.map((r) => r.requestId);
  const number = new Map(order.map((id, i) => [id, i + 1]));
  const rank = (s: S) => order.indexOf(s.requestId);
  const latest = new Map<string, S>();
  for (const s of sections) {
    const was = latest.get(s.agencyId);
    const better = !was
      || (ANSWERED.has(s.state) && !ANSWERED.has(was.state))
      || (ANSWERED.has(s.state) === ANSWERED.has(was.state) && rank(s) > rank(was));
    if (better) latest.set(s.agencyId, s);
  }
  const chosen = new Set(latest.values());
  const label = (requestId: string) => {
    const r = pack.rounds.find((x) => x.requestId === requestId);
    if (!r) return undefined;
    return {
      requestId,
      number: number.get(requestId)!,
      askedAt: r.askedAt,
      deadline: r.deadline,
      purpose: describeCode(r.purpose),
      domains: domainsText(r.requestedDomains),
      identityOnly: r.requestedDomains.length === 0,
      lookbackMonths: r.lookbackMonths,
    };
  };
  return {
    latest: [...latest.values()].map((s) => ({ ...s, round: label(s.requestId) })),
    earlier: [...order].reverse()
      .map((id) => ({ round: label(id)!, sections: sections.filter((s) => s.requestId === id && !chosen.has(s)) }))
      .filter((r) => r.sections.length > 0),
    rounds: order.map((id) => label(id)!),
  };
}

export function packView(pack: ResearchPack, opts: PackViewOptions) {
  const headings = subjectHeadings(pack);
  const open = new Set(['queued', 'delivered', 'acknowledged']);
  const sections = pack.sections.map((s) => sectionView(s, opts, headings));
  const grouped = byRound(pack, sections);
  return {
    about: pack.about ? caseAboutView(pack.about) : undefined,
    latest: grouped.latest,
    earlier: grouped.earlier,
    rounds: grouped.rounds.map((r) => ({
      ...r,
      status: pack.sections.filter((s) => s.requestId === r.requestId).map((s) => statusRow(s, opts, open)),
    })).reverse(),
    caseId: pack.caseId,
    maracArea: pack.maracArea,
    meetingDate: pack.meetingDate,
    criteria: pack.riskCriteria.map((c) => RISK_CRITERIA_SHORT[c] ?? c),
    generatedAt: pack.generatedAt,
    status: pack.sections.map((s) => statusRow(s, opts, open)),
    refused: pack.refused.map((r) => ({ agencyName: opts.agencyName(r.agencyId), reason: r.reason, reasonText: describeCode(r.reason), round: grouped.rounds.find((x) => x.requestId === r.requestId)?.number })),
    sections,
  };
}

function statusRow(s: ResearchPack['sections'][number], opts: PackViewOptions, open: ReadonlySet<string>) {
  return {
    agencyId: s.agencyId,
    agencyName: opts.agencyName(s.agencyId),
    purpose: describeCode(s.purpose),
    tag: stateTag(s.state),
    late: s.late,
    deadline: s.deadline,
    countdown: open.has(s.state) ? countdown(s.deadline, opts.now) : undefined,
    answeredAt: s.answeredAt,
    declineReason: s.declineReason ? describeCode(s.declineReason) : undefined,
    lastError: s.lastError ? describeCode(s.lastError) : undefined,
  };
}

function sectionView(s: ResearchPack['sections'][number], opts: PackViewOptions, headings: ReadonlyMap<string, string>) {
  return {
    requestId: s.requestId,
    state: s.state,
    agencyId: s.agencyId,
      agencyName: opts.agencyName(s.agencyId),
      agencyType: s.agencyType ? (AGENCY_TYPES[s.agencyType] ?? s.agencyType) : undefined,
      tag: stateTag(s.state),
      late: s.late,
      answeredAt: s.answeredAt,
      released: s.release.released,
      notReleased: s.release.released ? undefined : { reason: s.release.reason, text: describeCode(s.release.reason) },
      agreement: s.release.released ? `${s.release.agreementId} version ${s.release.version}` : undefined,
      warnings: s.release.released ? (s.release.warnings ?? []).map((w) => describeCode(w)) : [],
      declineReason: s.declineReason ? describeCode(s.declineReason) : undefined,
      subjects: s.subjects.map((sub) => ({
        heading: headings.get(sub.subjectId) ?? SUBJECT_ROLES[sub.role] ?? sub.role,
        groups: displayGroups(sub.view, { catalog: opts.catalog, transformed: sub.transformed, subjects: headings }) as DisplayGroup[],
        transformed: sub.transformed
          .filter((t) => t.op !== 'keep')
          .map((t) => ({ path: t.path, label: pathLabel(t.path), op: t.op, opText: operatorLabel(t.op) })),
        withheld: sub.withheld.map((w) => ({
          path: w.path,
          label: pathLabel(w.path),
          reason: w.reason,
          reasonText: describeCode(w.reason),
          by: w.by === 'agency' ? 'Agency' : 'Policy',
          byAgency: w.by === 'agency',
        })),
      })),
      envelope: s.envelope ? displayGroups(s.envelope, { catalog: opts.catalog, subjects: headings }) : [],
  };
}

export type PackView = ReturnType<typeof packView>;
