import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type pg from 'pg';
import type { PersonPrincipal, PersonRole } from '../identity/principal.js';
import type { Logger } from '../logger.js';
import { withTx } from '../store/db.js';
import { latestCosigned, type Checkpointer } from '../audit/checkpoint.js';
import { AuditQueryInvalid, ProofRangeInvalid } from '../audit/errors.js';
import { exportEvents, type ExportFormat } from '../audit/export.js';
import { consistencyProof, inclusionProof } from '../audit/proofs.js';
import { AUDIT_ACTIONS, normaliseFilters, queryEvents, type AuditFilters, type SortOrder } from '../audit/query.js';
import type { SubjectTokens } from '../audit/subject-tokens.js';
import type { AuditEventInput, AuditLog } from '../audit/types.js';
import { GatewayError } from '../errors.js';

export interface AuditRouterDeps {
  pool: pg.Pool;
  /** The audit log; `flush` (when present) makes fresh events visible before a query or export. */
  audit: AuditLog & { flush?(pool?: pg.Pool): Promise<void> };
  checkpointer: Checkpointer;
  /** Turns what the auditor typed (NHS number, PNC id, name|dob) into the stored token. */
  tokens: Pick<SubjectTokens, 'tokenForQuery'>;
  /** From people auth: checks the session's roles and sets res.locals.principal. */
  requireRole: (...roles: PersonRole[]) => RequestHandler;
  /** Written into export headers (the checkpoints' origin). */
  origin?: string;
  logger?: Logger;
}

class CheckpointNotFound extends GatewayError {
  readonly code = 'CHECKPOINT_NOT_FOUND';
  readonly status = 404;
}

const FILTER_PARAMS = ['from', 'to', 'actor', 'agency', 'case', 'request', 'subjectSystem', 'subjectValue', 'action', 'decision', 'reason'] as const;
const EVENTS_PARAMS = new Set<string>([...FILTER_PARAMS, 'cursor', 'limit', 'order']);
const EXPORT_PARAMS = new Set<string>([...FILTER_PARAMS, 'format']);

function single(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new AuditQueryInvalid(`Give ${name} once`, { reason: 'PARAMETER_REPEATED' });
  return v;
}

function onlyKnown(req: Request, allowed: Set<string>): void {
  for (const k of Object.keys(req.query)) {
    if (!allowed.has(k)) throw new AuditQueryInvalid('Unknown query parameter', { reason: 'UNKNOWN_PARAMETER', problems: [{ path: k, code: 'UNKNOWN_PARAMETER', message: 'not a filter' }] });
  }
}

function positiveInt(text: string | undefined, reason: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) throw new ProofRangeInvalid('Give a positive whole number', { reason });
  return Number(text);
}

/** Query parameters → filters; the subject identifier becomes its token here and goes no further. */
function readFilters(req: Request, tokens: AuditRouterDeps['tokens']): { filters: AuditFilters; used: string[] } {
  const filters: AuditFilters = {};
  const used: string[] = [];
  const set = <K extends keyof AuditFilters>(k: K, v: AuditFilters[K] | undefined, name: string) => {
    if (v === undefined) return;
    filters[k] = v;
    used.push(name);
  };
  set('from', single(req, 'from'), 'from');
  set('to', single(req, 'to'), 'to');
  set('actor', single(req, 'actor'), 'actor');
  set('agency', single(req, 'agency'), 'agency');
  set('caseId', single(req, 'case'), 'case');
  set('requestId', single(req, 'request'), 'request');
  set('decision', single(req, 'decision') as AuditFilters['decision'], 'decision');
  set('reason', single(req, 'reason'), 'reason');
  const action = single(req, 'action');
  if (action !== undefined) set('action', action.split(',') as AuditFilters['action'], 'action');
  const system = single(req, 'subjectSystem');
  const value = single(req, 'subjectValue');
  if ((system === undefined) !== (value === undefined)) {
    throw new AuditQueryInvalid('Give both subjectSystem and subjectValue', { reason: 'SUBJECT_INCOMPLETE' });
  }
  if (system !== undefined && value !== undefined) set('subjectToken', tokens.tokenForQuery(system, value), 'subject');
  return { filters, used };
}

/** The auditor's own access, as an event: which filters, never the identifier typed. */
function accessEvent(action: 'AUDIT_QUERIED' | 'AUDIT_EXPORTED', principal: PersonPrincipal, f: AuditFilters, used: string[], extra: Record<string, string | number | boolean>): AuditEventInput {
  const actions = Array.isArray(f.action) ? f.action.filter((a) => AUDIT_ACTIONS.includes(a)) : [];
  return {
    action,
    actor: principal,
    ...(f.caseId ? { caseId: f.caseId } : {}),
    ...(f.requestId ? { requestId: f.requestId } : {}),
    ...(f.agency ? { agencyIds: [f.agency] } : {}),
    ...(f.subjectToken ? { subjectTokens: [f.subjectToken] } : {}),
    detail: {
      filters: used.join(','),
      ...(actions.length ? { actions: actions.join(',') } : {}),
      ...(f.decision ? { decisionFilter: f.decision } : {}),
      ...(f.reason ? { reasonFilter: f.reason } : {}),
      ...extra,
    },
  };
}

function principalOf(res: Response): PersonPrincipal {
  const p = res.locals.principal as PersonPrincipal | undefined;
  if (!p || p.kind !== 'person') throw new AuditQueryInvalid('No signed-in person', { reason: 'NO_PRINCIPAL' });
  return p;
}

