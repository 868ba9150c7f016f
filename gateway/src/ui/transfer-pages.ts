import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { GatewayError } from '../errors.js';
import { CaseNotFound } from '../exchange/errors.js';
import { personOf } from '../identity/people-auth.js';
import type { PersonPrincipal } from '../identity/principal.js';
import { TransferNotFound } from '../transfers/errors.js';
import type { REFUSAL_REASONS } from '../transfers/transfer-service.js';
import { asBody, dateInput, FormErrors, londonToday, type FormBody } from './forms/form-values.js';
import { CONSENT_STATUSES, describeCode, optionsOf, RISK_CRITERIA, SUBJECT_ROLES } from './labels.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';

/**
 * Coordinator pages for MARAC-to-MARAC transfers (docs/decisions/0029-transfers.md): offering a
 * case to another area (only the areas the inter-area agreements allow, else why not), the
 * transfers list (offers received, offers made), and one transfer: the receiver reads the released
 * bundle and accepts (a case opens in its area) or refuses with a reason. The transfer service
 * does every check and writes every audit event.
 */

export interface TransferPagesDeps {
  g: Pick<Gateway, 'transfers' | 'registry' | 'exchange'>;
  render: PageRenderer;
  now: () => Date;
}

const COORDINATOR = ['coordinator'] as const;
const CASE_ID = /^case_[0-9a-f]{32}$/;
const TRANSFER_ID = /^trf_[0-9a-f]{32}$/;

export const REFUSAL_LABELS: Record<(typeof REFUSAL_REASONS)[number], string> = {
  NOT_IN_OUR_AREA: 'The victim does not live in our area',
  ALREADY_KNOWN: 'We already have a case for this victim',
  INSUFFICIENT_INFORMATION: 'Not enough information to open a case',
  VICTIM_NOT_RESIDENT: 'The victim has moved on again',
  OTHER: 'Another reason (we will contact you)',
};
const STATUS_LABELS: Record<string, string> = { OFFERED: 'Offered', ACCEPTED: 'Accepted', REFUSED: 'Refused', WITHDRAWN: 'Withdrawn' };
const STATUS_TAGS: Record<string, string> = { OFFERED: 'govuk-tag--blue', ACCEPTED: 'govuk-tag--green', REFUSED: 'govuk-tag--red', WITHDRAWN: 'govuk-tag--grey' };
const ACTION_STATUS: Record<string, string> = { OPEN: 'Open', DONE: 'Done', NOT_POSSIBLE_CHANGE: 'Not possible: circumstances changed', NOT_DONE_AGENCY: 'Not done by the agency' };

function me(res: Response): PersonPrincipal {
  return personOf(res)!;
}

function caseIdOf(req: Request): string {
  const id = String(req.params.caseId ?? '');
  if (!CASE_ID.test(id)) throw new CaseNotFound('No such case');
  return id;
}

function transferIdOf(req: Request): string {
  const id = String(req.params.transferId ?? '');
  if (!TRANSFER_ID.test(id)) throw new TransferNotFound('No such transfer');
  return id;
}

/** "Essex", "Southend": an area key as a heading reads it. */
export const areaName = (area: string) => area.split('-').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w)).join(' ');

