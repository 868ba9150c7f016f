import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { GatewayError, ValidationFailed } from '../errors.js';
import { CaseQueryInvalid } from '../exchange/case-errors.js';
import type { CASE_OUTCOMES } from '../exchange/case-lifecycle.js';
import { CaseNotFound } from '../exchange/errors.js';
import { personOf } from '../identity/people-auth.js';
import type { PersonPrincipal } from '../identity/principal.js';
import { asBody, dateInput, dateParts, FormErrors, londonToday, text, type FormBody } from './forms/form-values.js';
import { describeCode } from './labels.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';
import { countdown } from './view-model/pack-view.js';

/**
 * The coordinator's case list (search, filters, pages) and the pages that change a case: edit,
 * withdraw, close with an outcome, reopen. The case services check everything and write every
 * audit event; these handlers turn forms into calls and refusals into GOV.UK error summaries.
 */

export interface CaseListPagesDeps {
  g: Pick<Gateway, 'exchange'>;
  render: PageRenderer;
  now: () => Date;
}

const COORDINATOR = ['coordinator'] as const;
const CASE_ID = /^case_[0-9a-f]{32}$/;

export const STATUS_LABELS: Record<string, string> = { OPEN: 'Open', WITHDRAWN: 'Withdrawn', CLOSED: 'Closed' };
export const OUTCOME_LABELS: Record<(typeof CASE_OUTCOMES)[number], string> = {
  HEARD_ACTIONS_COMPLETE: 'Heard at MARAC, actions complete',
  HEARD_NO_ACTIONS: 'Heard at MARAC, no actions needed',
  TRANSFERRED_OUT: 'Transferred to another MARAC area',
  NO_FURTHER_ACTION: 'No further action',
  DUPLICATE: 'Duplicate of another case',
};

/** The page's form field a query problem belongs to. */
const QUERY_FIELD: Record<string, string> = {
  ref: 'ref', givenName: 'givenName', familyName: 'familyName', dob: 'dob-day', nhsNumber: 'nhsNumber', pncId: 'pncId',
  status: 'status', meetingFrom: 'meetingFrom-day', meetingTo: 'meetingTo-day', page: 'page', pageSize: 'page',
};

function me(res: Response): PersonPrincipal {
  return personOf(res)!;
}

function caseIdOf(req: Request): string {
  const id = String(req.params.caseId ?? '');
  if (!CASE_ID.test(id)) throw new CaseNotFound('No such case');
  return id;
}

/** The list's filters: not about anyone, so they may be in an address (links, pages, bookmarks). */
const FILTER_KEYS = new Set(['status', 'meetingFrom-day', 'meetingFrom-month', 'meetingFrom-year', 'meetingTo-day', 'meetingTo-month', 'meetingTo-year', 'repeat', 'overdue', 'page']);
/** A search by a person: only ever in a posted form. */
const PERSON_KEYS = new Set(['ref', 'givenName', 'familyName', 'dob-day', 'dob-month', 'dob-year', 'nhsNumber', 'pncId']);

