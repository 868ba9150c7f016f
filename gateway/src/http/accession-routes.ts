/**
 * People API for accession (docs/decisions/0023-accession.md). Thin: role check, input check, the
 * accession service (which tells an agency's IG lead from an agreement's IG officer).
 *
 *   GET  /v1/agreements/:id/accessions                        the register (?format=csv)   ig_officer, auditor
 *   GET  /v1/agreements/:id/accessions/terms                  the terms for the IG lead's agency   ig_officer (IG lead)
 *   POST /v1/agreements/:id/accessions                        sign { kind, version, digest }       ig_officer (IG lead)
 *   GET  /v1/agreements/:id/accessions/:accessionId                                              ig_officer, auditor
 *   POST /v1/agreements/:id/accessions/:accessionId/approve                                      ig_officer (of the agreement)
 *   POST /v1/agreements/:id/accessions/:accessionId/refuse    { reason }                          ig_officer (of the agreement)
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { UnsupportedMediaType, ValidationFailed } from '../errors.js';
import type { PersonPrincipal, PersonRole } from '../identity/principal.js';
import { registerCsv, type AccessionService } from '../policy/accession/service.js';
import type { RouteSpec } from '../ui/page-router.js';
import { rejectDuplicateKeys } from './strict-json.js';

export interface AccessionRouteDeps {
  accessions: AccessionService;
  requireRole(...roles: PersonRole[]): RequestHandler;
  csrfProtect?: RequestHandler;
}

/** For the route table (ui/index.ts) and the route × role test. */
export const ACCESSION_API: RouteSpec[] = [
  { method: 'GET', path: '/v1/agreements/:id/accessions', access: ['ig_officer', 'auditor'] },
  { method: 'GET', path: '/v1/agreements/:id/accessions/terms', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/accessions', access: ['ig_officer'] },
  { method: 'GET', path: '/v1/agreements/:id/accessions/:accessionId', access: ['ig_officer', 'auditor'] },
  { method: 'POST', path: '/v1/agreements/:id/accessions/:accessionId/approve', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/accessions/:accessionId/refuse', access: ['ig_officer'] },
];

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const jsonBody = express.json({ limit: '16kb', strict: true, type: 'application/json', verify: rejectDuplicateKeys });
const ajv = new Ajv2020({ strict: true, allErrors: true });
const validateSign = ajv.compile({
  type: 'object', additionalProperties: false, required: ['kind', 'version', 'digest'],
  properties: {
    kind: { type: 'string', enum: ['JOIN', 'WITHDRAW'] },
    version: { type: 'integer', minimum: 1 },
    digest: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
});
const validateRefuse = ajv.compile({
  type: 'object', additionalProperties: false, required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } },
});

function check(v: ValidateFunction, body: unknown, what: string): void {
  if (!v(body)) {
    throw new ValidationFailed(`Invalid ${what}`, {
      problems: (v.errors ?? []).map((e) => ({ path: e.instancePath || '/', code: e.keyword, message: e.message ?? 'invalid' })),
    });
  }
}

function agreementId(req: Request): string {
  const v = req.params.id;
  if (typeof v !== 'string' || !SLUG.test(v)) {
    throw new ValidationFailed('Invalid agreement id', { problems: [{ path: 'path:id', code: 'pattern', message: 'lower-case letters, digits and hyphens' }] });
  }
  return v;
}

const json: RequestHandler = (req, _res, next) => {
  if (req.is('application/json')) return next();
  next(new UnsupportedMediaType('Send application/json'));
};

function send(res: Response, status: number, body: unknown): void {
  res.status(status).set('cache-control', 'no-store').json(body);
}

const person = (res: Response) => res.locals.principal as PersonPrincipal;

export function createAccessionRouter(d: AccessionRouteDeps): Router {
  const r = Router();
  const { accessions } = d;
  const read = d.requireRole('ig_officer', 'auditor');
  const officer = d.requireRole('ig_officer');
  const change: RequestHandler[] = d.csrfProtect ? [officer, d.csrfProtect] : [officer];

  r.get('/v1/agreements/:id/accessions', read, async (req, res) => {
    const id = agreementId(req);
    const rows = await accessions.register(id);
    const format = req.query.format ?? 'json';
    if (format === 'csv') {
      res.status(200).set('cache-control', 'no-store').attachment(`${id}-accession-register.csv`).type('text/csv; charset=utf-8').send(registerCsv(rows));
      return;
    }
    if (format !== 'json') throw new ValidationFailed('Invalid format', { problems: [{ path: 'query:format', code: 'enum', message: 'json or csv' }] });
    send(res, 200, { agreementId: id, accessions: rows });
  });

  r.get('/v1/agreements/:id/accessions/terms', officer, async (req, res) => {
    send(res, 200, await accessions.terms(person(res), agreementId(req)));
  });

  r.post('/v1/agreements/:id/accessions', ...change, json, jsonBody, async (req, res) => {
    const id = agreementId(req);
    check(validateSign, req.body, 'accession');
    const a = await accessions.request(person(res), id, req.body as { kind: string; version: number; digest: string });
    res.location(`/v1/agreements/${id}/accessions/${a.id}`);
    send(res, 201, a);
  });

  r.get('/v1/agreements/:id/accessions/:accessionId', read, async (req, res) => {
    send(res, 200, await accessions.get(agreementId(req), String(req.params.accessionId)));
  });

  r.post('/v1/agreements/:id/accessions/:accessionId/approve', ...change, async (req, res) => {
    send(res, 200, await accessions.approve(person(res), agreementId(req), String(req.params.accessionId)));
  });

  r.post('/v1/agreements/:id/accessions/:accessionId/refuse', ...change, json, jsonBody, async (req, res) => {
    check(validateRefuse, req.body, 'refusal');
    send(res, 200, await accessions.refuse(person(res), agreementId(req), String(req.params.accessionId), (req.body as { reason: string }).reason));
  });

  return r;
}
