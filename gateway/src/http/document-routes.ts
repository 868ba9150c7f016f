import { Router, type Request, type Response } from 'express';
import type { AgencyPrincipal } from '../identity/principal.js';
import { ValidationFailed } from '../errors.js';
import { parseDocumentFormat, type DocumentService, type ProducedDocument } from '../documents/document-service.js';

/**
 * Word and PDF documents on the agency API (mTLS): the minutes of a case at a meeting, with its
 * action plan, as released to the requesting agency: the version circulated to it, none before
 * (409 MINUTES_NOT_CIRCULATED; decision 0033). The research pack's document is
 * GET /v1/cases/{caseId}/research/export?format=docx|pdf (agency-routes.ts). Ids only in the path
 * and the file name: no personal data.
 */

const ID = /^[a-z]{3,4}_[0-9a-f]{32}$/;

function id(req: Request, name: string): string {
  const v = req.params[name];
  if (typeof v !== 'string' || !ID.test(v)) {
    throw new ValidationFailed(`Invalid ${name}`, { problems: [{ path: `path:${name}`, code: 'pattern', message: 'malformed id' }] });
  }
  return v;
}

/** A produced document as a download nobody caches. */
export function sendDocument(res: Response, doc: ProducedDocument): void {
  res.set('cache-control', 'no-store');
  res.attachment(doc.filename);
  res.type(doc.contentType).send(doc.body);
}

export function createDocumentAgencyRouter(documents: DocumentService): Router {
  const r = Router();
  r.get('/v1/meetings/:meetingId/cases/:caseId/minutes/document', async (req, res) => {
    const meetingId = id(req, 'meetingId');
    const caseId = id(req, 'caseId');
    const format = parseDocumentFormat(req.query.format);
    sendDocument(res, await documents.produceMinutesDocument(res.locals.principal as AgencyPrincipal, meetingId, caseId, format));
  });
  return r;
}
