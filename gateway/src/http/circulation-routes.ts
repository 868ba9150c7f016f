import { Router, type Request, type Response } from 'express';
import type { AgencyPrincipal } from '../identity/principal.js';
import type { CirculationService } from '../meetings/circulation-service.js';
import { ValidationFailed } from '../errors.js';

/**
 * Circulation on the agency API (mTLS, any party agency; docs/decisions/0027): the research pack
 * and the minutes of a case as THIS agency may see them under MARAC_ACTION_REVIEW. Thin handlers:
 * the service decides, releases and audits; a case or meeting the agency is no party to is 404;
 * a party asking before the coordinator circulated it is 409 PACK_NOT_CIRCULATED /
 * MINUTES_NOT_CIRCULATED, and the minutes are the version circulated to it (decision 0033).
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

export function createCirculationAgencyRouter(circulation: CirculationService): Router {
  const r = Router();

  r.get('/v1/cases/:caseId/circulated-pack', async (req, res) => {
    res.set('cache-control', 'no-store').json(await circulation.packFor(agency(res), id(req, 'caseId')));
  });

  r.get('/v1/meetings/:meetingId/cases/:caseId/minutes/released', async (req, res) => {
    res.set('cache-control', 'no-store').json(await circulation.minutesFor(agency(res), id(req, 'meetingId'), id(req, 'caseId')));
  });

  return r;
}
