/**
 * Meetings, their agendas and attendance (issue 14; the shared model of docs/decisions/0018).
 * A meeting belongs to one coordinating agency: another coordinator's meeting looks missing (404,
 * never 403). Every change is audited in its own transaction with ids and states only; reading an
 * agenda is audited (VIEW_READ) with the case ids it showed. Flags are computed at the read.
 * No Express here: the agency API (http/meeting-routes.ts) and the pages (ui/meeting-pages.ts)
 * call these functions.
 */
import { openerFor } from '../store/case-keys.js';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AuditEventInput, AuditLog } from '../audit/types.js';
import { ValidationFailed, type ProblemDetail } from '../errors.js';
import { actingAgency, type ExchangeActor } from '../exchange/acting-agency.js';
import { CaseNotOpen } from '../exchange/case-errors.js';
import { EARLIEST_DATE, latestDate } from '../exchange/date-window.js';
import { CaseNotFound, MaracAreaNotRegistered, NotACoordinator } from '../exchange/errors.js';
import type { AgencyDirectory } from '../exchange/ports.js';
import { judgeRiskBasis } from '../exchange/release-facts.js';
import type { RiskBasis } from '../exchange/ports.js';
import type { Principal } from '../identity/principal.js';
import { withTx, type Tx } from '../store/db.js';
import type { Sealer } from '../store/sealed-box.js';
import {
  agendaEnds, agendaItems, DEFAULT_SLOT_MINUTES, isPermutation, londonDate, MAX_AGENDA, withAdded, withMoved, withRemoved,
} from './agenda.js';
import {
  AgencyNotAParty, AgendaFull, AgendaOrderMismatch, CaseAlreadyListed, CaseNotListed, MeetingCancelled, MeetingHeld, MeetingNotFound,
  ListingHasMinutes, MeetingNotStarted, MeetingTransitionInvalid,
} from './errors.js';
import * as repo from './meeting-repo.js';
import type { AgendaItem, Attendance, ListingOutcome, Meeting, MeetingStatus } from './types.js';

export type MeetingSchema = 'meeting' | 'meeting-update' | 'agenda-add' | 'agenda-order' | 'agenda-item-update' | 'attendance';

export interface MeetingDeps {
  pool: pg.Pool;
  audit: AuditLog;
  sealer: Sealer;
  agencies: AgencyDirectory;
  now(): Date;
  /** Throws ValidationFailed listing every problem (ajv, schemas/*.schema.json). */
  validate(schema: MeetingSchema, data: unknown): void;
}

export interface MeetingInput {
  startsAt: string;
  chair: string;
  venue?: string;
}
export interface MeetingUpdateInput {
  startsAt?: string;
  chair?: string;
  venue?: string | null;
  status?: 'IN_PROGRESS' | 'HELD';
}
export interface AgendaAddInput {
  caseId: string;
  slotMinutes?: number;
}
export interface AgendaItemUpdateInput {
  outcome?: ListingOutcome;
  slotMinutes?: number;
}
export interface AttendanceInput {
  attendance: (Omit<Attendance, 'informationSent'> & { informationSent?: boolean })[];
}

/** A meeting with its agenda (flags computed now), attendance and the agencies it offers. */
export interface MeetingAgenda {
  meeting: Meeting & { createdAt: string; updatedAt: string };
  /** The London date of the meeting and of today (what the flags were computed against). */
  meetingDay: string;
  today: string;
  items: (AgendaItem & { caseStatus: string; caseMeetingDate: string })[];
  /** When the last slot ends. */
  endsAt: string;
  attendance: Attendance[];
  /** Parties of the coordinator's active agreements: the agencies attendance is recorded for. */
  agencies: string[];
}

/** A research message of a listed case not yet answered or declined. */
export interface OutstandingResearch {
  caseId: string;
  requestId: string;
  agencyId: string;
  state: 'queued' | 'delivered' | 'acknowledged' | 'overdue' | 'failed';
  deadline: string;
  askedAt: string;
  /** Its deadline has passed (or the deadline sweep has already marked it overdue). */
  pastDeadline: boolean;
}

