import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { GatewayError } from '../errors.js';
import { requireAgencyStaff, type AgencyStaffPrincipal } from '../exchange/agency-staff.js';
import type { InboxEntry } from '../exchange/agency-inbox.js';
import { RequestNotFound } from '../exchange/errors.js';
import { CaseNotOpen } from '../exchange/case-errors.js';
import type { AgencyDirectory } from '../exchange/ports.js';
import { personOf } from '../identity/people-auth.js';
import { asBody, FormErrors, text, type FormBody } from './forms/form-values.js';
import { DECLINE_OPTIONS, describeResearchForm, parseDecline, parseResearchAnswer, type ResearchForm } from './forms/research-form.js';
import { AGENCY_TYPES, domainsText, MESSAGE_STATES, pathLabel, PURPOSES, RISK_CRITERIA_SHORT, SUBJECT_ROLES } from './labels.js';
import { agencyRepPages } from './agency-rep-pages.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';

/**
 * Pages for partner agency staff (decision 0021): an agency researcher's inbox and research form.
 * Every page first works out the agency the person acts for (requireAgencyStaff: the identity
 * provider's agency claim naming a registered, enabled agency; otherwise a refusal page and an
 * audited ACCESS_DENIED). The exchange services do every check and write every audit event: the
 * inbox is the agency API's inbox (inbox-service.ts → agency-inbox.ts) and an answer goes through
 * the agency API's own answer path (response-service.ts), idempotency key and all.
 */

export interface AgencyStaffPagesDeps {
  g: Pick<Gateway, 'exchange' | 'registry' | 'pool' | 'audit' | 'circulation' | 'actions' | 'documents'>;
  render: PageRenderer;
  now: () => Date;
}

const REQUEST_ID = /^req_[0-9a-f]{32}$/;
const RESEARCHER = ['agency_researcher'] as const;
const FORM_FIELD = /^(s\d{1,2}\.[A-Za-z0-9.]{1,200}(-day|-month|-year)?|agencyRiskSummary|completedByRole)$/;

/** The tag for a request's state on the inbox (GOV.UK tag colours). */
function stateTag(e: InboxEntry): { text: string; classes: string } {
  if (e.refusedReason === 'CASE_WITHDRAWN') return { text: 'Case withdrawn', classes: 'govuk-tag--grey' };
  if (e.refusedReason === 'CASE_CLOSED') return { text: 'Case closed', classes: 'govuk-tag--grey' };
  if (e.refusedReason) return { text: 'Not available', classes: 'govuk-tag--grey' };
  if (e.state === 'responded') return { text: 'Answered', classes: 'govuk-tag--green' };
  if (e.state === 'declined') return { text: 'Declined', classes: 'govuk-tag--grey' };
  if (e.awaitingPush) return { text: 'Being sent to your system', classes: 'govuk-tag--blue' };
  if (e.overdue) return { text: 'Overdue', classes: 'govuk-tag--red' };
  return { text: e.state === 'delivered' || e.state === 'queued' ? 'New' : MESSAGE_STATES[e.state] ?? e.state, classes: 'govuk-tag--blue' };
}

/** A released subject as label / value rows (what the coordinator sent, as the agreement lets this agency see it). */
export function subjectRows(subject: Record<string, unknown>): { key: { text: string }; value: { text: string } }[] {
  const rows: { key: { text: string }; value: { text: string } }[] = [];
  const walk = (v: unknown, path: string) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) {
      if (v.every((x) => typeof x !== 'object')) {
        if (v.length) rows.push({ key: { text: pathLabel(`subject.${path}`) }, value: { text: v.join(', ') } });
        return;
      }
      v.forEach((x, i) => walk(x, `${path}[${i}]`));
      return;
    }
    if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // A name reads as a name, an identifier as its kind and value, not as their parts.
      if (typeof o.family === 'string' && (o.given === undefined || Array.isArray(o.given))) {
        rows.push({ key: { text: 'Name' }, value: { text: [...((o.given as string[] | undefined) ?? []), o.family].join(' ') } });
        return;
      }
      if (typeof o.system === 'string' && typeof o.value === 'string') {
        rows.push({ key: { text: IDENTIFIER_NAMES[o.system] ?? o.system }, value: { text: o.value } });
        return;
      }
      for (const [k, x] of Object.entries(o)) walk(x, path ? `${path}.${k}` : k);
      return;
    }
    rows.push({ key: { text: pathLabel(`subject.${path}`).replace(/^Person details — /, '') }, value: { text: typeof v === 'boolean' ? (v ? 'Yes' : 'No') : String(v) } });
  };
  const { subjectId: _id, role: _role, ...rest } = subject;
  walk(rest, '');
  return rows;
}

const IDENTIFIER_NAMES: Record<string, string> = {
  'nhs-number': 'NHS number', 'pnc-id': 'PNC ID', uprn: 'UPRN', 'la-child-id': 'Local authority child ID', upn: 'Unique pupil number', local: 'Local reference',
};

function subjectName(subject: Record<string, unknown>): string | undefined {
  const names = subject.names as { given?: string[]; family?: string }[] | undefined;
  const n = names?.[0];
  return n?.family ? [...(n.given ?? []), n.family].join(' ') : undefined;
}

