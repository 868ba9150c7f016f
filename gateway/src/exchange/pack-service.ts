import { withTx } from '../store/db.js';
import { caseKeyColumns, isDataKeyId, keyRowOf, openerFor, sealerFromRow, type CaseKeyColumns } from '../store/case-keys.js';
import type { Sealed, Sealer } from '../store/sealed-box.js';
import type { AgencyPrincipal, PersonPrincipal } from '../identity/principal.js';
import type { ExchangeDeps } from './deps.js';
import { createCaseReader } from './case-service.js';
import { policyCaseFacts } from './case-facts.js';
import { CaseNotFound } from './errors.js';
import type { Explanation, PolicyDecision, SubjectFacts } from './ports.js';
import type { AuditDecision, SectionDecision } from '../audit/types.js';
import { actingAgency } from './acting-agency.js';
import { TRANSFER_FIELDS } from './ports.js';
import { digest, mergeExplanations } from './request-view.js';
import { caseLocationContext, withResponseDocuments } from './case-locations.js';
import type { CaseLocations } from '../policy/location-context.js';
import { caseDetails, type CaseDetails } from './case-details.js';

/** Response fields about the case as a whole (not one subject), redacted like any other. */
const ENVELOPE_FIELDS = ['agencyRiskSummary', 'proposedActions', ...TRANSFER_FIELDS] as const;

export interface PackSection {
  messageId: string;
  requestId: string;
  agencyId: string;
  agencyType?: string;
  purpose: string;
  state: string;
  late: boolean;
  deadline: string;
  answeredAt: string | null;
  declineReason?: string;
  lastError?: string;
  /** Whether research content was released to this viewer, and if not, why. */
  release: { released: true; agreementId: string; version: number; warnings?: string[] } | { released: false; reason: string };
  subjects: { subjectId: string; role: string; view: Record<string, unknown>; withheld: { path: string; reason: string; by: 'policy' | 'agency' }[]; transformed: { path: string; op: string }[] }[];
  envelope?: Record<string, unknown>;
}

/** One research request: what was asked, when and for what (no recipients: they are the sections). */
export interface PackRound {
  requestId: string;
  purpose: string;
  askedAt: string;
  deadline: string;
  /** [] is an identity check only. */
  requestedDomains: string[];
  lookbackMonths: number;
}

export interface ResearchPack {
  caseId: string;
  maracArea: string;
  meetingDate: string;
  riskCriteria: string[];
  viewer: string;
  sections: PackSection[];
  /** The request rounds the sections answer, oldest first (only rounds with a section this viewer sees). */
  rounds: PackRound[];
  refused: { requestId: string; agencyId: string; reason: string }[];
  generatedAt: string;
  /** Who the case is about: for the case's own coordinator, when asked for (the case page, the pack download). */
  about?: CaseDetails;
}

/**
 * The research pack: per agency, status and what the agreement lets THIS viewer see, decided and
 * redacted at read time (so a suspension reaches stored research), and audited as one event that
 * records each section's decision and reason code, refusals included.
 *
 * Nothing reveals what it withholds: the coordinator who asked sees every status row (and the
 * refused recipients); any other party sees its own rows, and another agency's row only when the
 * agreement lets it receive that agency's research (a PERMIT), never who else was asked, their
 * states, deadlines or decline reasons.
 */
