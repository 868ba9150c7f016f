/**
 * The action plan of a case (docs/decisions/0018): each action has an owner agency and a due date
 * (both required), a kind (ACTION, or SURVIVOR_FEEDBACK: telling the survivor the outcome), a
 * status after SafeLives' minutes template, and dated updates. The coordinator creates actions and
 * reads them whole; the owner agency lists and updates its own (another agency's action looks
 * missing) and sees them only as released to it under MARAC_ACTION_REVIEW (owner-view.ts: the
 * policy engine's release, its agreement's ownActions flow). The description and the notes
 * are sealed (aad: the action's or the update's id); every change and read writes its audit event
 * in the same transaction with ids and states only.
 */
import { caseKeyId, openerFor, sealerFor } from '../store/case-keys.js';
import type { Sealer } from '../store/sealed-box.js';
import { randomUUID } from 'node:crypto';
import { withTx, type Queryable } from '../store/db.js';
import { InvalidQuery } from '../exchange/errors.js';
import { actingAgency, type ExchangeActor } from '../exchange/acting-agency.js';
import { agreementsInForce } from '../referrals/area-agreements.js';
import {
  ActionDueInPast, ActionNotFound, ActionNoteRequired, ActionOwnerNotAParty, CaseNotOnAgenda, MeetingCancelled, MinutesMeetingNotFound,
} from './action-errors.js';
import { by, coordinatorCase, londonDay, type MinutesActionsDeps } from './case-scope.js';
import type { PolicyPort } from '../exchange/ports.js';
import { mergeExplanations } from '../exchange/request-view.js';
import { findListing } from './minutes-repo.js';
import * as repo from './action-repo.js';
import { releaseActionsToOwner, type OwnerActionView, type OwnerRelease, type ReleasableAction } from './owner-view.js';
import { actionAad, actionNoteAad as noteAad } from './sealing.js';
import type { ActionKind, ActionStatus } from './types.js';

export interface ActionInput {
  description: string;
  ownerAgencyId: string;
  dueOn: string;
  kind?: ActionKind;
  meetingId?: string;
}

export interface ActionUpdateInput {
  status: ActionStatus;
  note?: string;
}

/** The action service needs the policy engine for what an owner agency is released. */
export type ActionServiceDeps = MinutesActionsDeps & { policy: PolicyPort };

