import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { type GatewayError, NotFound, ValidationFailed } from '../errors.js';
import { agencyStanding, certificateValidAt, daysToExpiry, EXPIRY_WARNING_DAYS, standingTag } from '../identity/agency-standing.js';
import { DELIVERY_MODES, REVOCATION_REASONS, type Agency, type CertificateRecord, type DeliveryMode, type RevocationReason } from '../identity/agency-types.js';
import {
  AgencyExists, AgencyIsDisabled, AgencyNotDisabled, CaKeyNotHere, CertificateAlreadyRevoked, CsrAgencyMismatch, CsrInvalid,
} from '../identity/errors.js';
import { personOf } from '../identity/people-auth.js';
import { AGENCY_TYPES as TYPE_CODES, type AgencyType } from '../identity/principal.js';
import { readAdapterHealth } from '../exchange/agency-health.js';
import { partiesInForce } from '../policy/accession/parties.js';
import { asBody, FormErrors, text, type FormBody } from './forms/form-values.js';
import { AGENCY_TYPES } from './labels.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';

/**
 * Agency onboarding for administrators: the agency list with each agency's true standing (no
 * valid certificate, expiring, disabled), registering an agency, issuing its certificate from a
 * CSR (only where this process holds the CA key; otherwise the page says how), revoking a
 * certificate with a reason, disabling and enabling. The registry checks and audits every change.
 */

export interface AgencyPagesDeps {
  g: Pick<Gateway, 'registry' | 'agreements' | 'pool'>;
  render: PageRenderer;
  now: () => Date;
}

const ADMIN = ['admin'] as const;
const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const SERIAL = /^[0-9a-f]{32}$/;

export const REVOCATION_LABELS: Record<RevocationReason, string> = {
  keyCompromise: 'The private key may be known to someone else (key compromise)',
  superseded: 'Replaced by a new certificate (superseded)',
  affiliationChanged: 'The agency changed (affiliation changed)',
  cessationOfOperation: 'The agency or system stopped operating (cessation of operation)',
  privilegeWithdrawn: 'The agency may no longer take part (privilege withdrawn)',
  unspecified: 'Another reason (unspecified)',
};

function agencyIdOf(req: Request): string {
  const id = String(req.params.agencyId ?? '');
  if (!SLUG.test(id)) throw new NotFound('No such agency');
  return id;
}

function certView(c: CertificateRecord, now: Date) {
  const valid = certificateValidAt(c, now);
  const days = daysToExpiry(c, now);
  const status = c.revokedAt ? { text: 'Revoked', classes: 'govuk-tag--red' }
    : c.notAfter.getTime() <= now.getTime() ? { text: 'Expired', classes: 'govuk-tag--grey' }
      : c.notBefore.getTime() > now.getTime() ? { text: 'Not yet valid', classes: 'govuk-tag--grey' }
        : days <= EXPIRY_WARNING_DAYS ? { text: `Expires in ${days} day${days === 1 ? '' : 's'}`, classes: 'govuk-tag--orange' }
          : { text: 'Valid', classes: 'govuk-tag--green' };
  return {
    ...c,
    valid,
    status,
    fingerprintColons: c.fingerprint256.match(/../g)!.join(':').toUpperCase(),
    revocationText: c.revocationReason ? REVOCATION_LABELS[c.revocationReason] ?? c.revocationReason : undefined,
  };
}

