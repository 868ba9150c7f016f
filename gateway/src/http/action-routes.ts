import { Router, type Request, type Response } from 'express';
import type { AgencyPrincipal } from '../identity/principal.js';
import type { ActionService } from '../meetings/action-service.js';
import type { MinutesService } from '../meetings/minutes-service.js';
import { ValidationFailed } from '../errors.js';

/**
 * Minutes and action plans on the agency API (mTLS). The case's coordinator records and reads the
 * minutes and the actions; an owner agency lists its own actions and updates them (another
 * agency's action is not found). Thin handlers: the services do every check and audit.
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

export function createActionAgencyRouter(d: { minutes: MinutesService; actions: ActionService }): Router {
  const r = Router();

  r.get('/v1/meetings/:meetingId/cases/:caseId/minutes', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.minutes.getMinutes(agency(res), id(req, 'meetingId'), id(req, 'caseId')));
  });

  r.put('/v1/meetings/:meetingId/cases/:caseId/minutes', async (req, res) => {
    res.json(await d.minutes.recordMinutes(agency(res), id(req, 'meetingId'), id(req, 'caseId'), req.body));
  });

  r.get('/v1/cases/:caseId/actions', async (req, res) => {
    res.set('cache-control', 'no-store').json({ actions: await d.actions.listCaseActions(agency(res), id(req, 'caseId')) });
  });

  r.post('/v1/cases/:caseId/actions', async (req, res) => {
    res.status(201).json(await d.actions.createAction(agency(res), id(req, 'caseId'), req.body));
  });

  // The owner agency's own actions (open first, then by due date), as released to it.
  r.get('/v1/actions', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.actions.listOwnActions(agency(res), { status: req.query.status }));
  });

  r.get('/v1/actions/:actionId', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.actions.getAction(agency(res), id(req, 'actionId')));
  });

  r.post('/v1/actions/:actionId/updates', async (req, res) => {
    res.status(201).json(await d.actions.updateAction(agency(res), id(req, 'actionId'), req.body));
  });

  return r;
}