/** An open action of a listed case due on or before the meeting's day. */
export interface ActionForReview {
  actionId: string;
  caseId: string;
  ownerAgencyId: string;
  kind: 'ACTION' | 'SURVIVOR_FEEDBACK';
  dueOn: string;
  /** Open past its due date (London calendar, today). */
  overdue: boolean;
}

export interface MeetingOutstanding {
  meetingId: string;
  meetingDay: string;
  today: string;
  /** Open cases on the agenda with no research request yet, in agenda order. */
  notAsked: string[];
  research: OutstandingResearch[];
  actions: ActionForReview[];
}

const MEETING_ID = /^mtg_[0-9a-f]{32}$/;
const CASE_ID = /^case_[0-9a-f]{32}$/;
const AGENDA_READER: Principal = { kind: 'system', component: 'meeting-agenda' };
/** Case ids per VIEW_READ event (an audit detail value holds at most 1000 characters). */
const IDS_PER_EVENT = 25;

/** Status changes a meeting may make by PATCH (cancel has its own route). */
const NEXT: Record<MeetingStatus, readonly MeetingStatus[]> = {
  PLANNED: ['IN_PROGRESS', 'HELD'],
  IN_PROGRESS: ['HELD'],
  HELD: [],
  CANCELLED: [],
};