export function agencyPages(pages: PageRouter, deps: AgencyPagesDeps): void {
  const { g, render } = deps;

  async function findAgency(id: string): Promise<Agency> {
    const a = await g.registry.getAgency(id);
    if (!a) throw new NotFound('No such agency');
    return a;
  }

  pages.get('/agencies', ADMIN, async (_req, res) => {
    const now = deps.now();
    const [agencies, certs, parties] = await Promise.all([g.registry.listAgencies(), g.registry.listCertificates(), partiesInForce(g.agreements, now)]);
    const rows = agencies.map((a) => {
      const standing = agencyStanding(a, certs, now);
      return { ...a, typeName: AGENCY_TYPES[a.type] ?? a.type, standing, tag: standingTag(standing), partyTo: parties.get(a.id) ?? [] };
    });
    render.page(res, 'agencies.njk', {
      title: 'Agencies',
      rows,
      expiring: rows.filter((r) => r.standing.kind === 'expiring'),
      warnDays: EXPIRY_WARNING_DAYS,
      flash: flashFor(_req),
    });
  });

  function registerForm(res: Response, values: FormBody, errors?: FormErrors, status = 200) {
    render.page(res, 'agencies/new.njk', {
      title: 'Register an agency',
      values,
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
      types: TYPE_CODES.map((t) => ({ value: t, text: AGENCY_TYPES[t] ?? t, selected: values.type === t })),
    }, status);
  }

  pages.get('/agencies/new', ADMIN, (_req, res) => registerForm(res, { deliveryMode: 'pull' }));

  pages.post('/agencies/new', ADMIN, async (req, res) => {
    const body = asBody(req.body);
    const errors = new FormErrors();
    const id = text(body, 'id', 100).toLowerCase();
    const name = text(body, 'name', 300);
    const type = text(body, 'type', 60);
    const deliveryMode = text(body, 'deliveryMode', 10);
    const pushUrl = text(body, 'pushUrl', 2100);
    const maracArea = text(body, 'maracArea', 200);
    if (!id) errors.add('id', 'Enter the agency id');
    if (!name) errors.add('name', 'Enter the agency name');
    if (!TYPE_CODES.includes(type as AgencyType)) errors.add('type', 'Select the type of agency');
    if (!DELIVERY_MODES.includes(deliveryMode as DeliveryMode)) errors.add('deliveryMode', 'Select how the agency receives requests');
    if (deliveryMode === 'push' && !pushUrl) errors.add('pushUrl', 'Enter the https address the gateway delivers to');
    if (deliveryMode === 'pull' && pushUrl) errors.add('pushUrl', 'Leave the address empty: an agency that collects its requests has none');
    if (errors.any) return registerForm(res, body, errors, 400);
    try {
      await g.registry.registerAgency(personOf(res)!, {
        id, name, type: type as AgencyType, deliveryMode: deliveryMode as DeliveryMode,
        ...(deliveryMode === 'push' ? { pushUrl } : {}), ...(maracArea ? { maracArea } : {}),
      });
    } catch (err) {
      if (err instanceof AgencyExists) errors.add('id', 'An agency with this id is already registered');
      else if (err instanceof ValidationFailed) {
        for (const p of err.problems ?? []) errors.add(p.path === 'maracArea' ? 'maracArea' : p.path, fieldMessage(p.path, p.message));
      } else throw err;
      return registerForm(res, body, errors, err instanceof AgencyExists ? 409 : 400);
    }
    res.redirect(303, `/agencies/${id}?done=registered`);
  });

  async function agencyPage(res: Response, id: string, extra: { values?: FormBody; errors?: FormErrors; flash?: unknown } = {}, status = 200) {
    const now = deps.now();
    const agency = await findAgency(id);
    const [certs, parties, health] = await Promise.all([g.registry.listCertificates(id), partiesInForce(g.agreements, now), readAdapterHealth(g.pool, now, id)]);
    const standing = agencyStanding(agency, certs, now);
    render.page(res, 'agencies/agency.njk', {
      title: agency.name,
      agency: { ...agency, typeName: AGENCY_TYPES[agency.type] ?? agency.type },
      tag: standingTag(standing),
      standing,
      certs: certs.map((c) => certView(c, now)).reverse(),
      partyTo: parties.get(agency.id) ?? [],
      adapter: health[0] ?? null,
      canIssue: g.registry.canIssue,
      warnDays: EXPIRY_WARNING_DAYS,
      values: extra.values ?? {},
      errors: extra.errors?.byField() ?? {},
      errorList: extra.errors?.summary() ?? [],
      flash: extra.flash,
    }, status);
  }

  pages.get('/agencies/:agencyId', ADMIN, async (req, res) => {
    await agencyPage(res, agencyIdOf(req), { flash: flashFor(req) });
  });

  pages.post('/agencies/:agencyId/certificates', ADMIN, async (req, res) => {
    const id = agencyIdOf(req);
    const body = asBody(req.body);
    const csr = text(body, 'csr', 20_000);
    const errors = new FormErrors();
    if (!g.registry.canIssue) {
      errors.add('csr', 'This gateway does not hold the CA key: issue the certificate with npm run pki -- issue where the key is kept');
      return agencyPage(res, id, { values: body, errors }, 409);
    }
    if (!csr) {
      errors.add('csr', 'Paste the certificate signing request (PEM) the agency sent you');
      return agencyPage(res, id, { values: body, errors }, 400);
    }
    try {
      const issued = await g.registry.issueCertificate(personOf(res)!, id, csr);
      const agency = await findAgency(id);
      render.page(res, 'agencies/issued.njk', {
        title: 'Certificate issued', agency, issued: { ...issued, fingerprintColons: issued.fingerprint256.match(/../g)!.join(':').toUpperCase() },
      }, 201);
    } catch (err) {
      if (err instanceof CsrInvalid) errors.add('csr', 'The file is not a valid certificate signing request (PEM, RSA 2048 or more, signed with its key)');
      else if (err instanceof CsrAgencyMismatch) errors.add('csr', `This request was made for another agency: ask ${id} for a request made with its own id`);
      else if (err instanceof AgencyIsDisabled) errors.add('csr', 'The agency is disabled: enable it before issuing a certificate');
      else if (err instanceof CaKeyNotHere) errors.add('csr', 'This gateway does not hold the CA key: issue with npm run pki -- issue where the key is kept');
      else throw err;
      return agencyPage(res, id, { values: body, errors }, (err as GatewayError).status);
    }
  });

  function serialOf(req: Request): string {
    const s = String(req.params.serial ?? '');
    if (!SERIAL.test(s)) throw new NotFound('No such certificate');
    return s;
  }

  async function revokePage(res: Response, id: string, serial: string, values: FormBody, errors?: FormErrors, status = 200) {
    const agency = await findAgency(id);
    const cert = (await g.registry.listCertificates(id)).find((c) => c.serialHex === serial);
    if (!cert) throw new NotFound('No such certificate');
    render.page(res, 'agencies/revoke.njk', {
      title: 'Revoke a certificate',
      agency,
      cert: certView(cert, deps.now()),
      values,
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
      reasons: REVOCATION_REASONS.map((r) => ({ value: r, text: REVOCATION_LABELS[r], checked: values.reason === r })),
    }, status);
  }

  pages.get('/agencies/:agencyId/certificates/:serial/revoke', ADMIN, async (req, res) => {
    await revokePage(res, agencyIdOf(req), serialOf(req), {});
  });

  pages.post('/agencies/:agencyId/certificates/:serial/revoke', ADMIN, async (req, res) => {
    const id = agencyIdOf(req);
    const serial = serialOf(req);
    const body = asBody(req.body);
    const reason = text(body, 'reason', 40);
    const errors = new FormErrors();
    if (!REVOCATION_REASONS.includes(reason as RevocationReason)) {
      errors.add('reason', 'Select why the certificate is revoked');
      return revokePage(res, id, serial, body, errors, 400);
    }
    const cert = (await g.registry.listCertificates(id)).find((c) => c.serialHex === serial);
    if (!cert) throw new NotFound('No such certificate');
    try {
      await g.registry.revoke(personOf(res)!, serial, reason as RevocationReason);
    } catch (err) {
      if (!(err instanceof CertificateAlreadyRevoked)) throw err;
      errors.add('reason', 'This certificate is already revoked');
      return revokePage(res, id, serial, body, errors, 409);
    }
    res.redirect(303, `/agencies/${id}?done=revoked`);
  });

  pages.post('/agencies/:agencyId/disable', ADMIN, async (req, res) => {
    const id = agencyIdOf(req);
    try {
      await g.registry.disableAgency(personOf(res)!, id);
    } catch (err) {
      if (!(err instanceof AgencyIsDisabled)) throw err;
    }
    res.redirect(303, `/agencies/${id}?done=disabled`);
  });

  pages.post('/agencies/:agencyId/enable', ADMIN, async (req, res) => {
    const id = agencyIdOf(req);
    try {
      await g.registry.enableAgency(personOf(res)!, id);
    } catch (err) {
      if (!(err instanceof AgencyNotDisabled)) throw err;
    }
    res.redirect(303, `/agencies/${id}?done=enabled`);
  });
}

const DONE: Record<string, string> = {
  registered: 'Agency registered. Issue its certificate from the request (CSR) the agency sends you.',
  revoked: 'Certificate revoked. It is refused from the agency\u2019s next request.',
  disabled: 'Agency disabled. None of its certificates authenticate until it is enabled again.',
  enabled: 'Agency enabled. Its valid certificates authenticate again.',
};

function flashFor(req: Request) {
  const done = typeof req.query.done === 'string' ? DONE[req.query.done] : undefined;
  return done ? { type: 'success', title: 'Done', text: done } : undefined;
}

function fieldMessage(path: string, message: string): string {
  switch (path) {
    case 'id': return 'The id must be lower-case letters, digits and hyphens (2 to 63), and not the gateway\u2019s own';
    case 'pushUrl': return 'Enter an https address without a user name, password or # part';
    case 'maracArea': return 'Enter a short area name (letters, digits, spaces and . , \' ( ) -)';
    default: return message;
  }
}
