import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { GatewayError, ValidationFailed } from '../errors.js';
import { CaseQueryInvalid } from '../exchange/case-errors.js';
import { LegalConditionRejected } from '../exchange/errors.js';
import { personOf } from '../identity/people-auth.js';
import type { PersonPrincipal } from '../identity/principal.js';
import { DASH_GROUPS } from '../referrals/dash.js';
import { ReferralNotFound, ReferralThresholdNotMet, RepeatMatchUndecided } from '../referrals/errors.js';
import { childCount, MAX_CHILDREN, subjectSlots } from './forms/case-form.js';
import { asBody, dateInput, FormErrors, londonToday, type FormBody } from './forms/form-values.js';
import { DASH_ANSWER_LABELS, EQUALITY, fieldForReferralProblem, parseReferralForm, scoreOf } from './forms/referral-form.js';
import { ART10_CONDITIONS, ART9_CONDITIONS, CONSENT_STATUSES, optionsOf, RISK_CRITERIA_SHORT, SUBJECT_ROLES } from './labels.js';
import type { PageRouter } from './page-router.js';
import { formatDate, type PageRenderer } from './render.js';

/**
 * Coordinator pages for referrals: the intake list, the referral form (the 24 Dash questions, the
 * score computed on submit), and the referral page where the coordinator confirms or rejects a
 * possible repeat, accepts (a case opens for a meeting date) or returns it with a reason. The
 * referral service does every check and writes every audit event.
 */

export interface ReferralPagesDeps {
  g: Pick<Gateway, 'referrals' | 'registry' | 'exchange'>;
  render: PageRenderer;
  now: () => Date;
}

const COORDINATOR = ['coordinator'] as const;
const REFERRAL_ID = /^ref_[0-9a-f]{32}$/;
const CASE_ID = /^case_[0-9a-f]{32}$/;
const STATUSES = { SUBMITTED: 'Waiting for a decision', ACCEPTED: 'Accepted', RETURNED: 'Returned' } as const;
const MATCHED_ON: Record<string, string> = { 'nhs-number': 'NHS number', 'pnc-id': 'PNC ID', 'name-dob': 'name with date of birth' };
const MATCH_ORDER = ['nhs-number', 'pnc-id', 'name-dob'];
const ID_SYSTEMS: Record<string, string> = {
  'nhs-number': 'NHS number', 'pnc-id': 'PNC ID', 'la-child-id': 'Local authority child ID', uprn: 'UPRN', upn: 'Unique pupil number', local: 'Local ID',
};

function me(res: Response): PersonPrincipal {
  return personOf(res)!;
}

function referralIdOf(req: Request): string {
  const id = String(req.params.referralId ?? '');
  if (!REFERRAL_ID.test(id)) throw new ReferralNotFound('No such referral');
  return id;
}

