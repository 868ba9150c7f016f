import { withTx, type Tx } from '../store/db.js';
import { caseKeyId, openerFor, sealerFor } from '../store/case-keys.js';
import type { ExchangeDeps } from './deps.js';
import type { InboxService } from './inbox-service.js';
import { createRequestViewBuilder, releaseEvent, type MessageRow, type RequestView } from './request-view.js';
import { RequestNotFound } from './errors.js';
import { CaseNotOpen } from './case-errors.js';
import type { AgencyStaffPrincipal } from './agency-staff.js';

/**
 * An agency's inbox as its staff see it in the browser (decision 0021). Every request is shown as
 * the agency API's inbox hands it to the agency's system: the same view builder, under the
 * agreement version pinned when the request was made, decided afresh. A request still waiting to
 * be collected is collected here exactly as `GET /v1/inbox` would (inbox-service's deliverOne:
 * marked delivered, DELIVERED audited with what was shown); one already delivered is shown again
 * and that showing is audited (VIEW_READ, stage agency-inbox). Only pull-mode messages are taken:
 * an agency whose system receives pushes still gets them pushed.
 *
 * A request of a withdrawn or closed case is listed marked (`refusedReason` CASE_WITHDRAWN or
 * CASE_CLOSED) with nothing of the case shown and nothing collected; opening it to answer, or
 * saving a draft of its answer, is refused (409 CASE_NOT_OPEN) and audited as ACCESS_DENIED. A
 * purged case's requests are gone.
 */

export interface InboxEntry {
  messageId: string;
  requestId: string;
  caseId: string;
  state: string;
  deadline: string;
  receivedAt: string;
  overdue: boolean;
  answered: boolean;
  /** What the agency may see of the request; absent when the policy now refuses it (reason given). */
  view?: RequestView;
  refusedReason?: string;
  /** A push-mode message not yet sent to the agency's system. */
  awaitingPush?: boolean;
}

const MAX_LISTED = 100;

/** A message with its case's status and subject tokens, read with it. */
type Listed = MessageRow & { created_at: Date; case_status: string; case_tokens: string[] };

/** The message, its case's status and tokens, for the agency: the statement's text after SELECT. */
const LISTED = `m.*, c.status AS case_status, c.subject_tokens AS case_tokens
                  FROM messages m JOIN cases c ON c.id = m.case_id`;