export function transferPages(pages: PageRouter, deps: TransferPagesDeps): void {
  const { g, render } = deps;

  async function agencyNames(): Promise<(id: string) => string> {
    const names = new Map((await g.registry.listAgencies()).map((a) => [a.id, a.name]));
    return (id) => names.get(id) ?? id;
  }

  async function offerPage(res: Response, caseId: string, values: FormBody = {}, errors?: FormErrors, status = 200) {
    const [names, d] = [await agencyNames(), await g.transfers.destinations(me(res), caseId)];
    render.page(res, 'transfers/new.njk', {
      title: 'Transfer to another MARAC',
      caseId,
      open: d.status === 'OPEN',
      area: areaName(d.maracArea),
      options: d.allowed.map((a) => ({ value: a.agencyId, text: `${areaName(a.maracArea)} (${names(a.agencyId)})`, checked: values.toCoordinatorAgencyId === a.agencyId })),
      refused: d.refused.map((r) => ({ name: names(r.agencyId), reason: describeCode(r.reason), code: r.reason })),
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
    }, status);
  }

  pages.get('/cases/:caseId/transfer', COORDINATOR, async (req, res) => {
    await offerPage(res, caseIdOf(req));
  });

  pages.post('/cases/:caseId/transfer', COORDINATOR, async (req, res) => {
    const caseId = caseIdOf(req);
    const body = asBody(req.body);
    const to = typeof body.toCoordinatorAgencyId === 'string' ? body.toCoordinatorAgencyId : '';
    const errors = new FormErrors();
    if (!to) errors.add('toCoordinatorAgencyId', 'Select the MARAC to transfer the case to');
    if (errors.any) return offerPage(res, caseId, body, errors, 400);
    try {
      const t = await g.transfers.offer(me(res), caseId, { toCoordinatorAgencyId: to });
      res.redirect(303, `/transfers/${t.transferId}?offered=1`);
    } catch (err) {
      if (err instanceof GatewayError && err.status < 500 && err.status !== 404) {
        errors.add('toCoordinatorAgencyId', err.reason ? `${err.message}: ${describeCode(err.reason)}` : err.message);
        return offerPage(res, caseId, body, errors, err.status);
      }
      throw err;
    }
  });

  pages.get('/transfers', COORDINATOR, async (req, res) => {
    const [names, incoming, outgoing] = [await agencyNames(), await g.transfers.list(me(res), { direction: 'incoming' }), await g.transfers.list(me(res), { direction: 'outgoing' })];
    const row = (t: (typeof incoming.items)[number]) => ({
      ...t, statusLabel: STATUS_LABELS[t.status] ?? t.status, statusTag: STATUS_TAGS[t.status] ?? '',
      fromArea: areaName(t.fromMaracArea), toArea: areaName(t.toMaracArea), fromName: names(t.fromCoordinatorAgencyId), toName: names(t.toCoordinatorAgencyId),
      refusalLabel: t.refusalReason ? REFUSAL_LABELS[t.refusalReason as keyof typeof REFUSAL_LABELS] ?? describeCode(t.refusalReason) : undefined,
    });
    render.page(res, 'transfers/list.njk', {
      title: 'Transfers',
      incoming: incoming.items.map(row),
      outgoing: outgoing.items.map(row),
      flash: req.query.refused === '1' ? { type: 'success', title: 'Success', text: 'Transfer refused. The sending MARAC can see your reason.' } : undefined,
    });
  });

  async function transferPage(res: Response, id: string, opts: { values?: FormBody; errors?: FormErrors; status?: number; flash?: unknown } = {}) {
    const [names, t] = [await agencyNames(), await g.transfers.get(me(res), id)];
    const receiver = t.toCoordinatorAgencyId === me(res).agencyId;
    const bundle = (t.bundle ?? {}) as Record<string, any>;
    const values = opts.values ?? {};
    render.page(res, 'transfers/transfer.njk', {
      title: receiver ? `Transfer from ${areaName(t.fromMaracArea)}` : `Transfer to ${areaName(t.toMaracArea)}`,
      t, receiver,
      statusLabel: STATUS_LABELS[t.status] ?? t.status, statusTag: STATUS_TAGS[t.status] ?? '',
      fromArea: areaName(t.fromMaracArea), toArea: areaName(t.toMaracArea), fromName: names(t.fromCoordinatorAgencyId), toName: names(t.toCoordinatorAgencyId),
      refusalLabel: t.refusalReason ? REFUSAL_LABELS[t.refusalReason as keyof typeof REFUSAL_LABELS] ?? describeCode(t.refusalReason) : undefined,
      releaseReason: t.release && !t.release.released ? describeCode(t.release.reason) : undefined,
      bundle: t.bundle ? {
        minutesSummary: bundle.minutesSummary,
        criteria: (bundle.riskBasis?.criteria ?? []).map((c: string) => RISK_CRITERIA[c] ?? c),
        dashScore: bundle.riskBasis?.dashScore,
        riskLevel: bundle.riskBasis?.riskLevel,
        lastMaracReferralDate: bundle.lastMaracReferralDate,
        previousReferralDates: bundle.previousReferralDates ?? [],
        actions: (bundle.actionPlan ?? []).map((a: Record<string, string>) => ({ ...a, owner: a.ownerAgencyId ? names(a.ownerAgencyId) : 'Withheld', statusLabel: ACTION_STATUS[a.status ?? ""] ?? a.status ?? "Withheld" })),
      } : undefined,
      people: (t.subjects ?? []).map((s) => ({
        role: SUBJECT_ROLES[s.role] ?? s.role,
        name: Array.isArray(s.names) && s.names.length
          ? s.names.map((n) => { const x = n as { given?: string[]; family?: string }; return [...(x.given ?? []), x.family].filter(Boolean).join(' '); }).join('; ')
          : 'Withheld',
        dobs: (s.dobs ?? []).join(', ') || 'Not released',
      })),
      withheldCount: (t.withheld ?? []).length,
      consent: optionsOf(CONSENT_STATUSES, typeof values.consentStatus === 'string' ? [values.consentStatus] : []),
      reasons: Object.entries(REFUSAL_LABELS).map(([value, text]) => ({ value, text, checked: values.reason === value })),
      values,
      errors: opts.errors?.byField() ?? {},
      errorList: opts.errors?.summary() ?? [],
      flash: opts.flash,
    }, opts.status ?? 200);
  }

  pages.get('/transfers/:transferId', COORDINATOR, async (req, res) => {
    const flash = req.query.offered === '1'
      ? { type: 'success', title: 'Success', text: 'Transfer offered. The receiving MARAC can now read the transfer bundle and accept or refuse it.' }
      : undefined;
    await transferPage(res, transferIdOf(req), { flash });
  });

  pages.post('/transfers/:transferId/accept', COORDINATOR, async (req, res) => {
    const id = transferIdOf(req);
    const body = asBody(req.body);
    const errors = new FormErrors();
    const today = londonToday(deps.now());
    const meeting = dateInput(body, 'meetingDate');
    if (meeting.kind === 'empty') errors.add('meetingDate-day', 'Enter the date of the MARAC meeting');
    else if (meeting.kind === 'invalid') errors.add('meetingDate-day', `Date of the MARAC meeting ${meeting.message}`);
    else if (meeting.iso < today) errors.add('meetingDate-day', 'Date of the MARAC meeting must be today or in the future');
    const consent = typeof body.consentStatus === 'string' && body.consentStatus in CONSENT_STATUSES ? body.consentStatus : undefined;
    if (!consent) errors.add('consentStatus', 'Select whether the victim consented to sharing');
    const rationale = typeof body.rationale === 'string' ? body.rationale.trim() : '';
    if (consent && consent !== 'GIVEN' && !rationale) errors.add('rationale', 'Enter why you are sharing without consent');
    if (rationale.length > 2000) errors.add('rationale', 'The reason must be 2000 characters or fewer');
    if (errors.any) return transferPage(res, id, { values: body, errors, status: 400 });
    const person = me(res);
    try {
      const accepted = await g.transfers.accept(person, id, {
        meetingDate: (meeting as { iso: string }).iso,
        consent: consent === 'GIVEN'
          ? { status: 'GIVEN', explicitForSpecialCategory: false }
          : { status: consent, explicitForSpecialCategory: false, rationale, decidedBy: `${person.displayName}, MARAC coordinator`.slice(0, 200), decidedAt: today },
      });
      res.redirect(303, `/cases/${accepted.toCaseId}?opened=1`);
    } catch (err) {
      if (err instanceof GatewayError && err.status < 500 && err.status !== 404) {
        errors.add('meetingDate-day', err.reason ? `${err.message}: ${describeCode(err.reason)}` : err.message);
        return transferPage(res, id, { values: body, errors, status: err.status });
      }
      throw err;
    }
  });

  pages.post('/transfers/:transferId/refuse', COORDINATOR, async (req, res) => {
    const id = transferIdOf(req);
    const body = asBody(req.body);
    const errors = new FormErrors();
    const reason = typeof body.reason === 'string' && body.reason in REFUSAL_LABELS ? body.reason : undefined;
    if (!reason) {
      errors.add('reason', 'Select the reason for refusing the transfer');
      return transferPage(res, id, { values: body, errors, status: 400 });
    }
    try {
      await g.transfers.refuse(me(res), id, { reason });
      res.redirect(303, '/transfers?refused=1');
    } catch (err) {
      if (err instanceof GatewayError && err.status < 500 && err.status !== 404) {
        errors.add('reason', err.message);
        return transferPage(res, id, { values: body, errors, status: err.status });
      }
      throw err;
    }
  });
}
