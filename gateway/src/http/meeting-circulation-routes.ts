import { Router } from 'express';
import { ValidationFailed } from '../errors.js';
import type { AgencyPrincipal } from '../identity/principal.js';
import type { MeetingCirculation } from '../meetings/meeting-circulation.js';

/**
 * The coordinator circulating a meeting over the agency API (mTLS; a MARAC coordinator agency
 * only): POST /v1/meetings/{meetingId}/circulate {kind: pack|minutes}. Thin: the service checks
 * (ajv), releases per case and agency, and audits. Another coordinator's meeting is a 404.
 */

const ID = /^mtg_[0-9a-f]{32}$/;

export function createMeetingCirculationRouter(circulation: MeetingCirculation): Router {
  const r = Router();
  r.post('/v1/meetings/:meetingId/circulate', async (req, res) => {
    const meetingId = req.params.meetingId;
    if (typeof meetingId !== 'string' || !ID.test(meetingId)) {
      throw new ValidationFailed('Invalid meetingId', { problems: [{ path: 'path:meetingId', code: 'pattern', message: 'malformed id' }] });
    }
    res.json(await circulation.circulate(res.locals.principal as AgencyPrincipal, meetingId, req.body));
  });
  return r;
}
