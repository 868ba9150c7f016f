import type { ExchangeActor } from '../exchange/acting-agency.js';
import type { createPackService, ResearchPack } from '../exchange/pack-service.js';
import type { ReleasedMinutes } from '../meetings/types.js';
import type { FieldCatalog } from '../schema/catalog.js';
import { packView } from '../ui/view-model/pack-view.js';
import { renderDocx } from './docx-renderer.js';
import { DocumentFormatUnsupported, DocumentRecipientUnknown } from './errors.js';
import { documentFilename } from './format.js';
import { minutesDocument, type MinutesMeeting } from './minutes-document.js';
import { CONTENT_TYPES, DOCUMENT_FORMATS, type DocumentFormat, type DocumentModel } from './model.js';
import { packDocument } from './pack-document.js';
import { renderPdf } from './pdf-renderer.js';

/**
 * Word and PDF documents, each produced for ONE recipient agency from that agency's released view
 * (docs/decisions/0019). The release is read and the production audited (DOCUMENT_PRODUCED, with
 * the recipient, the format, the section decisions and the view digest) in one transaction by
 * the service that releases; this one lays the view out and renders it.
 */

export interface ProducedDocument {
  filename: string;
  contentType: string;
  body: Buffer;
  recipientAgencyId: string;
}

/**
 * The minutes of one case at one meeting as released to one agency, read and audited as
 * DOCUMENT_PRODUCED (detail: format, recipient) in the transaction that released them. The
 * circulation service implements it (meetings/release.ts for the release itself).
 */
export type ReleaseMinutesForDocument = (
  actor: ExchangeActor, meetingId: string, caseId: string, format: DocumentFormat, recipientAgencyId?: string,
) => Promise<{ meeting: MinutesMeeting; released: ReleasedMinutes }>;

export interface DocumentServiceDeps {
  packs: Pick<ReturnType<typeof createPackService>, 'getPack'>;
  agencies: {
    getAgency(id: string): Promise<{ id: string; name: string; disabledAt?: unknown } | null>;
    listAgencies(): Promise<{ id: string; name: string }[]>;
  };
  catalog: Pick<FieldCatalog, 'get'>;
  now: () => Date;
  releaseMinutes?: ReleaseMinutesForDocument;
  /**
   * The research pack as circulated to the actor's agency (MARAC_ACTION_REVIEW), read and audited
   * as DOCUMENT_PRODUCED in the release's transaction (meetings/circulated-pack-document.ts).
   */
  releaseCirculatedPack?: (actor: ExchangeActor, caseId: string, format: DocumentFormat) => Promise<ResearchPack>;
}

export function parseDocumentFormat(v: unknown): DocumentFormat {
  if (typeof v === 'string' && (DOCUMENT_FORMATS as readonly string[]).includes(v)) return v as DocumentFormat;
  throw new DocumentFormatUnsupported('The format must be docx or pdf');
}

export async function render(model: DocumentModel, format: DocumentFormat, now: Date): Promise<Buffer> {
  return format === 'docx' ? renderDocx(model, { now }) : renderPdf(model, { now });
}

export function createDocumentService(deps: DocumentServiceDeps) {
  async function names(): Promise<(id: string) => string> {
    const all = await deps.agencies.listAgencies();
    const byId = new Map(all.map((a) => [a.id, a.name]));
    return (id) => byId.get(id) ?? id;
  }

  /**
   * The research pack as the actor's own agency may see it (its released pack view), for that
   * agency. The coordinator's copy also says who the case is about, as its pack download does.
   */
  async function producePackDocument(actor: ExchangeActor, caseId: string, format: DocumentFormat, opts: { withCaseDetails?: boolean } = {}): Promise<ProducedDocument> {
    const pack = await deps.packs.getPack(actor, caseId, 'document', { ...opts, format });
    const name = await names();
    const now = deps.now();
    const view = packView(pack, { catalog: deps.catalog, agencyName: name, now });
    const model = packDocument(view, { recipient: { agencyId: pack.viewer, name: name(pack.viewer) }, producedAt: now });
    return {
      filename: documentFilename('research-pack', [caseId], pack.viewer, format),
      contentType: CONTENT_TYPES[format],
      body: await render(model, format, now),
      recipientAgencyId: pack.viewer,
    };
  }

  /** A registered, enabled agency, or DOCUMENT_RECIPIENT_UNKNOWN (bad input: nothing read, nothing written). */
  async function checkRecipient(v: unknown): Promise<string> {
    const a = typeof v === 'string' && /^[a-z0-9][a-z0-9-]{1,62}$/.test(v) ? await deps.agencies.getAgency(v) : null;
    if (!a || a.disabledAt) throw new DocumentRecipientUnknown('Choose an agency to produce the document for');
    return a.id;
  }

  /**
   * The minutes and action plan of one case at one meeting as released to one partner agency:
   * the acting agency's own (an agency certificate or representative), or the one the case's
   * coordinator names.
   */
  async function produceMinutesDocument(
    actor: ExchangeActor, meetingId: string, caseId: string, format: DocumentFormat, recipient?: string,
  ): Promise<ProducedDocument> {
    if (!deps.releaseMinutes) throw new Error('minutes documents need the circulation service');
    const { meeting, released } = await deps.releaseMinutes(actor, meetingId, caseId, format, recipient);
    const recipientAgencyId = released.recipientAgencyId;
    const name = await names();
    const now = deps.now();
    const model = minutesDocument({
      meeting, released, recipient: { agencyId: recipientAgencyId, name: name(recipientAgencyId) }, agencyName: name, producedAt: now,
    });
    return {
      filename: documentFilename('minutes', [meetingId, caseId], recipientAgencyId, format),
      contentType: CONTENT_TYPES[format],
      body: await render(model, format, now),
      recipientAgencyId,
    };
  }

  /**
   * The research pack as circulated to the actor's own agency (its representative's download):
   * the same release as its circulated pack page, laid out as the coordinator's pack document is.
   * Its own answer is given back in full and says so instead of naming an agreement.
   */
  async function produceCirculatedPackDocument(actor: ExchangeActor, caseId: string, format: DocumentFormat): Promise<ProducedDocument> {
    if (!deps.releaseCirculatedPack) throw new Error('circulated pack documents need the circulation service');
    const pack = await deps.releaseCirculatedPack(actor, caseId, format);
    const name = await names();
    const now = deps.now();
    const view = packView(pack, { catalog: deps.catalog, agencyName: name, now });
    for (const s of [...view.latest, ...view.earlier.flatMap((e) => e.sections)]) {
      if (s.agencyId !== pack.viewer) continue;
      s.agreement = undefined;
      s.agencyName = `${s.agencyName}: your agency’s own answer`;
    }
    const model = packDocument(view, { recipient: { agencyId: pack.viewer, name: name(pack.viewer) }, producedAt: now });
    return {
      filename: documentFilename('research-pack', [caseId], pack.viewer, format),
      contentType: CONTENT_TYPES[format],
      body: await render(model, format, now),
      recipientAgencyId: pack.viewer,
    };
  }

  return { producePackDocument, produceMinutesDocument, produceCirculatedPackDocument, checkRecipient };
}

export type DocumentService = ReturnType<typeof createDocumentService>;
