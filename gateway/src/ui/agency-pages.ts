import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import {
  DISCLOSURE_ACTIONS, disclosurePage, disclosureSummary, disclosuresTo, RELEASE_ACTIONS, releasedSomething, reportCsv, type DisclosureRange,
} from '../audit/disclosures.js';
import { AuditCursorInvalid, AuditQueryInvalid } from '../audit/errors.js';
import { exportEvents } from '../audit/export.js';
import { withTx } from '../store/db.js';
import { type GatewayError, NotFound, ValidationFailed } from '../errors.js';
import { agencyStanding, certificateValidAt, daysToExpiry, EXPIRY_WARNING_DAYS, standingTag } from '../identity/agency-standing.js';
import { DELIVERY_MODES, REVOCATION_REASONS, type Agency, type CertificateRecord, type DeliveryMode, type RevocationReason } from '../identity/agency-types.js';
import {
  AgencyExists, AgencyIsDisabled, AgencyNotDisabled, CaKeyNotHere, CertificateAlreadyRevoked, CsrAgencyMismatch, CsrInvalid,
} from '../identity/errors.js';
import { personOf } from '../identity/people-auth.js';
import { actorId } from '../policy/lifecycle/actor.js';
import { AGENCY_TYPES as TYPE_CODES, type AgencyType } from '../identity/principal.js';
import { readAdapterHealth } from '../exchange/agency-health.js';
import { partiesInForce } from '../policy/accession/parties.js';
import { asBody, dateInput, FormErrors, text, type FormBody } from './forms/form-values.js';
import { AGENCY_TYPES, describeCode } from './labels.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';
import { streamDownload } from './stream-download.js';

/**
 * Agency onboarding for administrators: the agency list with each agency's true standing (no
 * valid certificate, expiring, disabled), registering an agency, issuing its certificate from a
 * CSR (only where this process holds the CA key; otherwise the page says how), revoking a
 * certificate with a reason, disabling and enabling. The registry checks and audits every change.
 */

export interface AgencyPagesDeps {
  g: Pick<Gateway, 'registry' | 'agreements' | 'pool' | 'audit' | 'checkpointer'>;
  render: PageRenderer;
  now: () => Date;
}

