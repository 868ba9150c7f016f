/**
 * People API for agreements (IG officers; list and read also auditors). Thin: authenticate and
 * authorise (requireRole, from people auth), check the input, call the lifecycle service.
 *
 *   GET    /v1/agreements                                  list                    ig_officer, auditor
 *   POST   /v1/agreements                                  new draft (JSON or YAML) ig_officer
 *   GET    /v1/agreements/:id                              agreement + versions    ig_officer, auditor
 *   GET    /v1/agreements/:id/versions/:v                  one version + document  ig_officer, auditor
 *   PUT    /v1/agreements/:id/versions/:v                  edit a draft            ig_officer
 *   POST   /v1/agreements/:id/versions/:v/validate                                 ig_officer
 *   GET    /v1/agreements/:id/diff?from=&to=                                       ig_officer
 *   POST   /v1/agreements/:id/versions/:v/preview          { sampleResponse, subjectFacts, provider?, purpose? }
 *   POST   /v1/agreements/:id/versions/:v/approve | activate | expire              ig_officer
 *   POST   /v1/agreements/:id/versions/:v/suspend          { reason, confirm: true } ig_officer
 *   POST   /v1/agreements/:id/versions/:v/resume           (not the officer who suspended)
 *   POST   /v1/agreements/:id/parties/:agency/remove       { reason, confirm: true } ig_officer
 *   POST   /v1/agreements/:id/parties/:agency/restore      (not the officer who removed)
 *   GET    /v1/agreements/:id/versions/:v/export?format=yaml|json                  ig_officer
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { UnsupportedMediaType, ValidationFailed, type ProblemDetail } from '../errors.js';
import type { PersonPrincipal, PersonRole } from '../identity/principal.js';
import { readAgreementText, type AgreementService } from '../policy/lifecycle/index.js';
import { rejectDuplicateKeys } from './strict-json.js';

export interface AgreementRouteDeps {
  service: AgreementService;
  /** From people auth: admits a signed-in person holding one of the roles; sets res.locals.principal. */
  requireRole(...roles: PersonRole[]): RequestHandler;
  /** From people auth, for cookie sessions: applied to every state-changing route when given. */
  csrfProtect?: RequestHandler;
}

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const VERSION = /^[1-9][0-9]{0,8}$/;
const BODY_LIMIT = '1mb';
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

// Prototype keys in an agreement are refused by the service (asAgreementObject).
// A key repeated in one object is refused (DUPLICATE_JSON_KEY): which value counts would be ambiguous.
const jsonBody = express.json({ limit: BODY_LIMIT, strict: true, type: 'application/json', verify: rejectDuplicateKeys });
const yamlBody = express.text({ limit: BODY_LIMIT, type: YAML_TYPES });

const ajv = new Ajv2020({ strict: true, allErrors: true });
const validatePreview = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['sampleResponse', 'subjectFacts'],
  properties: {
    sampleResponse: { type: 'object' },
    subjectFacts: { type: 'object' },
    provider: { type: 'string', pattern: SLUG.source },
    purpose: { type: 'string', enum: ['MARAC_RESEARCH', 'MARAC_ACTION_REVIEW', 'MARAC_TRANSFER'] },
  },
});

// Kill-switch input: the service says which of reason / confirmation is missing (stable codes).
const validateKillSwitch = ajv.compile({
  type: 'object',
  additionalProperties: false,
  properties: { reason: {}, confirm: {} },
});

/** `{ reason, confirm }` from a JSON body, or nothing (the service then refuses it). */
function killSwitchInput(req: Request): { reason?: unknown; confirm?: unknown } {
  const body: unknown = req.body ?? {};
  if (!validateKillSwitch(body)) {
    throw bad('Invalid input', (validateKillSwitch.errors ?? []).map((e) => ({ path: e.instancePath || '/', code: e.keyword, message: e.message ?? 'invalid' })));
  }
  return body as { reason?: unknown; confirm?: unknown };
}

function agencyParam(req: Request): string {
  const v = req.params.agency;
  if (typeof v !== 'string' || !SLUG.test(v)) throw bad('Invalid agency id', [{ path: 'path:agency', code: 'pattern', message: 'lower-case letters, digits and hyphens' }]);
  return v;
}

function person(res: Response): PersonPrincipal {
  return res.locals.principal as PersonPrincipal;
}

function bad(message: string, problems: ProblemDetail[]): ValidationFailed {
  return new ValidationFailed(message, { problems });
}

function agreementId(req: Request): string {
  const v = req.params.id;
  if (typeof v !== 'string' || !SLUG.test(v)) throw bad('Invalid agreement id', [{ path: 'path:id', code: 'pattern', message: 'lower-case letters, digits and hyphens' }]);
  return v;
}

function versionParam(raw: unknown, where: string): number {
  if (typeof raw !== 'string' || !VERSION.test(raw)) throw bad(`Invalid ${where}`, [{ path: where, code: 'pattern', message: 'a version number from 1' }]);
  return Number(raw);
}

/** Sends JSON that is never cached: agreements and previews are governance data. */
function send(res: Response, status: number, body: unknown): void {
  res.status(status).set('cache-control', 'no-store').json(body);
}

/** An agreement document arrives as JSON (parsed by express.json) or as YAML text. */
const agreementBody: RequestHandler[] = [
  (req, _res, next) => {
    if (req.is(YAML_TYPES) || req.is('application/json')) return next();
    next(new UnsupportedMediaType('Send the agreement as application/json or application/yaml'));
  },
  jsonBody,
  yamlBody,
];

