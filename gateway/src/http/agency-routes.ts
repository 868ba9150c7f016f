import { Router } from 'express';
import type { createCaseService } from '../exchange/case-service.js';
import type { createRequestService } from '../exchange/request-service.js';
import type { InboxService } from '../exchange/inbox-service.js';
import type { createResponseService } from '../exchange/response-service.js';
import type { createPackService } from '../exchange/pack-service.js';
import type { CaseLifecycle } from '../exchange/case-lifecycle.js';
import { GatewayError, } from '../errors.js';
import { parseDocumentFormat, type DocumentService } from '../documents/document-service.js';
import { sendDocument } from './document-routes.js';
import { agencyOf, idParam } from './route-params.js';
import { ValidationFailed } from '../errors.js';
import { findForbiddenKeys, hasForbiddenKey } from '../schema/registry.js';

class MethodNotAllowed extends GatewayError {
  readonly code = 'METHOD_NOT_ALLOWED';
  readonly status = 405;
}

export interface AgencyRouteDeps {
  cases: ReturnType<typeof createCaseService>;
  requests: ReturnType<typeof createRequestService>;
  inbox: InboxService;
  responses: ReturnType<typeof createResponseService>;
  packs: ReturnType<typeof createPackService>;
  lifecycle: CaseLifecycle;
  /** Word and PDF copies of the pack (`?format=docx|pdf` on the export). */
  documents?: DocumentService;
}

/** The agency API: thin handlers. Identity is res.locals.principal, set by the mTLS authenticator. */
export function createAgencyRouter(d: AgencyRouteDeps): Router {
  const r = Router();

  // Express answers HEAD with the GET handler, and these GETs act: the inbox delivers (and audits)
  // messages the client then never sees, a pack read is audited. No HEAD on the agency API.
  r.use((req, _res, next) => next(req.method === 'HEAD' ? new MethodNotAllowed('HEAD is not supported; use GET') : undefined));

  r.post('/v1/cases', async (req, res) => {
    res.status(201).json(await d.cases.createCase(agencyOf(res), req.body));
  });

  // The coordinator's cases: a page at a time, searched through keyed tokens (case-search.ts).
  r.get('/v1/cases', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.cases.listCases(agencyOf(res), req.query as Record<string, unknown>));
  });

  // The same search with its terms in the body: a person's name, date of birth or NHS number in a
  // query string ends up in proxies' access logs and browser histories.
  r.post('/v1/cases/search', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.cases.listCases(agencyOf(res), searchBody(req.body)));
  });

  r.get('/v1/cases/:caseId', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.cases.caseSummary(agencyOf(res), idParam(req, 'caseId')));
  });

  r.patch('/v1/cases/:caseId', async (req, res) => {
    res.json(await d.lifecycle.updateCase(agencyOf(res), idParam(req, 'caseId'), req.body));
  });

  r.post('/v1/cases/:caseId/withdraw', async (req, res) => {
    res.json(await d.lifecycle.withdrawCase(agencyOf(res), idParam(req, 'caseId'), req.body));
  });

  r.post('/v1/cases/:caseId/close', async (req, res) => {
    res.json(await d.lifecycle.closeCase(agencyOf(res), idParam(req, 'caseId'), req.body));
  });

  r.post('/v1/cases/:caseId/reopen', async (req, res) => {
    res.json(await d.lifecycle.reopenCase(agencyOf(res), idParam(req, 'caseId'), req.body));
  });

  // The coordinator records a change in a subject's legal facts; the next release judges them.
  r.patch('/v1/cases/:caseId/subjects/:subjectId/legal', async (req, res) => {
    res.json(await d.cases.updateLegal(agencyOf(res), idParam(req, 'caseId'), idParam(req, 'subjectId'), req.body));
  });

  r.post('/v1/cases/:caseId/research-requests', async (req, res) => {
    res.status(201).json(await d.requests.createResearchRequest(agencyOf(res), idParam(req, 'caseId'), req.body));
  });

  r.get('/v1/cases/:caseId/research', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.packs.getPack(agencyOf(res), idParam(req, 'caseId')));
  });

  r.get('/v1/cases/:caseId/research/export', async (req, res) => {
    const caseId = idParam(req, 'caseId');
    // JSON as before; docx or pdf: a document of the agency's own released view (DOCUMENT_PRODUCED).
    if (req.query.format !== undefined && req.query.format !== 'json') {
      const format = parseDocumentFormat(req.query.format);
      if (!d.documents) throw new MethodNotAllowed('Documents are not available');
      return void sendDocument(res, await d.documents.producePackDocument(agencyOf(res), caseId, format));
    }
    const pack = await d.packs.getPack(agencyOf(res), caseId, 'export');
    res.set('cache-control', 'no-store').attachment(`research-pack-${pack.caseId}.json`).json(pack);
  });

  r.get('/v1/inbox', async (req, res) => {
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    res.set('cache-control', 'no-store').json(await d.inbox.poll(agencyOf(res), req.query.wait, ac.signal));
  });

  r.post('/v1/inbox/:messageId/ack', async (req, res) => {
    res.json(await d.inbox.ack(agencyOf(res), idParam(req, 'messageId')));
  });

  r.get('/v1/research-requests/:requestId', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.requests.getRequestStatus(agencyOf(res), idParam(req, 'requestId')));
  });

  r.post('/v1/research-requests/:requestId/response', async (req, res) => {
    const a = await d.responses.respond(agencyOf(res), idParam(req, 'requestId'), req.get('idempotency-key'), req.body);
    res.status(a.status).json(a.body);
  });

  r.post('/v1/research-requests/:requestId/decline', async (req, res) => {
    const a = await d.responses.decline(agencyOf(res), idParam(req, 'requestId'), req.get('idempotency-key'), req.body);
    res.status(a.status).json(a.body);
  });

  return r;
}

/** A search body as the query string would give it: each member text (numbers and booleans as written), a list for status. */
function searchBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0)) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationFailed('The search is a JSON object', { problems: [{ path: '', code: 'type', message: 'must be an object' }] });
  }
  // No schema validates this body, so the prototype-polluting keys are refused here, as the schema
  // registry refuses them for every other body.
  if (hasForbiddenKey(body)) throw new ValidationFailed('The search holds a forbidden key', { problems: findForbiddenKeys(body) });
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(body)) {
    if (k === 'status' && Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v;
    else out[k] = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
  }
  return out;
}

