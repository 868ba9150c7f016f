import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { GatewayError, ValidationFailed } from '../errors.js';
import { personOf } from '../identity/people-auth.js';
import type { PersonPrincipal } from '../identity/principal.js';
import { flagLabels } from '../meetings/agenda.js';
import { MeetingNotFound } from '../meetings/errors.js';
import type { AttendanceStatus } from '../meetings/types.js';
import { asBody, dateInput, dateParts, FormErrors, londonToday, text, wholeNumber, type FormBody } from './forms/form-values.js';
import type { PageRouter } from './page-router.js';
import { formatDate, formatDateTime, type PageRenderer } from './render.js';

/**
 * The coordinator's meeting pages: the list, scheduling, the agenda (cases in order with time
 * slots and flags, move up and down without JavaScript, outcome, remove), attendance, start, held,
 * cancel, and adding a case from the case page. The meeting service checks, writes and audits
 * everything; these handlers turn forms into calls and refusals into GOV.UK error summaries.
 * The minutes page (/meetings/:meetingId/cases/:caseId/minutes) belongs to the minutes pages.
 * "What is outstanding" (/meetings/:meetingId/outstanding) is the chase list before the meeting:
 * research not answered, by agency, and actions due for review, across the whole agenda.
 */

export interface MeetingPagesDeps {
  g: Pick<Gateway, 'meetings' | 'registry' | 'meetingCirculation' | 'actions'>;
  render: PageRenderer;
  now: () => Date;
}

const COORDINATOR = ['coordinator'] as const;
const MEETING_ID = /^mtg_[0-9a-f]{32}$/;
const CASE_ID = /^case_[0-9a-f]{32}$/;

export const MEETING_STATUS_LABELS: Record<string, { text: string; colour: string }> = {
  PLANNED: { text: 'Planned', colour: 'blue' },
  IN_PROGRESS: { text: 'In progress', colour: 'yellow' },
  HELD: { text: 'Held', colour: 'green' },
  CANCELLED: { text: 'Cancelled', colour: 'grey' },
};
const OUTCOME_LABELS: Record<string, string> = { LISTED: 'Listed', HEARD: 'Heard', DEFERRED: 'Deferred' };
/** A research message not answered yet, in words (what the coordinator does next follows from it). */
const RESEARCH_STATE_LABELS: Record<string, string> = {
  queued: 'Not collected yet',
  delivered: 'Collected, not answered',
  acknowledged: 'Acknowledged, not answered',
  overdue: 'Past its deadline',
  failed: 'Could not be delivered',
};
const ATTENDANCE_LABELS: Record<AttendanceStatus, string> = { PRESENT: 'Present', APOLOGIES: 'Apologies', ABSENT: 'Absent' };

/** What a meeting page says after a change (?done=…). */
const DONE: Record<string, string> = {
  scheduled: 'Meeting scheduled. Now add the cases to its agenda.',
  added: 'Case added to the agenda.',
  moved: 'Agenda order changed.',
  removed: 'Case taken off the agenda.',
  outcome: 'Outcome recorded.',
  attendance: 'Attendance recorded.',
  started: 'Meeting started.',
  held: 'Meeting marked as held.',
  cancelled: 'Meeting cancelled.',
  'circulated-pack': 'Research packs circulated to the agencies of each case.',
  'circulated-minutes': 'Minutes circulated to the agencies of each case.',
};

function me(res: Response): PersonPrincipal {
  return personOf(res)!;
}

function meetingIdOf(req: Request): string {
  const id = String(req.params.meetingId ?? '');
  if (!MEETING_ID.test(id)) throw new MeetingNotFound('No such meeting');
  return id;
}

function caseIdOf(req: Request): string {
  const id = String(req.params.caseId ?? '');
  if (!CASE_ID.test(id)) throw new MeetingNotFound('No such case on this agenda');
  return id;
}

/** "10:00", "9.30", "2:30pm", "14:30" → hours and minutes; undefined when it is not a time. */
export function parseTime(value: string): { h: number; m: number } | undefined {
  const t = value.trim().toLowerCase().replace(/\s+/g, '');
  const x = /^(\d{1,2})(?:[:.](\d{2}))?(am|pm)?$/.exec(t);
  if (!x) return undefined;
  let h = Number(x[1]);
  const m = Number(x[2] ?? '0');
  if (x[3]) {
    if (h < 1 || h > 12) return undefined;
    if (x[3] === 'pm' && h !== 12) h += 12;
    if (x[3] === 'am' && h === 12) h = 0;
  } else if (x[2] === undefined) {
    return undefined;
  }
  return h <= 23 && m <= 59 ? { h, m } : undefined;
}