const ADMIN = ['admin'] as const;
/** Who reads what an agency received: IG officers (a partner's breach) and auditors. Not the admin. */
const DISCLOSURE_READERS = ['ig_officer', 'auditor'] as const;
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
    const [certs, parties, health, sharing] = await Promise.all([
      g.registry.listCertificates(id), partiesInForce(g.agreements, now), readAdapterHealth(g.pool, now, id), sharingOf(id, ''),
    ]);
    const standing = agencyStanding(agency, certs, now);
    render.page(res, 'agencies/agency.njk', {
      title: agency.name,
      agency: { ...agency, typeName: AGENCY_TYPES[agency.type] ?? agency.type },
      tag: standingTag(standing),
      standing,
      certs: certs.map((c) => certView(c, now)).reverse(),
      partyTo: parties.get(agency.id) ?? [],
      // An IG officer's removal (after a breach) is said as such, not as "not yet a party".
      removedFrom: sharing.filter((a) => a.removal).map((a) => a.id),
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

  // --- What an agency received (the disclosure log) and the breach response -----------------

  /** The date range of the filter form: "to" is inclusive for people (up to the end of that day). */
  function readRange(body: FormBody, errors: FormErrors): { range: DisclosureRange; carry: Record<string, string> } {
    const range: DisclosureRange = {};
    const carry: Record<string, string> = {};
    for (const k of ['from', 'to'] as const) {
      const d = dateInput(body, k);
      if (d.kind === 'invalid') errors.add(`${k}-day`, `${k === 'from' ? 'From' : 'To'} date ${d.message}`);
      if (d.kind !== 'date') continue;
      const [y, m, day] = d.iso.split('-');
      Object.assign(carry, { [`${k}-day`]: String(Number(day)), [`${k}-month`]: String(Number(m)), [`${k}-year`]: y! });
      if (k === 'from') range.from = d.iso;
      else {
        const next = new Date(`${d.iso}T00:00:00Z`);
        next.setUTCDate(next.getUTCDate() + 1);
        range.to = next.toISOString().slice(0, 10);
      }
    }
    if (range.from && range.to && range.from >= range.to) errors.add('to-day', 'To date must be the same as or after the from date');
    return { range, carry };
  }

  /** The agreements in force that name the agency, and whether it has been removed from each. */
  async function sharingOf(agencyId: string, who: string) {
    const { inForce, removed } = await g.agreements.releaseState();
    const rows = [];
    for (const c of inForce) {
      if (!c.doc.parties.some((p) => p.agency === agencyId)) continue;
      const removal = removed.get(c.id)?.has(agencyId)
        ? (await g.agreements.getAgreement(c.id)).removedParties?.find((r) => r.agencyId === agencyId)
        : undefined;
      rows.push({
        id: c.id, title: c.title, version: c.version, status: c.status,
        removal, mayRestore: removal ? removal.removedBy !== who : false,
      });
    }
    return rows.sort((a, b) => a.id.localeCompare(b.id));
  }

  async function disclosuresPage(req: Request, res: Response, body: FormBody, status = 200, flash?: unknown, formatError?: string) {
    const id = agencyIdOf(req);
    const me = personOf(res)!;
    mayReadDisclosures(me, id);
    const agency = await findAgency(id);
    // The breach controls are the gateway's own IG officers'; an agency's IG lead reads only.
    const isOfficer = me.roles.includes('ig_officer') && !me.agencyId;
    const errors = new FormErrors();
    if (formatError) errors.add('format', formatError);
    const { range, carry } = readRange(body, errors);
    const cursor = text(body, 'cursor', 300) || null;
    // What it received by default; refused attempts and reads that released nothing on request.
    const showAll = text(body, 'show', 10) === 'all';
    if (showAll) carry.show = 'all';
    const now = deps.now();
    const [certs, sharing] = await Promise.all([g.registry.listCertificates(id), sharingOf(id, actorId(me))]);
    let page: Awaited<ReturnType<typeof disclosurePage>> | undefined;
    let summary: Awaited<ReturnType<typeof disclosureSummary>> | undefined;
    let code = errors.any ? 400 : status;
    if (!errors.any) {
      await g.audit.flush(g.pool);
      try {
        // The read and its audit event in one transaction: no disclosure log is shown unrecorded.
        await withTx(g.pool, async (tx) => {
          [page, summary] = [await disclosurePage(tx, id, range, cursor, 25, showAll ? undefined : releasedSomething), await disclosureSummary(tx, id, range)];
          await g.audit.append(tx, {
            action: 'AUDIT_QUERIED', actor: me, agencyIds: [id],
            detail: { view: 'disclosures', ranged: !!(range.from || range.to), all: showAll, page: cursor ? 'next' : 'first', results: page.rows.length },
          });
        });
      } catch (err) {
        if (!(err instanceof AuditCursorInvalid || err instanceof AuditQueryInvalid)) throw err;
        errors.add('from-day', err instanceof AuditCursorInvalid ? 'That page of results no longer matches the dates: search again' : err.message);
        code = 400;
      }
    }
    const valid = certs.filter((c) => certificateValidAt(c, now));
    render.page(res, 'agencies/disclosures.njk', {
      title: `What ${agency.name} received`,
      navPath: isOfficer ? '/agreements' : '/audit',
      agency: { ...agency, typeName: AGENCY_TYPES[agency.type] ?? agency.type },
      isOfficer,
      sharing,
      certificates: { valid: valid.length, revoked: certs.filter((c) => c.revokedAt).length, total: certs.length },
      disabled: !!agency.disabledAt,
      values: body,
      carry,
      ranged: !!(range.from || range.to),
      showAll,
      rangeQuery: new URLSearchParams(Object.entries(carry).filter(([k]) => k !== 'show')).toString(),
      errors: errors.byField(),
      errorList: errors.summary(),
      page: page && {
        ...page,
        rows: page.rows.map((r) => ({
          ...r, reasonText: r.reason ? describeCode(r.reason) : '', actionText: ACTION_TEXT[r.action] ?? r.action, releasedSomething: releasedSomething(r),
        })),
      },
      summary: summary && { ...summary, refusals: summary.refusals.map((x) => ({ ...x, text: describeCode(x.reason) })) },
      releaseActions: RELEASE_ACTIONS,
      disclosureActions: DISCLOSURE_ACTIONS,
      flash,
    }, code);
  }

  pages.get('/agencies/:agencyId/disclosures', DISCLOSURE_READERS, async (req, res) => {
    const done = typeof req.query.done === 'string' ? BREACH_DONE[req.query.done] : undefined;
    await disclosuresPage(req, res, asBody(req.query), 200, done ? { type: 'success', title: 'Done', text: done } : undefined);
  });

  // The next page posts its cursor (an opaque position), like the audit search.
  pages.post('/agencies/:agencyId/disclosures', DISCLOSURE_READERS, async (req, res) => {
    await disclosuresPage(req, res, asBody(req.body));
  });

  pages.post('/agencies/:agencyId/disclosures/export', DISCLOSURE_READERS, async (req, res) => {
    const id = agencyIdOf(req);
    mayReadDisclosures(personOf(res)!, id);
    await findAgency(id);
    const body = asBody(req.body);
    const format = text(body, 'format', 10);
    const errors = new FormErrors();
    const { range } = readRange(body, errors);
    const formatError = format !== 'csv' && format !== 'ndjson' ? 'Choose the readable report (CSV) or the file to verify (NDJSON)' : undefined;
    if (errors.any || formatError) return disclosuresPage(req, res, body, 400, undefined, formatError);
    const filters = { agency: id, action: [...DISCLOSURE_ACTIONS], ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) };
    await g.audit.flush(g.pool);
    await withTx(g.pool, (tx) => g.audit.append(tx, {
      action: 'AUDIT_EXPORTED', actor: personOf(res)!, agencyIds: [id],
      detail: { view: 'disclosures', format, ranged: !!(range.from || range.to) },
    }));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.attachment(`disclosures-${id}-${stamp}.${format}`);
    res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    const chunks = format === 'csv'
      ? reportCsv(disclosuresTo(g.pool, id, range))
      : exportEvents(g.pool, filters, 'ndjson', { origin: 'marac-gateway', checkpointer: g.checkpointer });
    await streamDownload(res, chunks);
  });
}

/**
 * An IG officer of a partner agency (an agency's IG lead, who signs accessions) reads only its own
 * agency's disclosure log; another agency's is a 404, as if it did not exist. The gateway's own
 * IG officers and auditors (no agency) read any.
 */
function mayReadDisclosures(me: { roles: readonly string[]; agencyId?: string }, agencyId: string): void {
  if (me.agencyId && !me.roles.includes('auditor') && me.agencyId !== agencyId) throw new NotFound('No such agency');
}

/** What each release action means, in the disclosure log's words. */
const ACTION_TEXT: Record<string, string> = {
  DELIVERED: 'Research request delivered',
  VIEW_READ: 'Read on screen or through the API',
  PACK_EXPORTED: 'Research pack exported',
  DOCUMENT_PRODUCED: 'Document produced for it',
  CIRCULATED: 'Circulated before a meeting',
  ACCESS_DENIED: 'Read refused',
  DELIVERY_FAILED: 'Delivery refused',
  REQUEST_REFUSED: 'Research request refused',
};

const BREACH_DONE: Record<string, string> = {
  removed: 'Party removed. Nothing more is released to or from it under that agreement until another IG officer restores it or a new version is activated.',
  restored: 'Party restored. Sharing under that agreement resumes from the next message.',
};

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
