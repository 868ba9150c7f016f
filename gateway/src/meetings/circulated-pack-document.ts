/**
 * The research pack as circulated to one partner agency (circulation-service.ts `packFor`, under
 * MARAC_ACTION_REVIEW), in the shape the pack document is laid out from (exchange/pack-service.ts
 * ResearchPack → ui/view-model/pack-view.ts → documents/pack-document.ts), so an agency's Word
 * and PDF copy holds exactly what its circulated pack page shows. The release is read and audited
 * (DOCUMENT_PRODUCED, with the format) by the circulation service in its own transaction; this
 * adds what a document says around it: the rounds asked, the area and the referral criteria.
 */
import type pg from 'pg';
import type { PackRound, PackSection, ResearchPack } from '../exchange/pack-service.js';
import { createCaseReader } from '../exchange/case-service.js';
import type { ExchangeActor } from '../exchange/acting-agency.js';
import type { Sealer } from '../store/sealed-box.js';
import type { CirculatedPack, CirculationService } from './circulation-service.js';

/** The own answer has no agreement of its own: the document says so instead (document-service.ts). */
export const OWN_ANSWER_AGREEMENT = 'OWN_RESPONSE';

export function circulatedAsResearchPack(
  c: CirculatedPack, ctx: { maracArea: string; riskCriteria: string[]; rounds: PackRound[] },
): ResearchPack {
  const rounds = ctx.rounds.filter((r) => c.sections.some((s) => s.requestId === r.requestId));
  const deadlineOf = (requestId: string) => rounds.find((r) => r.requestId === requestId)?.deadline ?? c.generatedAt;
  const sections: PackSection[] = c.sections.map((s) => {
    const deadline = deadlineOf(s.requestId);
    return {
      messageId: `${s.requestId}/${s.agencyId}`,
      requestId: s.requestId,
      agencyId: s.agencyId,
      ...(s.agencyType ? { agencyType: s.agencyType } : {}),
      purpose: c.purpose,
      state: s.state,
      late: s.answeredAt !== null ? s.answeredAt > deadline : s.state === 'overdue',
      deadline,
      answeredAt: s.answeredAt,
      release: s.own ? { released: true, agreementId: OWN_ANSWER_AGREEMENT, version: 0 } : s.release.released
        ? s.release : { released: false, reason: s.release.reason },
      subjects: s.subjects,
      ...(s.envelope ? { envelope: s.envelope } : {}),
    } as PackSection;
  });
  // The pack view wants the sections oldest request first; the circulation gives the latest first.
  sections.reverse();
  return {
    caseId: c.caseId, maracArea: ctx.maracArea, meetingDate: c.meetingDate, riskCriteria: ctx.riskCriteria, viewer: c.recipientAgencyId,
    sections, rounds, refused: [], generatedAt: c.generatedAt,
  };
}

/** The release the documents service lays out: the circulated pack, read and audited as DOCUMENT_PRODUCED. */
export function circulatedPackForDocument(deps: { pool: pg.Pool; sealer: Sealer; now(): Date; circulation: Pick<CirculationService, 'packFor'> }) {
  const cases = createCaseReader(deps);
  return async (actor: ExchangeActor, caseId: string, format: string): Promise<ResearchPack> => {
    const c = await deps.circulation.packFor(actor, caseId, { audit: 'DOCUMENT_PRODUCED', detail: { document: 'research-pack', format } });
    const theCase = await cases.getCase(deps.pool, caseId);
    const { rows } = await deps.pool.query(
      'SELECT id, purpose, requested_domains, lookback_months, deadline, created_at FROM research_requests WHERE case_id = $1 ORDER BY created_at, id',
      [caseId],
    );
    const rounds: PackRound[] = rows.map((r) => ({
      requestId: r.id, purpose: r.purpose, askedAt: r.created_at.toISOString(), deadline: r.deadline.toISOString(),
      requestedDomains: r.requested_domains ?? [], lookbackMonths: r.lookback_months,
    }));
    return circulatedAsResearchPack(c, { maracArea: theCase.maracArea, riskCriteria: theCase.riskBasis.criteria, rounds });
  };
}