/** A London wall-clock time on a date → the instant (BST-aware). */
export function londonInstant(isoDate: string, h: number, m: number): string {
  const [y, mo, d] = isoDate.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, mo - 1, d, h, m);
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const [lh, lm] = fmt.format(new Date(guess)).split(':').map(Number) as [number, number];
  const offset = (((lh * 60 + lm) - (h * 60 + m)) + 1440) % 1440;
  return new Date(guess - offset * 60_000).toISOString();
}

export function meetingPages(pages: PageRouter, deps: MeetingPagesDeps): void {
  const { g, render } = deps;

  async function agencyNames(): Promise<(id: string) => string> {
    const names = new Map((await g.registry.listAgencies()).map((a) => [a.id, a.name]));
    return (id) => names.get(id) ?? id;
  }

  function flashOf(req: Request) {
    const done = typeof req.query.done === 'string' ? DONE[req.query.done] : undefined;
    return done ? { type: 'success', title: 'Success', text: done } : undefined;
  }

  pages.get('/meetings', COORDINATOR, async (req, res) => {
    const list = await g.meetings.listMeetings(me(res));
    const shape = (m: (typeof list.upcoming)[number]) => ({ ...m, statusLabel: MEETING_STATUS_LABELS[m.status] });
    render.page(res, 'meetings/meetings.njk', {
      title: 'Meetings',
      upcoming: list.upcoming.map(shape),
      past: list.past.map(shape),
      flash: flashOf(req),
    });
  });

  function newMeetingPage(res: Response, values: FormBody, errors?: FormErrors, status = 200) {
    render.page(res, 'meetings/meeting-new.njk', {
      title: 'Schedule a meeting',
      values,
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
    }, status);
  }

  pages.get('/meetings/new', COORDINATOR, (_req, res) => {
    newMeetingPage(res, { time: '10:00' });
  });

  pages.post('/meetings/new', COORDINATOR, async (req, res) => {
    const body = asBody(req.body);
    const errors = new FormErrors();
    const date = dateInput(body, 'date');
    if (date.kind === 'empty') errors.add('date-day', 'Enter the date of the meeting');
    else if (date.kind === 'invalid') errors.add('date-day', `The date of the meeting ${date.message}`);
    else if (date.iso < londonToday(deps.now())) errors.add('date-day', 'The date of the meeting must be today or in the future');
    const time = parseTime(text(body, 'time', 20));
    if (!time) errors.add('time', 'Enter the start time, like 10:00 or 2:30pm');
    const chair = text(body, 'chair', 300);
    if (!chair) errors.add('chair', 'Enter the name of the chair');
    else if (chair.length > 200) errors.add('chair', 'The chair\'s name must be 200 characters or fewer');
    const venue = text(body, 'venue', 300);
    if (venue.length > 200) errors.add('venue', 'The venue must be 200 characters or fewer');
    if (errors.any || date.kind !== 'date' || !time) return newMeetingPage(res, body, errors, 400);
    try {
      const m = await g.meetings.scheduleMeeting(me(res), { startsAt: londonInstant(date.iso, time.h, time.m), chair, ...(venue ? { venue } : {}) });
      res.redirect(303, `/meetings/${m.id}?done=scheduled`);
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      for (const p of err.problems ?? []) errors.add(p.path === '/startsAt' ? (p.code === 'MEETING_IN_PAST' ? 'time' : 'date-day') : p.path.slice(1) || 'date-day', p.code === 'MEETING_IN_PAST' ? 'The meeting must start in the future' : p.message);
      return newMeetingPage(res, body, errors, 400);
    }
  });

  pages.get('/meetings/:meetingId', COORDINATOR, async (req, res) => {
    const meetingId = meetingIdOf(req);
    const [names, agenda] = [await agencyNames(), await g.meetings.getMeeting(me(res), meetingId, { references: true })];
    const byAgency = new Map(agenda.attendance.map((a) => [a.agencyId, a]));
    const agencies = [...new Set([...agenda.agencies, ...agenda.attendance.map((a) => a.agencyId)])]
      .map((id) => ({ id, name: names(id), attendance: byAgency.get(id) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const m = agenda.meeting;
    const circulated = await g.meetingCirculation.circulatedOn(meetingId);
    const notAsked = agenda.items.length && m.status !== 'CANCELLED' ? (await g.meetings.outstandingForMeeting(me(res), meetingId)).notAsked.length : 0;
    render.page(res, 'meetings/meeting.njk', {
      title: `Meeting on ${formatDateTime(m.startsAt)}`,
      meeting: { ...m, statusLabel: MEETING_STATUS_LABELS[m.status] },
      changeable: m.status === 'PLANNED' || m.status === 'IN_PROGRESS',
      circulated,
      agenda: {
        ...agenda,
        items: agenda.items.map((i, n) => ({
          ...i,
          name: i.localReference ?? `Case ending ${i.caseId.slice(-6)}`,
          flags: flagLabels(i),
          outcomeLabel: OUTCOME_LABELS[i.outcome],
          first: n === 0,
          last: n === agenda.items.length - 1,
          slotEndsAt: new Date(Date.parse(i.slotStartsAt) + i.slotMinutes * 60_000).toISOString(),
        })),
      },
      attendance: agencies.map((a) => ({ ...a, statusLabel: a.attendance ? ATTENDANCE_LABELS[a.attendance.status] : undefined })),
      // The agenda's own counts, summed: how much is still outstanding across every case.
      outstanding: {
        researchCases: agenda.items.filter((i) => i.outstandingResearch > 0).length,
        research: agenda.items.reduce((n, i) => n + i.outstandingResearch, 0),
        actionsForReview: agenda.items.reduce((n, i) => n + i.actionsDueForReview, 0),
        overdueActions: agenda.items.reduce((n, i) => n + i.overdueActions, 0),
        notAsked,
      },
      flash: flashOf(req),
    });
  });

  // Before the meeting: which agencies have not answered on which cases, and the actions due for
  // review, across the whole agenda (so nobody opens 16 case pages to find out).
  pages.get('/meetings/:meetingId/outstanding', COORDINATOR, async (req, res) => {
    const meetingId = meetingIdOf(req);
    const out = await g.meetings.outstandingForMeeting(me(res), meetingId);
    const [names, agenda] = [await agencyNames(), await g.meetings.getMeeting(me(res), meetingId, { references: true })];
    const listed = new Map(agenda.items.map((i) => [i.caseId, { position: i.position, name: i.localReference ?? `Case ending ${i.caseId.slice(-6)}`, slotStartsAt: i.slotStartsAt }]));
    const caseOf = (caseId: string) => ({ caseId, ...(listed.get(caseId) ?? { position: 0, name: `Case ending ${caseId.slice(-6)}`, slotStartsAt: '' }) });
    const byAgency = new Map<string, typeof out.research>();
    for (const r of out.research) byAgency.set(r.agencyId, [...(byAgency.get(r.agencyId) ?? []), r]);
    const agencies = [...byAgency.entries()].map(([id, rows]) => ({
      id,
      name: names(id),
      cases: new Set(rows.map((r) => r.caseId)).size,
      pastDeadline: rows.filter((r) => r.pastDeadline).length,
      failed: rows.filter((r) => r.state === 'failed').length,
      rows: rows.map((r) => ({ ...r, case: caseOf(r.caseId), stateLabel: RESEARCH_STATE_LABELS[r.state] ?? r.state }))
        .sort((a, b) => a.case.position - b.case.position || a.askedAt.localeCompare(b.askedAt)),
    })).sort((a, b) => b.pastDeadline - a.pastDeadline || b.rows.length - a.rows.length || a.name.localeCompare(b.name));
    // The action's words are sealed with its case: opened through the case's own audited read.
    const caseIds = [...new Set(out.actions.map((a) => a.caseId))];
    const described = new Map<string, string>();
    for (const caseId of caseIds) {
      for (const a of await g.actions.listCaseActions(me(res), caseId)) described.set(a.id, a.description);
    }
    const actions = out.actions.map((a) => ({
      ...a, case: caseOf(a.caseId), owner: names(a.ownerAgencyId), description: described.get(a.actionId) ?? 'Action',
      survivorFeedback: a.kind === 'SURVIVOR_FEEDBACK',
    }));
    const researchCases = new Set(out.research.map((r) => r.caseId)).size;
    const notAsked = out.notAsked.map(caseOf);
    render.page(res, 'meetings/outstanding.njk', {
      title: 'What is outstanding for this meeting',
      meeting: { ...agenda.meeting, statusLabel: MEETING_STATUS_LABELS[agenda.meeting.status] },
      caseCount: agenda.items.length,
      notAsked,
      research: {
        total: out.research.length,
        cases: researchCases,
        pastDeadline: out.research.filter((r) => r.pastDeadline).length,
        failed: out.research.filter((r) => r.state === 'failed').length,
        agencies,
      },
      actions: {
        total: actions.length,
        overdue: actions.filter((a) => a.overdue).length,
        owners: new Set(actions.map((a) => a.ownerAgencyId)).size,
        rows: actions,
      },
      circulated: await g.meetingCirculation.circulatedOn(meetingId),
      navPath: '/meetings',
    });
  });

  /** Runs a change; a refusal (stable code) is shown on the meeting page as an error banner. */
  async function change(req: Request, res: Response, fn: () => Promise<unknown>, done: string) {
    const meetingId = meetingIdOf(req);
    try {
      await fn();
      res.redirect(303, `/meetings/${meetingId}?done=${done}`);
    } catch (err) {
      if (err instanceof GatewayError && err.status === 409) {
        return render.page(res, 'meetings/refused.njk', { title: 'This change cannot be made', message: err.message, meetingId, navPath: '/meetings' }, 409);
      }
      throw err;
    }
  }

  pages.post('/meetings/:meetingId/agenda/:caseId/move', COORDINATOR, async (req, res) => {
    const direction = text(asBody(req.body), 'direction', 10) === 'up' ? 'up' : 'down';
    await change(req, res, () => g.meetings.moveCase(me(res), meetingIdOf(req), caseIdOf(req), direction), 'moved');
  });

  pages.post('/meetings/:meetingId/agenda/:caseId/remove', COORDINATOR, async (req, res) => {
    await change(req, res, () => g.meetings.removeCase(me(res), meetingIdOf(req), caseIdOf(req)), 'removed');
  });

  pages.post('/meetings/:meetingId/agenda/:caseId/outcome', COORDINATOR, async (req, res) => {
    const outcome = text(asBody(req.body), 'outcome', 20);
    if (!['HEARD', 'DEFERRED', 'LISTED'].includes(outcome)) throw new ValidationFailed('Choose an outcome');
    await change(req, res, () => g.meetings.updateListing(me(res), meetingIdOf(req), caseIdOf(req), { outcome }), 'outcome');
  });

  pages.post('/meetings/:meetingId/status', COORDINATOR, async (req, res) => {
    const status = text(asBody(req.body), 'status', 20);
    if (status !== 'IN_PROGRESS' && status !== 'HELD') throw new ValidationFailed('Choose started or held');
    await change(req, res, () => g.meetings.updateMeeting(me(res), meetingIdOf(req), { status }), status === 'HELD' ? 'held' : 'started');
  });

  // Before the meeting the research packs, after it the minutes: each party agency of each case.
  pages.post('/meetings/:meetingId/circulate', COORDINATOR, async (req, res) => {
    const kind = text(asBody(req.body), 'kind', 10);
    if (kind !== 'pack' && kind !== 'minutes') throw new ValidationFailed('Choose packs or minutes');
    await change(req, res, () => g.meetingCirculation.circulate(me(res), meetingIdOf(req), { kind }), `circulated-${kind}`);
  });

  pages.get('/meetings/:meetingId/cancel', COORDINATOR, async (req, res) => {
    const agenda = await g.meetings.getMeeting(me(res), meetingIdOf(req));
    render.page(res, 'meetings/meeting-cancel.njk', { title: 'Cancel the meeting', meeting: agenda.meeting, cases: agenda.items.length });
  });

  pages.post('/meetings/:meetingId/cancel', COORDINATOR, async (req, res) => {
    await change(req, res, () => g.meetings.cancelMeeting(me(res), meetingIdOf(req)), 'cancelled');
  });

  async function addCasePage(res: Response, meetingId: string, values: FormBody, errors?: FormErrors, status = 200) {
    const [agenda, cases] = [await g.meetings.getMeeting(me(res), meetingId), await g.meetings.casesToAdd(me(res), meetingId)];
    render.page(res, 'meetings/agenda-add.njk', {
      title: 'Add a case to the agenda',
      meeting: agenda.meeting,
      values,
      cases: cases.map((c) => ({
        value: c.caseId,
        text: c.localReference ?? `Case ending ${c.caseId.slice(-6)}`,
        hint: { text: `Case for the meeting on ${formatDate(c.meetingDate)}` },
        checked: values.caseId === c.caseId,
      })),
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
    }, status);
  }

  pages.get('/meetings/:meetingId/agenda/add', COORDINATOR, async (req, res) => {
    await addCasePage(res, meetingIdOf(req), { slotMinutes: '15' });
  });

  pages.post('/meetings/:meetingId/agenda/add', COORDINATOR, async (req, res) => {
    const meetingId = meetingIdOf(req);
    const body = asBody(req.body);
    const errors = new FormErrors();
    const caseId = text(body, 'caseId', 40);
    if (!CASE_ID.test(caseId)) errors.add('caseId', 'Choose a case to add');
    const slot = wholeNumber(body, 'slotMinutes', 5, 120);
    if (slot.kind === 'invalid') errors.add('slotMinutes', 'The time for the case must be a whole number of minutes from 5 to 120');
    if (errors.any) return addCasePage(res, meetingId, body, errors, 400);
    try {
      await g.meetings.addCase(me(res), meetingId, { caseId, ...(slot.kind === 'int' ? { slotMinutes: slot.value } : {}) });
      res.redirect(303, `/meetings/${meetingId}?done=added`);
    } catch (err) {
      if (!(err instanceof GatewayError) || err.status >= 500 || err instanceof MeetingNotFound) throw err;
      errors.add('caseId', err.code === 'CASE_ALREADY_LISTED' ? 'This case is already on the agenda' : err.code === 'CASE_NOT_OPEN' ? 'Only an open case can be added' : err.message);
      return addCasePage(res, meetingId, body, errors, err.status);
    }
  });

  async function attendancePage(res: Response, meetingId: string, values: FormBody | undefined, errors?: FormErrors, status = 200) {
    const [names, agenda] = [await agencyNames(), await g.meetings.getMeeting(me(res), meetingId)];
    const recorded = new Map(agenda.attendance.map((a) => [a.agencyId, a]));
    const ids = [...new Set([...agenda.agencies, ...agenda.attendance.map((a) => a.agencyId)])];
    const rows = ids.map((id, i) => {
      const a = recorded.get(id);
      const v = values ?? {
        [`status-${i}`]: a?.status ?? '',
        [`rep-${i}`]: a?.representative ?? '',
        [`sent-${i}`]: a?.informationSent ? 'yes' : '',
        ...Object.fromEntries(Object.entries(dateParts(a?.informationReceivedOn)).map(([k, x]) => [`received-${i}-${k}`, x])),
      };
      return { i, id, name: names(id), values: v };
    }).sort((a, b) => a.name.localeCompare(b.name));
    render.page(res, 'meetings/attendance.njk', {
      title: 'Record attendance',
      meeting: agenda.meeting,
      rows,
      values: values ?? Object.assign({}, ...rows.map((r) => r.values)),
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
    }, status);
  }

  pages.get('/meetings/:meetingId/attendance', COORDINATOR, async (req, res) => {
    await attendancePage(res, meetingIdOf(req), undefined);
  });

  pages.post('/meetings/:meetingId/attendance', COORDINATOR, async (req, res) => {
    const meetingId = meetingIdOf(req);
    const body = asBody(req.body);
    const errors = new FormErrors();
    const today = londonToday(deps.now());
    const entries: { agencyId: string; status: AttendanceStatus; representative?: string; informationSent: boolean; informationReceivedOn?: string }[] = [];
    for (let i = 0; i < 100; i++) {
      const agencyId = text(body, `agency-${i}`, 80);
      if (!agencyId) break;
      const status = text(body, `status-${i}`, 20);
      const rep = text(body, `rep-${i}`, 300);
      const sent = text(body, `sent-${i}`, 5) === 'yes';
      const received = dateInput(body, `received-${i}`);
      if (status && !(status in ATTENDANCE_LABELS)) errors.add(`status-${i}`, 'Choose present, apologies or absent');
      if (rep.length > 200) errors.add(`rep-${i}`, 'The name must be 200 characters or fewer');
      if (received.kind === 'invalid') errors.add(`received-${i}-day`, `The date the information was received ${received.message}`);
      else if (received.kind === 'date' && !sent) errors.add(`received-${i}-day`, 'Tick "information sent" to give the date it was received');
      else if (received.kind === 'date' && received.iso > today) errors.add(`received-${i}-day`, 'The date the information was received must be today or in the past');
      if (!status) {
        if (rep || sent || received.kind !== 'empty') errors.add(`status-${i}`, 'Choose present, apologies or absent for this agency');
        continue;
      }
      entries.push({
        agencyId, status: status as AttendanceStatus, informationSent: sent,
        ...(rep ? { representative: rep } : {}),
        ...(received.kind === 'date' ? { informationReceivedOn: received.iso } : {}),
      });
    }
    if (errors.any) return attendancePage(res, meetingId, body, errors, 400);
    try {
      await g.meetings.recordAttendance(me(res), meetingId, { attendance: entries });
      res.redirect(303, `/meetings/${meetingId}?done=attendance`);
    } catch (err) {
      if (err instanceof GatewayError && err.status < 500 && !(err instanceof MeetingNotFound)) {
        if (err.status === 409) {
          return render.page(res, 'meetings/refused.njk', { title: 'This change cannot be made', message: err.message, meetingId, navPath: '/meetings' }, 409);
        }
        errors.add('status-0', err.message);
        return attendancePage(res, meetingId, body, errors, err.status);
      }
      throw err;
    }
  });

  // From the case page: list this case at one of the coordinator's upcoming meetings.
  async function addToMeetingPage(res: Response, caseId: string, values: FormBody, errors?: FormErrors, status = 200) {
    // Another coordinator's case, or none, is a not-found page (CASE_NOT_FOUND) before anything is listed.
    const listed = new Set((await g.meetings.listingsOfCase(me(res), caseId)).map((l) => l.meetingId));
    const list = await g.meetings.listMeetings(me(res), { pastLimit: 0 });
    const open = list.upcoming.filter((m) => (m.status === 'PLANNED' || m.status === 'IN_PROGRESS') && !listed.has(m.id));
    render.page(res, 'meetings/case-add-to-meeting.njk', {
      title: 'Add the case to a meeting',
      caseId,
      meetings: open.map((m) => ({ value: m.id, startsAt: m.startsAt, hint: { text: `${m.cases} ${m.cases === 1 ? 'case' : 'cases'} on the agenda` }, checked: values.meetingId === m.id })),
      values,
      errors: errors?.byField() ?? {},
      errorList: errors?.summary() ?? [],
      navPath: '/cases',
    }, status);
  }

  pages.get('/cases/:caseId/add-to-meeting', COORDINATOR, async (req, res) => {
    const caseId = String(req.params.caseId ?? '');
    if (!CASE_ID.test(caseId)) throw new MeetingNotFound('No such case');
    await addToMeetingPage(res, caseId, {});
  });

  pages.post('/cases/:caseId/add-to-meeting', COORDINATOR, async (req, res) => {
    const caseId = String(req.params.caseId ?? '');
    if (!CASE_ID.test(caseId)) throw new MeetingNotFound('No such case');
    const body = asBody(req.body);
    const meetingId = text(body, 'meetingId', 40);
    const errors = new FormErrors();
    if (!MEETING_ID.test(meetingId)) {
      errors.add('meetingId', 'Choose a meeting');
      return addToMeetingPage(res, caseId, body, errors, 400);
    }
    try {
      await g.meetings.addCase(me(res), meetingId, { caseId });
      res.redirect(303, `/meetings/${meetingId}?done=added`);
    } catch (err) {
      if (!(err instanceof GatewayError) || err.status >= 500 || err.status === 404) throw err;
      errors.add('meetingId', err.code === 'CASE_NOT_OPEN' ? 'Only an open case can be added to a meeting' : err.message);
      return addToMeetingPage(res, caseId, body, errors, err.status);
    }
  });
}
