/**
 * The coordinator circulates a meeting (docs/decisions/0027): before it, the research pack of
 * every case on the agenda to every party agency of the case; after it, the minutes and actions
 * of every case that has minutes, likewise. Each (case, agency) is its own release through the
 * circulation service, audited there as CIRCULATED (ids and paths only), which the notifier turns
 * into a message for that agency's representatives. When each was circulated is kept in
 * meeting_circulations (ids, kind, time and, for minutes, the version circulated), which is also
 * what lets a partner read them at all (docs/decisions/0033): nothing before it, and the
 * circulated version of the minutes after it, until they are circulated again.
 */
import type pg from 'pg';
import { GatewayError } from '../errors.js';
import type { AuditLog } from '../audit/types.js';
import { actingAgency, type ExchangeActor } from '../exchange/acting-agency.js';
import { CaseNotFound, NotACoordinator } from '../exchange/errors.js';
import type { AgencyDirectory } from '../exchange/ports.js';
import type { Queryable } from '../store/db.js';
import { withTx } from '../store/db.js';
import { MinutesNotFound, type CirculationService } from './circulation-service.js';
import { MeetingCancelled, MeetingNotFound } from './errors.js';
import { CIRCULATION_PURPOSE } from './release.js';

export type CirculationKind = 'pack' | 'minutes';

/** Packs go out before the meeting is held, minutes once it has started; nothing of a cancelled one; nothing to send. */
export class CirculationNotAllowed extends GatewayError {
  readonly code = 'CIRCULATION_NOT_ALLOWED';
  readonly status = 409;
}

export interface MeetingCirculationDeps {
  pool: pg.Pool;
  audit: AuditLog;
  agencies: AgencyDirectory;
  circulation: Pick<CirculationService, 'packFor' | 'minutesFor'>;
  now(): Date;
  /** Throws ValidationFailed (ajv, schemas/meeting-circulate.schema.json). */
  validate(schema: 'meeting-circulate', data: unknown): void;
}

export interface CirculationResult {
  meetingId: string;
  kind: CirculationKind;
  circulatedAt: string;
  /** One entry per (case, agency) released to: ids only. */
  circulated: { caseId: string; agencyId: string }[];
}

const MEETING_ID = /^mtg_[0-9a-f]{32}$/;

/**
 * The party agencies of a case other than its coordinator, in the circulation service's sense
 * (circulation-repo.ts isCaseParty): asked for research on it, owning one of its actions, or in
 * the attendance of a meeting that listed it.
 */
export async function casePartyAgencies(q: Queryable, caseId: string, coordinatorAgencyId: string): Promise<string[]> {
  const { rows } = await q.query<{ agency_id: string }>(
    `SELECT agency_id FROM (
        SELECT recipient_agency_id AS agency_id FROM messages WHERE case_id = $1
        UNION SELECT owner_agency_id FROM case_actions WHERE case_id = $1
        UNION SELECT a.agency_id FROM meeting_cases mc JOIN meeting_attendance a ON a.meeting_id = mc.meeting_id WHERE mc.case_id = $1
      ) p WHERE agency_id <> $2 ORDER BY agency_id`,
    [caseId, coordinatorAgencyId],
  );
  return rows.map((r) => r.agency_id);
}

