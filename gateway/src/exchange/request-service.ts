import { withTx } from '../store/db.js';
import { actingAgency, type ExchangeActor } from './acting-agency.js';
import type { ExchangeDeps } from './deps.js';
import { createCaseReader } from './case-service.js';
import { AllRecipientsRefused, CaseNotFound, NotACoordinator, RequestNotFound } from './errors.js';
import { newId } from './ids.js';
import { CaseNotOpen } from './case-errors.js';
import { policyCaseFacts } from './case-facts.js';
import { InvalidDateInput } from './working-days.js';
import { EARLIEST_DATE, latestDate, outsideDateWindow } from './date-window.js';
import { ValidationFailed } from '../errors.js';

export interface ResearchRequestInput {
  purpose: string;
  recipients: string[];
  requestedDomains?: string[];
  lookbackMonths?: number;
  deadline?: string;
  transferFromMaracArea?: string;
}

/** Every research domain (schemas/research-request.schema.json). */
export const RESEARCH_DOMAINS = [
  'DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS', 'HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH',
  'TENANCY', 'CHILDREN_STATUS', 'ADULT_SOCIAL_CARE', 'SUPERVISION', 'VICTIM_VIEWS',
] as const;

/**
 * A request that names no domains asks for all of them: research is what a round is for, and the
 * agreements still decide what each answer may release. An empty list is the explicit choice of an
 * identity check only. Stored resolved, so adapters never have to guess what "nothing" meant.
 */
export function resolveDomains(requested: readonly string[] | undefined): string[] {
  return requested === undefined ? [...RESEARCH_DOMAINS] : [...requested];
}

export interface FanOutResult {
  requestId: string;
  caseId: string;
  deadline: string;
  messages: { messageId: string; recipient: string; state: string; agreementId: string; agreementVersion: number }[];
  refused: { recipient: string; reason: string }[];
}