export function createAgencyInbox(deps: ExchangeDeps & { inbox: Pick<InboxService, 'deliverOne'> }) {
  const { pool, audit } = deps;
  const views = createRequestViewBuilder(deps);

  /** The refusal of a request of a case no longer open, audited (nothing of the case is shown). */
  async function refuseClosed(tx: Tx, m: MessageRow, status: string, tokens: string[], staff: AgencyStaffPrincipal, stage: string): Promise<void> {
    await audit.append(tx, {
      action: 'ACCESS_DENIED', actor: staff, caseId: m.case_id, requestId: m.request_id, messageId: m.id,
      agreementId: m.agreement_id, agreementVersion: m.agreement_version, decision: 'DENY', reasonCode: `CASE_${status}`,
      subjectTokens: tokens, agencyIds: [m.sender_agency_id, m.recipient_agency_id], detail: { stage },
    });
  }

  async function show(tx: Tx, row: Listed, staff: AgencyStaffPrincipal, stage: string): Promise<InboxEntry> {
    const { case_status: caseStatus, case_tokens: caseTokens, ...m } = row;
    const now = deps.now();
    const base: InboxEntry = {
      messageId: m.id,
      requestId: m.request_id,
      caseId: m.case_id,
      state: m.state,
      deadline: new Date(m.deadline).toISOString(),
      receivedAt: new Date(m.created_at).toISOString(),
      overdue: !['responded', 'declined'].includes(m.state) && new Date(m.deadline).getTime() < now.getTime(),
      answered: m.state === 'responded' || m.state === 'declined',
    };
    if (caseStatus !== 'OPEN') {
      // Listed, marked; opened to be answered, refused and audited.
      if (stage === 'research-form') await refuseClosed(tx, m, caseStatus, caseTokens, staff, stage);
      return { ...base, refusedReason: `CASE_${caseStatus}` };
    }
    if (m.state === 'failed') return { ...base, refusedReason: 'DELIVERY_FAILED' };
    if (m.state === 'queued') {
      if (m.delivery_mode === 'push') return { ...base, awaitingPush: true };
      const view = await deps.inbox.deliverOne(tx, m, staff);
      return view ? { ...base, state: 'delivered', view } : { ...base, state: 'failed', refusedReason: 'DELIVERY_FAILED' };
    }
    const built = await views.build(tx, m);
    if (!built.ok) {
      await audit.append(tx, {
        action: 'ACCESS_DENIED', actor: staff, caseId: m.case_id, requestId: m.request_id, messageId: m.id,
        agreementId: m.agreement_id, agreementVersion: m.agreement_version, decision: 'DENY', reasonCode: built.decision.reason,
        subjectTokens: built.subjectTokens, agencyIds: [m.sender_agency_id, m.recipient_agency_id], detail: { stage },
      });
      return { ...base, refusedReason: built.decision.reason };
    }
    await audit.append(tx, releaseEvent('VIEW_READ', staff, m, built, { stage }));
    return { ...base, view: built.view };
  }

  /** The agency's requests, newest first, each as the agency may see it. */
  async function list(staff: AgencyStaffPrincipal): Promise<InboxEntry[]> {
    return withTx(pool, async (tx) => {
      const r = await tx.query<Listed>(
        `SELECT ${LISTED} WHERE m.recipient_agency_id = $1 ORDER BY m.created_at DESC, m.id LIMIT $2 FOR UPDATE OF m SKIP LOCKED`,
        [staff.agencyId, MAX_LISTED],
      );
      const out: InboxEntry[] = [];
      for (const m of r.rows) out.push(await show(tx, m, staff, 'agency-inbox'));
      return out;
    });
  }

  /** One request of the agency's, by request id; another agency's looks exactly like a missing one. */
  async function open(staff: AgencyStaffPrincipal, requestId: string): Promise<InboxEntry> {
    return withTx(pool, async (tx) => {
      const r = await tx.query<Listed>(
        `SELECT ${LISTED} WHERE m.request_id = $1 AND m.recipient_agency_id = $2 FOR UPDATE OF m`,
        [requestId, staff.agencyId],
      );
      const m = r.rows[0];
      if (!m) throw new RequestNotFound('No such request');
      return show(tx, m, staff, 'research-form');
    });
  }

  /** The saved draft of an answer (the form's fields), or undefined. Reading it is not an access to the case. */
  async function draft(staff: AgencyStaffPrincipal, messageId: string): Promise<Record<string, string | string[]> | undefined> {
    const r = await pool.query(
      'SELECT sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext FROM research_drafts WHERE message_id = $1 AND agency_id = $2',
      [messageId, staff.agencyId],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    return (await openerFor(deps.sealer, pool, [row.sealed_key_id])).open({ keyId: row.sealed_key_id, iv: row.sealed_iv, tag: row.sealed_tag, ciphertext: row.sealed_ciphertext }, draftAad(messageId)) as Record<string, string | string[]>;
  }

  /** Saves (or replaces) the draft, sealed, with RESEARCH_DRAFT_SAVED audited in the same transaction. */
  async function saveDraft(staff: AgencyStaffPrincipal, requestId: string, fields: Record<string, string | string[] | undefined>): Promise<void> {
    const refused = await withTx(pool, async (tx) => {
      const r = await tx.query<Listed>(`SELECT ${LISTED} WHERE m.request_id = $1 AND m.recipient_agency_id = $2 FOR UPDATE OF m`, [requestId, staff.agencyId]);
      const row = r.rows[0];
      if (!row) throw new RequestNotFound('No such request');
      const { case_status: caseStatus, case_tokens: caseTokens, ...m } = row;
      // A withdrawn or closed case's request is not answered: no draft either (the refusal is the only write).
      if (caseStatus !== 'OPEN') {
        await refuseClosed(tx, m, caseStatus, caseTokens, staff, 'research-draft');
        return caseStatus;
      }
      // Under the case's own data key (store/case-keys.ts), destroyed when the case is purged.
      const box = (await sealerFor(deps.sealer, tx, caseKeyId(m.case_id))).seal(fields, draftAad(m.id));
      await tx.query(
        `INSERT INTO research_drafts (message_id, agency_id, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, saved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (message_id) DO UPDATE SET sealed_key_id = EXCLUDED.sealed_key_id, sealed_iv = EXCLUDED.sealed_iv,
           sealed_tag = EXCLUDED.sealed_tag, sealed_ciphertext = EXCLUDED.sealed_ciphertext, saved_at = EXCLUDED.saved_at`,
        [m.id, staff.agencyId, box.keyId, box.iv, box.tag, box.ciphertext, deps.now()],
      );
      await audit.append(tx, {
        action: 'RESEARCH_DRAFT_SAVED',
        actor: staff,
        caseId: m.case_id,
        requestId: m.request_id,
        messageId: m.id,
        agreementId: m.agreement_id,
        agreementVersion: m.agreement_version,
        decision: 'NONE',
        agencyIds: [m.sender_agency_id, m.recipient_agency_id],
        // How much was typed, never what.
        detail: { fields: Object.keys(fields).length },
      });
      return undefined;
    });
    if (refused) throw new CaseNotOpen(`This case is ${refused.toLowerCase()}: its research requests are no longer answered`, { reason: refused });
  }

  /** The draft goes once the answer is made (the answer itself is what is kept). */
  async function discardDraft(staff: AgencyStaffPrincipal, messageId: string): Promise<void> {
    await pool.query('DELETE FROM research_drafts WHERE message_id = $1 AND agency_id = $2', [messageId, staff.agencyId]);
  }

  return { list, open, draft, saveDraft, discardDraft };
}

function draftAad(messageId: string): string {
  return `research-draft:${messageId}`;
}

export type AgencyInbox = ReturnType<typeof createAgencyInbox>;
