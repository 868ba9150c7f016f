import { Router } from 'express';
import type { ReferralService } from '../referrals/service.js';
import { agencyOf, idParam } from './route-params.js';

/**
 * Referrals on the agency API (mTLS): any party agency refers; the area's coordinator agency reads
 * its intake list and decides. Thin handlers: the referral service does every check and audit.
 */

const REFERRAL_ID = /^ref_[0-9a-f]{32}$/;
const CASE_ID = /^case_[0-9a-f]{32}$/;

export function createReferralAgencyRouter(referrals: ReferralService): Router {
  const r = Router();

  r.post('/v1/referrals', async (req, res) => {
    const a = await referrals.submit(agencyOf(res), req.body, req.get('idempotency-key'));
    res.status(a.status).json(a.body);
  });

  r.get('/v1/referrals', async (req, res) => {
    res.set('cache-control', 'no-store').json(await referrals.list(agencyOf(res), { status: req.query.status, page: req.query.page }));
  });

  r.get('/v1/referrals/:referralId', async (req, res) => {
    res.set('cache-control', 'no-store').json(await referrals.get(agencyOf(res), idParam(req, 'referralId', REFERRAL_ID)));
  });

  r.post('/v1/referrals/:referralId/accept', async (req, res) => {
    res.status(201).json(await referrals.accept(agencyOf(res), idParam(req, 'referralId', REFERRAL_ID), req.body));
  });

  r.post('/v1/referrals/:referralId/return', async (req, res) => {
    res.json(await referrals.returnReferral(agencyOf(res), idParam(req, 'referralId', REFERRAL_ID), req.body));
  });

  r.post('/v1/referrals/:referralId/repeat-matches/:caseId', async (req, res) => {
    res.json(await referrals.decideRepeat(agencyOf(res), idParam(req, 'referralId', REFERRAL_ID), idParam(req, 'caseId', CASE_ID), req.body));
  });

  return r;
}