function one(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

export function caseListPages(pages: PageRouter, deps: CaseListPagesDeps): void {
  const { g, render } = deps;

  // A search by a person (names, date of birth, NHS number, PNC ID, local reference) is posted, so
  // nothing that identifies anyone is in an address (decision 0007); filters and pages are links.
  pages.get('/cases', COORDINATOR, async (req, res) => {
    const q = req.query as FormBody;
    const values: FormBody = Object.fromEntries(Object.entries(q).filter(([k]) => FILTER_KEYS.has(k)));
    const ignored = Object.keys(q).some((k) => PERSON_KEYS.has(k));
    await listPage(res, values, ignored);
  });

  pages.post('/cases', COORDINATOR, async (req, res) => {
    const body = asBody(req.body);
    const values: FormBody = Object.fromEntries(Object.entries(body).filter(([k]) => FILTER_KEYS.has(k) || PERSON_KEYS.has(k)));
    const person = [...PERSON_KEYS].some((k) => one(values[k]));
    if (!person) {
      // Filters only: back to an address that can be bookmarked and paged.
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(values)) for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' && x !== '' && k !== 'page') p.append(k, x);
      return res.redirect(303, p.size ? `/cases?${p.toString()}#results` : '/cases');
    }
    await listPage(res, values, false);
  });

  async function listPage(res: Response, values: FormBody, ignoredPersonFields: boolean) {
    const errors = new FormErrors();
    // The search form's GOV.UK date fields become the API's ISO dates; the service checks the rest.
    const query: Record<string, unknown> = {};
    for (const k of ['ref', 'givenName', 'familyName', 'nhsNumber', 'pncId', 'page'] as const) if (one(values[k])) query[k] = one(values[k]);
    for (const k of ['dob', 'meetingFrom', 'meetingTo'] as const) {
      const d = dateInput(values, k);
      if (d.kind === 'invalid') errors.add(`${k}-day`, `The ${k === 'dob' ? 'date of birth' : k === 'meetingFrom' ? 'first meeting date' : 'last meeting date'} ${d.message}`);
      else if (d.kind === 'date') query[k] = d.iso;
    }
    const statuses = (Array.isArray(values.status) ? values.status : values.status ? [values.status] : []).filter((s) => s in STATUS_LABELS);
    if (statuses.length > 0) query.status = statuses.join(',');
    if (values.repeat === 'true') query.repeat = 'true';
    if (values.overdue === 'true') query.overdue = 'true';

    let result;
    if (!errors.any) {
      try {
        result = await g.exchange.cases.listCases(me(res), query);
      } catch (err) {
        if (!(err instanceof CaseQueryInvalid)) throw err;
        for (const p of err.problems ?? []) errors.add(QUERY_FIELD[p.path.replace('query:', '')] ?? 'familyName', p.message);
      }
    }
    const now = deps.now();
    const today = londonToday(now);
    const searched = ['ref', 'familyName', 'dob', 'nhsNumber', 'pncId'].some((k) => query[k] !== undefined);
    const filtered = searched || ['status', 'meetingFrom', 'meetingTo', 'repeat', 'overdue'].some((k) => query[k] !== undefined);
    const link = (page: number) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(values)) {
        if (k === 'page' || !FILTER_KEYS.has(k)) continue;
        for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' && x !== '') p.append(k, x);
      }
      p.set('page', String(page));
      return `/cases?${p.toString()}`;
    };
    // A person search's pages are posted again with the same fields (hidden), never put in a link.
    const hidden = searched
      ? Object.entries(values).flatMap(([k, v]) => (k === 'page' ? [] : (Array.isArray(v) ? v : [v]).filter((x) => typeof x === 'string' && x !== '').map((x) => ({ name: k, value: x }))))
      : [];
    render.page(res, 'coordinator/cases.njk', {
      title: searched ? 'Cases: search results' : 'Cases',
      values,
      statuses,
      errors: errors.byField(),
      errorList: errors.summary(),
      searched,
      filtered,
      ignoredPersonFields,
      hidden,
      result: result && {
        ...result,
        rows: result.items.map((c) => ({
          ...c,
          criteria: c.criteria.map((x) => describeCode(x)),
          countdown: c.nextDeadline ? countdown(c.nextDeadline, now) : undefined,
          past: c.meetingDate < today,
          statusLabel: STATUS_LABELS[c.status],
          outcomeLabel: c.outcome ? OUTCOME_LABELS[c.outcome as keyof typeof OUTCOME_LABELS] ?? c.outcome : undefined,
        })),
        postedPages: searched && result.pages > 1 ? {
          ...(result.page > 1 ? { previous: result.page - 1 } : {}),
          ...(result.page < result.pages ? { next: result.page + 1 } : {}),
        } : undefined,
        pagination: !searched && result.pages > 1 ? {
          ...(result.page > 1 ? { previous: { href: link(result.page - 1) } } : {}),
          ...(result.page < result.pages ? { next: { href: link(result.page + 1) } } : {}),
          items: pageNumbers(result.page, result.pages).map((n) => (n === null ? { ellipsis: true } : { number: n, href: link(n), current: n === result.page })),
        } : undefined,
      },
    }, errors.any ? 400 : 200);
  }

  // ---- edit ----------------------------------------------------------------------------------

  type Editable = Awaited<ReturnType<Gateway['exchange']['lifecycle']['editable']>>;
  const ROLE_NAMES: Record<string, string> = { VICTIM: 'Victim', PERPETRATOR: 'Person causing harm', CHILD: 'Child', OTHER_ADULT: 'Other adult' };

  function formValues(c: Editable): FormBody {
    const v: FormBody = {};
    const md = dateParts(c.meetingDate);
    Object.assign(v, { 'meetingDate-day': md.day, 'meetingDate-month': md.month, 'meetingDate-year': md.year, externalRef: c.externalRef ?? '' });
    if (typeof c.riskBasis.dashScore === 'number') v.dashScore = String(c.riskBasis.dashScore);
    c.subjects.forEach((s, i) => {
      const n = (s.names as { given?: string[]; family: string }[])[0];
      v[`s${i}-given`] = n?.given?.join(' ') ?? '';
      v[`s${i}-family`] = n?.family ?? '';
      const dob = dateParts(s.dobs?.[0]);
      Object.assign(v, { [`s${i}-dob-day`]: dob.day, [`s${i}-dob-month`]: dob.month, [`s${i}-dob-year`]: dob.year });
      v[`s${i}-nhs`] = s.identifiers?.find((x) => x.system === 'nhs-number')?.value ?? '';
      v[`s${i}-pnc`] = s.identifiers?.find((x) => x.system === 'pnc-id')?.value ?? '';
    });
    return v;
  }

  function editPage(res: Response, c: Editable, values: FormBody, errors?: FormErrors, status = 200) {
    render.page(res, 'coordinator/case-edit.njk', {
      title: 'Edit the case',
      caseId: c.caseId,
      values,
      people: c.subjects.map((s, i) => ({ i, role: ROLE_NAMES[s.role] ?? s.role })),
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
    }, status);
  }

  pages.get('/cases/:caseId/edit', COORDINATOR, async (req, res) => {
    const c = await g.exchange.lifecycle.editable(me(res), caseIdOf(req));
    if (c.status !== 'OPEN') return notOpen(res, c.caseId, c.status, 'edit');
    editPage(res, c, formValues(c));
  });

  pages.post('/cases/:caseId/edit', COORDINATOR, async (req, res) => {
    const caseId = caseIdOf(req);
    const body = asBody(req.body);
    const c = await g.exchange.lifecycle.editable(me(res), caseId);
    if (c.status !== 'OPEN') return notOpen(res, caseId, c.status, 'edit');
    const errors = new FormErrors();
    const reason = text(body, 'reason', 2000);
    if (!reason) errors.add('reason', 'Enter why you are changing the case');
    const md = dateInput(body, 'meetingDate');
    if (md.kind === 'empty') errors.add('meetingDate-day', 'Enter the date of the MARAC meeting');
    else if (md.kind === 'invalid') errors.add('meetingDate-day', `The meeting date ${md.message}`);
    const ref = text(body, 'externalRef', 100);
    if (ref && !/^[A-Za-z0-9/._:-]+$/.test(ref)) errors.add('externalRef', 'A local reference uses letters, digits and / . _ : - only');
    const score = text(body, 'dashScore', 3);
    if (score && (!/^\d{1,2}$/.test(score) || Number(score) > 24)) errors.add('dashScore', 'The Dash score is a whole number from 0 to 24');
    const subjects = c.subjects.map((s, i) => {
      const given = text(body, `s${i}-given`, 100);
      const family = text(body, `s${i}-family`, 100);
      if (!family) errors.add(`s${i}-family`, `Enter the ${ROLE_NAMES[s.role]?.toLowerCase() ?? 'person'}’s family name`);
      const dob = dateInput(body, `s${i}-dob`);
      if (dob.kind === 'invalid') errors.add(`s${i}-dob-day`, `The date of birth ${dob.message}`);
      const [first, ...aliases] = s.names as { given?: string[]; family: string; use?: string }[];
      const names = [{ ...first, family, ...(given ? { given: given.split(/\s+/) } : {}) }, ...aliases];
      if (!given) delete (names[0] as { given?: string[] }).given;
      const ids = (s.identifiers ?? []).filter((x) => x.system !== 'nhs-number' && x.system !== 'pnc-id');
      const nhs = text(body, `s${i}-nhs`, 20);
      const pnc = text(body, `s${i}-pnc`, 20);
      if (nhs) ids.push({ system: 'nhs-number', value: nhs });
      if (pnc) ids.push({ system: 'pnc-id', value: pnc });
      const dobs = dob.kind === 'date' ? [dob.iso, ...(s.dobs ?? []).slice(1).filter((d) => d !== dob.iso)] : (s.dobs ?? []).slice(1);
      return { subjectId: s.subjectId, names, dobs, identifiers: ids };
    });
    if (errors.any) return editPage(res, c, body, errors, 400);
    const riskBasis = { ...c.riskBasis } as Record<string, unknown>;
    delete riskBasis.hasRationale;
    if (score) riskBasis.dashScore = Number(score);
    try {
      await g.exchange.lifecycle.updateCase(me(res), caseId, {
        reason,
        meetingDate: md.kind === 'date' ? md.iso : c.meetingDate,
        ...(ref ? { externalRef: ref } : {}),
        riskBasis,
        subjects,
      });
      res.redirect(303, `/cases/${caseId}?changed=edited`);
    } catch (err) {
      if (!(err instanceof ValidationFailed) && !(err instanceof GatewayError && err.status < 500)) throw err;
      for (const p of (err as GatewayError).problems ?? []) errors.add(fieldOf(p.path), p.message);
      if (!errors.any) errors.add('reason', (err as Error).message);
      return editPage(res, c, body, errors, 400);
    }
  });

  /** A JSON pointer of the edit body → the form field. */
  function fieldOf(path: string): string {
    const m = /^\/subjects\/(\d+)\/(names|dobs|identifiers)/.exec(path);
    if (m) return m[2] === 'names' ? `s${m[1]}-family` : m[2] === 'dobs' ? `s${m[1]}-dob-day` : `s${m[1]}-nhs`;
    if (path.startsWith('/meetingDate')) return 'meetingDate-day';
    if (path.startsWith('/externalRef')) return 'externalRef';
    if (path.startsWith('/riskBasis')) return 'dashScore';
    return 'reason';
  }

  function notOpen(res: Response, caseId: string, status: string, what: string) {
    render.page(res, 'coordinator/case-state.njk', {
      title: `This case is ${STATUS_LABELS[status]?.toLowerCase()}`,
      caseId, action: 'not-open', what, statusLabel: STATUS_LABELS[status], values: {}, errors: {}, errorList: [],
    }, 409);
  }

  // ---- withdraw, close, reopen -----------------------------------------------------------------

  const ACTIONS = {
    withdraw: { title: 'Withdraw the case', from: ['OPEN'], button: 'Withdraw the case' },
    close: { title: 'Close the case', from: ['OPEN'], button: 'Close the case' },
    reopen: { title: 'Reopen the case', from: ['WITHDRAWN', 'CLOSED'], button: 'Reopen the case' },
  } as const;

  for (const [action, a] of Object.entries(ACTIONS) as [keyof typeof ACTIONS, (typeof ACTIONS)[keyof typeof ACTIONS]][]) {
    const page = async (res: Response, caseId: string, values: FormBody, errors?: FormErrors, status = 200) => {
      const c = await g.exchange.cases.caseSummary(me(res), caseId);
      if (!(a.from as readonly string[]).includes(c.status)) {
        return render.page(res, 'coordinator/case-state.njk', {
          title: `This case is ${STATUS_LABELS[c.status]?.toLowerCase()}`, caseId, action: 'not-open', what: action, statusLabel: STATUS_LABELS[c.status], values: {}, errors: {}, errorList: [],
        }, 409);
      }
      render.page(res, 'coordinator/case-state.njk', {
        title: a.title, caseId, action, button: a.button, theCase: c,
        statusLabel: STATUS_LABELS[c.status],
        outcomes: Object.entries(OUTCOME_LABELS).map(([value, text]) => ({ value, text, checked: values.outcome === value })),
        values, errors: errors?.byField() ?? {}, errorList: errors?.summary() ?? [],
      }, status);
    };
    pages.get(`/cases/:caseId/${action}`, COORDINATOR, async (req, res) => page(res, caseIdOf(req), {}));
    pages.post(`/cases/:caseId/${action}`, COORDINATOR, async (req, res) => {
      const caseId = caseIdOf(req);
      const body = asBody(req.body);
      const errors = new FormErrors();
      const reason = text(body, 'reason', 2000);
      const outcome = typeof body.outcome === 'string' && body.outcome in OUTCOME_LABELS ? body.outcome : undefined;
      if (action === 'close' && !outcome) errors.add('outcome', 'Select the outcome of the case');
      if (action !== 'close' && !reason) errors.add('reason', action === 'withdraw' ? 'Enter why the case is withdrawn' : 'Enter why the case is reopened');
      if (errors.any) return page(res, caseId, body, errors, 400);
      try {
        if (action === 'withdraw') await g.exchange.lifecycle.withdrawCase(me(res), caseId, { reason });
        else if (action === 'close') await g.exchange.lifecycle.closeCase(me(res), caseId, { outcome, ...(reason ? { note: reason } : {}) });
        else await g.exchange.lifecycle.reopenCase(me(res), caseId, { reason });
      } catch (err) {
        if (err instanceof GatewayError && err.status === 409) return page(res, caseId, body, undefined, 409);
        if (err instanceof ValidationFailed) {
          errors.add(action === 'close' && !reason ? 'outcome' : 'reason', err.message);
          return page(res, caseId, body, errors, 400);
        }
        throw err;
      }
      res.redirect(303, `/cases/${caseId}?changed=${action}`);
    });
  }
}

/** Page numbers around the current one, with gaps (null) as GOV.UK pagination shows them. */
export function pageNumbers(current: number, pages: number): (number | null)[] {
  const keep = new Set([1, pages, current - 1, current, current + 1].filter((n) => n >= 1 && n <= pages));
  const out: (number | null)[] = [];
  let last = 0;
  for (const n of [...keep].sort((a, b) => a - b)) {
    if (n - last > 1) out.push(null);
    out.push(n);
    last = n;
  }
  return out;
}
