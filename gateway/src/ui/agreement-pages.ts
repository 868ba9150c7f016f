import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { type GatewayError, NotFound, type ProblemDetail } from '../errors.js';
import { personOf } from '../identity/people-auth.js';
import { actorId } from '../policy/lifecycle/actor.js';
import {
  AgreementIdInvalid, AgreementInvalid, AgreementNotActive, AgreementNotApproved, AgreementNotDraft, AgreementNotSuspended, AgreementUnreadable,
  ConfirmationRequired, InvalidAgreementTransition, MakerCheckerViolation, NotAParty, PartyAlreadyRemoved, PartyNotRemoved, PreviewInputInvalid,
  ReasonRequired, type VersionRecord,
} from '../policy/lifecycle/index.js';
import { PAYLOAD_KEYS, payloadKeyFor, type FieldCatalog } from '../schema/catalog.js';
import type { AgencyType } from '../identity/principal.js';
import {
  applyDetails, applyFlow, ARTICLE6, detailsValues, flowValues, locateProblem, MATCH_STATUSES, OPERATOR_HINTS, OPERATOR_NAMES, SCH8,
  selectorOptions, selectorText, type Doc,
} from './forms/agreement-form.js';
import { asBody, FormErrors, text, type FormBody } from './forms/form-values.js';
import {
  AGENCY_TYPES, ART10_CONDITIONS, ART9_CONDITIONS, CONSENT_STATUSES, optionsOf, PURPOSES, RISK_CRITERIA, SUBJECT_ROLES,
} from './labels.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';
import { agreementRows, diffView, previewView, statusTag } from './view-model/agreement-view.js';

/**
 * IG officer pages over the agreement lifecycle service: the list with review warnings, a version
 * with its flows, the form editor (details, and one page per flow with its rule table), YAML
 * import, the diff between versions, the preview, and approve / activate / suspend / resume and
 * removing a party (the kill switch: a confirmation page with the reason first). The service
 * enforces maker-checker, validation and every transition, and writes the audit events.
 */

export interface AgreementPagesDeps {
  g: Pick<Gateway, 'agreements' | 'registry'>;
  catalog: Pick<FieldCatalog, 'paths' | 'get'>;
  render: PageRenderer;
  now: () => Date;
  /** Folder of sample responses (`response-*.json`) offered in the preview. */
  samplesDir?: string;
}

const OFFICER = ['ig_officer'] as const;
const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const VERSION = /^[1-9][0-9]{0,8}$/;

function idOf(req: Request): string {
  const id = String(req.params.id ?? '');
  if (!SLUG.test(id)) throw new NotFound('No such agreement');
  return id;
}

function agencyOf(req: Request): string {
  const a = String(req.params.agency ?? '');
  if (!SLUG.test(a)) throw new NotFound('No such party');
  return a;
}

