/**
 * The MARAC-to-MARAC transfer bundle (R10; docs/decisions/0029-transfers.md), built from a case
 * before the policy engine releases it. Pure: no I/O. Only the catalog's transfer fields
 * (policy/transfer-bundle.ts) are put in, so nothing else can even be offered to the engine:
 * never agency research, never the case's subjects (those go separately, under the transfer
 * request flow).
 *
 *   minutesSummary         the latest minutes' risks and decisions, as typed (free text: the
 *                          engine scrubs it and clears the case's locations from it)
 *   actionPlan[]           every action of the case: description, owner, due date, status
 *   riskBasis              criteria, Dash score, police call-outs, risk level (a MARAC case is high risk)
 *   lastMaracReferralDate  the day this case was referred (opened)
 *   previousReferralDates  every referral date the case knows of, this one included, oldest first
 *   fromMaracArea          the sending area
 */
import type { CaseAction, MinutesDocument } from '../meetings/types.js';
import type { RiskBasis } from '../exchange/ports.js';

export interface TransferSource {
  maracArea: string;
  /** The day (Europe/London, YYYY-MM-DD) the case was referred: when it was opened. */
  referredOn: string;
  /** As judged now (release-facts.ts). */
  riskBasis: RiskBasis;
  /** The most recent minutes recorded for the case, with the day of their meeting. */
  latestMinutes?: { meetingDay: string; minutes: MinutesDocument };
  actions: readonly CaseAction[];
}

export interface TransferBundleDoc {
  fromMaracArea: string;
  minutesSummary?: string;
  actionPlan?: { description: string; ownerAgencyId: string; dueBy: string; status: string }[];
  riskBasis: { criteria: string[]; dashScore?: number; policeCallouts12m?: number; riskLevel: 'HIGH' };
  lastMaracReferralDate: string;
  previousReferralDates: string[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The minutes as one summary: the meeting's day, then the risks and the decisions, each as typed. */
export function minutesSummary(latest: TransferSource['latestMinutes']): string | undefined {
  if (!latest) return undefined;
  const parts: string[] = [];
  const risks = latest.minutes.risks?.trim();
  const decisions = latest.minutes.decisions?.trim();
  if (risks) parts.push(`Risks: ${risks}`);
  if (decisions) parts.push(`Decisions: ${decisions}`);
  if (parts.length === 0) return undefined;
  return `Heard at MARAC on ${latest.meetingDay}. ${parts.join(' ')}`;
}

export function buildTransferBundle(src: TransferSource): TransferBundleDoc {
  const rb = src.riskBasis;
  const riskBasis: TransferBundleDoc['riskBasis'] = {
    criteria: [...rb.criteria],
    ...(typeof rb.dashScore === 'number' ? { dashScore: rb.dashScore } : {}),
    ...(typeof rb.policeCallouts12m === 'number' ? { policeCallouts12m: rb.policeCallouts12m } : {}),
    // Every case heard at MARAC was referred as high risk: that is the threshold.
    riskLevel: 'HIGH',
  };
  const dates = new Set<string>([src.referredOn]);
  if (typeof rb.lastMaracReferralDate === 'string' && DAY.test(rb.lastMaracReferralDate)) dates.add(rb.lastMaracReferralDate);
  const summary = minutesSummary(src.latestMinutes);
  const doc: TransferBundleDoc = {
    fromMaracArea: src.maracArea,
    ...(summary ? { minutesSummary: summary } : {}),
    riskBasis,
    lastMaracReferralDate: src.referredOn,
    previousReferralDates: [...dates].sort(),
  };
  if (src.actions.length > 0) {
    doc.actionPlan = src.actions.map((a) => ({ description: a.description, ownerAgencyId: a.ownerAgencyId, dueBy: a.dueOn, status: a.status }));
  }
  return doc;
}

/**
 * The released subjects as a case in the receiving area needs them: role, names and dates of
 * birth, as the transfer request flow released them. A subject whose names were withheld cannot
 * be opened into a case (`missing` lists it).
 */
export interface ReleasedSubject {
  subjectId: string;
  role: string;
  names?: unknown[];
  dobs?: string[];
}

export interface TransferAcceptInput {
  meetingDate: string;
  isEmergency?: boolean;
  externalRef?: string;
  /** The receiving coordinator's own decision on consent, for every subject of the new case. */
  consent: { status: string; explicitForSpecialCategory: boolean; rationale?: string; decidedBy?: string; decidedAt?: string };
  /** Lawful-basis facts the receiving area records; none by default (nothing special-category is released until it does). */
  legal?: { art9Conditions: string[]; art10Conditions?: string[]; part3Sch8?: string[]; careAndSupportNeeds: boolean };
}

/** The body of createCase for the receiving area: the released subjects, the released risk basis. */
export function caseBodyFromTransfer(
  bundle: Partial<TransferBundleDoc>,
  subjects: readonly ReleasedSubject[],
  input: TransferAcceptInput,
): { body: Record<string, unknown>; missing: number[] } {
  const missing: number[] = [];
  const caseSubjects = subjects.map((s, i) => {
    if (!Array.isArray(s.names) || s.names.length === 0) missing.push(i);
    return {
      key: `t${i + 1}`,
      role: s.role,
      names: Array.isArray(s.names) ? s.names : [],
      dobs: Array.isArray(s.dobs) ? s.dobs : [],
      identifiers: [],
      consent: { ...input.consent },
      legal: input.legal ? { ...input.legal } : { art9Conditions: [], careAndSupportNeeds: false },
    };
  });
  const rb = bundle.riskBasis;
  const riskBasis: Record<string, unknown> = { criteria: Array.isArray(rb?.criteria) && rb.criteria.length > 0 ? [...rb.criteria] : ['REPEAT'] };
  if (typeof rb?.dashScore === 'number') riskBasis.dashScore = rb.dashScore;
  if (typeof rb?.policeCallouts12m === 'number') riskBasis.policeCallouts12m = rb.policeCallouts12m;
  // The original referral makes this one a repeat (within 12 months), as the gateway judges it.
  if (typeof bundle.lastMaracReferralDate === 'string') riskBasis.lastMaracReferralDate = bundle.lastMaracReferralDate;
  return {
    body: {
      meetingDate: input.meetingDate,
      ...(input.isEmergency ? { isEmergency: true } : {}),
      ...(input.externalRef ? { externalRef: input.externalRef } : {}),
      riskBasis,
      subjects: caseSubjects,
    },
    missing,
  };
}
