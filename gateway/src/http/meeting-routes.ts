import { Router, type Request, type Response } from 'express';
import { ValidationFailed } from '../errors.js';
import type { AgencyPrincipal } from '../identity/principal.js';
import type { MeetingService } from '../meetings/meeting-service.js';

/**
 * The coordinator's meetings over the agency API (mTLS; a MARAC coordinator agency only): the
 * meeting, its agenda and its attendance. Thin handlers: meetings/meeting-service.ts checks,
 * writes and audits. Another coordinator's meeting is a 404, as a missing one.
 */

const ID = /^[a-z]{3,4}_[0-9a-f]{32}$/;

function agency(res: Response): AgencyPrincipal {
  return res.locals.principal as AgencyPrincipal;
}

function id(req: Request, name: string): string {
  const v = req.params[name];
  if (typeof v !== 'string' || !ID.test(v)) {
    throw new ValidationFailed(`Invalid ${name}`, { problems: [{ path: `path:${name}`, code: 'pattern', message: 'malformed id' }] });
  }
  return v;
}

/** Cancel takes no body; an empty object is accepted, anything else is refused. */
function noBody(req: Request): void {
  const b = req.body as unknown;
  if (b === undefined || (typeof b === 'object' && b !== null && !Array.isArray(b) && Object.keys(b).length === 0)) return;
  throw new ValidationFailed('This request takes no body', { problems: [{ path: '', code: 'additionalProperties', message: 'send no body, or {}' }] });
}

export function createMeetingAgencyRouter(meetings: MeetingService): Router {
  const r = Router();

  r.get('/v1/meetings', async (_req, res) => {
    res.set('cache-control', 'no-store').json(await meetings.listMeetings(agency(res)));
  });

  r.post('/v1/meetings', async (req, res) => {
    res.status(201).json(await meetings.scheduleMeeting(agency(res), req.body));
  });

  r.get('/v1/meetings/:meetingId', async (req, res) => {
    res.set('cache-control', 'no-store').json(await meetings.getMeeting(agency(res), id(req, 'meetingId')));
  });

  r.patch('/v1/meetings/:meetingId', async (req, res) => {
    res.json(await meetings.updateMeeting(agency(res), id(req, 'meetingId'), req.body));
  });

  r.post('/v1/meetings/:meetingId/cancel', async (req, res) => {
    const meetingId = id(req, 'meetingId');
    noBody(req);
    res.json(await meetings.cancelMeeting(agency(res), meetingId));
  });

  r.post('/v1/meetings/:meetingId/agenda', async (req, res) => {
    res.status(201).json(await meetings.addCase(agency(res), id(req, 'meetingId'), req.body));
  });

  r.put('/v1/meetings/:meetingId/agenda', async (req, res) => {
    res.json(await meetings.reorder(agency(res), id(req, 'meetingId'), req.body));
  });

  r.delete('/v1/meetings/:meetingId/agenda/:caseId', async (req, res) => {
    res.json(await meetings.removeCase(agency(res), id(req, 'meetingId'), id(req, 'caseId')));
  });

  r.patch('/v1/meetings/:meetingId/agenda/:caseId', async (req, res) => {
    res.json(await meetings.updateListing(agency(res), id(req, 'meetingId'), id(req, 'caseId'), req.body));
  });

  r.put('/v1/meetings/:meetingId/attendance', async (req, res) => {
    res.json(await meetings.recordAttendance(agency(res), id(req, 'meetingId'), req.body));
  });

  return r;
}
