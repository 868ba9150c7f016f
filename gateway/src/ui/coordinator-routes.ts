import type { Request, Response } from 'express';
import { OUTCOME_LABELS } from './case-list-pages.js';
import type { Gateway } from '../app.js';
import { ValidationFailed } from '../errors.js';
import { AllRecipientsRefused, CaseNotFound, LegalConditionRejected } from '../exchange/errors.js';
import { ThresholdNotMet } from '../exchange/case-threshold.js';
import { personOf } from '../identity/people-auth.js';
import { partiesInForce } from '../policy/accession/parties.js';
import type { PersonPrincipal } from '../identity/principal.js';
import type { FieldCatalog } from '../schema/catalog.js';
import { childCount, fieldForProblem, MAX_CHILDREN, parseCaseForm, subjectSlots } from './forms/case-form.js';
import { asBody, FormErrors, londonToday, type FormBody } from './forms/form-values.js';
import { parseRequestForm } from './forms/request-form.js';
import {
  AGENCY_TYPES, ART10_CONDITIONS, ART9_CONDITIONS, CONSENT_STATUSES, describeCode, optionsOf, PURPOSES, REQUEST_DOMAINS, RISK_CRITERIA,
} from './labels.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';
import { packView } from './view-model/pack-view.js';
import { actionRow } from './minutes-pages.js';

/**
 * Coordinator pages: the case list, the referral form, the case page (status per agency and the
 * research pack, one audited view), sending research requests, and the export.
 * The exchange services do every check and write every audit event; these handlers only turn
 * forms into calls and results into pages.
 */

/** What the case page says after a change made on one of the case's own pages (?changed=…). */
const CHANGED = {
  edited: 'Case details saved. The change and its reason are recorded in the audit log.',
  withdraw: 'Case withdrawn. No new research can be asked for it.',
  close: 'Case closed with its outcome. No new research can be asked for it.',
  reopen: 'Case reopened.',
} as const;

export interface CoordinatorPagesDeps {
  g: Pick<Gateway, 'exchange' | 'registry' | 'actions' | 'meetings' | 'agreements' | 'transfers'>;
  catalog: Pick<FieldCatalog, 'get'>;
  render: PageRenderer;
  now: () => Date;
}

const CASE_ID = /^case_[0-9a-f]{32}$/;
const REQUEST_ID = /^req_[0-9a-f]{32}$/;
const COORDINATOR = ['coordinator'] as const;

function caseIdOf(req: Request): string {
  const id = String(req.params.caseId ?? '');
  if (!CASE_ID.test(id)) throw new CaseNotFound('No such case');
  return id;
}

function me(res: Response): PersonPrincipal {
  return personOf(res)!;
}

const TRANSFER_STATUS: Record<string, string> = { OFFERED: 'offered, waiting for a decision', ACCEPTED: 'accepted', REFUSED: 'refused', WITHDRAWN: 'withdrawn' };
const areaTitle = (area: string) => area.split('-').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w)).join(' ');