export function createAgreementRouter(d: AgreementRouteDeps): Router {
  const r = Router();
  const { service } = d;
  const read = d.requireRole('ig_officer', 'auditor');
  const officer = d.requireRole('ig_officer');
  const change: RequestHandler[] = d.csrfProtect ? [officer, d.csrfProtect] : [officer];

  /** Either body kind → the service call for a parsed document or for YAML text. */
  function savedDocument(req: Request): { text: string } | { doc: unknown } {
    if (typeof req.body === 'string') return { text: req.body };
    if (req.body === undefined) throw bad('The agreement is missing', [{ path: 'body', code: 'required', message: 'send the agreement document' }]);
    return { doc: req.body };
  }

  r.get('/v1/agreements', read, async (_req, res) => {
    send(res, 200, { agreements: await service.list() });
  });

  r.post('/v1/agreements', ...change, ...agreementBody, async (req, res) => {
    const input = savedDocument(req);
    const saved = 'text' in input ? await service.importFile(person(res), input.text) : await service.createDraft(person(res), input.doc);
    const v = saved.version;
    res.location(`/v1/agreements/${v.agreementId}/versions/${v.version}`);
    send(res, 201, { ...v, problems: saved.problems });
  });

  r.get('/v1/agreements/:id', read, async (req, res) => {
    send(res, 200, await service.getAgreement(agreementId(req)));
  });

  r.get('/v1/agreements/:id/diff', officer, async (req, res) => {
    const id = agreementId(req);
    send(res, 200, await service.diff(id, versionParam(req.query.from, 'query:from'), versionParam(req.query.to, 'query:to')));
  });

  r.get('/v1/agreements/:id/versions/:v', read, async (req, res) => {
    send(res, 200, await service.get(agreementId(req), versionParam(req.params.v, 'path:v')));
  });

  r.put('/v1/agreements/:id/versions/:v', ...change, ...agreementBody, async (req, res) => {
    const id = agreementId(req);
    const v = versionParam(req.params.v, 'path:v');
    const input = savedDocument(req);
    const doc = 'text' in input ? readAgreementText(input.text) : input.doc;
    const saved = await service.editDraft(person(res), id, v, doc);
    send(res, 200, { ...saved.version, problems: saved.problems });
  });

  r.post('/v1/agreements/:id/versions/:v/validate', ...change, async (req, res) => {
    send(res, 200, await service.validate(person(res), agreementId(req), versionParam(req.params.v, 'path:v')));
  });

  r.post('/v1/agreements/:id/versions/:v/preview', officer, jsonBody, async (req, res) => {
    const id = agreementId(req);
    const v = versionParam(req.params.v, 'path:v');
    if (!req.is('application/json')) throw new UnsupportedMediaType('Send the preview input as application/json');
    if (!validatePreview(req.body)) {
      throw bad('Invalid preview input', (validatePreview.errors ?? []).map((e) => ({
        path: e.instancePath || '/', code: e.keyword, message: e.message ?? 'invalid',
      })));
    }
    const body = req.body as { sampleResponse: unknown; subjectFacts: unknown; provider?: string; purpose?: string };
    send(res, 200, await service.preview(id, v, body.sampleResponse, body.subjectFacts, {
      ...(body.provider ? { provider: body.provider } : {}),
      ...(body.purpose ? { purpose: body.purpose } : {}),
    }));
  });

  for (const action of ['approve', 'activate', 'expire', 'resume'] as const) {
    r.post(`/v1/agreements/:id/versions/:v/${action}`, ...change, async (req, res) => {
      send(res, 200, await service[action](person(res), agreementId(req), versionParam(req.params.v, 'path:v')));
    });
  }

  r.post('/v1/agreements/:id/versions/:v/suspend', ...change, jsonBody, async (req, res) => {
    const id = agreementId(req);
    const v = versionParam(req.params.v, 'path:v');
    send(res, 200, await service.suspend(person(res), id, v, killSwitchInput(req)));
  });

  r.post('/v1/agreements/:id/parties/:agency/remove', ...change, jsonBody, async (req, res) => {
    const id = agreementId(req);
    send(res, 200, await service.removeParty(person(res), id, agencyParam(req), killSwitchInput(req)));
  });

  r.post('/v1/agreements/:id/parties/:agency/restore', ...change, async (req, res) => {
    send(res, 200, await service.restoreParty(person(res), agreementId(req), agencyParam(req)));
  });

  r.get('/v1/agreements/:id/versions/:v/export', officer, async (req, res) => {
    const id = agreementId(req);
    const v = versionParam(req.params.v, 'path:v');
    const format = req.query.format ?? 'yaml';
    if (format !== 'yaml' && format !== 'json') {
      throw bad('Invalid format', [{ path: 'query:format', code: 'enum', message: 'yaml or json' }]);
    }
    const text = await service.exportVersion(id, v, format);
    res
      .status(200)
      .set('cache-control', 'no-store')
      // attachment() sets a type from the file name: set ours after it.
      .attachment(`${id}-v${v}.${format}`)
      .type(format === 'yaml' ? 'application/yaml; charset=utf-8' : 'application/json; charset=utf-8')
      .send(text);
  });

  return r;
}