function drainedOrClosed(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap = (h: Handler): RequestHandler => (req: Request, res: Response, next: NextFunction) => {
  h(req, res).catch(next);
};

/**
 * The auditor API. Thin: parse and check the query string, call the audit module, map errors.
 * Queries and exports are themselves audited (AUDIT_QUERIED, AUDIT_EXPORTED) before any result
 * leaves: if the audit write fails, nothing is returned.
 */
export function createAuditRouter(deps: AuditRouterDeps): Router {
  const router = Router();
  const auditor = deps.requireRole('auditor');
  const fresh = async () => {
    if (deps.audit.flush) await deps.audit.flush(deps.pool);
  };

  router.get('/v1/audit/events', auditor, wrap(async (req, res) => {
    onlyKnown(req, EVENTS_PARAMS);
    const principal = principalOf(res);
    const { filters, used } = readFilters(req, deps.tokens);
    const limitText = single(req, 'limit');
    const limit = limitText === undefined ? 50 : /^\d{1,4}$/.test(limitText) ? Number(limitText) : -1;
    const order = (single(req, 'order') ?? 'desc') as SortOrder;
    const cursor = single(req, 'cursor') ?? null;
    await fresh();
    const page = await withTx(deps.pool, async (tx) => {
      const result = await queryEvents(tx, filters, cursor, limit, order);
      await deps.audit.append(tx, accessEvent('AUDIT_QUERIED', principal, filters, used, { results: result.events.length, nextPage: cursor !== null }));
      return result;
    });
    res.set('Cache-Control', 'no-store').json(page);
  }));

  router.get('/v1/audit/export', auditor, wrap(async (req, res) => {
    onlyKnown(req, EXPORT_PARAMS);
    const principal = principalOf(res);
    const format = (single(req, 'format') ?? 'ndjson') as ExportFormat;
    if (format !== 'ndjson' && format !== 'csv') throw new AuditQueryInvalid('format is ndjson or csv', { reason: 'FORMAT_INVALID' });
    const { filters, used } = readFilters(req, deps.tokens);
    // Validate before writing the access event; the export itself re-checks.
    normaliseFilters(filters);
    await withTx(deps.pool, (tx) => deps.audit.append(tx, accessEvent('AUDIT_EXPORTED', principal, filters, used, { format })));
    await fresh();

    const stream = exportEvents(deps.pool, filters, format, { checkpointer: deps.checkpointer, ...(deps.origin ? { origin: deps.origin } : {}) });
    // Pull the first chunk before committing to a 200, so an early failure is still a clean problem.
    const first = await stream.next();
    res.status(200);
    res.set('Cache-Control', 'no-store');
    // attachment() guesses a type from the file name, so it goes first.
    res.attachment(`audit-export.${format}`);
    res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    try {
      if (!first.done) res.write(first.value);
      for await (const chunk of stream) {
        // A client that goes away never drains: wake on close too, then stop reading the log.
        if (!res.write(chunk)) await drainedOrClosed(res);
        if (res.destroyed || res.writableEnded) break;
      }
      res.end();
    } catch (err) {
      deps.logger?.error('audit export failed mid-stream', { err });
      res.destroy(err as Error);
    } finally {
      await stream.return(undefined);
    }
  }));

  // ?witnessed=true: the largest checkpoint a witness cosigned (its note carries the cosignature
  // lines), which is what the offline verifier wants beside an export.
  router.get('/v1/audit/checkpoints/latest', auditor, wrap(async (req, res) => {
    onlyKnown(req, new Set(['witnessed']));
    const witnessed = single(req, 'witnessed');
    if (witnessed !== undefined && witnessed !== 'true' && witnessed !== 'false') {
      throw new AuditQueryInvalid('witnessed is true or false', { reason: 'WITNESSED_INVALID' });
    }
    const latest = witnessed === 'true' ? await latestCosigned(deps.pool) : await deps.checkpointer.latest();
    if (!latest) throw new CheckpointNotFound(witnessed === 'true' ? 'No checkpoint has been cosigned by a witness yet' : 'No checkpoint has been signed yet');
    res.set('Cache-Control', 'no-store').json(latest);
  }));

  router.get('/v1/audit/proofs/inclusion', auditor, wrap(async (req, res) => {
    onlyKnown(req, new Set(['seq', 'treeSize']));
    const seq = positiveInt(single(req, 'seq'), 'SEQ_INVALID');
    if (seq === undefined) throw new ProofRangeInvalid('Give seq', { reason: 'SEQ_MISSING' });
    const treeSize = positiveInt(single(req, 'treeSize'), 'TREESIZE_INVALID');
    const latest = treeSize === undefined ? await deps.checkpointer.latest() : null;
    const size = treeSize ?? latest?.treeSize;
    if (size === undefined) throw new CheckpointNotFound('No checkpoint to prove against yet');
    const proof = await inclusionProof(deps.pool, seq, size);
    res.set('Cache-Control', 'no-store').json({ ...proof, ...(latest ? { checkpoint: latest } : {}) });
  }));

  router.get('/v1/audit/proofs/consistency', auditor, wrap(async (req, res) => {
    onlyKnown(req, new Set(['from', 'to']));
    const from = positiveInt(single(req, 'from'), 'FROM_INVALID');
    const to = positiveInt(single(req, 'to'), 'TO_INVALID');
    if (from === undefined || to === undefined) throw new ProofRangeInvalid('Give from and to', { reason: 'RANGE_MISSING' });
    res.set('Cache-Control', 'no-store').json(await consistencyProof(deps.pool, from, to));
  }));

  router.get('/v1/audit/public-key', auditor, wrap(async (_req, res) => {
    res.json(deps.checkpointer.publicKey());
  }));

  return router;
}

