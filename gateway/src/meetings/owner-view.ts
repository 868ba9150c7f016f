/**
 * What an owner agency is handed of its actions (agency API, and later its staff's pages).
 *
 * THE SINGLE CALL SITE to switch to the policy engine's release under MARAC_ACTION_REVIEW
 * (gateway/src/meetings/release.ts, releaseActionsFor): until that lands, an owner agency gets the
 * action's ids, kind, due date, status and owner, and no description or note (default deny for
 * whatever a person typed). Everything that hands actions to an agency goes through
 * `releaseActionsToOwner`; nothing else may.
 */
import type { ActionKind, ActionStatus } from './types.js';

export interface OwnerActionView {
  id: string;
  caseId: string;
  kind: ActionKind;
  dueOn: string;
  status: ActionStatus;
  ownerAgencyId: string;
}

export interface ReleasableAction extends OwnerActionView {
  description: string;
  updates: { at: string; byAgencyId: string; status: ActionStatus; note?: string }[];
}

export interface OwnerRelease {
  actions: OwnerActionView[];
  /** Paths withheld from the agency, with the reason code (for the audit event). */
  withheld: { path: string; reason: string }[];
}

export function releaseActionsToOwner(actions: ReleasableAction[], _recipientAgencyId: string): OwnerRelease {
  return {
    actions: actions.map((a) => ({ id: a.id, caseId: a.caseId, kind: a.kind, dueOn: a.dueOn, status: a.status, ownerAgencyId: a.ownerAgencyId })),
    withheld: actions.length > 0
      ? [{ path: '/description', reason: 'RELEASE_NOT_CONFIGURED' }, { path: '/updates', reason: 'RELEASE_NOT_CONFIGURED' }]
      : [],
  };
}