export function coordinatorPages(pages: PageRouter, deps: CoordinatorPagesDeps): void {
  const { g, render } = deps;

  async function transferLinks(person: PersonPrincipal, caseId: string) {
    const links = await g.transfers.linksOfCase(person, caseId);
    return {
      from: links.incoming.map((t) => ({ transferId: t.transferId, area: areaTitle(t.fromMaracArea) })),
      to: links.outgoing.map((t) => ({ transferId: t.transferId, area: areaTitle(t.toMaracArea), status: TRANSFER_STATUS[t.status] ?? t.status })),
    };
  }

  async function agencyNames(): Promise<(id: string) => string> {
    const all = await g.registry.listAgencies();
    const names = new Map(all.map((a) => [a.id, a.name]));
    return (id) => names.get(id) ?? id;
  }

  // By id, however many cases the coordinator has (the case list and search: case-list-pages.ts).
  async function findCase(res: Response, caseId: string) {
    return g.exchange.cases.caseSummary(me(res), caseId);
  }

  function caseFormPage(res: Response, values: FormBody, errors?: FormErrors, status = 200) {
    const children = childCount(values);
    render.page(res, 'coordinator/case-new.njk', {
      title: 'Open a case',
      values,
      slots: subjectSlots(children),
      children,
      canAddChild: children < MAX_CHILDREN,
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
      options: {
        criteria: optionsOf(RISK_CRITERIA),
        consent: optionsOf(CONSENT_STATUSES),
        art9: optionsOf(ART9_CONDITIONS),
        art10: optionsOf(ART10_CONDITIONS),
      },
    }, status);
  }

  pages.get('/cases/new', COORDINATOR, (_req, res) => {
    caseFormPage(res, { childCount: '1', dashVersion: 'SAFELIVES_24Q' });
  });

  pages.post('/cases/new', COORDINATOR, async (req, res) => {
    const body = asBody(req.body);
    const action = typeof body.action === 'string' ? body.action : 'save';
    if (action === 'add-child') {
      return caseFormPage(res, { ...body, childCount: String(childCount(body, 'add-child')) });
    }
    const person = me(res);
    const agency = person.agencyId ? await g.registry.getAgency(person.agencyId) : null;
    const parsed = parseCaseForm(body, { maracArea: agency?.maracArea ?? person.agencyId ?? 'unknown', today: londonToday(deps.now()) });
    if (!parsed.ok) return caseFormPage(res, body, parsed.errors, 400);
    try {
      const created = await g.exchange.cases.createCase(person, parsed.body);
      res.redirect(303, `/cases/${created.caseId}?opened=1`);
    } catch (err) {
      if (err instanceof ValidationFailed || err instanceof LegalConditionRejected || err instanceof ThresholdNotMet) {
        const errors = new FormErrors();
        for (const p of err.problems ?? []) errors.add(fieldForProblem(p, parsed.body), p.message);
        if (!errors.any) errors.add('meetingDate-day', err.message);
        return caseFormPage(res, body, errors, 400);
      }
      throw err;
    }
  });

  pages.get('/cases/:caseId', COORDINATOR, async (req, res) => {
    const caseId = caseIdOf(req);
    const sentId = typeof req.query.sent === 'string' && REQUEST_ID.test(req.query.sent) ? req.query.sent : undefined;
    const [names, pack] = [await agencyNames(), await g.exchange.packs.getPack(me(res), caseId, 'read', { withCaseDetails: true })];
    const state = await findCase(res, caseId);
    // Every action of the case, whichever meeting agreed it (ui/minutes-pages.ts).
    const actions = (await g.actions.listCaseActions(me(res), caseId)).map((a) => actionRow(a, names));
    // The meetings the case is listed at (ui/meeting-pages.ts lists it at one).
    const listings = await g.meetings.listingsOfCase(me(res), caseId);
    // Transferred from another area, or offered to one (transfers/; docs/decisions/0029).
    const transfers = await transferLinks(me(res), caseId);
    let flash;
    if (sentId) {
      const status = await g.exchange.requests.getRequestStatus(me(res), sentId).catch(() => undefined);
      if (status && status.caseId === caseId) {
        flash = {
          type: 'success',
          title: 'Success',
          html: render.toString('coordinator/sent-banner.njk', {
            queued: status.messages.map((m) => names(m.recipient)),
            refused: status.refused.map((r) => ({ name: names(r.recipient), reason: describeCode(r.reason), code: r.reason })),
          }),
        };
      }
    } else if (req.query.opened === '1') {
      flash = { type: 'success', title: 'Success', text: 'Case opened. Now send research requests to the partner agencies.' };
    } else if (typeof req.query.changed === 'string' && req.query.changed in CHANGED) {
      flash = { type: 'success', title: 'Success', text: CHANGED[req.query.changed as keyof typeof CHANGED] };
    }
    render.page(res, 'coordinator/case.njk', {
      // No name in the title: it ends up in browser history and tab lists.
      title: `Case for the meeting on ${pack.meetingDate}`,
      pack: packView(pack, { catalog: deps.catalog, agencyName: names, now: deps.now() }),
      state: { ...state, outcomeLabel: state.outcome ? OUTCOME_LABELS[state.outcome as keyof typeof OUTCOME_LABELS] ?? state.outcome : undefined },
      flash,
      listings,
      actions,
      transfers,
    });
  });

  async function requestFormPage(res: Response, caseId: string, values: FormBody, errors?: FormErrors, status = 200, refused?: { name: string; reason: string }[]) {
    const theCase = await findCase(res, caseId);
    // Only parties to an agreement in force are offered (a provider that has not acceded, or was refused, is not).
    const parties = await partiesInForce(g.agreements, deps.now());
    const agencies = (await g.registry.listAgencies()).filter((a) => !a.disabledAt && a.id !== me(res).agencyId && parties.has(a.id));
    const selected = Array.isArray(values.recipients) ? values.recipients : values.recipients ? [values.recipients] : [];
    const domains = Array.isArray(values.requestedDomains) ? values.requestedDomains : values.requestedDomains ? [values.requestedDomains] : [];
    render.page(res, 'coordinator/request-new.njk', {
      title: 'Send a research request',
      theCase,
      values,
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
      refused,
      options: {
        recipients: agencies.map((a) => ({ value: a.id, text: a.name, hint: { text: AGENCY_TYPES[a.type] ?? a.type }, checked: selected.includes(a.id) })),
        purpose: optionsOf(PURPOSES, [typeof values.purpose === 'string' ? values.purpose : 'MARAC_RESEARCH']),
        domains: optionsOf(REQUEST_DOMAINS, domains),
        scope: typeof values.scope === 'string' && values.scope ? values.scope : 'ALL',
      },
    }, status);
  }

  pages.get('/cases/:caseId/research/new', COORDINATOR, async (req, res) => {
    await requestFormPage(res, caseIdOf(req), { purpose: 'MARAC_RESEARCH', lookbackMonths: '12', scope: 'ALL' });
  });

  pages.post('/cases/:caseId/research/new', COORDINATOR, async (req, res) => {
    const caseId = caseIdOf(req);
    const body = asBody(req.body);
    const theCase = await findCase(res, caseId);
    const agencies = (await g.registry.listAgencies()).filter((a) => !a.disabledAt).map((a) => a.id);
    const now = deps.now();
    const parsed = parseRequestForm(body, { agencies, meetingDate: theCase.meetingDate, today: londonToday(now), now });
    if (!parsed.ok) return requestFormPage(res, caseId, body, parsed.errors, 400);
    try {
      const sent = await g.exchange.requests.createResearchRequest(me(res), caseId, parsed.body);
      res.redirect(303, `/cases/${caseId}?sent=${sent.requestId}`);
    } catch (err) {
      if (err instanceof AllRecipientsRefused) {
        const names = await agencyNames();
        const errors = new FormErrors();
        errors.add('recipients', 'None of the agencies you selected can receive this request under an active agreement');
        const refused = (err.problems ?? []).map((p) => ({ name: names(parsed.body.recipients[Number(p.path.split('/')[2])] ?? ''), reason: describeCode(p.code) }));
        return requestFormPage(res, caseId, body, errors, 403, refused);
      }
      if (err instanceof ValidationFailed) {
        const errors = new FormErrors();
        errors.add('recipients', err.message);
        return requestFormPage(res, caseId, body, errors, 400);
      }
      throw err;
    }
  });

  pages.post('/cases/:caseId/export', COORDINATOR, async (req, res) => {
    const caseId = caseIdOf(req);
    const format = asBody(req.body).format === 'json' ? 'json' : 'html';
    const names = await agencyNames();
    const pack = await g.exchange.packs.getPack(me(res), caseId, 'export', { withCaseDetails: true });
    res.set('Cache-Control', 'no-store');
    if (format === 'json') {
      res.attachment(`research-pack-${caseId}.json`);
      return void res.type('application/json').send(JSON.stringify(pack, null, 2));
    }
    res.attachment(`research-pack-${caseId}.html`);
    res.type('html').send(render.toString('coordinator/pack-export.njk', {
      pack: packView(pack, { catalog: deps.catalog, agencyName: names, now: deps.now() }),
      exportedBy: me(res).displayName,
    }));
  });
}
