import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { parseDocumentFormat } from '../documents/document-service.js';
import { CaseNotFound } from '../exchange/errors.js';
import { sendDocument } from '../http/document-routes.js';
import { personOf } from '../identity/people-auth.js';
import { MinutesNotFound } from '../meetings/circulation-service.js';
import { asBody } from './forms/form-values.js';
import type { PageRouter } from './page-router.js';

/**
 * The coordinator's Word and PDF downloads (docs/decisions/0019): the research pack from the
 * case page, beside the HTML export; the minutes with their action plan for one chosen partner
 * agency from the minutes page. Forms post (with the CSRF token), as the export does: the agency
 * and the format travel in the body, and the file name holds ids only.
 */

const ID = /^[a-z]{3,4}_[0-9a-f]{32}$/;
const COORDINATOR = ['coordinator'] as const;

export interface DocumentPagesDeps {
  g: Pick<Gateway, 'documents'>;
}

export function documentPages(pages: PageRouter, deps: DocumentPagesDeps): void {
  const { g } = deps;
  const person = (res: Response) => personOf(res)!;

  pages.post('/cases/:caseId/document', COORDINATOR, async (req: Request, res: Response) => {
    const caseId = String(req.params.caseId ?? '');
    if (!ID.test(caseId)) throw new CaseNotFound('No such case');
    const format = parseDocumentFormat(asBody(req.body).format);
    sendDocument(res, await g.documents.producePackDocument(person(res), caseId, format, { withCaseDetails: true }));
  });

  pages.post('/meetings/:meetingId/cases/:caseId/minutes/document', COORDINATOR, async (req: Request, res: Response) => {
    const meetingId = String(req.params.meetingId ?? '');
    const caseId = String(req.params.caseId ?? '');
    if (!ID.test(meetingId) || !ID.test(caseId)) throw new MinutesNotFound('No such minutes');
    const body = asBody(req.body);
    const format = parseDocumentFormat(body.format);
    const agency = await g.documents.checkRecipient(body.agency);
    sendDocument(res, await g.documents.produceMinutesDocument(person(res), meetingId, caseId, format, agency));
  });
}
