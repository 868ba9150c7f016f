import { Router } from 'express';
import type { TransferService } from '../transfers/transfer-service.js';
import { agencyOf, idParam } from './route-params.js';

/**
 * MARAC-to-MARAC transfers on the agency API (mTLS, coordinator agencies; docs/decisions/0029).
 * Thin handlers: the transfer service builds, releases, decides and audits; a transfer another
 * agency is no party to is 404.
 */

const CASE_ID = /^case_[0-9a-f]{32}$/;
const TRANSFER_ID = /^trf_[0-9a-f]{32}$/;

export function createTransferAgencyRouter(transfers: TransferService): Router {
  const r = Router();

  r.post('/v1/cases/:caseId/transfers', async (req, res) => {
    res.status(201).json(await transfers.offer(agencyOf(res), idParam(req, 'caseId', CASE_ID), req.body));
  });

  r.get('/v1/transfers', async (req, res) => {
    res.set('cache-control', 'no-store').json(await transfers.list(agencyOf(res), req.query as Record<string, unknown>));
  });

  r.get('/v1/transfers/:transferId', async (req, res) => {
    res.set('cache-control', 'no-store').json(await transfers.get(agencyOf(res), idParam(req, 'transferId', TRANSFER_ID)));
  });

  r.post('/v1/transfers/:transferId/accept', async (req, res) => {
    res.status(201).json(await transfers.accept(agencyOf(res), idParam(req, 'transferId', TRANSFER_ID), req.body));
  });

  r.post('/v1/transfers/:transferId/refuse', async (req, res) => {
    res.json(await transfers.refuse(agencyOf(res), idParam(req, 'transferId', TRANSFER_ID), req.body));
  });

  return r;
}
