import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { GatewayError } from '../errors.js';
import type { AgencyStaffPrincipal } from '../exchange/agency-staff.js';
import { CaseNotFound } from '../exchange/errors.js';
import { parseDocumentFormat } from '../documents/document-service.js';
import { sendDocument } from '../http/document-routes.js';
import { MinutesNotCirculated, MinutesNotFound, PackNotCirculated } from '../meetings/circulation-service.js';
import { asBody, FormErrors, londonToday, text } from './forms/form-values.js';
import { describeCode, pathLabel, SUBJECT_ROLES } from './labels.js';
import type { PageRouter } from './page-router.js';
import { formatDate, type PageRenderer } from './render.js';

/**
 * Pages for an agency's representative at the MARAC (decision 0021): the cases of meetings the
 * agency takes part in, each with the research pack and minutes circulated as that agency may
 * see them (meetings/circulation-service.ts: one release per recipient under
 * MARAC_ACTION_REVIEW, audited there), and the agency's own actions with their due dates, whose
 * status and notes it updates (meetings/action-service.ts), each with the description and notes
 * its agreement releases to it. Only what the coordinator has circulated to the agency: before
 * that the page says the pack or a meeting's minutes are not yet circulated (decision 0033), and
 * the minutes shown are the version circulated. The pack and the minutes download as Word and PDF made from the
 * agency's own release (documents/document-service.ts; DOCUMENT_PRODUCED audited by the release),
 * posted with the CSRF token like the coordinator's document forms.
 */

export interface AgencyRepPagesDeps {
  g: Pick<Gateway, 'pool' | 'circulation' | 'actions' | 'documents'>;
  render: PageRenderer;
  now: () => Date;
  orRefuse(req: Request, res: Response, page: (staff: AgencyStaffPrincipal) => Promise<void>): Promise<void>;
}

const REP = ['agency_representative'] as const;
const CASE_ID = /^case_[0-9a-f]{32}$/;
const ACTION_ID = /^[a-z]{3,4}_[0-9a-f]{32}$/;
const MEETING_ID = /^mtg_[0-9a-f]{32}$/;
const STATUSES: Record<string, string> = {
  OPEN: 'Open', DONE: 'Done', NOT_POSSIBLE_CHANGE: 'Not possible: circumstances changed', NOT_DONE_AGENCY: 'Not done by the agency',
};

/** Released research as label / value rows (for one subject's view or an envelope). */
function rows(view: Record<string, unknown>, prefix = ''): { key: { text: string }; value: { text: string } }[] {
  const out: { key: { text: string }; value: { text: string } }[] = [];
  const walk = (v: unknown, path: string) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) {
      if (v.every((x) => typeof x !== 'object')) return void (v.length && out.push({ key: { text: pathLabel(path) }, value: { text: v.join(', ') } }));
      return v.forEach((x, i) => walk(x, `${path}[${i}]`));
    }
    if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).forEach(([k, x]) => walk(x, path ? `${path}.${k}` : k));
    out.push({ key: { text: pathLabel(path) }, value: { text: typeof v === 'boolean' ? (v ? 'Yes' : 'No') : String(v) } });
  };
  walk(view, prefix);
  return out;
}

