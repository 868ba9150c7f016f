/**
 * The shared model of meetings, minutes and action plans (docs/decisions/0018). Services, pages,
 * documents, the data return, notifications and the agency API all speak these shapes; the
 * tables are migration 0016. Plain data: no Express, no database.
 */

export type MeetingStatus = 'PLANNED' | 'IN_PROGRESS' | 'HELD' | 'CANCELLED';
export type ListingOutcome = 'LISTED' | 'HEARD' | 'DEFERRED';
export type AttendanceStatus = 'PRESENT' | 'APOLOGIES' | 'ABSENT';
/** After SafeLives' minutes template; the same values as the transfer bundle's action plan. */
export type ActionStatus = 'OPEN' | 'DONE' | 'NOT_POSSIBLE_CHANGE' | 'NOT_DONE_AGENCY';
export const ACTION_STATUSES: readonly ActionStatus[] = ['OPEN', 'DONE', 'NOT_POSSIBLE_CHANGE', 'NOT_DONE_AGENCY'];
export type ActionKind = 'ACTION' | 'SURVIVOR_FEEDBACK';

export interface Meeting {
  id: string;
  coordinatorAgencyId: string;
  maracArea: string;
  /** ISO date-time. */
  startsAt: string;
  chair: string;
  venue?: string;
  status: MeetingStatus;
}

/** One case on an agenda. Flags are computed when the agenda is read, never stored. */
export interface AgendaItem {
  caseId: string;
  position: number;
  slotMinutes: number;
  /** ISO date-time the slot starts: the meeting's start plus the slots before it. */
  slotStartsAt: string;
  outcome: ListingOutcome;
  /** The coordinator's own reference for the case (sealed with the case; shown to coordinators only). */
  localReference?: string;
  repeat: boolean;
  /** Any of the case's actions open and past due. */
  overdueActions: number;
  /** Actions open and due on or before the meeting (up for review). */
  actionsDueForReview: number;
  /** Research requests still unanswered for the case. */
  outstandingResearch: number;
}

export interface Attendance {
  agencyId: string;
  status: AttendanceStatus;
  representative?: string;
  informationSent: boolean;
  /** ISO date (YYYY-MM-DD). */
  informationReceivedOn?: string;
}

/**
 * The minutes of one case at one meeting, as sealed. Each field is free text a person typed; the
 * IDVA presents the victim's voice first. `informationShared` points into the pack by section
 * (agency and request ids), never copies it.
 */
export interface MinutesDocument {
  victimVoice?: string;
  risks?: string;
  informationShared?: { agencyId: string; requestId?: string; note?: string }[];
  decisions?: string;
  crimesDisclosed?: string;
  notShared?: { what: string; why: string }[];
}

export interface CaseAction {
  id: string;
  caseId: string;
  meetingId?: string;
  kind: ActionKind;
  ownerAgencyId: string;
  /** ISO date (YYYY-MM-DD). Required: an action without a deadline loses accountability. */
  dueOn: string;
  status: ActionStatus;
  /** Sealed at rest. */
  description: string;
  updates: ActionUpdate[];
}

export interface ActionUpdate {
  at: string;
  byAgencyId: string;
  status: ActionStatus;
  note?: string;
}

/**
 * Minutes and actions of one case as released to one agency under MARAC_ACTION_REVIEW: what the
 * documents, the circulated pages and the agency API hand that agency. Built by the policy engine
 * from the agreement's flows; never one copy for all.
 */
export interface ReleasedMinutes {
  caseId: string;
  meetingId: string;
  recipientAgencyId: string;
  /** The released minutes fields (paths the agreement lets through, transformed). */
  minutes: Partial<MinutesDocument>;
  actions: Partial<CaseAction>[];
  /** Paths withheld from this agency, with the reason code: the document says what is not shown. */
  withheld: { path: string; reason: string }[];
  /** The version of the minutes circulated to this agency and when (decision 0033), when released by circulation. */
  circulated?: { version: number; at: string };
}
