import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { ValidationFailed } from '../errors.js';
import { personOf } from '../identity/people-auth.js';
import type { PersonPrincipal } from '../identity/principal.js';
import {
  ActionDueInPast, ActionNotFound, ActionNoteRequired, ActionOwnerNotAParty, MinutesMeetingNotFound, MinutesVersionConflict,
} from '../meetings/action-errors.js';
import type { ActionView } from '../meetings/action-service.js';
import type { MinutesView } from '../meetings/minutes-service.js';
import type { ActionStatus, MinutesDocument } from '../meetings/types.js';
import { asBody, dateInput, FormErrors, londonToday, text, type FormBody } from './forms/form-values.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';

/**
 * Coordinator pages for what happens at the meeting: the minutes of one case (in the order the
 * meeting takes them, the victim's voice through the IDVA first) with the case's action plan below
 * and a form to add an action, a one-click "tell the survivor the outcome" action, and a page to
 * update an action's status with a dated note. The minutes and action services do every check and
 * write every audit event.
 */

export const ACTION_STATUS_LABELS: Record<ActionStatus, string> = {
  OPEN: 'Open',
  DONE: 'Done',
  NOT_POSSIBLE_CHANGE: 'Not done: circumstances changed',
  NOT_DONE_AGENCY: 'Not done by the agency',
};
const STATUS_TAGS: Record<ActionStatus, string> = {
  OPEN: 'govuk-tag--blue', DONE: 'govuk-tag--green', NOT_POSSIBLE_CHANGE: 'govuk-tag--grey', NOT_DONE_AGENCY: 'govuk-tag--orange',
};
const KIND_LABELS = { ACTION: 'Action', SURVIVOR_FEEDBACK: 'Tell the survivor the outcome' } as const;
const SURVIVOR_FEEDBACK_TEXT = 'Tell the survivor the outcome of the MARAC and the actions agreed for their safety.';

export interface MinutesPagesDeps {
  g: Pick<Gateway, 'minutes' | 'actions' | 'exchange' | 'registry' | 'meetingCirculation' | 'meetings'>;
  render: PageRenderer;
  now: () => Date;
}

const COORDINATOR = ['coordinator'] as const;
const ID = /^[a-z]{3,4}_[0-9a-f]{32}$/;
const MAX_NOT_SHARED = 20;

function me(res: Response): PersonPrincipal {
  return personOf(res)!;
}

function ids(req: Request): { meetingId: string; caseId: string } {
  const meetingId = String(req.params.meetingId ?? '');
  const caseId = String(req.params.caseId ?? '');
  if (!ID.test(meetingId) || !ID.test(caseId)) throw new MinutesMeetingNotFound('No such meeting');
  return { meetingId, caseId };
}

function actionIdOf(req: Request): string {
  const id = String(req.params.actionId ?? '');
  if (!ID.test(id)) throw new ActionNotFound('No such action');
  return id;
}

/** One row of an action plan table (the minutes page and the case page). */
export function actionRow(a: ActionView, agencyName: (id: string) => string) {
  return {
    id: a.id,
    href: `/actions/${a.id}`,
    description: a.description,
    kind: a.kind,
    kindLabel: KIND_LABELS[a.kind],
    owner: agencyName(a.ownerAgencyId),
    dueOn: a.dueOn,
    status: a.status,
    statusLabel: ACTION_STATUS_LABELS[a.status],
    statusTag: STATUS_TAGS[a.status],
    overdue: a.overdue,
    lastUpdate: a.updates.at(-1),
  };
}

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const shareKey = (agencyId: string, requestId?: string) => `${agencyId}_${requestId ?? 'meeting'}`;