export function createMeetingService(deps: MeetingDeps) {
  const { pool, audit } = deps;

  async function coordinator(actor: ExchangeActor): Promise<string> {
    const acting = await actingAgency(actor, deps.agencies);
    if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only a MARAC coordinator agency has meetings');
    return acting.agencyId;
  }

  function meetingIdOk(meetingId: string): void {
    if (!MEETING_ID.test(meetingId)) throw new MeetingNotFound('No such meeting');
  }

  /** The meeting locked for a change; refuses a cancelled one, and a held one unless `heldOk`. */
  async function changeable(tx: Tx, meetingId: string, agencyId: string, heldOk = false) {
    meetingIdOk(meetingId);
    const m = await repo.findMeeting(tx, meetingId, agencyId, true);
    if (!m) throw new MeetingNotFound('No such meeting');
    if (m.status === 'CANCELLED') throw new MeetingCancelled('This meeting was cancelled; nothing on it can change');
    if (m.status === 'HELD' && !heldOk) throw new MeetingHeld('This meeting has been held; its date, chair and agenda stay as they were');
    return m;
  }

  /** A meeting time: a real instant, from now (a new or moved meeting) to the date window's end. */
  function startsAtProblems(startsAt: string, now: Date): ProblemDetail[] {
    const t = new Date(startsAt);
    if (Number.isNaN(t.getTime())) return [{ path: '/startsAt', code: 'format', message: 'a date and time, like 2026-12-16T10:00:00Z' }];
    const day = t.toISOString().slice(0, 10);
    if (t.getTime() < now.getTime() || day < EARLIEST_DATE) return [{ path: '/startsAt', code: 'MEETING_IN_PAST', message: 'a meeting is scheduled from now on' }];
    if (day > latestDate(now)) return [{ path: '/startsAt', code: 'range', message: `a meeting before ${latestDate(now)}` }];
    return [];
  }

  function event(actor: ExchangeActor, agencyId: string, action: AuditEventInput['action'], detail: AuditEventInput['detail'], extra: Partial<AuditEventInput> = {}): AuditEventInput {
    return { action, actor, decision: 'NONE', agencyIds: [agencyId], detail, ...extra };
  }

  async function scheduleMeeting(actor: ExchangeActor, body: unknown): Promise<Meeting> {
    const agencyId = await coordinator(actor);
    deps.validate('meeting', body);
    const input = body as MeetingInput;
    const now = deps.now();
    const problems = startsAtProblems(input.startsAt, now);
    if (problems.length > 0) throw new ValidationFailed('meeting is not valid', { problems });
    const area = (await deps.agencies.getAgency(agencyId))?.maracArea;
    if (!area) throw new MaracAreaNotRegistered('Your agency has no MARAC area in its registration');
    const meeting: Meeting = {
      id: `mtg_${randomUUID().replaceAll('-', '')}`,
      coordinatorAgencyId: agencyId,
      maracArea: area,
      startsAt: new Date(input.startsAt).toISOString(),
      chair: input.chair.trim(),
      ...(input.venue?.trim() ? { venue: input.venue.trim() } : {}),
      status: 'PLANNED',
    };
    await withTx(pool, async (tx) => {
      await repo.insertMeeting(tx, { ...meeting, createdBy: actorName(actor), at: now });
      await audit.append(tx, event(actor, agencyId, 'MEETING_SCHEDULED', { meetingId: meeting.id, status: 'PLANNED' }));
    });
    return meeting;
  }

  async function updateMeeting(actor: ExchangeActor, meetingId: string, body: unknown): Promise<Meeting> {
    const agencyId = await coordinator(actor);
    meetingIdOk(meetingId);
    deps.validate('meeting-update', body);
    const input = body as MeetingUpdateInput;
    const now = deps.now();
    return withTx(pool, async (tx) => {
      const m = await changeable(tx, meetingId, agencyId, input.startsAt === undefined && input.chair === undefined && input.venue === undefined);
      const changed: string[] = [];
      let startsAt = m.startsAt;
      if (input.startsAt !== undefined && new Date(input.startsAt).getTime() !== new Date(m.startsAt).getTime()) {
        const problems = startsAtProblems(input.startsAt, now);
        if (problems.length > 0) throw new ValidationFailed('meeting is not valid', { problems });
        startsAt = new Date(input.startsAt).toISOString();
        changed.push('startsAt');
      }
      const chair = input.chair !== undefined ? input.chair.trim() : m.chair;
      if (chair !== m.chair) changed.push('chair');
      const venue = input.venue === undefined ? m.venue ?? null : input.venue?.trim() || null;
      if (venue !== (m.venue ?? null)) changed.push('venue');
      let status = m.status;
      if (input.status !== undefined && input.status !== m.status) {
        if (!NEXT[m.status].includes(input.status)) {
          throw new MeetingTransitionInvalid(`A ${m.status.toLowerCase().replace('_', ' ')} meeting cannot become ${input.status.toLowerCase().replace('_', ' ')}`);
        }
        status = input.status;
        changed.push('status');
      }
      const updated: Meeting = { ...m, startsAt, chair, status, ...(venue ? { venue } : {}) };
      if (!venue) delete updated.venue;
      if (changed.length > 0) {
        await repo.updateMeeting(tx, meetingId, { startsAt, chair, venue, status }, now);
        await audit.append(tx, event(actor, agencyId, 'MEETING_UPDATED', { meetingId, fields: changed.join(','), status }));
      }
      return strip(updated);
    });
  }

  async function cancelMeeting(actor: ExchangeActor, meetingId: string): Promise<Meeting> {
    const agencyId = await coordinator(actor);
    return withTx(pool, async (tx) => {
      const m = await changeable(tx, meetingId, agencyId);
      const now = deps.now();
      await repo.updateMeeting(tx, meetingId, { startsAt: m.startsAt, chair: m.chair, venue: m.venue ?? null, status: 'CANCELLED' }, now);
      await audit.append(tx, event(actor, agencyId, 'MEETING_CANCELLED', { meetingId, status: 'CANCELLED', was: m.status }));
      return strip({ ...m, status: 'CANCELLED' });
    });
  }

  async function listMeetings(actor: ExchangeActor, opts: { pastLimit?: number } = {}) {
    const agencyId = await coordinator(actor);
    const r = await repo.listMeetings(pool, agencyId, londonDate(deps.now()), opts.pastLimit ?? 50);
    const shape = (m: (typeof r.upcoming)[number]) => ({ ...strip(m), cases: m.cases });
    return { upcoming: r.upcoming.map(shape), past: r.past.map(shape) };
  }

  /**
   * The agenda of one of this coordinator's meetings: the meeting with attendance and agencies
   * (query 1) and every listing with its flags (query 2), then one audited VIEW_READ naming the
   * case ids shown. Local references are unsealed only when asked (the coordinator's page).
   * Another coordinator's meeting is MEETING_NOT_FOUND.
   */
  async function readAgenda(meetingId: string, coordinatorAgencyId: string, opts: { actor?: Principal; references?: boolean } = {}): Promise<MeetingAgenda> {
    meetingIdOk(meetingId);
    const now = deps.now();
    const head = await repo.meetingWithAttendance(pool, meetingId, coordinatorAgencyId);
    if (!head) throw new MeetingNotFound('No such meeting');
    const today = londonDate(now);
    const meetingDay = londonDate(head.meeting.startsAt);
    const rows = await repo.agendaRows(pool, meetingId, today, meetingDay, opts.references === true);
    const opener = await openerFor(deps.sealer, pool, rows.map((r) => r.sealed?.keyId));
    const items = agendaItems(head.meeting.startsAt, rows.map((r) => {
      let localReference: string | undefined;
      if (r.sealed) localReference = (opener.open(r.sealed, r.caseId) as { externalRef?: string }).externalRef;
      return {
        caseId: r.caseId,
        position: r.position,
        slotMinutes: r.slotMinutes,
        outcome: r.outcome,
        repeatByCriteria: judgeRiskBasis(r.riskBasis as unknown as RiskBasis, now).criteria.includes('REPEAT'),
        repeatConfirmed: r.repeatConfirmed,
        overdueActions: r.overdueActions,
        actionsDueForReview: r.actionsDueForReview,
        outstandingResearch: r.outstandingResearch,
        ...(localReference ? { localReference } : {}),
      };
    }));
    const byCase = new Map(rows.map((r) => [r.caseId, r]));
    const actor = opts.actor ?? AGENDA_READER;
    const ids = items.map((i) => i.caseId);
    await withTx(pool, async (tx) => {
      for (let i = 0; i === 0 || i < ids.length; i += IDS_PER_EVENT) {
        await audit.append(tx, {
          action: 'VIEW_READ',
          actor,
          decision: 'PERMIT',
          agencyIds: [coordinatorAgencyId],
          detail: { view: 'meeting-agenda', meetingId, cases: ids.slice(i, i + IDS_PER_EVENT).join(','), caseCount: ids.length, references: opts.references === true },
        });
      }
    });
    return {
      meeting: head.meeting,
      meetingDay,
      today,
      items: items.map((i) => ({ ...i, caseStatus: byCase.get(i.caseId)!.caseStatus, caseMeetingDate: byCase.get(i.caseId)!.meetingDate })),
      endsAt: agendaEnds(head.meeting.startsAt, items),
      attendance: head.attendance,
      agencies: head.parties,
    };
  }

  /** The agenda as the acting coordinator reads it (the API; the page asks for references too). */
  async function getMeeting(actor: ExchangeActor, meetingId: string, opts: { references?: boolean } = {}) {
    const agencyId = await coordinator(actor);
    return readAgenda(meetingId, agencyId, { actor, ...opts });
  }

  async function agendaEvent(tx: Tx, actor: ExchangeActor, agencyId: string, meetingId: string, detail: Record<string, string | number | boolean>, caseId?: string, tokens?: string[]) {
    await audit.append(tx, event(actor, agencyId, 'AGENDA_CHANGED', { meetingId, ...detail }, {
      ...(caseId ? { caseId } : {}),
      ...(tokens ? { subjectTokens: tokens } : {}),
    }));
  }

  /** Lists an OPEN case of this coordinator last on the agenda. */
  async function addCase(actor: ExchangeActor, meetingId: string, body: unknown) {
    const agencyId = await coordinator(actor);
    meetingIdOk(meetingId);
    deps.validate('agenda-add', body);
    const input = body as AgendaAddInput;
    return withTx(pool, async (tx) => {
      await changeable(tx, meetingId, agencyId);
      const c = await caseOf(tx, input.caseId, agencyId);
      if (c.status !== 'OPEN') throw new CaseNotOpen('Only an open case can be listed at a meeting');
      const order = await repo.agendaOrder(tx, meetingId);
      if (order.includes(input.caseId)) throw new CaseAlreadyListed('This case is already on the agenda');
      if (order.length >= MAX_AGENDA) throw new AgendaFull(`An agenda lists at most ${MAX_AGENDA} cases`);
      const next = withAdded(order, input.caseId);
      const position = next.length;
      const slotMinutes = input.slotMinutes ?? DEFAULT_SLOT_MINUTES;
      await repo.insertListing(tx, meetingId, input.caseId, position, slotMinutes);
      await repo.touchMeeting(tx, meetingId, deps.now());
      await agendaEvent(tx, actor, agencyId, meetingId, { change: 'ADDED', position, slotMinutes }, input.caseId, c.tokens);
      return { meetingId, caseId: input.caseId, position, slotMinutes, outcome: 'LISTED' as ListingOutcome };
    });
  }

  async function caseOf(tx: Tx, caseId: string, agencyId: string) {
    if (!CASE_ID.test(caseId)) throw new CaseNotFound('No such case');
    const r = await tx.query('SELECT coordinator_agency_id, status, subject_tokens FROM cases WHERE id = $1 FOR SHARE', [caseId]);
    const x = r.rows[0];
    // Another coordinator's case looks exactly like a missing one.
    if (!x || x.coordinator_agency_id !== agencyId) throw new CaseNotFound('No such case');
    return { status: x.status as string, tokens: (x.subject_tokens ?? []) as string[] };
  }

  async function removeCase(actor: ExchangeActor, meetingId: string, caseId: string) {
    const agencyId = await coordinator(actor);
    return withTx(pool, async (tx) => {
      await changeable(tx, meetingId, agencyId);
      const order = await repo.agendaOrder(tx, meetingId);
      if (!order.includes(caseId)) throw new CaseNotListed('This case is not on the agenda');
      const minutes = await tx.query('SELECT 1 FROM case_minutes WHERE meeting_id = $1 AND case_id = $2', [meetingId, caseId]);
      if (minutes.rows.length > 0) throw new ListingHasMinutes('This case has minutes at this meeting; mark it deferred instead of removing it');
      await repo.deleteListing(tx, meetingId, caseId);
      const next = withRemoved(order, caseId);
      await repo.writeOrder(tx, meetingId, next);
      await repo.touchMeeting(tx, meetingId, deps.now());
      await agendaEvent(tx, actor, agencyId, meetingId, { change: 'REMOVED', cases: next.length }, caseId);
      return { meetingId, order: next };
    });
  }

  /** A new order: exactly the cases on the agenda, each once (else AGENDA_ORDER_MISMATCH, nothing written). */
  async function reorder(actor: ExchangeActor, meetingId: string, body: unknown) {
    const agencyId = await coordinator(actor);
    meetingIdOk(meetingId);
    deps.validate('agenda-order', body);
    const next = (body as { order: string[] }).order;
    return withTx(pool, async (tx) => {
      await changeable(tx, meetingId, agencyId);
      const order = await repo.agendaOrder(tx, meetingId);
      if (!isPermutation(order, next)) {
        throw new AgendaOrderMismatch('The new order must list every case on the agenda exactly once', {
          problems: [{ path: '/order', code: 'AGENDA_ORDER_MISMATCH', message: `the ${order.length} cases on the agenda, each once` }],
        });
      }
      if (order.some((c, i) => c !== next[i])) {
        await repo.writeOrder(tx, meetingId, next);
        await repo.touchMeeting(tx, meetingId, deps.now());
        await agendaEvent(tx, actor, agencyId, meetingId, { change: 'REORDERED', cases: next.length });
      }
      return { meetingId, order: [...next] };
    });
  }

  /** Moves a case one place (the page's up and down buttons). */
  async function moveCase(actor: ExchangeActor, meetingId: string, caseId: string, direction: 'up' | 'down') {
    const agencyId = await coordinator(actor);
    meetingIdOk(meetingId);
    return withTx(pool, async (tx) => {
      await changeable(tx, meetingId, agencyId);
      const order = await repo.agendaOrder(tx, meetingId);
      if (!order.includes(caseId)) throw new CaseNotListed('This case is not on the agenda');
      const next = withMoved(order, caseId, direction);
      if (order.some((c, i) => c !== next[i])) {
        await repo.writeOrder(tx, meetingId, next);
        await repo.touchMeeting(tx, meetingId, deps.now());
        await agendaEvent(tx, actor, agencyId, meetingId, { change: 'REORDERED', cases: next.length }, caseId);
      }
      return { meetingId, order: next };
    });
  }

  /** A listing's outcome (heard, deferred, listed again) or slot length. Heard needs the meeting started. */
  async function updateListing(actor: ExchangeActor, meetingId: string, caseId: string, body: unknown) {
    const agencyId = await coordinator(actor);
    meetingIdOk(meetingId);
    deps.validate('agenda-item-update', body);
    const input = body as AgendaItemUpdateInput;
    const now = deps.now();
    return withTx(pool, async (tx) => {
      // A held meeting still takes outcomes (minutes are often finished after), not new slot lengths.
      const m = await changeable(tx, meetingId, agencyId, input.slotMinutes === undefined);
      const l = await repo.findListing(tx, meetingId, caseId);
      if (!l) throw new CaseNotListed('This case is not on the agenda');
      if (input.outcome === 'HEARD' && m.status === 'PLANNED') throw new MeetingNotStarted('A case is heard once the meeting has started');
      const outcome = input.outcome ?? l.outcome;
      const slotMinutes = input.slotMinutes ?? l.slotMinutes;
      if (outcome !== l.outcome || slotMinutes !== l.slotMinutes) {
        await repo.updateListing(tx, meetingId, caseId, { slotMinutes, outcome, heardAt: outcome === 'HEARD' ? now : null });
        await repo.touchMeeting(tx, meetingId, now);
        await agendaEvent(tx, actor, agencyId, meetingId, {
          change: outcome !== l.outcome ? 'OUTCOME' : 'SLOT', outcome, slotMinutes,
        }, caseId);
      }
      return { meetingId, caseId, position: l.position, slotMinutes, outcome };
    });
  }

  /**
   * Attendance, whole (PUT): one row per agency, each a party of the coordinator's active
   * agreements. "Information sent" with the date it was received (not in the future) is for
   * agencies that sent apologies or were absent as much as for those present.
   */
  async function recordAttendance(actor: ExchangeActor, meetingId: string, body: unknown) {
    const agencyId = await coordinator(actor);
    meetingIdOk(meetingId);
    deps.validate('attendance', body);
    const input = (body as AttendanceInput).attendance;
    const now = deps.now();
    const today = londonDate(now);
    return withTx(pool, async (tx) => {
      await changeable(tx, meetingId, agencyId, true);
      const parties = new Set(await repo.partiesOf(tx, agencyId));
      const problems: ProblemDetail[] = [];
      const seen = new Set<string>();
      input.forEach((a, i) => {
        if (seen.has(a.agencyId)) problems.push({ path: `/attendance/${i}/agencyId`, code: 'DUPLICATE_AGENCY', message: 'each agency once' });
        seen.add(a.agencyId);
        if (a.informationReceivedOn !== undefined) {
          if (a.informationSent !== true) problems.push({ path: `/attendance/${i}/informationReceivedOn`, code: 'INFORMATION_NOT_SENT', message: 'a date received needs "information sent"' });
          else if (a.informationReceivedOn > today || a.informationReceivedOn < EARLIEST_DATE) problems.push({ path: `/attendance/${i}/informationReceivedOn`, code: 'range', message: `a date from ${EARLIEST_DATE} to today` });
        }
      });
      if (problems.length > 0) throw new ValidationFailed('attendance is not valid', { problems });
      const strangers = input.map((a, i) => ({ a, i })).filter(({ a }) => !parties.has(a.agencyId));
      if (strangers.length > 0) {
        throw new AgencyNotAParty('Attendance is recorded for the parties of your active agreements', {
          problems: strangers.map(({ i }) => ({ path: `/attendance/${i}/agencyId`, code: 'AGENCY_NOT_A_PARTY', message: 'not a party of an active agreement with you' })),
        });
      }
      await tx.query('DELETE FROM meeting_attendance WHERE meeting_id = $1 AND NOT (agency_id = ANY($2::text[]))', [meetingId, input.map((a) => a.agencyId)]);
      const rows: Attendance[] = input.map((a) => ({
        agencyId: a.agencyId,
        status: a.status,
        ...(a.representative?.trim() ? { representative: a.representative.trim() } : {}),
        informationSent: a.informationSent === true,
        ...(a.informationReceivedOn ? { informationReceivedOn: a.informationReceivedOn } : {}),
      }));
      for (const a of rows) await repo.upsertAttendance(tx, meetingId, a, now);
      await repo.touchMeeting(tx, meetingId, now);
      const count = (s: string) => rows.filter((a) => a.status === s).length;
      await audit.append(tx, event(actor, agencyId, 'ATTENDANCE_RECORDED', {
        meetingId, present: count('PRESENT'), apologies: count('APOLOGIES'), absent: count('ABSENT'),
        informationSent: rows.filter((a) => a.informationSent).length,
      }, { agencyIds: [agencyId, ...rows.map((a) => a.agencyId)] }));
      return { meetingId, attendance: rows };
    });
  }

  /** The meetings a case is listed at (the case page). Another coordinator's case is CASE_NOT_FOUND. */
  async function listingsOfCase(actor: ExchangeActor, caseId: string) {
    const agencyId = await coordinator(actor);
    if (!CASE_ID.test(caseId)) throw new CaseNotFound('No such case');
    const listings = await repo.listingsOfCase(pool, caseId, agencyId);
    if (!listings) throw new CaseNotFound('No such case');
    return listings;
  }

  /** The coordinator's open cases not yet on this meeting, with their local references (the add-a-case form). */
  async function casesToAdd(actor: ExchangeActor, meetingId: string, limit = 200) {
    const agencyId = await coordinator(actor);
    meetingIdOk(meetingId);
    if (!(await repo.findMeeting(pool, meetingId, agencyId))) throw new MeetingNotFound('No such meeting');
    const rows = await repo.openCasesNotListed(pool, agencyId, meetingId, limit);
    const opener = await openerFor(deps.sealer, pool, rows.map((r) => r.sealed.keyId));
    return rows.map((r) => {
      const ref = (opener.open(r.sealed, r.caseId) as { externalRef?: string }).externalRef;
      return { caseId: r.caseId, meetingDate: r.meetingDate, ...(ref ? { localReference: ref } : {}) };
    });
  }

  /**
   * What is still outstanding for a meeting, in one read (the coordinator's chase list before it):
   * the open cases no research has been asked for, every research message of a listed case not yet answered or declined (its recipient, state,
   * deadline and when it was asked), and every open action of a listed case due on or before the
   * meeting's day (owner and due date; the description stays with the action pages). The same rows
   * the agenda's flags count. One VIEW_READ in the same transaction names the cases it covered.
   * Another coordinator's meeting is MEETING_NOT_FOUND.
   */
  async function outstandingForMeeting(actor: ExchangeActor, meetingId: string): Promise<MeetingOutstanding> {
    const agencyId = await coordinator(actor);
    meetingIdOk(meetingId);
    const now = deps.now();
    return withTx(pool, async (tx) => {
      const m = await repo.findMeeting(tx, meetingId, agencyId);
      if (!m) throw new MeetingNotFound('No such meeting');
      const meetingDay = londonDate(m.startsAt);
      const research = await tx.query(
        `SELECT m.case_id, m.recipient_agency_id, m.state, m.deadline, m.created_at, m.request_id
           FROM meeting_cases mc
           JOIN messages m ON m.case_id = mc.case_id
          WHERE mc.meeting_id = $1 AND m.state NOT IN ('responded', 'declined')
          ORDER BY m.recipient_agency_id, mc.position, m.created_at`,
        [meetingId],
      );
      const actions = await tx.query(
        `SELECT a.id, a.case_id, a.owner_agency_id, a.kind, to_char(a.due_on, 'YYYY-MM-DD') AS due_on
           FROM meeting_cases mc
           JOIN case_actions a ON a.case_id = mc.case_id
          WHERE mc.meeting_id = $1 AND a.status = 'OPEN' AND a.due_on <= $2::date
          ORDER BY a.due_on, mc.position, a.created_at`,
        [meetingId, meetingDay],
      );
      // An open case nobody has been asked about yet is outstanding too (it would otherwise look complete).
      const notAsked = await tx.query(
        `SELECT mc.case_id FROM meeting_cases mc JOIN cases c ON c.id = mc.case_id
          WHERE mc.meeting_id = $1 AND c.status = 'OPEN'
            AND NOT EXISTS (SELECT 1 FROM research_requests rr WHERE rr.case_id = mc.case_id)
          ORDER BY mc.position`,
        [meetingId],
      );
      const today = londonDate(now);
      const out: MeetingOutstanding = {
        meetingId,
        meetingDay,
        today,
        notAsked: notAsked.rows.map((x) => x.case_id as string),
        research: research.rows.map((x) => ({
          caseId: x.case_id as string,
          requestId: x.request_id as string,
          agencyId: x.recipient_agency_id as string,
          state: x.state as OutstandingResearch['state'],
          deadline: (x.deadline as Date).toISOString(),
          askedAt: (x.created_at as Date).toISOString(),
          pastDeadline: x.state === 'overdue' || (x.deadline as Date).getTime() < now.getTime(),
        })),
        actions: actions.rows.map((x) => ({
          actionId: x.id as string,
          caseId: x.case_id as string,
          ownerAgencyId: x.owner_agency_id as string,
          kind: x.kind as 'ACTION' | 'SURVIVOR_FEEDBACK',
          dueOn: x.due_on as string,
          overdue: (x.due_on as string) < today,
        })),
      };
      const ids = [...new Set([...out.notAsked, ...out.research.map((r) => r.caseId), ...out.actions.map((a) => a.caseId)])];
      for (let i = 0; i === 0 || i < ids.length; i += IDS_PER_EVENT) {
        await audit.append(tx, {
          action: 'VIEW_READ',
          actor,
          decision: 'PERMIT',
          agencyIds: [agencyId],
          detail: {
            view: 'meeting-outstanding', meetingId, cases: ids.slice(i, i + IDS_PER_EVENT).join(','), caseCount: ids.length,
            research: out.research.length, actions: out.actions.length, notAsked: out.notAsked.length,
          },
        });
      }
      return out;
    });
  }

  return {
    scheduleMeeting, updateMeeting, cancelMeeting, listMeetings, readAgenda, getMeeting,
    addCase, removeCase, reorder, moveCase, updateListing, recordAttendance, listingsOfCase, casesToAdd, outstandingForMeeting,
  };
}

export type MeetingService = ReturnType<typeof createMeetingService>;

function actorName(actor: ExchangeActor): string {
  return actor.kind === 'person' ? actor.userId : actor.agencyId;
}

/** The shared Meeting shape, without the row's bookkeeping. */
function strip(m: Meeting & Partial<{ createdAt: string; updatedAt: string; cases: number; upcoming: boolean }>): Meeting {
  return {
    id: m.id, coordinatorAgencyId: m.coordinatorAgencyId, maracArea: m.maracArea, startsAt: m.startsAt, chair: m.chair,
    ...(m.venue ? { venue: m.venue } : {}), status: m.status,
  };
}
