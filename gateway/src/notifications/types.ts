import type { PersonRole } from '../identity/principal.js';

/**
 * What people can be told of (issue 15). Each kind goes to people of certain roles in certain
 * agencies; each person can turn each kind off (/account/notifications). Stable strings: they are
 * stored in the outbox and the preferences and appear in NOTIFICATION_SENT events.
 */
export type NotificationKind =
  | 'REQUEST_NEW'
  | 'DEADLINE_NEAR'
  | 'ANSWER_OVERDUE'
  | 'PACK_CIRCULATED'
  | 'MINUTES_CIRCULATED'
  | 'ACTION_ASSIGNED'
  | 'ACTION_DUE'
  | 'ACTION_OVERDUE'
  | 'REFERRAL_RECEIVED';

export interface KindInfo {
  /** For the preferences page. */
  label: string;
  hint: string;
  /** Who may receive it (and so see it on the preferences page). */
  roles: readonly PersonRole[];
  /** Subject and first line of the message: never anything about a case's people. */
  subject: string;
  body: string;
}

export const NOTIFICATION_KINDS: Readonly<Record<NotificationKind, KindInfo>> = {
  REQUEST_NEW: {
    label: 'A new research request for your agency',
    hint: 'When the MARAC asks your agency for research.',
    roles: ['agency_researcher'],
    subject: 'New MARAC research request',
    body: 'A new research request is waiting for your agency.',
  },
  DEADLINE_NEAR: {
    label: 'A research deadline is near',
    hint: 'When your agency has not answered a request and its deadline is close.',
    roles: ['agency_researcher'],
    subject: 'MARAC research deadline approaching',
    body: 'A research request for your agency is due soon and has not been answered.',
  },
  ANSWER_OVERDUE: {
    label: 'An answer is overdue',
    hint: 'When a research answer was not given by its deadline.',
    roles: ['agency_researcher', 'coordinator'],
    subject: 'MARAC research answer overdue',
    body: 'A research answer has passed its deadline.',
  },
  PACK_CIRCULATED: {
    label: 'A research pack is circulated',
    hint: 'When the coordinator circulates the research pack before a meeting.',
    roles: ['agency_representative'],
    subject: 'MARAC research pack circulated',
    body: 'A research pack has been circulated to your agency.',
  },
  MINUTES_CIRCULATED: {
    label: 'Minutes are circulated',
    hint: 'When the coordinator circulates the minutes and actions after a meeting.',
    roles: ['agency_representative'],
    subject: 'MARAC minutes circulated',
    body: 'Minutes and actions have been circulated to your agency.',
  },
  ACTION_ASSIGNED: {
    label: 'An action is assigned to your agency',
    hint: 'When a MARAC action names your agency as its owner.',
    roles: ['agency_representative'],
    subject: 'MARAC action assigned',
    body: 'An action has been assigned to your agency.',
  },
  ACTION_DUE: {
    label: 'An action is due',
    hint: 'When one of your agency\'s open actions is due soon.',
    roles: ['agency_representative'],
    subject: 'MARAC action due soon',
    body: 'An action owned by your agency is due soon.',
  },
  ACTION_OVERDUE: {
    label: 'An action is overdue',
    hint: 'When one of your agency\'s actions is still open after its due date.',
    roles: ['agency_representative'],
    subject: 'MARAC action overdue',
    body: 'An action owned by your agency is past its due date.',
  },
  REFERRAL_RECEIVED: {
    label: 'A referral is received',
    hint: 'When an agency refers a case to your MARAC.',
    roles: ['coordinator'],
    subject: 'MARAC referral received',
    body: 'A new referral is waiting for a decision.',
  },
};

export const KINDS = Object.keys(NOTIFICATION_KINDS) as NotificationKind[];

export function isKind(v: unknown): v is NotificationKind {
  return typeof v === 'string' && Object.hasOwn(NOTIFICATION_KINDS, v);
}

/** Kinds a person with these roles can receive. */
export function kindsFor(roles: readonly string[]): NotificationKind[] {
  return KINDS.filter((k) => NOTIFICATION_KINDS[k].roles.some((r) => roles.includes(r)));
}

/**
 * One notification to work out recipients for: which agency's people of which roles, the page it
 * links to (a path with opaque ids only) and the source key that makes it exactly once.
 */
export interface Derived {
  sourceKey: string;
  kind: NotificationKind;
  agencyId: string;
  roles: readonly PersonRole[];
  linkPath: string;
  caseId?: string;
  /** The person whose own act this is: not told of it. */
  notUserId?: string;
}

/** What a transport sends. `reference` is the idempotency reference (the outbox row id). */
export interface OutgoingMessage {
  reference: string;
  kind: NotificationKind;
  to: string;
  subject: string;
  body: string;
  link: string;
}