/** The form's values from saved minutes. */
function valuesOf(view: MinutesView): FormBody {
  const m = view.minutes;
  const v: FormBody = {
    version: String(view.version),
    victimVoice: m.victimVoice ?? '', risks: m.risks ?? '', decisions: m.decisions ?? '', crimesDisclosed: m.crimesDisclosed ?? '',
    shared: (m.informationShared ?? []).map((s) => shareKey(s.agencyId, s.requestId)),
    notSharedRows: String(Math.max(1, (m.notShared ?? []).length)),
  };
  for (const s of m.informationShared ?? []) if (s.note) v[`sharedNote-${shareKey(s.agencyId, s.requestId)}`] = s.note;
  (m.notShared ?? []).forEach((r, i) => {
    v[`notShared-${i}-what`] = r.what;
    v[`notShared-${i}-why`] = r.why;
  });
  return v;
}

function rowCount(body: FormBody): number {
  const n = Number(text(body, 'notSharedRows', 3));
  return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_NOT_SHARED) : 1;
}

export function minutesPages(pages: PageRouter, deps: MinutesPagesDeps): void {
  const { g, render } = deps;

  async function agencyDirectory() {
    const all = await g.registry.listAgencies();
    const byId = new Map(all.map((a) => [a.id, a]));
    return { name: (id: string) => byId.get(id)?.name ?? id, type: (id: string) => byId.get(id)?.type };
  }

  /** The pack's agency sections (answers and declines) plus the other parties, to pick from. */
  async function shareOptions(res: Response, caseId: string, agencies: Awaited<ReturnType<typeof agencyDirectory>>, candidates: string[]) {
    const pack = await g.exchange.packs.getPack(me(res), caseId, 'read');
    const rounds = new Map(pack.rounds.map((r, i) => [r.requestId, i + 1]));
    const out: { key: string; agencyId: string; requestId?: string; text: string; hint: string }[] = [];
    for (const s of pack.sections) {
      if (!s.answeredAt && !s.declineReason) continue;
      out.push({
        key: shareKey(s.agencyId, s.requestId), agencyId: s.agencyId, requestId: s.requestId, text: agencies.name(s.agencyId),
        hint: `Research pack, round ${rounds.get(s.requestId) ?? 1}${s.declineReason ? ' (declined)' : ''}`,
      });
    }
    const inPack = new Set(out.map((o) => o.agencyId));
    for (const id of candidates) {
      // Another MARAC's coordinator (a party for transfers) does not speak at this meeting.
      if (inPack.has(id) || id === me(res).agencyId || agencies.type(id) === 'MARAC_COORDINATOR') continue;
      out.push({ key: shareKey(id), agencyId: id, text: agencies.name(id), hint: 'Said at the meeting (not in the research pack)' });
    }
    return out;
  }

  /**
   * Where this case stands in the running order (the agenda's own audited read): its slot, its
   * local reference, and the cases before and after it, so the meeting can go case by case
   * without returning to the agenda.
   */
  async function runningOrder(res: Response, meetingId: string, caseId: string) {
    const agenda = await g.meetings.getMeeting(me(res), meetingId, { references: true });
    const items = agenda.items.map((i) => ({
      caseId: i.caseId, position: i.position, name: i.localReference ?? `Case ending ${i.caseId.slice(-6)}`,
      slotStartsAt: i.slotStartsAt, slotEndsAt: new Date(Date.parse(i.slotStartsAt) + i.slotMinutes * 60_000).toISOString(),
    }));
    const at = items.findIndex((i) => i.caseId === caseId);
    if (at < 0) return undefined;
    return { ...items[at]!, total: items.length, previous: items[at - 1], next: items[at + 1] };
  }

  async function minutesPage(
    res: Response, meetingId: string, caseId: string,
    opts: { values?: FormBody; errors?: FormErrors; actionValues?: FormBody; actionErrors?: FormErrors; status?: number; flash?: { type: string; title: string; text: string } } = {},
  ) {
    const view = await g.minutes.getMinutes(me(res), meetingId, caseId);
    const [agencies, actions, candidates] = [await agencyDirectory(), await g.actions.listCaseActions(me(res), caseId), await g.actions.ownerCandidates(me(res))];
    // What partners see is the version circulated to them (decision 0033), and so is each agency's copy.
    const circulated = await g.meetingCirculation.minutesCirculation(meetingId, caseId);
    const values = opts.values ?? valuesOf(view);
    const rows = rowCount(values);
    const shared = new Set(Array.isArray(values.shared) ? values.shared : values.shared ? [values.shared] : []);
    const options = await shareOptions(res, caseId, agencies, candidates);
    const idva = candidates.find((id) => agencies.type(id) === 'IDVA');
    const today = londonToday(deps.now());
    const feedbackDue = addDays(view.meetingDay > today ? view.meetingDay : today, 7);
    const actionValues = opts.actionValues ?? { kind: 'ACTION' };
    const running = await runningOrder(res, meetingId, caseId);
    render.page(res, 'meetings/minutes.njk', {
      title: running ? `Minutes: ${running.name}, case ${running.position} of ${running.total}` : `Minutes for the meeting on ${view.meetingDay}`,
      meetingId, caseId, meetingDay: view.meetingDay, running,
      version: view.version,
      circulated: circulated ? { ...circulated, changedSince: view.version > circulated.version } : undefined,
      values,
      errors: opts.errors?.byField() ?? {},
      errorList: [...(opts.errors?.summary() ?? []), ...(opts.actionErrors?.summary() ?? [])],
      flash: opts.flash,
      shareItems: options.map((o) => ({
        value: o.key, text: o.text, hint: { text: o.hint }, checked: shared.has(o.key),
        noteName: `sharedNote-${o.key}`, note: values[`sharedNote-${o.key}`] ?? '',
      })),
      notShared: Array.from({ length: rows }, (_, i) => ({ i, what: values[`notShared-${i}-what`] ?? '', why: values[`notShared-${i}-why`] ?? '' })),
      notSharedRows: rows,
      canAddRow: rows < MAX_NOT_SHARED,
      actions: actions.map((a) => actionRow(a, agencies.name)),
      hasFeedbackAction: actions.some((a) => a.kind === 'SURVIVOR_FEEDBACK'),
      feedback: idva ? { owner: agencies.name(idva), dueOn: feedbackDue } : undefined,
      actionValues,
      actionErrors: opts.actionErrors?.byField() ?? {},
      owners: [{ value: '', text: 'Choose an agency' }, ...candidates.map((id) => ({ value: id, text: agencies.name(id), selected: actionValues.ownerAgencyId === id }))],
    }, opts.status ?? 200);
  }

  const minutesPath = '/meetings/:meetingId/cases/:caseId/minutes';

  pages.get(minutesPath, COORDINATOR, async (req, res) => {
    const { meetingId, caseId } = ids(req);
    const flash = req.query.saved === '1' ? { type: 'success', title: 'Success', text: 'Minutes saved.' }
      : req.query.saved === 'previous' ? { type: 'success', title: 'Success', text: 'Minutes of the previous case saved. This is the next case on the agenda.' }
      : req.query.added === '1' ? { type: 'success', title: 'Success', text: 'Action added to the action plan.' } : undefined;
    await minutesPage(res, meetingId, caseId, { ...(flash ? { flash } : {}) });
  });

  pages.post(minutesPath, COORDINATOR, async (req, res) => {
    const { meetingId, caseId } = ids(req);
    const body = asBody(req.body);
    if (body.action === 'add-row') {
      return minutesPage(res, meetingId, caseId, { values: { ...body, notSharedRows: String(Math.min(rowCount(body) + 1, MAX_NOT_SHARED)) } });
    }
    const version = Number(text(body, 'version', 8));
    const minutes: MinutesDocument = {};
    for (const k of ['victimVoice', 'risks', 'decisions', 'crimesDisclosed'] as const) {
      const v = text(body, k, 20000);
      if (v) minutes[k] = v;
    }
    const picked = Array.isArray(body.shared) ? body.shared : body.shared ? [body.shared] : [];
    const shared = picked.flatMap((key) => {
      const m = /^([a-z0-9][a-z0-9-]{1,62})_(req_[0-9a-f]{32}|meeting)$/.exec(key);
      if (!m) return [];
      const note = text(body, `sharedNote-${key}`, 4000);
      return [{ agencyId: m[1]!, ...(m[2] !== 'meeting' ? { requestId: m[2]! } : {}), ...(note ? { note } : {}) }];
    });
    if (shared.length > 0) minutes.informationShared = shared;
    const notShared = Array.from({ length: rowCount(body) }, (_, i) => ({ what: text(body, `notShared-${i}-what`, 2000), why: text(body, `notShared-${i}-why`, 2000) }))
      .filter((r) => r.what || r.why);
    const errors = new FormErrors();
    notShared.forEach((r, i) => {
      if (!r.why) errors.add(`notShared-${i}-why`, 'Say why the information was not shared');
      if (!r.what) errors.add(`notShared-${i}-what`, 'Say what information was not shared');
    });
    if (errors.any) return minutesPage(res, meetingId, caseId, { values: body, errors, status: 400 });
    if (notShared.length > 0) minutes.notShared = notShared;
    try {
      await g.minutes.recordMinutes(me(res), meetingId, caseId, { version: Number.isInteger(version) && version >= 0 ? version : 0, minutes });
      // "Save and open the next case": the next one in the running order as it stands now.
      const next = body.action === 'save-next' ? (await runningOrder(res, meetingId, caseId))?.next : undefined;
      res.redirect(303, next ? `/meetings/${meetingId}/cases/${next.caseId}/minutes?saved=previous` : `/meetings/${meetingId}/cases/${caseId}/minutes?saved=1`);
    } catch (err) {
      if (err instanceof MinutesVersionConflict) {
        errors.add('victimVoice', 'Someone else saved these minutes since you opened them. Copy your changes, reload the page and save again.');
        return minutesPage(res, meetingId, caseId, { values: body, errors, status: 409 });
      }
      if (err instanceof ValidationFailed) {
        errors.add('victimVoice', err.message);
        return minutesPage(res, meetingId, caseId, { values: body, errors, status: 400 });
      }
      throw err;
    }
  });

  pages.post('/meetings/:meetingId/cases/:caseId/actions', COORDINATOR, async (req, res) => {
    const { meetingId, caseId } = ids(req);
    const body = asBody(req.body);
    const errors = new FormErrors();
    const description = text(body, 'description', 4000);
    const ownerAgencyId = text(body, 'ownerAgencyId', 63);
    const kind = body.kind === 'SURVIVOR_FEEDBACK' ? 'SURVIVOR_FEEDBACK' : 'ACTION';
    const due = dateInput(body, 'dueOn');
    if (!description) errors.add('description', 'Enter what is to be done');
    if (!ownerAgencyId) errors.add('ownerAgencyId', 'Choose the agency that owns the action');
    if (due.kind === 'empty') errors.add('dueOn-day', 'Enter the date the action is due');
    else if (due.kind === 'invalid') errors.add('dueOn-day', `The due date ${due.message}`);
    if (errors.any || due.kind !== 'date') return minutesPage(res, meetingId, caseId, { actionValues: body, actionErrors: errors, status: 400 });
    try {
      await g.actions.createAction(me(res), caseId, { description, ownerAgencyId, dueOn: due.iso, kind, meetingId });
      res.redirect(303, `/meetings/${meetingId}/cases/${caseId}/minutes?added=1#action-plan`);
    } catch (err) {
      if (err instanceof ActionOwnerNotAParty) errors.add('ownerAgencyId', 'This agency is not a party of an agreement in force with your MARAC');
      else if (err instanceof ActionDueInPast) errors.add('dueOn-day', `The due date must be on or after the meeting, ${(err.problems?.[0]?.message ?? '').replace('on or after ', '')}`);
      else if (err instanceof ValidationFailed) errors.add('description', err.message);
      else throw err;
      return minutesPage(res, meetingId, caseId, { actionValues: body, actionErrors: errors, status: 400 });
    }
  });

  // One click: telling the survivor the outcome is an action of its own, owned by the IDVA service.
  pages.post('/meetings/:meetingId/cases/:caseId/actions/survivor-feedback', COORDINATOR, async (req, res) => {
    const { meetingId, caseId } = ids(req);
    const view = await g.minutes.getMinutes(me(res), meetingId, caseId);
    const agencies = await agencyDirectory();
    const idva = (await g.actions.ownerCandidates(me(res))).find((id) => agencies.type(id) === 'IDVA');
    if (!idva) {
      const errors = new FormErrors();
      errors.add('description', 'No IDVA service is a party of your agreements: add the action with its owner below');
      return minutesPage(res, meetingId, caseId, { actionValues: { kind: 'SURVIVOR_FEEDBACK', description: SURVIVOR_FEEDBACK_TEXT }, actionErrors: errors, status: 400 });
    }
    const today = londonToday(deps.now());
    await g.actions.createAction(me(res), caseId, {
      description: SURVIVOR_FEEDBACK_TEXT, ownerAgencyId: idva, kind: 'SURVIVOR_FEEDBACK', meetingId,
      dueOn: addDays(view.meetingDay > today ? view.meetingDay : today, 7),
    });
    res.redirect(303, `/meetings/${meetingId}/cases/${caseId}/minutes?added=1#action-plan`);
  });

  /** The meeting whose review list the action was opened from (?review=<meeting id>, an id only), to go back to it. */
  const reviewOf = (v: unknown) => (typeof v === 'string' && /^mtg_[0-9a-f]{32}$/.test(v) ? v : undefined);

  async function actionPage(res: Response, actionId: string, opts: { values?: FormBody; errors?: FormErrors; status?: number; updated?: boolean; review?: string } = {}) {
    const a = (await g.actions.getAction(me(res), actionId)) as ActionView;
    const agencies = await agencyDirectory();
    const values = opts.values ?? { status: a.status };
    render.page(res, 'meetings/action.njk', {
      title: 'Update an action',
      action: actionRow(a, agencies.name),
      caseId: a.caseId,
      meetingId: a.meetingId,
      review: opts.review,
      updates: a.updates.map((u) => ({ ...u, by: agencies.name(u.byAgencyId), statusLabel: ACTION_STATUS_LABELS[u.status] })),
      values,
      errors: opts.errors?.byField() ?? {},
      errorList: opts.errors?.summary() ?? [],
      flash: opts.updated ? { type: 'success', title: 'Success', text: 'Action updated.' } : undefined,
      statuses: (Object.keys(ACTION_STATUS_LABELS) as ActionStatus[]).map((s) => ({
        value: s, text: s === 'OPEN' && a.status !== 'OPEN' ? 'Open (reopen it)' : ACTION_STATUS_LABELS[s], checked: values.status === s,
      })),
    }, opts.status ?? 200);
  }

  pages.get('/actions/:actionId', COORDINATOR, async (req, res) => {
    const review = reviewOf(req.query.review);
    await actionPage(res, actionIdOf(req), { updated: req.query.updated === '1', ...(review ? { review } : {}) });
  });

  pages.post('/actions/:actionId', COORDINATOR, async (req, res) => {
    const actionId = actionIdOf(req);
    const body = asBody(req.body);
    const status = text(body, 'status', 40) as ActionStatus;
    const note = text(body, 'note', 4000);
    const review = reviewOf(body.review);
    const back = review ? { review } : {};
    const errors = new FormErrors();
    if (!(status in ACTION_STATUS_LABELS)) errors.add('status', 'Choose the action’s status');
    if (errors.any) return actionPage(res, actionId, { values: body, errors, status: 400, ...back });
    try {
      await g.actions.updateAction(me(res), actionId, { status, ...(note ? { note } : {}) });
      res.redirect(303, `/actions/${actionId}?updated=1${review ? `&review=${review}` : ''}`);
    } catch (err) {
      if (err instanceof ActionNoteRequired) {
        errors.add('note', err.message);
        return actionPage(res, actionId, { values: body, errors, status: 400, ...back });
      }
      throw err;
    }
  });
}