function versionOf(req: Request): number {
  const v = String(req.params.v ?? '');
  if (!VERSION.test(v)) throw new NotFound('No such version');
  return Number(v);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Problems from the service as error summary links: same page → the input, other pages → that page. */
function problemLinks(problems: ProblemDetail[], doc: Doc, base: string, here: { section: 'details' | 'flow'; flowIndex?: number }) {
  const errors = new FormErrors();
  const summary: { text: string; href: string }[] = [];
  for (const p of problems) {
    const at = locateProblem(p, doc);
    const sameFlow = here.section === 'flow' && at.section === 'flow' && at.flowIndex === here.flowIndex;
    const samePage = sameFlow || (here.section === 'details' && at.section === 'details');
    const where = at.section === 'flow' ? `flow ${flowIdAt(doc, at.flowIndex!)}` : 'details';
    if (samePage) {
      errors.add(at.field, p.message);
      summary.push({ text: p.message, href: `#${at.field}` });
    } else {
      const page = at.section === 'flow' ? `${base}/flows/${at.flowIndex}` : `${base}/details`;
      summary.push({ text: `${where}: ${p.message}`, href: `${page}#${at.field}` });
    }
  }
  return { errors, summary };
}

function flowIdAt(doc: Doc, i: number): string {
  const f = Array.isArray(doc.flows) ? doc.flows[i] : undefined;
  return isObj(f) && typeof f.id === 'string' ? f.id : String(i + 1);
}

export function agreementPages(pages: PageRouter, deps: AgreementPagesDeps): void {
  const { g, render } = deps;
  const svc = g.agreements;
  const fieldPaths = deps.catalog.paths();
  const samples = listSamples(deps.samplesDir);

  async function agencyName(): Promise<(id: string) => string> {
    const names = new Map((await g.registry.listAgencies()).map((a) => [a.id, a.name]));
    return (id) => names.get(id) ?? id;
  }

  pages.get('/agreements', OFFICER, async (_req, res) => {
    const list = await svc.list();
    const docs = new Map<string, Doc>();
    for (const a of list) {
      const v = a.activeVersion ?? a.latestVersion;
      if (v > 0) docs.set(a.id, (await svc.get(a.id, v)).doc);
    }
    render.page(res, 'agreements/list.njk', { title: 'Agreements', rows: agreementRows(list, docs, deps.now()) });
  });

  pages.get('/agreements/import', OFFICER, (_req, res) => {
    render.page(res, 'agreements/import.njk', { title: 'Import an agreement', values: {}, errors: {} });
  });

  pages.post('/agreements/import', OFFICER, async (req, res) => {
    const body = asBody(req.body);
    const yaml = text(body, 'yaml', 1_000_000);
    const errors = new FormErrors();
    if (!yaml) errors.add('yaml', 'Paste the agreement in YAML or JSON');
    else {
      try {
        const saved = await svc.importFile(personOf(res)!, yaml);
        const v = saved.version;
        return res.redirect(303, `/agreements/${v.agreementId}/versions/${v.version}?done=imported`);
      } catch (err) {
        if (!(err instanceof AgreementUnreadable || err instanceof AgreementIdInvalid)) throw err;
        errors.add('yaml', err.message);
        for (const p of err.problems ?? []) errors.add('yaml', `${p.path}: ${p.message}`);
      }
    }
    render.page(res, 'agreements/import.njk', {
      title: 'Import an agreement', values: body, errors: errors.byField(), errorList: errors.summary(),
    }, 400);
  });

  pages.get('/agreements/:id', OFFICER, async (req, res) => {
    const a = await svc.getAgreement(idOf(req));
    // The parties of the version in force (else the latest), each with its disclosure log: where
    // an IG officer starts after a partner's breach.
    const shown = inForceOf(a.versions) ?? a.versions.find((x) => x.version === a.latestVersion);
    const doc = shown ? (await svc.get(a.id, shown.version)).doc : undefined;
    const removed = new Map((a.removedParties ?? []).map((r) => [r.agencyId, r]));
    const parties = (doc && Array.isArray(doc.parties) ? doc.parties : []).filter(isObj).map((p) => ({
      agency: String(p.agency), name: typeof p.name === 'string' ? p.name : String(p.agency),
      typeText: AGENCY_TYPES[p.type as string] ?? (p.role === 'coordinator' ? 'MARAC coordinator' : ''), removal: removed.get(String(p.agency)),
    }));
    render.page(res, 'agreements/agreement.njk', {
      title: a.title,
      agreement: a,
      parties,
      partiesVersion: shown?.version,
      partiesActive: !!shown?.activatedAt,
      versions: [...a.versions].sort((x, y) => y.version - x.version).map((v) => ({ ...v, tag: statusTag(v.status) })),
    });
  });

  /** A new draft: a copy of the chosen version, to change. */
  pages.post('/agreements/:id/drafts', OFFICER, async (req, res) => {
    const id = idOf(req);
    const from = text(asBody(req.body), 'from', 10);
    const source = await svc.get(id, VERSION.test(from) ? Number(from) : undefined);
    const saved = await svc.createDraft(personOf(res)!, source.doc);
    res.redirect(303, `/agreements/${id}/versions/${saved.version.version}?done=drafted`);
  });

  async function versionPage(res: Response, v: VersionRecord, extra: Record<string, unknown> = {}, status = 200) {
    const names = await agencyName();
    // Maker-checker: a button the service would refuse this person is not offered at all.
    const me = personOf(res);
    const who = me ? actorId(me) : '';
    const doc = v.doc;
    const flows = (Array.isArray(doc.flows) ? doc.flows : []).filter(isObj).map((f, i) => ({
      index: i,
      id: f.id,
      from: selectorText(f.from),
      to: selectorText(f.to),
      direction: f.direction,
      purposes: Array.isArray(f.purposes) ? f.purposes.join(', ') : 'All',
      roles: isObj(f.when) && Array.isArray(f.when.subjectRoles) ? f.when.subjectRoles.map((r) => SUBJECT_ROLES[r as string] ?? r).join(', ') : 'Everyone',
      rules: isObj(f.release) ? Object.keys(f.release).length : 0,
    }));
    const all = await svc.getAgreement(v.agreementId);
    const others = all.versions.filter((x) => x.version !== v.version).map((x) => x.version).sort((a, b) => b - a);
    const removals = new Map((all.removedParties ?? []).map((r) => [r.agencyId, r]));
    // The version activated last speaks for the agreement: its suspension stops this one too.
    const inForce = all.versions.filter((x) => x.activatedAt).sort((a, b) => b.activatedAt!.getTime() - a.activatedAt!.getTime() || b.version - a.version)[0];
    const inForceNote = inForce && inForce.version !== v.version && v.activatedAt && (inForce.status === 'suspended' || inForce.status === 'expired')
      ? `Version ${inForce.version}, the version in force, is ${inForce.status}: nothing is released under this version either.` : undefined;
    // A partner agency's IG lead (an officer with an agency claim) changes an agreement only if
    // their agency coordinates it (the service refuses otherwise): they are offered no change at all.
    const mayChange = !me?.agencyId || (Array.isArray(doc.parties) && doc.parties.some((p) => isObj(p) && p.agency === me.agencyId && p.role === 'coordinator'));
    render.page(res, 'agreements/version.njk', {
      title: `${String(doc.title ?? v.agreementId)}, version ${v.version}`,
      v: { ...v, tag: statusTag(v.status) },
      mayChange,
      mayApprove: mayChange && !v.authors.includes(who),
      mayResume: mayChange && v.suspendedBy !== who,
      doc,
      inForceNote,
      partyActions: mayChange && !!v.activatedAt,
      parties: (Array.isArray(doc.parties) ? doc.parties : []).filter(isObj).map((p) => ({
        ...p, typeText: AGENCY_TYPES[p.type as string] ?? p.type, registered: names(p.agency as string) !== p.agency,
        removal: removals.get(p.agency as string),
        mayRestore: removals.get(p.agency as string)?.removedBy !== who,
      })),
      flows,
      compareWith: others[0] !== undefined && others.includes(v.version - 1) ? v.version - 1 : others[0],
      otherVersions: others,
      base: `/agreements/${v.agreementId}/versions/${v.version}`,
      ...extra,
    }, status);
  }

  const DONE: Record<string, string> = {
    imported: 'Agreement imported as a draft.',
    drafted: 'New draft created. Change it, preview it, then ask another IG officer to approve it.',
    approved: 'Version approved. It can now be activated.',
    activated: 'Version activated. New messages follow it from now on.',
    suspended: 'Version suspended. Nothing is released under it (nor, if it was in force, under any version) until another IG officer resumes it.',
    resumed: 'Suspension lifted.',
    removed: 'Party removed. Nothing is released to or from it under this agreement until another IG officer restores it or a new version is activated.',
    restored: 'Party restored.',
  };

  pages.get('/agreements/:id/versions/:v', OFFICER, async (req, res) => {
    const v = await svc.get(idOf(req), versionOf(req));
    const done = typeof req.query.done === 'string' ? DONE[req.query.done] : undefined;
    await versionPage(res, v, done ? { flash: { type: 'success', title: 'Success', text: done } } : {});
  });

  pages.post('/agreements/:id/versions/:v/validate', OFFICER, async (req, res) => {
    const id = idOf(req);
    const version = versionOf(req);
    const result = await svc.validate(personOf(res)!, id, version);
    const v = await svc.get(id, version);
    const base = `/agreements/${id}/versions/${version}`;
    const { summary } = problemLinks(result.problems, v.doc, base, { section: 'details', flowIndex: -1 });
    const links = result.problems.map((p, i) => {
      const at = locateProblem(p, v.doc);
      return { text: summary[i]!.text, href: at.section === 'flow' ? `${base}/flows/${at.flowIndex}#${at.field}` : `${base}/details#${at.field}` };
    });
    await versionPage(res, v, result.valid
      ? { flash: { type: 'success', title: 'Success', text: 'No problems found. Another IG officer can approve this version.' } }
      : { errorList: links, problemsChecked: true });
  });

  for (const [action, past] of [['approve', 'approved'], ['activate', 'activated'], ['resume', 'resumed']] as const) {
    pages.post(`/agreements/:id/versions/:v/${action}`, OFFICER, async (req, res) => {
      const id = idOf(req);
      const version = versionOf(req);
      try {
        await svc[action](personOf(res)!, id, version);
        res.redirect(303, `/agreements/${id}/versions/${version}?done=${past}`);
      } catch (err) {
        const known = err instanceof MakerCheckerViolation || err instanceof AgreementInvalid || err instanceof AgreementNotDraft
          || err instanceof AgreementNotApproved || err instanceof AgreementNotActive || err instanceof InvalidAgreementTransition
          || err instanceof AgreementNotSuspended;
        if (!known) throw err;
        const v = await svc.get(id, version);
        const messages: Record<string, string> = {
          MAKER_CHECKER_VIOLATION: action === 'resume'
            ? 'You suspended this version, so another IG officer must resume it'
            : 'You wrote or changed this version, so another IG officer must approve it',
          AGREEMENT_INVALID: 'This version has problems: fix them before it can be approved or activated',
        };
        const errorList = [{ text: messages[(err as GatewayError).code] ?? (err as GatewayError).message, href: '#actions' }];
        for (const p of (err as GatewayError).problems ?? []) errorList.push({ text: `${p.path}: ${p.message}`, href: '#actions' });
        await versionPage(res, v, { errorList }, (err as GatewayError).status);
      }
    });
  }

  // --- Kill switch: suspend a version, remove a party (a confirmation page with the reason) ----

  interface ConfirmPage {
    heading: string; warning: string; undo: string; confirmText: string; button: string; action: string; back: string; agreementId: string;
    /** Where to go back to after the change: the agency's disclosure log, when it was started there. */
    returnTo?: 'disclosures';
  }

  function confirmPage(res: Response, page: ConfirmPage, values: FormBody, errors = new FormErrors(), status = 200) {
    render.page(res, 'agreements/confirm.njk', { title: page.heading, ...page, values, errors: errors.byField(), errorList: errors.summary() }, status);
  }

  /** The form's reason and tick as the service's input; a tick is `confirm: true`. */
  function killSwitchFields(body: FormBody) {
    return { reason: text(body, 'reason', 2000), confirm: body.confirm === 'yes' || (Array.isArray(body.confirm) && body.confirm.includes('yes')) };
  }

  /** The service's refusal of a missing reason or tick, shown on the field. */
  function killSwitchErrors(err: unknown): FormErrors | undefined {
    if (!(err instanceof ReasonRequired || err instanceof ConfirmationRequired)) return undefined;
    const errors = new FormErrors();
    if (err instanceof ReasonRequired) errors.add('reason', 'Give the reason');
    else errors.add('confirm', 'Tick the box to confirm');
    return errors;
  }

  function suspendPage(id: string, version: number): ConfirmPage {
    const base = `/agreements/${id}/versions/${version}`;
    return {
      heading: `Suspend version ${version}`,
      warning: 'Sharing stops at once: nothing more is released under this version, including research already stored. If it is the version in force, nothing is released under any version of the agreement.',
      undo: 'Another IG officer (not you) can resume it.',
      confirmText: 'I understand that sharing under this agreement stops now',
      button: 'Suspend this version',
      action: `${base}/suspend`,
      back: base,
      agreementId: id,
    };
  }

  pages.get('/agreements/:id/versions/:v/suspend', OFFICER, async (req, res) => {
    const v = await svc.get(idOf(req), versionOf(req));
    confirmPage(res, suspendPage(v.agreementId, v.version), {});
  });

  pages.post('/agreements/:id/versions/:v/suspend', OFFICER, async (req, res) => {
    const id = idOf(req);
    const version = versionOf(req);
    const body = asBody(req.body);
    try {
      await svc.suspend(personOf(res)!, id, version, killSwitchFields(body));
      res.redirect(303, `/agreements/${id}/versions/${version}?done=suspended`);
    } catch (err) {
      const errors = killSwitchErrors(err);
      if (errors) return confirmPage(res, suspendPage(id, version), body, errors, 400);
      if (!(err instanceof AgreementNotActive)) throw err;
      await versionPage(res, await svc.get(id, version), { errorList: [{ text: err.message, href: '#actions' }] }, err.status);
    }
  });

  /** Where a party change lands: the version in force (else the latest). */
  async function inForcePage(id: string): Promise<string> {
    const a = await svc.getAgreement(id);
    return `/agreements/${id}/versions/${inForceOf(a.versions)?.version ?? a.latestVersion}`;
  }

  /** A party change started from the agency's disclosure log goes back there. */
  const fromDisclosures = (v: unknown): 'disclosures' | undefined => (v === 'disclosures' ? 'disclosures' : undefined);

  async function removePage(id: string, agency: string, returnTo?: 'disclosures'): Promise<ConfirmPage> {
    const names = await agencyName();
    return {
      ...(returnTo ? { returnTo } : {}),
      heading: `Remove ${names(agency)} from the agreement`,
      warning: 'Nothing more is released to or from this agency under any version of the agreement, from now on, including research already stored.',
      undo: 'Another IG officer (not you) can restore it, or a new version of the agreement can be approved and activated.',
      confirmText: `I understand that sharing with ${names(agency)} under this agreement stops now`,
      button: 'Remove the party',
      action: `/agreements/${id}/parties/${agency}/remove`,
      back: returnTo ? `/agencies/${agency}/disclosures` : await inForcePage(id),
      agreementId: id,
    };
  }

  pages.get('/agreements/:id/parties/:agency/remove', OFFICER, async (req, res) => {
    const id = idOf(req);
    await svc.getAgreement(id);
    confirmPage(res, await removePage(id, agencyOf(req), fromDisclosures(req.query.from)), {});
  });

  pages.post('/agreements/:id/parties/:agency/remove', OFFICER, async (req, res) => {
    const id = idOf(req);
    const agency = agencyOf(req);
    const body = asBody(req.body);
    const returnTo = fromDisclosures(body.returnTo);
    try {
      await svc.removeParty(personOf(res)!, id, agency, killSwitchFields(body));
      res.redirect(303, returnTo ? `/agencies/${agency}/disclosures?done=removed` : `${await inForcePage(id)}?done=removed`);
    } catch (err) {
      const errors = killSwitchErrors(err);
      if (errors) return confirmPage(res, await removePage(id, agency, returnTo), body, errors, 400);
      if (!(err instanceof NotAParty || err instanceof PartyAlreadyRemoved)) throw err;
      const page = await removePage(id, agency, returnTo);
      const fe = new FormErrors();
      fe.add('reason', err.message);
      confirmPage(res, page, body, fe, err.status);
    }
  });

  pages.post('/agreements/:id/parties/:agency/restore', OFFICER, async (req, res) => {
    const id = idOf(req);
    const agency = agencyOf(req);
    const target = await inForcePage(id);
    try {
      await svc.restoreParty(personOf(res)!, id, agency);
      res.redirect(303, fromDisclosures(asBody(req.body).returnTo) ? `/agencies/${agency}/disclosures?done=restored` : `${target}?done=restored`);
    } catch (err) {
      if (!(err instanceof MakerCheckerViolation || err instanceof PartyNotRemoved)) throw err;
      const text = err instanceof MakerCheckerViolation ? 'You removed this party, so another IG officer must restore it' : err.message;
      const vNum = Number(target.split('/').pop());
      await versionPage(res, await svc.get(id, vNum), { errorList: [{ text, href: '#actions' }] }, err.status);
    }
  });

  // --- Editor: details -----------------------------------------------------------------------

  async function detailsPage(res: Response, v: VersionRecord, values: FormBody, errors: FormErrors, summary?: { text: string; href: string }[], extra: Record<string, unknown> = {}, status = 200) {
    const rows = Number(values.partyRows) || 0;
    render.page(res, 'agreements/details.njk', {
      title: `Change details: ${String(v.doc.title ?? v.agreementId)}`,
      v,
      base: `/agreements/${v.agreementId}/versions/${v.version}`,
      values,
      partyIndexes: [...Array(rows).keys()],
      errors: errors.byField(),
      errorList: summary ?? errors.summary(),
      options: {
        purposes: optionsOf(PURPOSES),
        article6: ARTICLE6.map((a) => ({ value: a, text: a })),
        article9: optionsOf(ART9_CONDITIONS),
        article10: optionsOf(ART10_CONDITIONS),
        part3Sch8: SCH8.map((s) => ({ value: s, text: s.replace('SCH8_P', 'Schedule 8 para ') })),
        criteria: optionsOf(RISK_CRITERIA),
        agencyTypes: [{ value: '', text: 'Select a type' }, ...Object.entries(AGENCY_TYPES).map(([value, t]) => ({ value, text: t }))],
        agencies: (await g.registry.listAgencies()).map((a) => ({ value: a.id, text: `${a.name} (${a.id})` })),
      },
      ...extra,
    }, status);
  }

  async function draftOf(req: Request): Promise<VersionRecord> {
    const v = await svc.get(idOf(req), versionOf(req));
    if (v.status !== 'draft') throw new AgreementNotDraft(`Version ${v.version} is ${v.status}; only drafts can be changed. Create a new draft.`);
    return v;
  }

  pages.get('/agreements/:id/versions/:v/details', OFFICER, async (req, res) => {
    const v = await draftOf(req);
    await detailsPage(res, v, detailsValues(v.doc), new FormErrors());
  });

  pages.post('/agreements/:id/versions/:v/details', OFFICER, async (req, res) => {
    const v = await draftOf(req);
    const body = asBody(req.body);
    const { doc, errors } = applyDetails(v.doc, body);
    if (errors.any) return detailsPage(res, v, body, errors, undefined, {}, 400);
    const saved = await svc.editDraft(personOf(res)!, v.agreementId, v.version, doc);
    const base = `/agreements/${v.agreementId}/versions/${v.version}`;
    const { errors: fieldErrors, summary } = problemLinks(saved.problems, saved.version.doc, base, { section: 'details' });
    await detailsPage(res, saved.version, detailsValues(saved.version.doc), fieldErrors, summary, {
      flash: savedBanner(saved.problems.length),
    });
  });

  // --- Editor: one flow ----------------------------------------------------------------------

  function flowIndexOf(req: Request, doc: Doc): number {
    const raw = String(req.params.n ?? '');
    const flows = Array.isArray(doc.flows) ? doc.flows : [];
    if (raw === 'new') return flows.length;
    if (!/^\d{1,4}$/.test(raw) || Number(raw) >= flows.length) throw new NotFound('No such flow');
    return Number(raw);
  }

  function flowPage(res: Response, v: VersionRecord, index: number, values: FormBody, errors: FormErrors, summary?: { text: string; href: string }[], extra: Record<string, unknown> = {}, status = 200) {
    const doc = v.doc;
    const parties = (Array.isArray(doc.parties) ? doc.parties : []).filter(isObj).map((p) => ({ agency: String(p.agency), ...(typeof p.name === 'string' ? { name: p.name } : {}) }));
    const rows = Number(values.ruleRows) || 0;
    const isNew = index >= (Array.isArray(doc.flows) ? doc.flows.length : 0);
    render.page(res, 'agreements/flow.njk', {
      title: isNew ? 'Add a flow' : `Flow ${String(values.id || index + 1)}`,
      v,
      base: `/agreements/${v.agreementId}/versions/${v.version}`,
      index,
      isNew,
      readOnly: v.status !== 'draft',
      values,
      ruleIndexes: [...Array(rows).keys()],
      errors: errors.byField(),
      errorList: summary ?? errors.summary(),
      fieldPaths,
      operatorHints: OPERATOR_HINTS,
      options: {
        from: selectorOptions(parties, String(values.from ?? '')),
        to: selectorOptions(parties, String(values.to ?? '')),
        purposes: optionsOf(PURPOSES),
        roles: optionsOf(SUBJECT_ROLES),
        consent: optionsOf(CONSENT_STATUSES),
        match: MATCH_STATUSES.map((m) => ({ value: m, text: m.replace('_', ' ').toLowerCase() })),
        operators: [{ value: '', text: 'Select' }, ...OPERATOR_NAMES.map((o) => ({ value: o, text: o === 'pipeline' ? 'several (list)' : o }))],
      },
      ...extra,
    }, status);
  }

  pages.get('/agreements/:id/versions/:v/flows/:n', OFFICER, async (req, res) => {
    const v = await svc.get(idOf(req), versionOf(req));
    const index = flowIndexOf(req, v.doc);
    if (v.status !== 'draft' && req.params.n === 'new') throw new AgreementNotDraft('Only drafts can be changed');
    const flow = Array.isArray(v.doc.flows) && isObj(v.doc.flows[index]) ? v.doc.flows[index] : undefined;
    flowPage(res, v, index, flowValues(flow), new FormErrors());
  });

  pages.post('/agreements/:id/versions/:v/flows/:n', OFFICER, async (req, res) => {
    const v = await draftOf(req);
    const index = flowIndexOf(req, v.doc);
    const body = asBody(req.body);
    const { doc, errors } = applyFlow(v.doc, index, body);
    if (errors.any) return flowPage(res, v, index, body, errors, undefined, {}, 400);
    const saved = await svc.editDraft(personOf(res)!, v.agreementId, v.version, doc);
    const base = `/agreements/${v.agreementId}/versions/${v.version}`;
    const { errors: fieldErrors, summary } = problemLinks(saved.problems, saved.version.doc, base, { section: 'flow', flowIndex: index });
    const flows = saved.version.doc.flows as unknown[];
    flowPage(res, saved.version, index, flowValues(flows[index] as Doc), fieldErrors, summary, {
      flash: savedBanner(saved.problems.length),
    });
  });

  pages.post('/agreements/:id/versions/:v/flows/:n/delete', OFFICER, async (req, res) => {
    const v = await draftOf(req);
    const index = flowIndexOf(req, v.doc);
    const doc = structuredClone(v.doc);
    (doc.flows as unknown[]).splice(index, 1);
    await svc.editDraft(personOf(res)!, v.agreementId, v.version, doc);
    res.redirect(303, `/agreements/${v.agreementId}/versions/${v.version}`);
  });

  // --- Diff ----------------------------------------------------------------------------------

  pages.get('/agreements/:id/versions/:v/diff', OFFICER, async (req, res) => {
    const id = idOf(req);
    const version = versionOf(req);
    const fromRaw = typeof req.query.from === 'string' ? req.query.from : '';
    if (!VERSION.test(fromRaw)) throw new NotFound('Choose a version to compare with');
    const diff = await svc.diff(id, Number(fromRaw), version);
    const v = await svc.get(id, version);
    render.page(res, 'agreements/diff.njk', {
      title: `Changes from version ${fromRaw} to ${version}`,
      v,
      base: `/agreements/${id}/versions/${version}`,
      diff: diffView(diff),
    });
  });

  // --- Preview -------------------------------------------------------------------------------

  function previewForm(res: Response, v: VersionRecord, values: FormBody, errors = new FormErrors(), extra: Record<string, unknown> = {}, status = 200) {
    render.page(res, 'agreements/preview.njk', {
      title: `Preview: ${String(v.doc.title ?? v.agreementId)}, version ${v.version}`,
      v,
      base: `/agreements/${v.agreementId}/versions/${v.version}`,
      values,
      errors: errors.byField(),
      errorList: errors.summary(),
      samples: samples.map((s) => ({ value: s.file, text: s.label, checked: values.sample === s.file })),
      providers: [
        { value: '', text: 'Work it out from the response' },
        ...(Array.isArray(v.doc.parties) ? v.doc.parties : []).filter(isObj).map((p) => ({ value: String(p.agency), text: `${String(p.name ?? p.agency)} (${String(p.type)})` })),
      ],
      purposes: optionsOf(PURPOSES, [typeof values.purpose === 'string' ? values.purpose : 'MARAC_RESEARCH']),
      ...extra,
    }, status);
  }

  pages.get('/agreements/:id/versions/:v/preview', OFFICER, async (req, res) => {
    const v = await svc.get(idOf(req), versionOf(req));
    previewForm(res, v, { sample: samples[0]?.file ?? '', subjectFacts: DEFAULT_FACTS, purpose: 'MARAC_RESEARCH' });
  });

  pages.post('/agreements/:id/versions/:v/preview', OFFICER, async (req, res) => {
    const v = await svc.get(idOf(req), versionOf(req));
    const body = asBody(req.body);
    const errors = new FormErrors();
    let sample: unknown;
    const pasted = text(body, 'pasted', 500_000);
    if (pasted) {
      try {
        sample = JSON.parse(pasted);
      } catch {
        errors.add('pasted', 'The pasted response is not valid JSON');
      }
    } else {
      const chosen = samples.find((s) => s.file === text(body, 'sample', 200));
      if (!chosen) errors.add('sample', 'Choose a sample response or paste one');
      else sample = JSON.parse(readFileSync(path.join(deps.samplesDir!, chosen.file), 'utf8'));
    }
    let facts: unknown;
    try {
      facts = JSON.parse(text(body, 'subjectFacts', 100_000) || '{}');
    } catch {
      errors.add('subjectFacts', 'Subject facts must be valid JSON');
    }
    const purpose = Object.keys(PURPOSES).includes(text(body, 'purpose', 40)) ? text(body, 'purpose', 40) : undefined;
    if (errors.any) return previewForm(res, v, body, errors, {}, 400);
    const provider = text(body, 'provider', 80) || guessProvider(v.doc, sample);
    try {
      const result = await svc.preview(v.agreementId, v.version, sample, facts, { ...(purpose ? { purpose } : {}), ...(provider ? { provider } : {}) });
      // The agreement's own party names first: they are what the IG officer wrote.
      const registered = await agencyName();
      const partyNames = new Map((Array.isArray(v.doc.parties) ? v.doc.parties : []).filter(isObj).map((p) => [String(p.agency), typeof p.name === 'string' ? p.name : undefined]));
      const names = (id: string) => partyNames.get(id) ?? registered(id);
      previewForm(res, v, body, new FormErrors(), { result: previewView(result, sample, names, deps.catalog) });
    } catch (err) {
      if (err instanceof AgreementInvalid) {
        // The version itself does not compile: say so, with its problems, instead of a preview.
        const base = `/agreements/${v.agreementId}/versions/${v.version}`;
        const { summary } = problemLinks(err.problems ?? [], v.doc, base, { section: 'details', flowIndex: -1 });
        const links = (err.problems ?? []).map((p, i) => {
          const at = locateProblem(p, v.doc);
          return { text: summary[i]!.text, href: at.section === 'flow' ? `${base}/flows/${at.flowIndex}#${at.field}` : `${base}/details#${at.field}` };
        });
        return previewForm(res, v, body, new FormErrors(), { errorList: [{ text: 'This version has problems, so it cannot be previewed. Fix them first:', href: base }, ...links] }, 422);
      }
      if (!(err instanceof PreviewInputInvalid)) throw err;
      for (const p of err.problems ?? [{ path: '', code: err.code, message: err.message }]) {
        const field = p.path.startsWith('/subjectFacts') ? 'subjectFacts' : p.path === '/provider' ? 'provider' : pasted ? 'pasted' : 'sample';
        errors.add(field, p.message);
      }
      previewForm(res, v, body, errors, {}, 400);
    }
  });
}

/** The version activated last: it speaks for the agreement (docs/decisions/0014). */
function inForceOf<V extends { version: number; activatedAt?: Date | null }>(versions: readonly V[]): V | undefined {
  return versions.filter((x) => x.activatedAt).sort((x, y) => y.activatedAt!.getTime() - x.activatedAt!.getTime() || y.version - x.version)[0];
}

/** After a save: drafts are kept even with problems, which must be fixed before approval. */
function savedBanner(problems: number) {
  if (problems === 0) return { type: 'success', title: 'Saved', text: 'Saved. No problems found.' };
  return { title: 'Saved', text: `Saved. Fix ${problems === 1 ? 'the problem' : `the ${problems} problems`} before this version can be approved.` };
}

/** The party that sent a response: its respondingOrg, else the first party whose type sends its payload. */
function guessProvider(doc: Doc, sample: unknown): string | undefined {
  if (!isObj(sample)) return undefined;
  if (isObj(sample.respondingOrg) && typeof sample.respondingOrg.orgId === 'string') return undefined;
  const first = Array.isArray(sample.subjectResults) ? sample.subjectResults.find(isObj) : undefined;
  const key = first ? PAYLOAD_KEYS.find((k) => k in first) : undefined;
  const parties = (Array.isArray(doc.parties) ? doc.parties : []).filter(isObj);
  const party = key ? parties.find((p) => payloadKeyFor(p.type as AgencyType) === key) : undefined;
  return typeof party?.agency === 'string' ? party.agency : undefined;
}

/** Facts for the sample responses' placeholder subjects (the sample case: victim, perpetrator, child). */
const DEFAULT_FACTS = JSON.stringify({
  subj_victim: { role: 'VICTIM', art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], part3Sch8: ['SCH8_P4'], careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_UNSAFE', isAdult: true, addressConfidential: true },
  subj_perp: { role: 'PERPETRATOR', art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], part3Sch8: [], careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_UNSAFE', isAdult: true },
  subj_child: { role: 'CHILD', art9Conditions: ['DPA_SCH1_P18'], art10Conditions: [], part3Sch8: [], careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_OTHER', isAdult: false },
}, null, 2);

function listSamples(dir?: string): { file: string; label: string }[] {
  if (!dir) return [];
  try {
    return readdirSync(dir)
      .filter((f) => /^response-[a-z-]+\.json$/.test(f))
      .sort()
      .map((file) => ({ file, label: `Sample ${file.replace(/^response-|\.json$/g, '').replaceAll('-', ' ')} response` }));
  } catch {
    return [];
  }
}