export function referralPages(pages: PageRouter, deps: ReferralPagesDeps): void {
  const { g, render } = deps;

  async function agencyNames(): Promise<(id: string) => string> {
    const names = new Map((await g.registry.listAgencies()).map((a) => [a.id, a.name]));
    return (id) => names.get(id) ?? id;
  }

  async function myArea(person: PersonPrincipal): Promise<string> {
    const agency = person.agencyId ? await g.registry.getAgency(person.agencyId) : null;
    return agency?.maracArea ?? person.agencyId ?? 'unknown';
  }

  pages.get('/referrals', COORDINATOR, async (req, res) => {
    const status = typeof req.query.status === 'string' && req.query.status in STATUSES ? req.query.status as keyof typeof STATUSES : 'SUBMITTED';
    const page = typeof req.query.page === 'string' && /^[1-9]\d{0,5}$/.test(req.query.page) ? req.query.page : '1';
    const [names, list] = [await agencyNames(), await g.referrals.list(me(res), { status, page })];
    const pages_ = Math.max(1, Math.ceil(list.total / list.pageSize));
    render.page(res, 'referrals/list.njk', {
      title: 'Referrals',
      status,
      statusName: STATUSES[status],
      tabs: Object.entries(STATUSES).map(([value, text]) => ({ href: `/referrals?status=${value}`, text, current: value === status })),
      rows: list.referrals.map((r) => ({
        ...r,
        referrer: names(r.referringAgencyId),
        criteria: r.criteriaMet.map((c) => RISK_CRITERIA_SHORT[c] ?? c.replaceAll('_', ' ').toLowerCase().replace(/^./, (x) => x.toUpperCase())),
      })),
      total: list.total,
      pagination: pages_ > 1 ? {
        ...(list.page > 1 ? { previous: { href: `/referrals?status=${status}&page=${list.page - 1}` } } : {}),
        ...(list.page < pages_ ? { next: { href: `/referrals?status=${status}&page=${list.page + 1}` } } : {}),
        items: Array.from({ length: pages_ }, (_, i) => ({ number: i + 1, href: `/referrals?status=${status}&page=${i + 1}`, current: i + 1 === list.page })),
      } : undefined,
    });
  });

  async function formPage(res: Response, values: FormBody, errors?: FormErrors, status = 200) {
    const children = childCount(values);
    const criteria = g.referrals.criteriaFor(await myArea(me(res)));
    const chosen = Array.isArray(values.referralCriteria) ? values.referralCriteria : values.referralCriteria ? [values.referralCriteria] : [];
    render.page(res, 'referrals/new.njk', {
      title: 'Make a referral',
      values,
      slots: subjectSlots(children),
      children,
      canAddChild: children < MAX_CHILDREN,
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
      dashGroups: DASH_GROUPS,
      score: errors ? scoreOf(values) : undefined,
      criteria: criteria.map((c) => ({ ...c, checked: chosen.includes(c.id) })),
      options: {
        consent: optionsOf(CONSENT_STATUSES),
        art9: optionsOf(ART9_CONDITIONS),
        art10: optionsOf(ART10_CONDITIONS),
        answers: Object.entries(DASH_ANSWER_LABELS).map(([value, text]) => ({ value, text })),
        equality: Object.fromEntries(Object.entries(EQUALITY).map(([k, m]) => [k, [{ value: '', text: 'Not recorded' }, ...Object.entries(m).map(([value, text]) => ({ value, text }))]])),
      },
    }, status);
  }

  pages.get('/referrals/new', COORDINATOR, async (_req, res) => {
    await formPage(res, { childCount: '1' });
  });

  pages.post('/referrals/new', COORDINATOR, async (req, res) => {
    const body = asBody(req.body);
    if (body.action === 'add-child') return formPage(res, { ...body, childCount: String(childCount(body, 'add-child')) });
    const person = me(res);
    const parsed = parseReferralForm(body, { maracArea: await myArea(person), today: londonToday(deps.now()), criteria: g.referrals.criteriaFor(await myArea(person)) });
    if (!parsed.ok) return formPage(res, body, parsed.errors, 400);
    try {
      const made = await g.referrals.submit(person, parsed.body);
      res.redirect(303, `/referrals/${String(made.body.referralId)}?submitted=1`);
    } catch (err) {
      if (err instanceof GatewayError && err.status < 500 && (err instanceof ValidationFailed || err instanceof LegalConditionRejected || err.code === 'REFERRAL_CRITERION_INVALID')) {
        const errors = new FormErrors();
        for (const p of err.problems ?? []) errors.add(fieldForReferralProblem(p, parsed.body), p.message);
        if (!errors.any) errors.add('referrer-name', err.message);
        return formPage(res, body, errors, 400);
      }
      throw err;
    }
  });

  /**
   * Open cases of this coordinator with a person who has the waiting referral's victim's NHS
   * number (or, without one, the same family name and date of birth), other than the possible
   * repeats already listed. Repeat detection runs when a referral arrives, so a case opened since
   * (the same victim referred by two agencies, one accepted first) is found only here: accepting
   * would open a second case for the same person.
   */
  async function openCasesForVictim(res: Response, full: { status: string; referral?: any; repeatMatches?: any[] }) {
    if (full.status !== 'SUBMITTED') return [];
    const victim = (full.referral?.subjects ?? []).find((s: any) => s.role === 'VICTIM');
    if (!victim) return [];
    const nhs = (victim.identifiers ?? []).find((i: any) => i.system === 'nhs-number')?.value as string | undefined;
    const name = (victim.names ?? [])[0] as { family?: string } | undefined;
    const dob = (victim.dobs ?? [])[0] as string | undefined;
    const query = nhs ? { nhsNumber: nhs, status: 'OPEN' } : name?.family && dob ? { familyName: name.family, dob, status: 'OPEN' } : undefined;
    if (!query) return [];
    try {
      const known = new Set((full.repeatMatches ?? []).map((m) => m.caseId as string));
      const found = await g.exchange.cases.listCases(me(res), query);
      return found.items.filter((c) => !known.has(c.caseId)).map((c) => ({
        caseId: c.caseId, name: c.externalRef ?? `Case ending ${c.caseId.slice(-6)}`, meetingDate: c.meetingDate, openedAt: c.createdAt,
        matchedOn: nhs ? 'NHS number' : 'family name and date of birth',
      }));
    } catch (err) {
      if (err instanceof CaseQueryInvalid) return [];
      throw err;
    }
  }

  async function referralPage(res: Response, id: string, extra: { errors?: FormErrors; values?: FormBody; flash?: unknown; status?: number } = {}) {
    const [names, r] = [await agencyNames(), await g.referrals.get(me(res), id)];
    const full = r as typeof r & { referral?: any; repeatMatches?: any[]; caseId?: string };
    const answers = full.referral?.dash?.answers ?? {};
    const openCases = await openCasesForVictim(res, full);
    render.page(res, 'referrals/referral.njk', {
      openCases,
      title: `Referral from ${names(r.referringAgencyId)}`,
      r: full,
      referrer: names(r.referringAgencyId),
      statusName: STATUSES[r.status as keyof typeof STATUSES],
      dashGroups: DASH_GROUPS.map((grp) => ({
        heading: grp.heading,
        rows: grp.questions.map((q) => ({ key: { text: `${q.n}. ${q.text}` }, value: { text: DASH_ANSWER_LABELS[answers[q.key]] ?? 'Not answered' } })),
      })),
      people: (full.referral?.subjects ?? []).map((s: any) => ({
        role: SUBJECT_ROLES[s.role] ?? s.role,
        name: (s.names ?? []).map((n: any) => [...(n.given ?? []), n.family].join(' ')).join('; also known as '),
        dobs: (s.dobs ?? []).map((d: string) => formatDate(d)),
        identifiers: (s.identifiers ?? []).map((i: any) => `${ID_SYSTEMS[i.system] ?? i.system}: ${i.value}`),
        consent: CONSENT_STATUSES[s.consent?.status] ?? s.consent?.status,
        conditions: (s.legal?.art9Conditions ?? []).map((c: string) => ART9_CONDITIONS[c] ?? c),
      })),
      equality: Object.entries(full.referral?.equality ?? {}).map(([k, v]) => ({
        key: { text: ({ gender: 'Gender', age: 'Age', ethnicity: 'Ethnicity', disability: 'Disability', sexualOrientation: 'Sexual orientation', pregnancy: 'Pregnant' } as Record<string, string>)[k] ?? k },
        value: { text: typeof v === 'number' ? String(v) : ((EQUALITY as Record<string, Record<string, string>>)[k]?.[String(v)] ?? String(v)) },
      })),
      matches: (full.repeatMatches ?? []).map((m) => ({ ...m, matchedOnText: [...m.matchedOn].sort((a: string, b: string) => MATCH_ORDER.indexOf(a) - MATCH_ORDER.indexOf(b)).map((x: string) => MATCHED_ON[x] ?? x).join(' and ') })),
      pendingMatches: (full.repeatMatches ?? []).some((m) => m.status === 'PENDING'),
      values: extra.values ?? {},
      errors: extra.errors?.byField() ?? {},
      errorList: extra.errors?.summary() ?? [],
      flash: extra.flash,
    }, extra.status ?? 200);
  }

  pages.get('/referrals/:referralId', COORDINATOR, async (req, res) => {
    const id = referralIdOf(req);
    const flash = req.query.submitted === '1'
      ? { type: 'success', title: 'Success', text: 'Referral received. The Dash score was worked out from the answers.' }
      : req.query.returned === '1' ? { type: 'success', title: 'Success', text: 'Referral returned. The referrer can see it was returned and why.' }
        : undefined;
    await referralPage(res, id, { flash });
  });

  pages.post('/referrals/:referralId/accept', COORDINATOR, async (req, res) => {
    const id = referralIdOf(req);
    const body = asBody(req.body);
    const errors = new FormErrors();
    const meeting = dateInput(body, 'meetingDate');
    if (meeting.kind === 'empty') errors.add('meetingDate-day', 'Enter the date of the MARAC meeting');
    else if (meeting.kind === 'invalid') errors.add('meetingDate-day', `Date of the MARAC meeting ${meeting.message}`);
    else if (meeting.iso < londonToday(deps.now())) errors.add('meetingDate-day', 'Date of the MARAC meeting must be today or in the future');
    if (errors.any) return referralPage(res, id, { errors, values: body, status: 400 });
    try {
      const accepted = await g.referrals.accept(me(res), id, { meetingDate: (meeting as { iso: string }).iso });
      res.redirect(303, `/cases/${accepted.caseId}?opened=1`);
    } catch (err) {
      if (err instanceof ReferralThresholdNotMet || err instanceof RepeatMatchUndecided || err instanceof ValidationFailed
        || (err instanceof GatewayError && err.status === 409)) {
        errors.add('meetingDate-day', err instanceof ReferralThresholdNotMet ? `${err.message}: ${(err.problems ?? []).filter((p) => p.code === 'NOT_MET').map((p) => p.message).join('; ')}` : err.message);
        return referralPage(res, id, { errors, values: body, status: err.status });
      }
      throw err;
    }
  });

  pages.post('/referrals/:referralId/return', COORDINATOR, async (req, res) => {
    const id = referralIdOf(req);
    const body = asBody(req.body);
    const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
    const errors = new FormErrors();
    if (!reason) errors.add('reason', 'Enter the reason for returning the referral');
    else if (reason.length > 2000) errors.add('reason', 'The reason must be 2000 characters or fewer');
    if (errors.any) return referralPage(res, id, { errors, values: body, status: 400 });
    try {
      await g.referrals.returnReferral(me(res), id, { reason });
      res.redirect(303, `/referrals/${id}?returned=1`);
    } catch (err) {
      if (err instanceof GatewayError && err.status === 409) {
        errors.add('reason', err.message);
        return referralPage(res, id, { errors, values: body, status: 409 });
      }
      throw err;
    }
  });

  pages.post('/referrals/:referralId/repeat-matches/:caseId', COORDINATOR, async (req, res) => {
    const id = referralIdOf(req);
    const caseId = String(req.params.caseId ?? '');
    if (!CASE_ID.test(caseId)) throw new ReferralNotFound('No such referral');
    // The service validates the decision (CONFIRM or REJECT); anything else is a 400.
    await g.referrals.decideRepeat(me(res), id, caseId, { decision: asBody(req.body).decision });
    res.redirect(303, `/referrals/${id}`);
  });
}