/** The coordinator's view: everything, the description and the notes opened. */
export interface ActionView extends ReleasableAction {
  meetingId?: string;
  createdAt: string;
  closedAt?: string;
  /** Open and past its due date (London calendar). */
  overdue: boolean;
  updates: { at: string; byAgencyId: string; status: ActionStatus; note?: string }[];
}

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '')}`;
/** What an owner's read says in its audit event: the release's paths and rules, never a value. */
function ownerAudit(r: OwnerRelease) {
  const merged = mergeExplanations(r.parts, { collapse: true });
  const changed = r.withheld.length > 0 || merged.fieldsTransformed.length > 0;
  return {
    decision: (changed ? 'PERMIT_WITH_TRANSFORMS' : 'PERMIT') as 'PERMIT' | 'PERMIT_WITH_TRANSFORMS',
    purpose: 'MARAC_ACTION_REVIEW',
    ruleIds: merged.ruleIds,
    fieldsTransformed: merged.fieldsTransformed,
    fieldsWithheld: r.withheld.map((w) => ({ path: w.path.replace(/\[\d+\]/g, '[]'), reason: w.reason }))
      .filter((w, i, all) => all.findIndex((x) => x.path === w.path && x.reason === w.reason) === i),
  };
}

export function createActionService(deps: ActionServiceDeps) {
  const { pool, audit, sealer } = deps;

  function view(row: repo.ActionRow, updates: repo.UpdateRow[], today: string, opener: Pick<Sealer, 'open'> = sealer): ActionView {
    const { description } = opener.open(row.sealed, actionAad(row.id)) as { description: string };
    return {
      id: row.id,
      caseId: row.caseId,
      ...(row.meetingId ? { meetingId: row.meetingId } : {}),
      kind: row.kind,
      ownerAgencyId: row.ownerAgencyId,
      dueOn: row.dueOn,
      status: row.status,
      description,
      createdAt: row.createdAt.toISOString(),
      ...(row.closedAt ? { closedAt: row.closedAt.toISOString() } : {}),
      overdue: row.status === 'OPEN' && row.dueOn < today,
      updates: updates.map((u) => ({
        at: u.at.toISOString(),
        byAgencyId: u.byAgencyId,
        status: u.status,
        ...(u.sealed ? { note: (opener.open(u.sealed, noteAad(u.id)) as { note: string }).note } : {}),
      })),
    };
  }

  async function views(q: Queryable, rows: repo.ActionRow[]): Promise<ActionView[]> {
    const updates = await repo.updatesOf(q, rows.map((r) => r.id));
    const today = londonDay(deps.now());
    // Each case's own data key (store/case-keys.ts); values from before 0021 open under the master key.
    const opener = await openerFor(sealer, q, rows.flatMap((r) => [r.sealed.keyId, ...(updates.get(r.id) ?? []).map((u) => u.sealed?.keyId)]));
    return rows.map((r) => view(r, updates.get(r.id) ?? [], today, opener));
  }

  /** Is `owner` a party, with the case's coordinator, of an agreement in force (and not removed from it)? */
  async function isParty(q: Queryable, coordinator: string, owner: string, at: Date): Promise<boolean> {
    const info = await deps.agencies.getAgency(owner, q);
    if (!info || info.disabled) return false;
    return (await agreementsInForce(q, at)).some((a) => {
      const parties = a.doc.parties ?? [];
      return parties.some((p) => p.agency === coordinator && p.role === 'coordinator') && parties.some((p) => p.agency === owner)
        && !a.removed.includes(owner) && !a.removed.includes(coordinator);
    });
  }

  /** Coordinator or owner of the action (an agency certificate, or a person for their agency); anyone else: not found. */
  async function sideOf(q: Queryable, actor: ExchangeActor, row: repo.ActionRow): Promise<'coordinator' | 'owner'> {
    if (actor.kind === 'agency') {
      if (actor.agencyId === row.coordinatorAgencyId) return 'coordinator';
      if (actor.agencyId === row.ownerAgencyId) return 'owner';
    } else if (actor.agencyId) {
      const info = await deps.agencies.getAgency(actor.agencyId, q);
      if (info && !info.disabled) {
        if (actor.roles.includes('coordinator') && actor.agencyId === row.coordinatorAgencyId) return 'coordinator';
        if (actor.roles.includes('agency_representative') && actor.agencyId === row.ownerAgencyId) return 'owner';
      }
    }
    throw new ActionNotFound('No such action');
  }

  const actingId = (side: 'coordinator' | 'owner', row: repo.ActionRow) => (side === 'coordinator' ? row.coordinatorAgencyId : row.ownerAgencyId);

  /** The agencies an action may be given to: the coordinator and the parties of its agreements in force. */
  async function ownerCandidates(actor: ExchangeActor): Promise<string[]> {
    const acting = await actingAgency(actor, deps.agencies);
    const out = new Set<string>([acting.agencyId]);
    for (const a of await agreementsInForce(pool, deps.now())) {
      const parties = a.doc.parties ?? [];
      if (!parties.some((p) => p.agency === acting.agencyId && p.role === 'coordinator') || a.removed.includes(acting.agencyId)) continue;
      for (const p of parties) if (!a.removed.includes(p.agency)) out.add(p.agency);
    }
    return [...out].sort();
  }

  async function createAction(actor: ExchangeActor, caseId: string, body: unknown): Promise<ActionView> {
    deps.validate('case-action', body);
    const input = body as ActionInput;
    const at = deps.now();
    return withTx(pool, async (tx) => {
      const { acting, theCase } = await coordinatorCase(tx, actor, caseId, deps.agencies);
      let notBefore = londonDay(at);
      if (input.meetingId) {
        const l = await findListing(tx, input.meetingId, caseId);
        if (!l || l.coordinatorAgencyId !== acting.agencyId) throw new MinutesMeetingNotFound('No such meeting');
        if (!l.onAgenda) throw new CaseNotOnAgenda('This case is not on that meeting’s agenda');
        if (l.status === 'CANCELLED') throw new MeetingCancelled('The meeting was cancelled');
        notBefore = l.meetingDay;
      }
      if (input.dueOn < notBefore) {
        throw new ActionDueInPast(`The due date must be on or after ${notBefore}`, { problems: [{ path: '/dueOn', code: 'range', message: `on or after ${notBefore}` }] });
      }
      if (!(await isParty(tx, acting.agencyId, input.ownerAgencyId, at))) {
        throw new ActionOwnerNotAParty('The owner agency is not a party of an agreement in force with this MARAC', {
          problems: [{ path: '/ownerAgencyId', code: 'ACTION_OWNER_NOT_A_PARTY', message: 'not a party of an agreement in force' }],
        });
      }
      const id = newId('act');
      const kind = input.kind ?? 'ACTION';
      await repo.insertAction(tx, {
        id, caseId, ...(input.meetingId ? { meetingId: input.meetingId } : {}), kind, ownerAgencyId: input.ownerAgencyId, dueOn: input.dueOn,
        sealed: (await sealerFor(sealer, tx, caseKeyId(caseId))).seal({ description: input.description.trim() }, actionAad(id)), by: by(actor), at,
      });
      await audit.append(tx, {
        action: 'ACTION_CREATED',
        actor,
        caseId,
        decision: 'NONE',
        subjectTokens: theCase.subjectTokens,
        agencyIds: [...new Set([acting.agencyId, input.ownerAgencyId])],
        detail: { actionId: id, kind, status: 'OPEN', meetingId: input.meetingId ?? null, ownerAgencyId: input.ownerAgencyId },
      });
      const row = (await repo.findAction(tx, id))!;
      return view(row, [], londonDay(at), await openerFor(sealer, tx, [row.sealed.keyId]));
    });
  }

  /** All of a case's actions with their updates, for its coordinator (the case page, the minutes page). */
  async function listCaseActions(actor: ExchangeActor, caseId: string): Promise<ActionView[]> {
    return withTx(pool, async (tx) => {
      const { acting, theCase } = await coordinatorCase(tx, actor, caseId, deps.agencies);
      const list = await views(tx, await repo.actionsOfCase(tx, caseId));
      await audit.append(tx, {
        action: 'VIEW_READ',
        actor,
        caseId,
        decision: 'PERMIT',
        subjectTokens: theCase.subjectTokens,
        agencyIds: [acting.agencyId],
        detail: { view: 'case-actions', count: list.length },
      });
      return list;
    });
  }

  async function readOne(tx: Queryable, actor: ExchangeActor, actionId: string, lock: boolean) {
    const row = await repo.findAction(tx, actionId, lock);
    if (!row) throw new ActionNotFound('No such action');
    const side = await sideOf(tx, actor, row);
    return { row, side };
  }

  /** The coordinator's whole view, or what the owner agency is released (owner-view.ts). */
  async function released(q: Queryable, side: 'coordinator' | 'owner', agencyId: string, list: ActionView[]) {
    if (side === 'coordinator') return { body: list as (ActionView | OwnerActionView)[], audit: undefined };
    const r = await releaseActionsToOwner(q, deps, list, agencyId);
    return { body: r.actions as (ActionView | OwnerActionView)[], audit: ownerAudit(r) };
  }

  async function getAction(actor: ExchangeActor, actionId: string): Promise<ActionView | OwnerActionView> {
    return withTx(pool, async (tx) => {
      const { row, side } = await readOne(tx, actor, actionId, false);
      const agencyId = actingId(side, row);
      const [one] = await views(tx, [row]);
      const out = await released(tx, side, agencyId, [one!]);
      await audit.append(tx, {
        action: 'VIEW_READ',
        actor,
        caseId: row.caseId,
        decision: 'PERMIT',
        ...out.audit,
        agencyIds: [...new Set([row.coordinatorAgencyId, row.ownerAgencyId])],
        detail: { view: side === 'owner' ? 'owner-action' : 'action', actionId, status: row.status },
      });
      return out.body[0]!;
    });
  }

  /** An owner agency's actions (`status`: open, the default, or all): open first, then by due date. */
  async function listOwnActions(actor: ExchangeActor, query: { status?: unknown }): Promise<{ actions: OwnerActionView[] }> {
    const status = query.status === undefined ? 'open' : query.status;
    if (status !== 'open' && status !== 'all') {
      throw new InvalidQuery('status must be open or all', { problems: [{ path: 'query:status', code: 'enum', message: 'open or all' }] });
    }
    const agencyId = actor.kind === 'agency' ? actor.agencyId
      : actor.roles.includes('agency_representative') || actor.roles.includes('coordinator') ? actor.agencyId : undefined;
    if (!agencyId) throw new ActionNotFound('No actions for you');
    return withTx(pool, async (tx) => {
      const list = await views(tx, await repo.actionsOwnedBy(tx, agencyId, status === 'open'));
      const r = await releaseActionsToOwner(tx, deps, list, agencyId);
      await audit.append(tx, {
        action: 'VIEW_READ',
        actor,
        ...ownerAudit(r),
        agencyIds: [agencyId],
        detail: { view: 'owner-actions', status, count: r.actions.length },
      });
      return { actions: r.actions };
    });
  }

  /**
   * A dated update: a new status (closing sets closed_at, OPEN reopens) and an optional note, by
   * the coordinator or the owner agency. Reopening, "not done" and a note-only update need a note.
   */
  async function updateAction(actor: ExchangeActor, actionId: string, body: unknown): Promise<ActionView | OwnerActionView> {
    deps.validate('case-action-update', body);
    const input = body as ActionUpdateInput;
    const note = input.note?.trim() || undefined;
    const at = deps.now();
    return withTx(pool, async (tx) => {
      const { row, side } = await readOne(tx, actor, actionId, true);
      const from = row.status;
      const to = input.status;
      const needsNote = (to === 'OPEN' && from !== 'OPEN') || to === 'NOT_POSSIBLE_CHANGE' || to === 'NOT_DONE_AGENCY' || to === from;
      if (needsNote && !note) {
        const why = to === from ? 'An update that does not change the status needs a note'
          : to === 'OPEN' ? 'Reopening an action needs a note saying why' : 'Say why the action was not done';
        throw new ActionNoteRequired(why, { problems: [{ path: '/note', code: 'required', message: why }] });
      }
      const agencyId = actingId(side, row);
      const updateId = newId('acu');
      if (to !== from) await repo.setStatus(tx, actionId, to, at);
      await repo.insertUpdate(tx, {
        id: updateId, actionId, at, byAgencyId: agencyId, byActor: by(actor), status: to,
        ...(note ? { sealed: (await sealerFor(sealer, tx, caseKeyId(row.caseId))).seal({ note }, noteAad(updateId)) } : {}),
      });
      await audit.append(tx, {
        action: 'ACTION_UPDATED',
        actor,
        caseId: row.caseId,
        decision: 'NONE',
        agencyIds: [...new Set([row.coordinatorAgencyId, row.ownerAgencyId])],
        detail: { actionId, updateId, from, to, by: side, noteRecorded: note !== undefined },
      });
      const [one] = await views(tx, [(await repo.findAction(tx, actionId))!]);
      return (await released(tx, side, agencyId, [one!])).body[0]!;
    });
  }

  return { ownerCandidates, createAction, listCaseActions, getAction, listOwnActions, updateAction };
}

export type ActionService = ReturnType<typeof createActionService>;