export function createPackService(deps: ExchangeDeps) {
  const { pool, audit, policy } = deps;
  const cases = createCaseReader(deps);

  async function viewerAgency(actor: AgencyPrincipal | PersonPrincipal) {
    return actingAgency(actor, deps.agencies).catch(() => undefined);
  }

  async function getPack(
    actor: AgencyPrincipal | PersonPrincipal, caseId: string, mode: 'read' | 'export' | 'document' = 'read',
    opts: { withCaseDetails?: boolean; /** For a Word or PDF document (mode 'document'): its format, in the audit event. */ format?: string } = {},
  ): Promise<ResearchPack> {
    const viewer = await viewerAgency(actor);
    if (!viewer) throw new CaseNotFound('No such case');
    const theCase = await cases.getCase(pool, caseId);
    // One statement for the rows, their requests (the rounds) and the key each answer is sealed
    // under (read with the data, as store/case-keys.ts asks: no read of the key of its own).
    const msgs = (await pool.query(
      `SELECT m.*, r.purpose, r.requested_domains AS r_requested_domains, r.lookback_months AS r_lookback_months,
              r.deadline AS r_deadline, r.created_at AS r_created_at, dense_rank() OVER (ORDER BY r.created_at, r.id) AS r_rank,
              x.kind AS answer_kind, x.decline_reason, x.key_id, x.iv, x.tag, x.ciphertext, x.purged_at, ${caseKeyColumns('k')}
         FROM messages m JOIN research_requests r ON r.id = m.request_id
         LEFT JOIN responses x ON x.message_id = m.id
         LEFT JOIN keystore.case_keys k ON k.key_id = x.key_id
        WHERE m.case_id = $1 ORDER BY m.created_at, m.recipient_agency_id`,
      [caseId],
    )).rows;
    const isParty = theCase.coordinatorAgencyId === viewer.agencyId || msgs.some((m) => m.recipient_agency_id === viewer.agencyId);
    if (!isParty) throw new CaseNotFound('No such case');
    // The case's own key (store/case-keys.ts), from the row read above, made when first needed: a
    // destroyed key fails only a value opened under it. Research from before 0021 opens under the
    // master key; a data key with no row is read (and refused) as openerFor does.
    const openers = new Map<string, Promise<Pick<Sealer, 'open'>>>();
    const openUnder = async (m: { id: string; key_id: string; iv: Buffer; tag: Buffer; ciphertext: Buffer } & CaseKeyColumns): Promise<unknown> => {
      const sealed: Sealed = { keyId: m.key_id, iv: m.iv, tag: m.tag, ciphertext: m.ciphertext };
      if (!isDataKeyId(sealed.keyId)) return deps.sealer.open(sealed, m.id);
      let opener = openers.get(sealed.keyId);
      if (!opener) {
        const row = keyRowOf(m);
        opener = row ? sealerFromRow(deps.sealer, pool, sealed.keyId, row) : openerFor(deps.sealer, pool, [sealed.keyId]);
        openers.set(sealed.keyId, opener);
      }
      return (await opener).open(sealed, m.id);
    };

    const now = deps.now();
    const caseFacts = policyCaseFacts(theCase);
    const factsById = new Map<string, SubjectFacts>(theCase.subjectFacts.map((f) => [f.subjectId, f]));
    const explanations: { subjectId: string; explanation: Explanation }[] = [];
    const sections: PackSection[] = [];
    const ruleAgreements = new Set<string>();
    const isCoordinator = theCase.coordinatorAgencyId === viewer.agencyId;
    const sectionDecisions: SectionDecision[] = [];
    const record = (m: { recipient_agency_id: string; request_id: string }, decision: AuditDecision, reasonCode?: string) =>
      sectionDecisions.push({ agencyId: m.recipient_agency_id, requestId: m.request_id, decision, ...(reasonCode ? { reasonCode } : {}) });
    // What locates the case's subjects, unsealed once per read and only if something is released.
    let caseLocations: CaseLocations | undefined;
    const locationsOf = async (subjectResults: unknown[]) =>
      withResponseDocuments(caseLocations ??= caseLocationContext(theCase.sealed, theCase.subjectFacts), subjectResults);

    for (const m of msgs) {
      const responder = await deps.agencies.getAgency(m.recipient_agency_id);
      const base = {
        messageId: m.id,
        requestId: m.request_id,
        agencyId: m.recipient_agency_id,
        ...(responder ? { agencyType: responder.type } : {}),
        purpose: m.purpose,
        state: m.state,
        late: m.late,
        deadline: m.deadline.toISOString(),
        answeredAt: m.answered_at?.toISOString() ?? null,
        ...(m.decline_reason ? { declineReason: m.decline_reason } : {}),
        ...(m.last_error_code ? { lastError: m.last_error_code } : {}),
        subjects: [] as PackSection['subjects'],
      };
      const own = m.recipient_agency_id === viewer.agencyId;
      const hasResearch = m.answer_kind === 'response' && !!m.ciphertext;
      // Decided for research to release, and for any row a non-coordinator might be shown.
      const decision: PolicyDecision | undefined = !own && responder && (hasResearch || !isCoordinator)
        ? await policy.decide({
          now,
          purpose: m.purpose,
          direction: 'response',
          from: { agencyId: responder.id, agencyType: responder.type },
          to: viewer,
          caseFacts,
          pinned: { agreementId: m.agreement_id, version: m.agreement_version },
        })
        : undefined;
      if (!isCoordinator && !own && decision?.effect !== 'PERMIT') {
        // Not even the row: that this agency was asked is itself withheld. Audited all the same.
        record(m, 'DENY', decision?.reason ?? 'UNKNOWN_AGENCY');
        continue;
      }
      if (!hasResearch) {
        const reason = m.purged_at ? 'PURGED' : 'NO_RESPONSE';
        sections.push({ ...base, release: { released: false, reason } });
        record(m, 'NONE', reason);
        continue;
      }
      if (own || !responder || !decision) {
        const reason = responder ? 'OWN_RESPONSE' : 'UNKNOWN_AGENCY';
        sections.push({ ...base, release: { released: false, reason } });
        record(m, own ? 'NONE' : 'DENY', reason);
        continue;
      }
      if (decision.effect === 'DENY') {
        sections.push({ ...base, release: { released: false, reason: decision.reason } });
        record(m, 'DENY', decision.reason);
        continue;
      }
      const explained = explanations.length;
      ruleAgreements.add(`${decision.agreementId}@${decision.version}`);
      const body = await openUnder(m) as {
        subjectResults: ({ subjectId: string; withheld?: { fieldPath: string; reason: string }[] } & Record<string, unknown>)[];
      } & Record<string, unknown>;
      const subjects: PackSection['subjects'] = [];
      const locations = await locationsOf(body.subjectResults);
      for (const sr of body.subjectResults) {
        const facts = factsById.get(sr.subjectId);
        if (!facts) continue;
        const { withheld: agencyWithheld = [], ...doc } = sr;
        const { view, explanation } = policy.redact(decision, doc, facts, now, locations);
        explanations.push({ subjectId: `${m.recipient_agency_id}/${sr.subjectId}`, explanation });
        subjects.push({
          subjectId: sr.subjectId,
          role: facts.role,
          view,
          transformed: explanation.transformed.map((t) => ({ path: t.path, op: t.op })),
          withheld: [
            ...explanation.withheld.map((w) => ({ path: w.path, reason: w.reason, by: 'policy' as const })),
            ...agencyWithheld.map((w) => ({ path: w.fieldPath, reason: w.reason, by: 'agency' as const })),
          ],
        });
      }
      let envelope: Record<string, unknown> | undefined;
      const envDoc: Record<string, unknown> = {};
      for (const k of ENVELOPE_FIELDS) if (body[k] !== undefined) envDoc[k] = body[k];
      const victim = theCase.subjectFacts.find((f) => f.role === 'VICTIM') ?? theCase.subjectFacts[0];
      if (Object.keys(envDoc).length && victim) {
        const r = policy.redact(decision, envDoc, victim, now, locations);
        explanations.push({ subjectId: `${m.recipient_agency_id}/envelope`, explanation: r.explanation });
        if (Object.keys(r.view).length > 0) envelope = r.view;
      }
      const changed = explanations.slice(explained).some(({ explanation: e }) => e.transformed.length > 0 || e.withheld.length > 0);
      record(m, changed ? 'PERMIT_WITH_TRANSFORMS' : 'PERMIT');
      sections.push({
        ...base,
        release: { released: true, agreementId: decision.agreementId, version: decision.version, ...(decision.warnings?.length ? { warnings: decision.warnings } : {}) },
        subjects,
        ...(envelope ? { envelope } : {}),
      });
    }

    // Which recipients the coordinator's requests were refused for is the coordinator's to know.
    const refused = !isCoordinator ? [] : (await pool.query(
      `SELECT f.request_id, f.recipient_agency_id, f.reason_code FROM request_refusals f
         JOIN research_requests r ON r.id = f.request_id WHERE r.case_id = $1 ORDER BY f.recipient_agency_id`,
      [caseId],
    )).rows.map((x) => ({ requestId: x.request_id, agencyId: x.recipient_agency_id, reason: x.reason_code }));

    // The rounds, from the rows read above (each shown section is one of them), oldest first.
    const shown = new Set(sections.map((x) => x.requestId));
    const byRequest = new Map<string, { rank: number; round: PackRound }>();
    for (const m of msgs) {
      if (!shown.has(m.request_id) || byRequest.has(m.request_id)) continue;
      byRequest.set(m.request_id, {
        rank: Number(m.r_rank),
        round: {
          requestId: m.request_id, purpose: m.purpose, askedAt: m.r_created_at.toISOString(), deadline: m.r_deadline.toISOString(),
          requestedDomains: m.r_requested_domains ?? [], lookbackMonths: m.r_lookback_months,
        },
      });
    }
    const rounds: PackRound[] = [...byRequest.values()].sort((a, b) => a.rank - b.rank).map((x) => x.round);
    // Only the case's own coordinator, who recorded them, is shown who the case is about.
    const about = opts.withCaseDetails && isCoordinator ? caseDetails(theCase, theCase.sealed, now) : undefined;

    const pack: ResearchPack = {
      caseId,
      maracArea: theCase.maracArea,
      meetingDate: theCase.meetingDate,
      riskCriteria: theCase.riskBasis.criteria,
      viewer: viewer.agencyId,
      sections,
      rounds,
      refused,
      generatedAt: now.toISOString(),
      ...(about ? { about } : {}),
    };
    const merged = mergeExplanations(explanations, { collapse: true });
    // Every refusal is in the log: DENY when sections were refused and none released, a partial
    // release otherwise; the reason is the refused sections' one reason, or SECTIONS_REFUSED.
    const refusedSections = sectionDecisions.filter((d) => d.decision === 'DENY');
    const releasedSections = sectionDecisions.filter((d) => d.decision === 'PERMIT' || d.decision === 'PERMIT_WITH_TRANSFORMS');
    const refusalReasons = new Set(refusedSections.map((d) => d.reasonCode!));
    const overall: AuditDecision = refusedSections.length > 0
      ? (releasedSections.length === 0 ? 'DENY' : 'PERMIT_WITH_TRANSFORMS')
      : merged.fieldsTransformed.length || merged.fieldsWithheld.length ? 'PERMIT_WITH_TRANSFORMS' : 'PERMIT';
    await withTx(pool, (tx) =>
      audit.append(tx, {
        action: mode === 'export' ? 'PACK_EXPORTED' : mode === 'document' ? 'DOCUMENT_PRODUCED' : 'VIEW_READ',
        actor,
        caseId,
        decision: overall,
        ...(refusalReasons.size > 0 ? { reasonCode: refusalReasons.size === 1 ? [...refusalReasons][0]! : 'SECTIONS_REFUSED' } : {}),
        sectionDecisions,
        ruleIds: merged.ruleIds,
        fieldsReleased: merged.fieldsReleased,
        fieldsTransformed: merged.fieldsTransformed,
        fieldsWithheld: merged.fieldsWithheld,
        viewDigest: digest(pack.sections),
        subjectTokens: theCase.tokens,
        agencyIds: [viewer.agencyId],
        detail: {
          sections: sections.length, sectionsReleased: releasedSections.length, sectionsRefused: refusedSections.length,
          // That the page showed who the case is about (and to how many people), never what it showed.
          ...(about ? { caseDetailsShown: true, subjectsShown: about.subjects.length } : {}),
          agreements: [...ruleAgreements].join(','),
          // A document is produced for the viewer's own agency from its own released view.
          ...(mode === 'document' ? { document: 'research-pack', format: opts.format ?? null, recipientAgencyId: viewer.agencyId } : {}),
        },
      }),
    );
    return pack;
  }

  return { getPack };
}
