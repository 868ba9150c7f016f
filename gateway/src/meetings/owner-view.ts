/**
 * What an owner agency is handed of its own actions (agency API, SDK, its staff's pages), through
 * the policy engine under MARAC_ACTION_REVIEW (docs/decisions/0027): per case, one decision
 * coordinator → owner and `releaseActions` (release.ts) over the owner's actions of that case, so
 * the description and the update notes reach the owner as its agreement's `ownActions[]` flow
 * says (the sample agreement: scrub and truncate), through the location-in-text matcher with the
 * case's own subjects as lexicon, exactly as the circulated minutes release them. Everything that
 * hands actions to an agency goes through `releaseActionsToOwner`; nothing else may.
 *
 * The action's ids, kind, due date, status and owner are plaintext columns with nothing personal
 * in them, and the owner needs them to act: they are handed over whatever the decision. What a
 * person typed (description, notes) is released only under a PERMIT and as the flow says; under a
 * DENY (no agreement, no flow for the pair) it is withheld with the deny reason.
 */
import type pg from 'pg';
import type { Queryable } from '../store/db.js';
import type { Sealer } from '../store/sealed-box.js';
import { createCaseReader } from '../exchange/case-service.js';
import { policyCaseFacts } from '../exchange/case-facts.js';
import { caseLocationContext } from '../exchange/case-locations.js';
import type { AgencyDirectory, Explanation, PolicyPort } from '../exchange/ports.js';
import { CIRCULATION_PURPOSE, releaseActions } from './release.js';
import type { ActionKind, ActionStatus, ActionUpdate, CaseAction } from './types.js';

export interface OwnerActionView {
  id: string;
  caseId: string;
  /** The meeting the action was agreed at, when there was one (its released minutes: GET /v1/meetings/{id}/cases/{caseId}/minutes/released). */
  meetingId?: string;
  kind: ActionKind;
  dueOn: string;
  status: ActionStatus;
  ownerAgencyId: string;
  /** As the owner's flow releases it (absent when withheld). */
  description?: string;
  /** Dated updates as released (a note only where the flow releases it). */
  updates?: Partial<ActionUpdate>[];
}

export type ReleasableAction = CaseAction;

export interface OwnerRelease {
  actions: OwnerActionView[];
  /** Paths withheld from the agency, with the reason code (for the audit event): `actions[i]…`, i the place in `actions`. */
  withheld: { path: string; reason: string }[];
  /** Per case, for mergeExplanations in the audit event. */
  parts: { subjectId: string; explanation: Explanation }[];
  /** Agreements (id@version) the releases were made under. */
  agreements: string[];
}

export interface OwnerReleaseDeps {
  pool: pg.Pool;
  policy: PolicyPort;
  agencies: AgencyDirectory;
  sealer: Sealer;
  now(): Date;
}

const STRUCTURAL = (a: ReleasableAction): OwnerActionView => ({
  id: a.id, caseId: a.caseId, ...(a.meetingId ? { meetingId: a.meetingId } : {}), kind: a.kind, dueOn: a.dueOn, status: a.status, ownerAgencyId: a.ownerAgencyId,
});

/** The owner's actions (all owned by `recipientAgencyId`), released per case, in the order given. */
export async function releaseActionsToOwner(
  q: Queryable, deps: OwnerReleaseDeps, actions: readonly ReleasableAction[], recipientAgencyId: string,
): Promise<OwnerRelease> {
  const out: OwnerRelease = { actions: actions.map(STRUCTURAL), withheld: [], parts: [], agreements: [] };
  if (actions.length === 0) return out;
  const now = deps.now();
  const recipient = await deps.agencies.getAgency(recipientAgencyId, q);
  const byCase = new Map<string, number[]>();
  actions.forEach((a, i) => byCase.set(a.caseId, [...(byCase.get(a.caseId) ?? []), i]));
  const reader = createCaseReader(deps);
  const agreements = new Set<string>();
  for (const [caseId, places] of byCase) {
    const withhold = (reason: string) => {
      for (const i of places) for (const path of ['description', 'updates']) out.withheld.push({ path: `actions[${i}].${path}`, reason });
    };
    if (!recipient || recipient.disabled) {
      withhold('UNKNOWN_AGENCY');
      continue;
    }
    const theCase = await reader.getCase(q, caseId, now);
    const coordinator = await deps.agencies.getAgency(theCase.coordinatorAgencyId, q);
    if (!coordinator) {
      withhold('UNKNOWN_AGENCY');
      continue;
    }
    const decision = await deps.policy.decide({
      now, purpose: CIRCULATION_PURPOSE, direction: 'response',
      from: { agencyId: coordinator.id, agencyType: coordinator.type }, to: { agencyId: recipient.id, agencyType: recipient.type },
      caseFacts: policyCaseFacts(theCase),
    }, q);
    const own = places.map((i) => actions[i]!);
    const r = releaseActions({
      decision, redact: deps.policy.redact, now, recipientAgencyId, subjects: theCase.subjectFacts,
      ...(decision.effect === 'PERMIT' ? { locations: caseLocationContext(theCase.sealed, theCase.subjectFacts) } : {}),
      actions: own,
    });
    if (r.agreement && r.decision !== 'DENY') agreements.add(`${r.agreement.agreementId}@${r.agreement.version}`);
    if (r.decision === 'DENY') {
      withhold(r.reasonCode ?? 'NO_AGREEMENT');
      continue;
    }
    // `actions[k]` in the release is the k-th of this case's own actions: say it as its place in the answer.
    const global = (path: string) => path.replace(/^actions\[(\d+)\]/, (_m, k: string) => `actions[${places[Number(k)] ?? k}]`);
    out.parts.push({
      subjectId: caseId,
      explanation: {
        released: r.explanation.released.map((x) => ({ ...x, path: global(x.path) })),
        transformed: r.explanation.transformed.map((x) => ({ ...x, path: global(x.path) })),
        withheld: r.explanation.withheld.map((x) => ({ ...x, path: global(x.path) })),
      },
    });
    out.withheld.push(...r.withheld.map((w) => ({ path: global(w.path), reason: w.reason })));
    places.forEach((i, k) => {
      // Matched by id (the sample agreement releases ids to every party); else by place.
      const released = r.actions.find((x) => x.id === actions[i]!.id) ?? (r.actions.every((x) => x.id === undefined) ? r.actions[k] : undefined);
      if (!released) return;
      const view = out.actions[i]!;
      if (typeof released.description === 'string') view.description = released.description;
      if (Array.isArray(released.updates)) view.updates = released.updates as Partial<ActionUpdate>[];
    });
  }
  out.agreements = [...agreements];
  return out;
}