export function agencyRepPages(pages: PageRouter, deps: AgencyRepPagesDeps): void {
  const { g, render, orRefuse } = deps;

  /** Cases on the agenda of a meeting this agency takes part in (asked for research, invited, or owning an action). */
  async function casesOf(agencyId: string) {
    const r = await g.pool.query(
      `SELECT mc.case_id, m.id AS meeting_id, m.starts_at, m.status
         FROM meeting_cases mc JOIN meetings m ON m.id = mc.meeting_id
        WHERE m.status <> 'CANCELLED'
          AND (EXISTS (SELECT 1 FROM meeting_attendance a WHERE a.meeting_id = m.id AND a.agency_id = $1)
            OR EXISTS (SELECT 1 FROM messages x WHERE x.case_id = mc.case_id AND x.recipient_agency_id = $1)
            OR EXISTS (SELECT 1 FROM case_actions c WHERE c.case_id = mc.case_id AND c.owner_agency_id = $1))
        ORDER BY m.starts_at DESC, mc.position LIMIT 200`,
      [agencyId],
    );
    return r.rows.map((x) => ({ caseId: x.case_id as string, meetingId: x.meeting_id as string, startsAt: (x.starts_at as Date).toISOString(), status: x.status as string }));
  }

  pages.get('/agency/cases', REP, (req, res) => orRefuse(req, res, async (staff) => {
    render.page(res, 'agency/cases.njk', { title: 'Meetings and cases', cases: await casesOf(staff.agencyId) });
  }));

  pages.get('/agency/cases/:caseId', REP, (req, res) => orRefuse(req, res, async (staff) => {
    const caseId = String(req.params.caseId ?? '');
    if (!CASE_ID.test(caseId)) throw new CaseNotFound('No such case');
    const listings = (await casesOf(staff.agencyId)).filter((c) => c.caseId === caseId);
    if (listings.length === 0) throw new CaseNotFound('No such case');
    // Nothing reaches the agency before the coordinator circulates it (decision 0033): the page says
    // "not yet circulated" for the pack and for each meeting's minutes, which is not an error.
    const pack = await g.circulation.packFor(staff, caseId).catch((err: unknown) => {
      if (err instanceof PackNotCirculated) return undefined;
      throw err;
    });
    const minutes = [];
    for (const l of listings) {
      const m = await g.circulation.minutesFor(staff, l.meetingId, caseId).catch((err: unknown) => {
        if (err instanceof MinutesNotCirculated) return { notCirculated: true as const, meeting: { id: l.meetingId, startsAt: l.startsAt } };
        if (err instanceof GatewayError && err.status === 404) return undefined;
        throw err;
      });
      if (!m) continue;
      if ('notCirculated' in m) minutes.push(m);
      else minutes.push({ ...m, rows: m.release.released ? rows(m.minutes as Record<string, unknown>, 'minutes') : [] });
    }
    // The case's meeting date is in the pack; before it is circulated, the latest listing's day.
    const meetingDay = pack?.meetingDate ?? listings.map((l) => l.startsAt).sort().at(-1)!;
    render.page(res, 'agency/case.njk', {
      title: `Case for the meeting on ${formatDate(meetingDay)}`,
      caseId,
      meetingDay,
      pack: pack && {
        ...pack,
        sections: pack.sections.map((s) => ({
          ...s,
          // The agency's own answer comes back in full (its release says OWN_RESPONSE, not a refusal).
          reason: s.own || s.release.released ? undefined : describeCode(s.release.reason),
          subjects: s.subjects.map((x) => ({ role: SUBJECT_ROLES[x.role] ?? x.role, rows: rows(x.view as Record<string, unknown>) })),
          envelopeRows: s.envelope ? rows(s.envelope) : [],
        })),
      },
      minutes,
    });
  }));

  /** The circulated research pack as Word or PDF, for the representative's own agency. */
  pages.post('/agency/cases/:caseId/document', REP, (req, res) => orRefuse(req, res, async (staff) => {
    const caseId = String(req.params.caseId ?? '');
    if (!CASE_ID.test(caseId)) throw new CaseNotFound('No such case');
    const format = parseDocumentFormat(asBody(req.body).format);
    sendDocument(res, await g.documents.produceCirculatedPackDocument(staff, caseId, format));
  }));

  /** The minutes of the case at one meeting with its action plan, as released to the representative's agency. */
  pages.post('/agency/cases/:caseId/meetings/:meetingId/minutes/document', REP, (req, res) => orRefuse(req, res, async (staff) => {
    const caseId = String(req.params.caseId ?? '');
    const meetingId = String(req.params.meetingId ?? '');
    if (!CASE_ID.test(caseId) || !MEETING_ID.test(meetingId)) throw new MinutesNotFound('No such minutes');
    const format = parseDocumentFormat(asBody(req.body).format);
    sendDocument(res, await g.documents.produceMinutesDocument(staff, meetingId, caseId, format));
  }));

  async function actionsPage(res: Response, staff: AgencyStaffPrincipal, opts: { errors?: FormErrors; values?: Record<string, string>; status?: number; flash?: string } = {}) {
    const { actions } = await g.actions.listOwnActions(staff, { status: 'all' });
    const today = londonToday(deps.now());
    render.page(res, 'agency/actions.njk', {
      title: 'Your agency’s actions',
      actions: actions.map((a) => ({
        ...a,
        overdue: a.status === 'OPEN' && a.dueOn < today,
        statusText: STATUSES[a.status] ?? a.status,
        // Newest first; each part only as released.
        updateRows: [...(a.updates ?? [])].reverse().map((u) => ({ at: u.at, note: u.note, statusText: u.status ? STATUSES[u.status] ?? u.status : undefined })),
        options: Object.entries(STATUSES).map(([value, t]) => ({ value, text: t, selected: (opts.values?.[`status-${a.id}`] ?? a.status) === value })),
      })),
      values: opts.values ?? {},
      errors: opts.errors?.byField() ?? {},
      errorList: opts.errors?.summary() ?? [],
      flash: opts.flash ? { type: 'success', title: 'Success', text: opts.flash } : undefined,
    }, opts.status ?? 200);
  }

  pages.get('/agency/actions', REP, (req, res) => orRefuse(req, res, async (staff) => {
    await actionsPage(res, staff, req.query.updated === '1' ? { flash: 'The action has been updated. The coordinator can see the new status.' } : {});
  }));

  pages.post('/agency/actions/:actionId', REP, (req, res) => orRefuse(req, res, async (staff) => {
    const actionId = String(req.params.actionId ?? '');
    if (!ACTION_ID.test(actionId)) throw new CaseNotFound('No such action');
    const body = asBody(req.body);
    const status = text(body, 'status', 40);
    const note = text(body, 'note', 4001);
    const values = { [`status-${actionId}`]: status, [`note-${actionId}`]: note };
    const errors = new FormErrors();
    if (!(status in STATUSES)) errors.add(`status-${actionId}`, 'Select the action’s status');
    if (note.length > 4000) errors.add(`note-${actionId}`, 'The note must be 4000 characters or fewer');
    if (errors.any) return actionsPage(res, staff, { errors, values, status: 400 });
    try {
      await g.actions.updateAction(staff, actionId, { status, ...(note ? { note } : {}) });
    } catch (err) {
      if (err instanceof GatewayError && err.status < 500 && err.status !== 404) {
        errors.add(`note-${actionId}`, err.message);
        return actionsPage(res, staff, { errors, values, status: err.status });
      }
      throw err;
    }
    res.redirect(303, '/agency/actions?updated=1');
  }));
}
