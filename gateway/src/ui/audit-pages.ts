import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { disclosureRow, recipientOf, reportCsv, reportRows, sendersOf } from '../audit/disclosures.js';
import { exportEvents } from '../audit/export.js';
import { AuditCursorInvalid, AuditQueryInvalid, SubjectIdentifierInvalid } from '../audit/errors.js';
import { AUDIT_ACTIONS, encodeCursor, normaliseFilters, queryEvents, type AuditFilters } from '../audit/query.js';
import type { AuditAction, AuditEvent } from '../audit/types.js';
import { verifyExport } from '../audit/verify.js';
import { NotFound } from '../errors.js';
import { personOf } from '../identity/people-auth.js';
import { withTx } from '../store/db.js';
import { asBody, checked, dateInput, FormErrors, text, type FormBody } from './forms/form-values.js';
import { describeCode } from './labels.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';
import { streamDownload } from './stream-download.js';

/**
 * Auditor pages: search the audit log (every filter of the audit API, including a subject
 * identifier, which is turned into its keyed token here and never stored or put in a URL), page
 * through results, read one event, export NDJSON or CSV, see the latest signed checkpoint and
 * verify the whole log now with the same pure verifier the offline CLI uses.
 *
 * Searches post the form (identifiers must not sit in URLs or browser history); each search,
 * detail view, export and verification is itself written to the audit log.
 */

export interface AuditPagesDeps {
  g: Pick<Gateway, 'pool' | 'audit' | 'checkpointer' | 'registry' | 'witness'>;
  render: PageRenderer;
}

const AUDITOR = ['auditor'] as const;
const PAGE_SIZE = 25;
/** ndjson: to verify (with proofs); csv: the events as stored; report: one readable row per event. */
const EXPORT_FORMATS = ['ndjson', 'csv', 'report'];
const DECISIONS = ['PERMIT', 'PERMIT_WITH_TRANSFORMS', 'DENY', 'NONE'];
const SUBJECT_SYSTEMS = [
  { value: 'nhs-number', text: 'NHS number' },
  { value: 'pnc-id', text: 'PNC ID' },
  { value: 'name-dob', text: 'Name and date of birth' },
];

interface Search {
  filters: AuditFilters;
  /** What to send back in the "next page" form: the token, never the identifier typed. */
  carry: Record<string, string | string[]>;
  described: string[];
  /** The identifier system the search used (name-dob when only a name and date of birth were given). */
  system?: string;
}