export function agencyStaffPages(pages: PageRouter, deps: AgencyStaffPagesDeps): void {
  const { g, render } = deps;
  const agencies: AgencyDirectory = {
    async getAgency(id) {
      const a = await g.registry.getAgency(id);
      return a ? { id: a.id, type: a.type, deliveryMode: a.deliveryMode, disabled: a.disabledAt !== null } : undefined;
    },
  };

  async function staffOf(req: Request, res: Response): Promise<AgencyStaffPrincipal> {
    const route = `${req.baseUrl}${typeof req.route?.path === 'string' ? req.route.path : ''}`;
    return requireAgencyStaff({ pool: g.pool, audit: g.audit, agencies }, personOf(res)!, route);
  }

  async function agencyName(id: string): Promise<string> {
    return (await g.registry.listAgencies()).find((a) => a.id === id)?.name ?? id;
  }

  /** The refusal page for a person whose agency claim names no registered, enabled agency. */
  async function orRefuse(req: Request, res: Response, page: (staff: AgencyStaffPrincipal) => Promise<void>): Promise<void> {
    let staff: AgencyStaffPrincipal;
    try {
      staff = await staffOf(req, res);
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'AGENCY_NOT_LINKED') {
        return render.page(res, 'agency/not-linked.njk', { title: 'You cannot act for an agency yet', message: err.message, code: err.code, reason: err.reason }, 403);
      }
      throw err;
    }
    await page(staff);
  }

  pages.get('/agency/inbox', RESEARCHER, (req, res) => orRefuse(req, res, async (staff) => {
    const entries = await g.exchange.inbox.staff.list(staff);
    const answered = typeof req.query.answered === 'string' && REQUEST_ID.test(req.query.answered) ? req.query.answered : undefined;
    const saved = typeof req.query.saved === 'string' && REQUEST_ID.test(req.query.saved) ? req.query.saved : undefined;
    render.page(res, 'agency/inbox.njk', {
      title: 'Research requests',
      agency: { name: await agencyName(staff.agencyId), type: AGENCY_TYPES[staff.agencyType] ?? staff.agencyType },
      rows: entries.map((e) => ({
        ...e,
        tag: stateTag(e),
        subjects: (e.view?.request.subjects ?? []).map((s) => ({ role: SUBJECT_ROLES[String(s.role)] ?? String(s.role), name: subjectName(s) })),
        meetingDate: e.view?.request.meetingDate,
        open: !!e.view && !e.answered,
      })),
      flash: answered ? { type: 'success', title: 'Success', text: 'Your answer has been sent to the MARAC coordinator.' }
        : saved ? { type: 'success', title: 'Success', text: 'Your draft has been saved. Only your agency can see it.' } : undefined,
    });
  }));

  function requestIdOf(req: Request): string {
    const id = String(req.params.requestId ?? '');
    if (!REQUEST_ID.test(id)) throw new RequestNotFound('No such request');
    return id;
  }

  async function answerPage(
    res: Response, staff: AgencyStaffPrincipal, entry: InboxEntry, form: ResearchForm, values: FormBody,
    opts: { errors?: FormErrors; status?: number; declineErrors?: FormErrors; draftSaved?: boolean } = {},
  ) {
    const view = entry.view!;
    const errors = opts.errors ?? opts.declineErrors;
    render.page(res, 'agency/answer.njk', {
      title: 'Answer a research request',
      entry,
      request: {
        purpose: PURPOSES[view.request.purpose] ?? view.request.purpose,
        domains: domainsText(view.request.requestedDomains),
        lookbackMonths: view.request.lookbackMonths,
        criteria: view.request.riskCriteria.map((c) => RISK_CRITERIA_SHORT[c] ?? c).join(', '),
        meetingDate: view.request.meetingDate,
      },
      subjects: form.subjects.map((s, i) => ({ ...s, rows: subjectRows(view.request.subjects[i]!), name: subjectName(view.request.subjects[i]!) })),
      agency: { name: await agencyName(staff.agencyId), type: AGENCY_TYPES[staff.agencyType] ?? staff.agencyType },
      hasPayload: !!form.payloadKey,
      declineOptions: DECLINE_OPTIONS,
      values: { ...values, idempotencyKey: typeof values.idempotencyKey === 'string' && values.idempotencyKey ? values.idempotencyKey : `web-${randomUUID()}` },
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
      draftSaved: opts.draftSaved,
    }, opts.status ?? 200);
  }

  /** What a form post carries that belongs in the answer (and in a draft): the answer's own fields only. */
  function answerFields(body: FormBody): FormBody {
    const out: FormBody = {};
    for (const [k, v] of Object.entries(body)) if (FORM_FIELD.test(k) && v !== undefined) out[k] = Array.isArray(v) ? v.map((x) => String(x).slice(0, 4001)) : String(v).slice(0, 4001);
    return out;
  }

  async function openAnswerable(staff: AgencyStaffPrincipal, requestId: string): Promise<InboxEntry> {
    const entry = await g.exchange.inbox.staff.open(staff, requestId);
    // The case was withdrawn or closed: its requests are no longer answered (the refusal is audited).
    const closed = entry.refusedReason?.match(/^CASE_(WITHDRAWN|CLOSED)$/)?.[1];
    if (closed) throw new CaseNotOpen(`This case is ${closed.toLowerCase()}: its research requests are no longer answered`, { reason: closed });
    // Refused by the policy now, or never delivered: nothing to answer (the refusal is audited).
    if (!entry.view) throw new RequestNotFound('No such request');
    return entry;
  }

  function subjectsOf(entry: InboxEntry) {
    return entry.view!.request.subjects.map((s) => ({ subjectId: String(s.subjectId), role: String(s.role) }));
  }

  pages.get('/agency/requests/:requestId/answer', RESEARCHER, (req, res) => orRefuse(req, res, async (staff) => {
    const entry = await openAnswerable(staff, requestIdOf(req));
    if (entry.answered) return res.redirect(303, '/agency/inbox');
    const draft = await g.exchange.inbox.staff.draft(staff, entry.messageId);
    const values = draft ?? {};
    await answerPage(res, staff, entry, describeResearchForm(staff.agencyType, subjectsOf(entry), values), values, { draftSaved: !!draft });
  }));

  pages.post('/agency/requests/:requestId/answer', RESEARCHER, (req, res) => orRefuse(req, res, async (staff) => {
    const requestId = requestIdOf(req);
    const body = asBody(req.body);
    const action = text(body, 'action', 300) || 'submit';
    const entry = await openAnswerable(staff, requestId);
    const values: FormBody = { ...answerFields(body), ...countsOf(body), idempotencyKey: text(body, 'idempotencyKey', 200) };
    const form = describeResearchForm(staff.agencyType, subjectsOf(entry), values, action);
    if (action.startsWith('add:')) return answerPage(res, staff, entry, form, values);
    if (action === 'save') {
      await g.exchange.inbox.staff.saveDraft(staff, requestId, { ...answerFields(body), ...countsOf(body) });
      return res.redirect(303, `/agency/inbox?saved=${requestId}`);
    }
    // A second press of "Send" after the first went through carries the same key: the answer path
    // replays the first answer instead of making another.
    const parsed = parseResearchAnswer(form, values);
    if (!parsed.ok) return answerPage(res, staff, entry, form, values, { errors: parsed.errors, status: 400 });
    try {
      await g.exchange.responses.respond(staff, requestId, text(body, 'idempotencyKey', 200), parsed.body);
    } catch (err) {
      if (err instanceof GatewayError && err.status < 500) {
        const errors = new FormErrors();
        for (const p of err.problems ?? []) errors.add(fieldOfProblem(p.path), p.message);
        errors.add('s0.match', err.message);
        return answerPage(res, staff, entry, form, values, { errors, status: err.status });
      }
      throw err;
    }
    await g.exchange.inbox.staff.discardDraft(staff, entry.messageId);
    res.redirect(303, `/agency/inbox?answered=${requestId}`);
  }));

  pages.post('/agency/requests/:requestId/decline', RESEARCHER, (req, res) => orRefuse(req, res, async (staff) => {
    const requestId = requestIdOf(req);
    const body = asBody(req.body);
    const entry = await openAnswerable(staff, requestId);
    const parsed = parseDecline(body);
    const values: FormBody = { declineReason: text(body, 'declineReason', 60), declineNote: text(body, 'declineNote', 600), idempotencyKey: text(body, 'idempotencyKey', 200) };
    const form = describeResearchForm(staff.agencyType, subjectsOf(entry), {});
    if (!parsed.ok) return answerPage(res, staff, entry, form, values, { declineErrors: parsed.errors, status: 400 });
    try {
      await g.exchange.responses.decline(staff, requestId, `${text(body, 'idempotencyKey', 200)}-decline`, parsed.body);
    } catch (err) {
      if (err instanceof GatewayError && err.status < 500) {
        const errors = new FormErrors();
        errors.add('declineReason', err.message);
        return answerPage(res, staff, entry, form, values, { declineErrors: errors, status: err.status });
      }
      throw err;
    }
    await g.exchange.inbox.staff.discardDraft(staff, entry.messageId);
    res.redirect(303, `/agency/inbox?answered=${requestId}`);
  }));

  agencyRepPages(pages, { g, render, now: deps.now, orRefuse });
}

/** The hidden group counts (`<name>.count`) of repeating fields. */
function countsOf(body: FormBody): FormBody {
  const out: FormBody = {};
  for (const [k, v] of Object.entries(body)) if (/^s\d{1,2}\.[A-Za-z0-9.]{1,200}\.count$/.test(k) && typeof v === 'string') out[k] = v;
  return out;
}

/** `/subjectResults/0/housing/tenure` → `s0.housing.tenure` (a problem the answer path found, on its field). */
function fieldOfProblem(pointer: string): string {
  const m = /^\/subjectResults\/(\d+)\/(.+)$/.exec(pointer);
  if (!m) return 's0.match';
  return `s${m[1]}.${m[2]!.replace(/\//g, '.')}`;
}
