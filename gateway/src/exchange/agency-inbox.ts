import { withTx, type Tx } from '../store/db.js';
import { caseKeyId, openerFor, sealerFor } from '../store/case-keys.js';
import type { ExchangeDeps } from './deps.js';
import type { InboxService } from './inbox-service.js';
import { createRequestViewBuilder, releaseEvent, type MessageRow, type RequestView } from './request-view.js';
import { RequestNotFound } from './errors.js';
import type { AgencyStaffPrincipal } from './agency-staff.js';

/**
 * An agency's inbox as its staff see it in the browser (decision 0021). Every request is shown as
 * the agency API's inbox hands it to the agency's system: the same view builder, under the
 * agreement version pinned when the request was made, decided afresh. A request still waiting to
 * be collected is collected here exactly as `GET /v1/inbox` would (inbox-service's deliverOne:
 * marked delivered, DELIVERED audited with what was shown); one already delivered is shown again
 * and that showing is audited (VIEW_READ, stage agency-inbox). Only pull-mode messages are taken:
 * an agency whose system receives pushes still gets them pushed.
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

export function createAgencyInbox(deps: ExchangeDeps & { inbox: Pick<InboxService, 'deliverOne'> }) {
  const { pool, audit } = deps;
  const views = createRequestViewBuilder(deps);

  async function show(tx: Tx, m: MessageRow & { created_at: Date }, staff: AgencyStaffPrincipal, stage: string): Promise<InboxEntry> {
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
      const r = await tx.query<MessageRow & { created_at: Date }>(
        `SELECT * FROM messages WHERE recipient_agency_id = $1 ORDER BY created_at DESC, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
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
      const r = await tx.query<MessageRow & { created_at: Date }>(
        'SELECT * FROM messages WHERE request_id = $1 AND recipient_agency_id = $2 FOR UPDATE',
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
    await withTx(pool, async (tx) => {
      const r = await tx.query<MessageRow>('SELECT * FROM messages WHERE request_id = $1 AND recipient_agency_id = $2 FOR UPDATE', [requestId, staff.agencyId]);
      const m = r.rows[0];
      if (!m) throw new RequestNotFound('No such request');
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
    });
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