export function createMeetingCirculation(deps: MeetingCirculationDeps) {
  const { pool, audit } = deps;

  async function coordinator(actor: ExchangeActor): Promise<string> {
    const acting = await actingAgency(actor, deps.agencies);
    if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only a MARAC coordinator agency circulates a meeting');
    return acting.agencyId;
  }

  /** The meeting, this coordinator's; another's or none is MEETING_NOT_FOUND, the refusal audited. */
  async function meetingOf(actor: ExchangeActor, agencyId: string, meetingId: string) {
    const { rows } = MEETING_ID.test(meetingId)
      ? await pool.query<{ status: string }>('SELECT status FROM meetings WHERE id = $1 AND coordinator_agency_id = $2', [meetingId, agencyId])
      : { rows: [] };
    if (!rows[0]) {
      await withTx(pool, (tx) => audit.append(tx, {
        action: 'ACCESS_DENIED', actor, purpose: CIRCULATION_PURPOSE, decision: 'DENY', reasonCode: 'MEETING_NOT_FOUND',
        agencyIds: [agencyId], detail: { stage: 'circulate-meeting', ...(MEETING_ID.test(meetingId) ? { meetingId } : {}) },
      }));
      throw new MeetingNotFound('No such meeting');
    }
    return rows[0];
  }

  async function circulate(actor: ExchangeActor, meetingId: string, body: unknown): Promise<CirculationResult> {
    const agencyId = await coordinator(actor);
    deps.validate('meeting-circulate', body);
    const kind = (body as { kind: CirculationKind }).kind;
    const m = await meetingOf(actor, agencyId, meetingId);
    if (m.status === 'CANCELLED') throw new MeetingCancelled('This meeting was cancelled; nothing of it is circulated');
    if (kind === 'pack' && m.status === 'HELD') throw new CirculationNotAllowed('The research packs are circulated before the meeting is held');
    if (kind === 'minutes' && m.status === 'PLANNED') throw new CirculationNotAllowed('The minutes are circulated once the meeting has started');
    const { rows } = await pool.query<{ case_id: string }>(
      kind === 'pack'
        ? 'SELECT case_id FROM meeting_cases WHERE meeting_id = $1 ORDER BY position'
        : `SELECT mc.case_id FROM meeting_cases mc JOIN case_minutes cm ON cm.meeting_id = mc.meeting_id AND cm.case_id = mc.case_id
            WHERE mc.meeting_id = $1 ORDER BY mc.position`,
      [meetingId],
    );
    if (rows.length === 0) {
      throw new CirculationNotAllowed(kind === 'pack' ? 'There are no cases on the agenda to circulate' : 'No minutes have been recorded at this meeting yet');
    }
    const circulated: CirculationResult['circulated'] = [];
    for (const { case_id: caseId } of rows) {
      for (const recipient of await casePartyAgencies(pool, caseId, agencyId)) {
        const a = await deps.agencies.getAgency(recipient);
        if (!a || a.disabled) continue;
        // The release is the circulation: its meeting_circulations row (for minutes, with the
        // version now kept as circulated) is written with its CIRCULATED event (decision 0033).
        const opts = { recipientAgencyId: recipient, audit: 'CIRCULATED' as const, detail: { meetingId }, circulate: { meetingId } };
        try {
          if (kind === 'pack') await deps.circulation.packFor(actor, caseId, opts);
          else await deps.circulation.minutesFor(actor, meetingId, caseId, opts);
        } catch (e) {
          // No longer a party (refused and audited by the circulation service): nothing sent.
          if (e instanceof CaseNotFound || e instanceof MinutesNotFound) continue;
          throw e;
        }
        circulated.push({ caseId, agencyId: recipient });
      }
    }
    return { meetingId, kind, circulatedAt: deps.now().toISOString(), circulated };
  }

  /** When this meeting's packs and minutes were last circulated (ISO), for its page. */
  async function circulatedOn(meetingId: string): Promise<Partial<Record<CirculationKind, string>>> {
    const { rows } = await pool.query<{ kind: CirculationKind; at: Date }>(
      'SELECT kind, max(circulated_at) AS at FROM meeting_circulations WHERE meeting_id = $1 GROUP BY kind',
      [meetingId],
    );
    return Object.fromEntries(rows.map((r) => [r.kind, r.at.toISOString()]));
  }

  /**
   * The minutes of one case at the meeting as last circulated (the version and when), for the
   * coordinator's minutes page: partners see that version until the minutes are circulated again.
   */
  async function minutesCirculation(meetingId: string, caseId: string): Promise<{ version: number; at: string } | undefined> {
    const { rows } = await pool.query<{ minutes_version: number; circulated_at: Date }>(
      `SELECT minutes_version, circulated_at FROM meeting_circulations
        WHERE meeting_id = $1 AND case_id = $2 AND kind = 'minutes' AND minutes_version IS NOT NULL
        ORDER BY circulated_at DESC, minutes_version DESC LIMIT 1`,
      [meetingId, caseId],
    );
    const r = rows[0];
    return r ? { version: r.minutes_version, at: r.circulated_at.toISOString() } : undefined;
  }

  return { circulate, circulatedOn, minutesCirculation };
}

export type MeetingCirculation = ReturnType<typeof createMeetingCirculation>;
