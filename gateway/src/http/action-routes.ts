import { Router } from 'express';
import type { ActionService } from '../meetings/action-service.js';
import type { MinutesService } from '../meetings/minutes-service.js';
import { agencyOf, idParam } from './route-params.js';

/**
 * Minutes and action plans on the agency API (mTLS). The case's coordinator records and reads the
 * minutes and the actions; an owner agency lists its own actions and updates them (another
 * agency's action is not found). Thin handlers: the services do every check and audit.
 */

export function createActionAgencyRouter(d: { minutes: MinutesService; actions: ActionService }): Router {
  const r = Router();

  r.get('/v1/meetings/:meetingId/cases/:caseId/minutes', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.minutes.getMinutes(agencyOf(res), idParam(req, 'meetingId'), idParam(req, 'caseId')));
  });

  r.put('/v1/meetings/:meetingId/cases/:caseId/minutes', async (req, res) => {
    res.json(await d.minutes.recordMinutes(agencyOf(res), idParam(req, 'meetingId'), idParam(req, 'caseId'), req.body));
  });

  r.get('/v1/cases/:caseId/actions', async (req, res) => {
    res.set('cache-control', 'no-store').json({ actions: await d.actions.listCaseActions(agencyOf(res), idParam(req, 'caseId')) });
  });

  r.post('/v1/cases/:caseId/actions', async (req, res) => {
    res.status(201).json(await d.actions.createAction(agencyOf(res), idParam(req, 'caseId'), req.body));
  });

  // The owner agency's own actions (open first, then by due date), as released to it.
  r.get('/v1/actions', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.actions.listOwnActions(agencyOf(res), { status: req.query.status }));
  });

  r.get('/v1/actions/:actionId', async (req, res) => {
    res.set('cache-control', 'no-store').json(await d.actions.getAction(agencyOf(res), idParam(req, 'actionId')));
  });

  r.post('/v1/actions/:actionId/updates', async (req, res) => {
    res.status(201).json(await d.actions.updateAction(agencyOf(res), idParam(req, 'actionId'), req.body));
  });

  return r;
}
