import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { GatewayError, NotFound, ValidationFailed } from '../errors.js';
import { personOf } from '../identity/people-auth.js';
import { actorId } from '../policy/lifecycle/actor.js';
import { igLeadAgency, isAgreementOfficer, registerCsv } from '../policy/accession/service.js';
import type { Agreement } from '../policy/types.js';
import { asBody, FormErrors, text, type FormBody } from './forms/form-values.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';
import { registerRow, termsView } from './view-model/accession-view.js';

/**
 * Accession in the browser (docs/decisions/0023-accession.md). An agency's IG lead reads the
 * agreement in force as it applies to their agency and signs to join (or leave); the agreement's
 * IG officers approve or refuse on the register page, which also downloads as CSV. The accession
 * service checks who may do what and writes the audit events.
 */

export interface AccessionPagesDeps {
  g: Pick<Gateway, 'accessions' | 'agreements' | 'registry'>;
  render: PageRenderer;
}

const OFFICER = ['ig_officer'] as const;
const READ = ['ig_officer', 'auditor'] as const;
const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const ACCESSION = /^acc_[0-9a-f]{32}$/;

function idOf(req: Request): string {
  const id = String(req.params.id ?? '');
  if (!SLUG.test(id)) throw new NotFound('No such agreement');
  return id;
}

function accessionIdOf(req: Request): string {
  const id = String(req.params.accessionId ?? '');
  if (!ACCESSION.test(id)) throw new NotFound('No such accession');
  return id;
}

export function accessionPages(pages: PageRouter, deps: AccessionPagesDeps): void {
  const { g, render } = deps;

  async function termsPage(res: Response, id: string, values: FormBody = {}, errors?: FormErrors, status = 200, flash?: unknown) {
    const person = personOf(res)!;
    const view = await g.accessions.terms(person, id);
    const agency = (await g.registry.getAgency(view.terms.agencyId))!;
    render.page(res, 'accession/terms.njk', {
      title: `${view.terms.title}: what it means for ${agency.name}`,
      agreementId: id,
      agency,
      view,
      words: termsView(view),
      kind: view.isParty ? 'WITHDRAW' : 'JOIN',
      values,
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
      flash,
    }, status);
  }

  pages.get('/agreements/:id/accession', OFFICER, async (req, res) => {
    const signed = req.query.signed === '1'
      ? { type: 'success', title: 'Sent', text: 'Your acceptance is recorded and sent to the agreement\u2019s IG officers for approval.' } : undefined;
    await termsPage(res, idOf(req), {}, undefined, 200, signed);
  });

  pages.post('/agreements/:id/accession', OFFICER, async (req, res) => {
    const id = idOf(req);
    const body = asBody(req.body);
    const errors = new FormErrors();
    if (text(body, 'confirm', 10) !== 'yes') {
      errors.add('confirm', text(body, 'kind') === 'WITHDRAW' ? 'Confirm that your agency leaves the agreement' : 'Confirm that you accept the agreement for your agency');
      return termsPage(res, id, body, errors, 400);
    }
    try {
      await g.accessions.request(personOf(res)!, id, { kind: text(body, 'kind', 10), version: Number(text(body, 'version', 10)), digest: text(body, 'digest', 64) });
    } catch (err) {
      if (err instanceof GatewayError && err.status === 409) {
        errors.add('confirm', err.message);
        return termsPage(res, id, body, errors, 409);
      }
      throw err;
    }
    res.redirect(303, `/agreements/${id}/accession?signed=1`);
  });

  async function registerPage(res: Response, id: string, flash?: unknown, refuse?: { accessionId: string; values: FormBody; errors?: FormErrors }, status = 200) {
    const person = personOf(res)!;
    const rows = await g.accessions.register(id);
    const current = await g.agreements.get(id);
    const names = new Map((await g.registry.listAgencies()).map((a) => [a.id, a.name]));
    const officer = isAgreementOfficer(person, current.doc as unknown as Agreement);
    const me = actorId(person);
    render.page(res, refuse ? 'accession/refuse.njk' : 'accession/register.njk', {
      title: refuse ? 'Refuse an accession' : 'Accession register',
      agreementId: id,
      agreementTitle: typeof current.doc.title === 'string' ? current.doc.title : id,
      parties: ((current.doc as unknown as Agreement).parties ?? []).map((p) => ({ ...p, name: p.name ?? names.get(p.agency) ?? p.agency })),
      version: current.version,
      rows: rows.map((a) => ({ ...registerRow(a, (x) => names.get(x) ?? x), mayDecide: officer && a.status === 'REQUESTED' && a.signedBy !== me, ownRequest: a.signedBy === me })),
      isIgLead: !!igLeadAgency(person) && !officer,
      flash,
      ...(refuse ? { accession: registerRow(await g.accessions.get(id, refuse.accessionId), (x) => names.get(x) ?? x), values: refuse.values, errors: refuse.errors?.byField() ?? {}, errorList: refuse.errors?.summary() ?? [] } : {}),
    }, status);
  }

  const DONE: Record<string, string> = {
    approved: 'Approved: a new version with the change is in force.',
    refused: 'Refused. The reason is kept in the register.',
  };

  pages.get('/agreements/:id/accessions', READ, async (req, res) => {
    const done = typeof req.query.done === 'string' ? DONE[req.query.done] : undefined;
    await registerPage(res, idOf(req), done ? { type: 'success', title: 'Done', text: done } : undefined);
  });

  pages.get('/agreements/:id/accession-register.csv', READ, async (req, res) => {
    const id = idOf(req);
    const rows = await g.accessions.register(id);
    res.status(200).attachment(`${id}-accession-register.csv`).type('text/csv; charset=utf-8').send(registerCsv(rows));
  });

  pages.post('/agreements/:id/accessions/:accessionId/approve', OFFICER, async (req, res) => {
    const id = idOf(req);
    try {
      await g.accessions.approve(personOf(res)!, id, accessionIdOf(req));
    } catch (err) {
      if (err instanceof GatewayError && (err.status === 409 || err.status === 403)) {
        return registerPage(res, id, { type: undefined, title: 'Important', text: err.message }, undefined, err.status);
      }
      throw err;
    }
    res.redirect(303, `/agreements/${id}/accessions?done=approved`);
  });

  pages.get('/agreements/:id/accessions/:accessionId/refuse', OFFICER, async (req, res) => {
    await registerPage(res, idOf(req), undefined, { accessionId: accessionIdOf(req), values: {} });
  });

  pages.post('/agreements/:id/accessions/:accessionId/refuse', OFFICER, async (req, res) => {
    const id = idOf(req);
    const accessionId = accessionIdOf(req);
    const body = asBody(req.body);
    const reason = text(body, 'reason', 2100);
    const errors = new FormErrors();
    if (!reason) {
      errors.add('reason', 'Give the reason for refusing');
      return registerPage(res, id, undefined, { accessionId, values: body, errors }, 400);
    }
    try {
      await g.accessions.refuse(personOf(res)!, id, accessionId, reason);
    } catch (err) {
      if (err instanceof ValidationFailed || (err instanceof GatewayError && (err.status === 409 || err.status === 403))) {
        errors.add('reason', err.message);
        return registerPage(res, id, undefined, { accessionId, values: body, errors }, (err as GatewayError).status);
      }
      throw err;
    }
    res.redirect(303, `/agreements/${id}/accessions?done=refused`);
  });
}