function readSearch(body: FormBody, tokenFor: (system: string, value: string) => string, errors: FormErrors): Search {
  const filters: AuditFilters = {};
  const carry: Record<string, string | string[]> = {};
  const described: string[] = [];
  const from = dateInput(body, 'from');
  if (from.kind === 'invalid') errors.add('from-day', `From date ${from.message}`);
  else if (from.kind === 'date') {
    filters.from = from.iso;
    described.push(`from ${from.iso}`);
  }
  const to = dateInput(body, 'to');
  if (to.kind === 'invalid') errors.add('to-day', `To date ${to.message}`);
  else if (to.kind === 'date') {
    // "To" is inclusive for people: up to the end of that day.
    const next = new Date(`${to.iso}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    filters.to = next.toISOString().slice(0, 10);
    described.push(`to ${to.iso}`);
  }
  for (const [k, v] of Object.entries({ from: from.kind === 'date' ? from.iso : '', to: to.kind === 'date' ? to.iso : '' })) {
    if (!v) continue;
    const [y, m, d] = v.split('-');
    Object.assign(carry, { [`${k}-day`]: String(Number(d)), [`${k}-month`]: String(Number(m)), [`${k}-year`]: y });
  }
  const simple: [keyof AuditFilters, string, RegExp, string][] = [
    ['actor', 'actor', /^[^\s]{1,255}$/, 'Actor must be a user, agency or component id without spaces'],
    ['agency', 'agency', /^[a-z0-9][a-z0-9-]{1,62}$/, 'Select an agency'],
    ['caseId', 'caseId', /^[A-Za-z0-9_.:-]{1,128}$/, 'Case must be a case id like case_…'],
    ['requestId', 'requestId', /^[A-Za-z0-9_.:-]{1,128}$/, 'Request must be a request id like req_…'],
    ['reason', 'reason', /^[A-Z][A-Z0-9_]{0,79}$/, 'Reason must be a code in capitals, like NO_ART9_CONDITION'],
  ];
  for (const [key, field, re, message] of simple) {
    const v = text(body, field, 300);
    if (!v) continue;
    if (!re.test(v)) errors.add(field, message);
    else {
      (filters as Record<string, string>)[key] = v;
      carry[field] = v;
      described.push(`${field} ${v}`);
    }
  }
  const decision = text(body, 'decision', 40);
  if (decision) {
    if (!DECISIONS.includes(decision)) errors.add('decision', 'Select a decision');
    else {
      filters.decision = decision as AuditFilters['decision'];
      carry.decision = decision;
      described.push(`decision ${decision}`);
    }
  }
  const actions = checked(body, 'action', AUDIT_ACTIONS);
  if (actions.length) {
    filters.action = actions as AuditAction[];
    carry.action = actions;
    described.push(`action ${actions.join(' or ')}`);
  }
  // A subject: either a token carried from the previous page, or an identifier typed now.
  const carried = text(body, 'subjectToken', 80);
  let system = text(body, 'subjectSystem', 20);
  let value = text(body, 'subjectValue', 300);
  // Only the name and date of birth filled in: that is the search meant, whichever radio is on.
  const nameGiven = ['subjectGiven', 'subjectFamily', 'subjectDob-day', 'subjectDob-month', 'subjectDob-year'].some((f) => text(body, f, 100));
  if (!value && nameGiven) system = 'name-dob';
  if (system === 'name-dob') {
    const dob = dateInput(body, 'subjectDob');
    if (dob.kind === 'invalid') errors.add('subjectDob-day', `Date of birth ${dob.message}`);
    const given = text(body, 'subjectGiven', 100);
    const family = text(body, 'subjectFamily', 100);
    value = given || family || dob.kind !== 'empty' ? `${given}|${family}|${dob.kind === 'date' ? dob.iso : ''}` : '';
    if (value && (!family || dob.kind === 'empty')) {
      if (!family) errors.add('subjectFamily', 'Enter the family name');
      if (dob.kind === 'empty') errors.add('subjectDob-day', 'Enter the date of birth');
      value = '';
    }
    if (dob.kind === 'invalid') value = '';
  }
  if (value) {
    try {
      filters.subjectToken = tokenFor(system, value);
      carry.subjectToken = filters.subjectToken;
      described.push('the subject you entered');
    } catch (err) {
      if (!(err instanceof SubjectIdentifierInvalid)) throw err;
      errors.add(system === 'name-dob' ? 'subjectGiven' : 'subjectValue', err.message);
    }
  } else if (/^tok_[0-9a-f]{32}$/.test(carried)) {
    filters.subjectToken = carried;
    carry.subjectToken = carried;
    described.push('the subject you entered');
  }
  return { filters, carry, described, ...(system ? { system } : {}) };
}

function eventRow(e: AuditEvent, senders: ReadonlyMap<string, string> = new Map()) {
  const actor = e.actor.kind === 'person' ? e.actor.userId : e.actor.kind === 'agency' ? e.actor.agencyId : e.actor.component;
  const recipient = recipientOf(e, senders);
  const d = disclosureRow(e, recipient);
  return {
    recipient,
    actorAgency: d.actorAgency,
    view: d.view,
    rules: d.rules,
    counts: { released: d.released.length, transformed: d.transformed.length, withheld: d.withheld.length },
    seq: e.seq,
    ts: e.ts,
    action: e.action,
    actor,
    actorKind: e.actor.kind,
    decision: e.decision,
    reason: e.reasonCode,
    caseId: e.caseId,
    agreement: e.agreementId ? `${e.agreementId}${e.agreementVersion ? ` v${e.agreementVersion}` : ''}` : undefined,
  };
}

export function auditPages(pages: PageRouter, deps: AuditPagesDeps): void {
  const { g, render } = deps;
  const tokenFor = (system: string, value: string): string => {
    if (!g.audit.tokens) throw new SubjectIdentifierInvalid('Subject search is not configured (no subject key)', { reason: 'SUBJECT_KEY_MISSING' });
    return g.audit.tokens.tokenForQuery(system, value);
  };

  async function recordQuery(res: Response, kind: string, search?: Search, extra: Record<string, string | number | boolean> = {}) {
    await withTx(g.pool, (tx) =>
      g.audit.append(tx, {
        action: kind === 'export' ? 'AUDIT_EXPORTED' : 'AUDIT_QUERIED',
        actor: personOf(res)!,
        ...(search?.filters.subjectToken ? { subjectTokens: [search.filters.subjectToken] } : {}),
        ...(search?.filters.caseId ? { caseId: search.filters.caseId } : {}),
        detail: { view: kind, filters: search ? Object.keys(search.filters).sort().join(',') : '', ...extra },
      }),
    );
  }

  async function searchPage(res: Response, values: FormBody, search: Search | undefined, errors: FormErrors, cursor?: string, statusIn = 200) {
    let status = statusIn;
    const agencies = (await g.registry.listAgencies()).map((a) => ({ value: a.id, text: a.name }));
    let page: { rows: ReturnType<typeof eventRow>[]; nextCursor: string | null } | undefined;
    if (search && !errors.any) {
      try {
        const r = await queryEvents(g.pool, search.filters, cursor ?? null, PAGE_SIZE, 'desc');
        const senders = await sendersOf(g.pool, r.events);
        page = { rows: r.events.map((e) => eventRow(e, senders)), nextCursor: r.nextCursor };
        await recordQuery(res, 'search', search, { page: cursor ? 'next' : 'first', results: r.events.length });
      } catch (err) {
        if (!(err instanceof AuditQueryInvalid || err instanceof AuditCursorInvalid)) throw err;
        errors.add('from-day', `${err.message} (${err.reason ?? err.code})`);
        status = 400;
      }
    }
    const selectedActions = Array.isArray(values.action) ? values.action : values.action ? [values.action] : [];
    render.page(res, 'audit/search.njk', {
      title: 'Search the audit log',
      values,
      errors: errors.byField(),
      errorList: errors.summary(),
      page,
      described: search?.described ?? [],
      bySubject: !!search?.filters.subjectToken,
      carry: search?.carry ?? {},
      options: {
        agencies: [{ value: '', text: 'Any agency' }, ...agencies],
        decisions: [{ value: '', text: 'Any decision' }, ...DECISIONS.map((d) => ({ value: d, text: d }))],
        actions: AUDIT_ACTIONS.map((a) => ({ value: a, text: a, checked: selectedActions.includes(a) })),
        systems: SUBJECT_SYSTEMS.map((s) => ({ ...s, checked: (search?.system ?? values.subjectSystem ?? 'nhs-number') === s.value })),
      },
    }, status);
  }

  pages.get('/audit', AUDITOR, async (_req, res) => {
    await searchPage(res, { subjectSystem: 'nhs-number' }, { filters: {}, carry: {}, described: [] }, new FormErrors());
  });

  pages.post('/audit', AUDITOR, async (req, res) => {
    const body = asBody(req.body);
    const errors = new FormErrors();
    const search = readSearch(body, tokenFor, errors);
    const cursor = text(body, 'cursor', 300) || undefined;
    // The identifier typed is shown back in its field, but never carried into the next-page form.
    await searchPage(res, body, search, errors, cursor, errors.any ? 400 : 200);
  });

  pages.post('/audit/export', AUDITOR, async (req, res) => {
    const body = asBody(req.body);
    const errors = new FormErrors();
    const search = readSearch(body, tokenFor, errors);
    const format = text(body, 'format', 10);
    if (!EXPORT_FORMATS.includes(format)) errors.add('format', 'Choose an export: NDJSON to verify, CSV as stored, or the readable report');
    if (errors.any) return searchPage(res, body, search, errors, undefined, 400);
    normaliseFilters(search.filters);
    await g.audit.flush(g.pool);
    await recordQuery(res, 'export', search, { format });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.attachment(`audit-${format === 'report' ? 'report-' : ''}${stamp}.${format === 'ndjson' ? 'ndjson' : 'csv'}`);
    res.type(format === 'ndjson' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8');
    const chunks = format === 'report'
      ? reportCsv(reportRows(g.pool, search.filters))
      : exportEvents(g.pool, search.filters, format as 'csv' | 'ndjson', { origin: 'marac-gateway', checkpointer: g.checkpointer });
    await streamDownload(res, chunks);
  });

  pages.get('/audit/events/:seq', AUDITOR, async (req: Request, res) => {
    const raw = String(req.params.seq ?? '');
    if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw new NotFound('No such event');
    const seq = Number(raw);
    // One event through the query API: the page of size 1 just below seq + 1.
    const r = await queryEvents(g.pool, {}, encodeCursor(seq + 1, normaliseFilters({}), 'desc'), 1, 'desc');
    const event = r.events[0];
    if (!event || event.seq !== seq) throw new NotFound('No such event');
    await recordQuery(res, 'event', undefined, { seq });
    render.page(res, 'audit/event.njk', { title: `Audit event ${seq}`, event, row: eventRow(event, await sendersOf(g.pool, [event])), reasonText: event.reasonCode ? describeCode(event.reasonCode) : '' });
  });

  /** What the checkpoint page shows about witnessing: the report and the latest witnessed checkpoint. */
  async function witnessView() {
    if (!g.witness.enabled) return { enabled: false };
    const [report, witnessed] = await Promise.all([g.witness.report(), g.witness.latestWitnessed()]);
    return { enabled: true, report, witnessed, keys: g.witness.endpoints.map((e) => ({ name: e.key.name, url: e.url, verifierKey: e.key.verifierKey })) };
  }

  pages.get('/audit/checkpoint', AUDITOR, async (_req, res) => {
    const latest = await g.checkpointer.latest();
    render.page(res, 'audit/checkpoint.njk', { title: 'Signed checkpoint', latest, key: g.checkpointer.publicKey(), witness: await witnessView() });
  });

  pages.get('/audit/public-key.pem', AUDITOR, (_req, res) => {
    res.attachment('marac-audit-public-key.pem').type('application/x-pem-file').send(g.checkpointer.publicKey().publicKeyPem);
  });

  pages.post('/audit/verify', AUDITOR, async (_req, res) => {
    await g.audit.flush(g.pool);
    const key = g.checkpointer.publicKey();
    const started = Date.now();
    // With witnesses configured, a witnessed checkpoint is required, fetched from the witnesses
    // themselves when they answer (the gateway's database could have been cut back with the log),
    // else the latest witnessed one the gateway holds, and the page says which.
    let trusted: { treeSize: number; rootHash: string; note: string }[] = [];
    let source: 'witness' | 'gateway' | 'none' = 'none';
    if (g.witness.enabled) {
      trusted = (await g.witness.fromWitnesses('marac-gateway')).map((w) => ({ treeSize: w.treeSize, rootHash: w.rootHash, note: w.note }));
      source = 'witness';
      if (trusted.length === 0) {
        const held = await g.witness.latestWitnessed();
        trusted = held ? [{ treeSize: held.treeSize, rootHash: held.rootHash, note: held.note }] : [];
        source = 'gateway';
      }
    }
    const result = await verifyExport(exportEvents(g.pool, {}, 'ndjson', { origin: 'marac-gateway', checkpointer: g.checkpointer }), {
      publicKeys: [key.publicKeyPem],
      origin: 'marac-gateway',
      trustedCheckpoints: trusted,
      ...(g.witness.enabled ? { witnessKeys: g.witness.endpoints.map((e) => e.key), requireWitness: true } : { requireWitness: false }),
    });
    await recordQuery(res, 'verify', undefined, {
      ok: result.ok, witnessSource: source, ...(result.ok ? { count: result.count } : { failedSeq: result.seq, reason: result.reason }),
    });
    const latest = await g.checkpointer.latest();
    render.page(res, 'audit/checkpoint.njk', {
      title: 'Signed checkpoint', navPath: '/audit/checkpoint', latest, key, witness: await witnessView(),
      verified: { ...result, ms: Date.now() - started, source },
    });
  });
}