export function createRequestService(deps: ExchangeDeps) {
  const { pool, audit, policy, agencies } = deps;
  const cases = createCaseReader(deps);

  /**
   * Fan-out: one message per recipient. Each recipient is decided on its own; a refused one is
   * recorded with its reason code while the others proceed.
   */
  async function createResearchRequest(actor: ExchangeActor, caseId: string, body: unknown): Promise<FanOutResult> {
    const acting = await actingAgency(actor, agencies);
    deps.validate('research-request', body);
    const input = body as ResearchRequestInput;
    const now = deps.now();
    const theCase = await cases.getCase(pool, caseId);
    // Only the case's own coordinator may ask; anyone else learns nothing about the case.
    if (theCase.coordinatorAgencyId !== acting.agencyId) throw new CaseNotFound('No such case');
    if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only a MARAC coordinator agency can request research');
    // A withdrawn or closed case asks nobody anything (reopen it first); nothing is written.
    if (theCase.status !== 'OPEN') throw new CaseNotOpen(`This case is ${theCase.status.toLowerCase()}: reopen it to ask for research`, { reason: theCase.status });

    const deadline = input.deadline ? new Date(input.deadline) : deps.deadlines.defaultDeadline(theCase.meetingDate);
    const reminderAt = reminderFor(deadline);
    const requestId = newId('req');
    const planned: { messageId: string; recipient: string; mode: 'pull' | 'push'; agreementId: string; version: number; ruleIds: string[]; warnings: string[]; criteriaMet: string[] }[] = [];
    const refused: { recipient: string; reason: string; agreementId?: string; version?: number }[] = [];
    const caseFacts = policyCaseFacts(theCase);

    for (const recipient of input.recipients) {
      const agency = await agencies.getAgency(recipient);
      if (!agency || agency.disabled) {
        refused.push({ recipient, reason: 'UNKNOWN_RECIPIENT' });
        continue;
      }
      const decision = await policy.decide({
        now,
        purpose: input.purpose,
        direction: 'request',
        from: acting,
        to: { agencyId: agency.id, agencyType: agency.type },
        caseFacts,
        subjectRoles: [...new Set(theCase.subjectFacts.map((f) => f.role))],
      });
      if (decision.effect === 'DENY') {
        refused.push({
          recipient,
          reason: decision.reason,
          ...(decision.agreementId ? { agreementId: decision.agreementId } : {}),
          ...(decision.version !== undefined ? { version: decision.version } : {}),
        });
        continue;
      }
      planned.push({
        messageId: newId('msg'),
        recipient: agency.id,
        mode: agency.deliveryMode,
        agreementId: decision.agreementId,
        version: decision.version,
        ruleIds: decision.flowIds,
        warnings: decision.warnings ?? [],
        criteriaMet: decision.criteriaMet ?? [],
      });
    }

    if (planned.length === 0) {
      // Nothing may move: no request row, but every refusal is still audited.
      await withTx(pool, async (tx) => {
        for (const r of refused) await auditRefusal(tx, r);
      });
      throw new AllRecipientsRefused('No recipient is allowed by the agreements', {
        reason: refused[0]?.reason ?? 'NO_AGREEMENT',
        problems: refused.map((r) => ({ path: `/recipients/${input.recipients.indexOf(r.recipient)}`, code: r.reason, message: `${r.recipient} refused` })),
      });
    }

    async function auditRefusal(tx: import('../store/db.js').Tx, r: (typeof refused)[number], withRequest = false) {
      await audit.append(tx, {
        action: 'REQUEST_REFUSED',
        actor,
        caseId,
        ...(withRequest ? { requestId } : {}),
        purpose: input.purpose,
        decision: 'DENY',
        reasonCode: r.reason,
        ...(r.agreementId ? { agreementId: r.agreementId } : {}),
        ...(r.version !== undefined ? { agreementVersion: r.version } : {}),
        subjectTokens: theCase.tokens,
        // An unregistered recipient is client text, not an agency id: it may even be personal data.
        agencyIds: r.reason === 'UNKNOWN_RECIPIENT' ? [acting.agencyId] : [acting.agencyId, r.recipient],
      });
    }

    await withTx(pool, async (tx) => {
      // The case was read open above, before the decisions: read again under a share lock (a
      // withdrawal or close takes the row's NO KEY UPDATE lock, so it waits for this request or
      // this request sees it), so that no request is made of a case withdrawn meanwhile.
      const locked = await tx.query<{ status: string }>('SELECT status FROM cases WHERE id = $1 FOR SHARE', [caseId]);
      const status = locked.rows[0]?.status;
      if (status === undefined) throw new CaseNotFound('No such case');
      if (status !== 'OPEN') throw new CaseNotOpen(`This case is ${status.toLowerCase()}: reopen it to ask for research`, { reason: status });
      await tx.query(
        `INSERT INTO research_requests (id, case_id, sender_agency_id, purpose, requested_domains, lookback_months, deadline, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
        [requestId, caseId, acting.agencyId, input.purpose, resolveDomains(input.requestedDomains), input.lookbackMonths ?? 12, deadline, now],
      );
      for (const m of planned) {
        await tx.query(
          `INSERT INTO messages (id, request_id, case_id, sender_agency_id, recipient_agency_id, delivery_mode,
             agreement_id, agreement_version, state, deadline, created_at, updated_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'queued',$9,$10,$10)`,
          [m.messageId, requestId, caseId, acting.agencyId, m.recipient, m.mode, m.agreementId, m.version, deadline, now],
        );
        await audit.append(tx, {
          action: 'REQUEST_CREATED',
          actor,
          caseId,
          requestId,
          messageId: m.messageId,
          agreementId: m.agreementId,
          agreementVersion: m.version,
          purpose: input.purpose,
          decision: 'PERMIT',
          ruleIds: m.ruleIds,
          subjectTokens: theCase.tokens,
          agencyIds: [acting.agencyId, m.recipient],
          // Which referral criterion the agreement accepted: the decision cites it (T5b).
          detail: { criteriaMet: m.criteriaMet.join(','), ...(m.warnings.length ? { warnings: m.warnings.join(',') } : {}) },
        });
        if (m.mode === 'pull') await deps.inboxSignal.notify(tx, m.recipient);
      }
      for (const r of refused) {
        await tx.query(
          `INSERT INTO request_refusals (request_id, recipient_agency_id, reason_code, agreement_id, agreement_version)
           VALUES ($1,$2,$3,$4,$5)`,
          [requestId, r.recipient, r.reason, r.agreementId ?? null, r.version ?? null],
        );
        await auditRefusal(tx, r, true);
      }
    });

    // After commit: nudge the queue. If this process dies here, the sweeper re-adds the jobs.
    for (const m of planned) if (m.mode === 'push') await deps.jobs.enqueueDelivery(m.messageId).catch(() => {});
    if (planned.length > 0) await deps.jobs.scheduleDeadline(requestId, reminderAt, deadline).catch(() => {});

    const result: FanOutResult = {
      requestId,
      caseId,
      deadline: deadline.toISOString(),
      messages: planned.map((m) => ({ messageId: m.messageId, recipient: m.recipient, state: 'queued', agreementId: m.agreementId, agreementVersion: m.version })),
      refused: refused.map((r) => ({ recipient: r.recipient, reason: r.reason })),
    };
    return result;
  }

  /**
   * The reminder instant, worked out BEFORE anything is written: a schema-valid deadline the
   * working-day calendar cannot place (a leap second, year 0000, a +23:59 offset past 9999) or
   * outside the date window (date-window.ts) is bad input, never a 5xx or a request committed
   * behind a 4xx.
   */
  function reminderFor(deadline: Date): Date {
    const bad = () => new ValidationFailed('The deadline is not a usable date-time', {
      problems: [{ path: '/deadline', code: 'range', message: `a date-time from ${EARLIEST_DATE} to ${latestDate(deps.now())}` }],
    });
    if (Number.isNaN(deadline.getTime()) || outsideDateWindow(deadline, deps.now())) throw bad();
    try {
      const at = deps.deadlines.reminderAt(deadline);
      if (Number.isNaN(at.getTime())) throw bad();
      return at;
    } catch (err) {
      if (err instanceof InvalidDateInput) throw bad();
      throw err;
    }
  }

  /** Status of a request: the sender sees every recipient; a recipient sees only its own message. */
  async function getRequestStatus(actor: ExchangeActor, requestId: string) {
    const acting = await actingAgency(actor, agencies);
    const r = await pool.query('SELECT id, case_id, sender_agency_id, purpose, deadline, created_at FROM research_requests WHERE id = $1', [requestId]);
    const req = r.rows[0];
    if (!req) throw new RequestNotFound('No such request');
    const isSender = req.sender_agency_id === acting.agencyId;
    const msgs = await pool.query(
      `SELECT id, recipient_agency_id, state, late, deadline, delivered_at, acknowledged_at, answered_at, last_error_code, attempts
         FROM messages WHERE request_id = $1 ${isSender ? '' : 'AND recipient_agency_id = $2'} ORDER BY recipient_agency_id`,
      isSender ? [requestId] : [requestId, acting.agencyId],
    );
    if (!isSender && msgs.rowCount === 0) throw new RequestNotFound('No such request');
    const refusals = isSender
      ? (await pool.query('SELECT recipient_agency_id, reason_code FROM request_refusals WHERE request_id = $1 ORDER BY recipient_agency_id', [requestId])).rows
      : [];
    return {
      requestId,
      caseId: req.case_id,
      purpose: req.purpose,
      deadline: req.deadline.toISOString(),
      messages: msgs.rows.map((m) => ({
        messageId: m.id,
        recipient: m.recipient_agency_id,
        state: m.state,
        late: m.late,
        attempts: m.attempts,
        ...(m.last_error_code ? { lastError: m.last_error_code } : {}),
        deliveredAt: m.delivered_at?.toISOString() ?? null,
        acknowledgedAt: m.acknowledged_at?.toISOString() ?? null,
        answeredAt: m.answered_at?.toISOString() ?? null,
      })),
      refused: refusals.map((x) => ({ recipient: x.recipient_agency_id, reason: x.reason_code })),
    };
  }

  return { createResearchRequest, getRequestStatus };
}
