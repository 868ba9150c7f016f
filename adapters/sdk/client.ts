/**
 * The agency side of the gateway's API, over mutual TLS with the agency's client certificate.
 * One keep-alive agent per client; every call returns parsed JSON or throws a typed error
 * (GatewayRejected with the problem+json `code`, GatewayUnreachable, UnexpectedGatewayReply).
 */
import https from 'node:https';
import { TLS_PROFILE } from '@marac/tls-profile';
import { GatewayRejected, GatewayUnreachable, UnexpectedGatewayReply } from './errors.js';
import type { Decline, InboxMessage, ResearchResponse } from './types.js';

export interface GatewayClientOptions {
  /** e.g. `https://gateway.example:8443` */
  baseUrl: string;
  certPem: string;
  keyPem: string;
  /** CA that signed the gateway's server certificate. */
  caPem: string;
  /** Per-request timeout on top of any long-poll wait (ms). */
  timeoutMs?: number;
}

export interface AnswerReceipt {
  requestId: string;
  messageId?: string;
  state: string;
  late?: boolean;
  /** The gateway had this answer already (a retry after a crash or a lost reply). */
  alreadyAnswered?: boolean;
}

/** What the gateway says about a referral it received (schemas/openapi.yaml ReferralReceived). */
export interface ReferralReceipt {
  referralId: string;
  status: string;
  maracArea: string;
  /** Computed by the gateway from the 24 answers. */
  dashScore: number;
  criteria: { id: string; met: boolean; reason: string }[];
  meetsCriteria: boolean;
  possibleRepeat: boolean;
}

export type ActionStatus = 'OPEN' | 'DONE' | 'NOT_POSSIBLE_CHANGE' | 'NOT_DONE_AGENCY';

/** An action as released to its owner agency (schemas/openapi.yaml OwnerActionView). */
export interface OwnedAction {
  id: string;
  caseId: string;
  /** The meeting the action was agreed at, when there was one (getMinutes). */
  meetingId?: string;
  kind: 'ACTION' | 'SURVIVOR_FEEDBACK';
  dueOn: string;
  status: ActionStatus;
  ownerAgencyId: string;
  /** As the agreement releases it to the owner (absent when it does not). */
  description?: string;
  updates?: { at?: string; byAgencyId?: string; status?: ActionStatus; note?: string }[];
}

export interface GatewayClient {
  pollInbox(waitSeconds: number, signal?: AbortSignal): Promise<InboxMessage[]>;
  ack(messageId: string): Promise<{ messageId: string; state: string }>;
  respond(requestId: string, response: ResearchResponse, idempotencyKey: string): Promise<AnswerReceipt>;
  decline(requestId: string, decline: Decline, idempotencyKey: string): Promise<AnswerReceipt>;
  /**
   * Sends a referral (schemas/referral.schema.json) with the Dash as completed in the agency's own
   * system: the 24 answers, no score. The same key and body sent again returns the first receipt.
   */
  refer(referral: Record<string, unknown>, idempotencyKey: string): Promise<ReferralReceipt>;
  /** A referral this agency made: its status, the criteria with reasons, and any return reason. */
  referral(referralId: string): Promise<Record<string, unknown>>;
  /**
   * The research pack of a case as circulated to this agency (MARAC_ACTION_REVIEW): other agencies'
   * answers as the agreement releases them to it, its own in full (schemas/openapi.yaml CirculatedPack).
   * Before the coordinator has circulated it to this agency: GatewayRejected 409 PACK_NOT_CIRCULATED
   * ("not yet": ask again once told it was circulated).
   */
  getCirculatedPack(caseId: string): Promise<Record<string, unknown>>;
  /**
   * The minutes of a case at a meeting and the actions agreed there, as released to this agency
   * (ReleasedMinutes): the version circulated to it (`circulated.version`), whatever the coordinator
   * saved since. Before they are circulated to it: GatewayRejected 409 MINUTES_NOT_CIRCULATED.
   */
  getMinutes(meetingId: string, caseId: string): Promise<Record<string, unknown>>;
  /** The actions this agency owns (`open`, the default, or `all`): open first, then by due date, as released to it. */
  listActions(status?: 'open' | 'all'): Promise<OwnedAction[]>;
  /**
   * A dated update to an action this agency owns: DONE, NOT_POSSIBLE_CHANGE (circumstances changed),
   * NOT_DONE_AGENCY, or OPEN to reopen. A note is needed to reopen and for the two "not done" statuses.
   */
  updateAction(actionId: string, update: { status: ActionStatus; note?: string }): Promise<OwnedAction>;
  close(): void;
}

const ID = /^[a-z]{3,4}_[0-9a-f]{32}$/;

function isMessage(m: unknown): m is InboxMessage {
  if (!m || typeof m !== 'object') return false;
  const x = m as Record<string, unknown>;
  const req = x.request as Record<string, unknown> | undefined;
  return typeof x.messageId === 'string' && typeof x.requestId === 'string' && x.kind === 'RESEARCH_REQUEST'
    && !!req && Array.isArray(req.subjects) && Array.isArray(req.requestedDomains) && typeof req.lookbackMonths === 'number';
}

export function createGatewayClient(opts: GatewayClientOptions): GatewayClient {
  const base = new URL(opts.baseUrl);
  if (base.protocol !== 'https:') throw new UnexpectedGatewayReply('the gateway URL must be https');
  const agent = new https.Agent({ ...TLS_PROFILE, cert: opts.certPem, key: opts.keyPem, ca: opts.caPem, keepAlive: true, maxSockets: 8 });
  const timeoutMs = opts.timeoutMs ?? 15_000;

  function call(method: 'GET' | 'POST', path: string, o: { body?: unknown; headers?: Record<string, string>; waitMs?: number; signal?: AbortSignal } = {}): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const data = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
      const req = https.request(new URL(path, base), {
        method,
        agent,
        timeout: timeoutMs + (o.waitMs ?? 0),
        headers: {
          accept: 'application/json',
          ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}),
          ...o.headers,
        },
        ...(o.signal ? { signal: o.signal } : {}),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new GatewayUnreachable('connection lost while reading the reply', { cause: e })));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown ;
          if (text) {
            try {
              body = JSON.parse(text);
            } catch (e) {
              reject(status >= 400 ? new GatewayRejected(status, {}) : new UnexpectedGatewayReply(`reply ${status} is not JSON`, { cause: e }));
              return;
            }
          }
          if (status >= 400) reject(new GatewayRejected(status, (body && typeof body === 'object' ? body : {}) as Record<string, unknown>));
          else resolve({ status, body });
        });
      });
      req.on('timeout', () => req.destroy(new GatewayUnreachable('the gateway did not answer in time')));
      req.on('error', (e) => reject(e instanceof GatewayUnreachable || (e as { name?: string }).name === 'AbortError' ? e : new GatewayUnreachable(`cannot reach the gateway (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e })));
      req.end(data);
    });
  }

  const answer = async (path: string, body: unknown, key: string, requestId: string): Promise<AnswerReceipt> => {
    try {
      const r = await call('POST', path, { body, headers: { 'idempotency-key': key } });
      const b = r.body as Record<string, unknown>;
      return { requestId, state: String(b?.state ?? 'unknown'), ...(typeof b?.messageId === 'string' ? { messageId: b.messageId } : {}), ...(typeof b?.late === 'boolean' ? { late: b.late } : {}) };
    } catch (e) {
      // Answered before (by us, before a crash or a lost reply): the request is done, not failed.
      if (e instanceof GatewayRejected && (e.code === 'ALREADY_ANSWERED' || e.code === 'IDEMPOTENCY_KEY_REUSED')) {
        return { requestId, state: 'answered', alreadyAnswered: true };
      }
      throw e;
    }
  };

  return {
    async pollInbox(waitSeconds, signal) {
      const wait = Math.max(0, Math.min(30, Math.floor(waitSeconds)));
      const r = await call('GET', `/v1/inbox?wait=${wait}`, { waitMs: wait * 1000, ...(signal ? { signal } : {}) });
      const messages = (r.body as { messages?: unknown } | undefined)?.messages;
      if (!Array.isArray(messages)) throw new UnexpectedGatewayReply('inbox reply has no messages list');
      const bad = messages.filter((m) => !isMessage(m));
      if (bad.length) throw new UnexpectedGatewayReply(`${bad.length} inbox message(s) are not research requests`);
      return messages as InboxMessage[];
    },
    async ack(messageId) {
      if (!ID.test(messageId)) throw new UnexpectedGatewayReply('malformed message id');
      const r = await call('POST', `/v1/inbox/${messageId}/ack`);
      return r.body as { messageId: string; state: string };
    },
    respond(requestId, response, key) {
      if (!ID.test(requestId)) return Promise.reject(new UnexpectedGatewayReply('malformed request id'));
      return answer(`/v1/research-requests/${requestId}/response`, response, key, requestId);
    },
    decline(requestId, decline, key) {
      if (!ID.test(requestId)) return Promise.reject(new UnexpectedGatewayReply('malformed request id'));
      return answer(`/v1/research-requests/${requestId}/decline`, decline, key, requestId);
    },
    async refer(referral, key) {
      const r = await call('POST', '/v1/referrals', { body: referral, headers: { 'idempotency-key': key } });
      return r.body as ReferralReceipt;
    },
    async referral(referralId) {
      if (!/^ref_[0-9a-f]{32}$/.test(referralId)) throw new UnexpectedGatewayReply('malformed referral id');
      return (await call('GET', `/v1/referrals/${referralId}`)).body as Record<string, unknown>;
    },
    async getCirculatedPack(caseId) {
      if (!ID.test(caseId)) throw new UnexpectedGatewayReply('malformed case id');
      return (await call('GET', `/v1/cases/${caseId}/circulated-pack`)).body as Record<string, unknown>;
    },
    async getMinutes(meetingId, caseId) {
      if (!ID.test(meetingId) || !ID.test(caseId)) throw new UnexpectedGatewayReply('malformed meeting or case id');
      return (await call('GET', `/v1/meetings/${meetingId}/cases/${caseId}/minutes/released`)).body as Record<string, unknown>;
    },
    async listActions(status = 'open') {
      const actions = ((await call('GET', `/v1/actions?status=${status}`)).body as { actions?: unknown } | undefined)?.actions;
      if (!Array.isArray(actions)) throw new UnexpectedGatewayReply('actions reply has no actions list');
      return actions as OwnedAction[];
    },
    async updateAction(actionId, update) {
      if (!ID.test(actionId)) throw new UnexpectedGatewayReply('malformed action id');
      return (await call('POST', `/v1/actions/${actionId}/updates`, { body: update })).body as OwnedAction;
    },
    close: () => agent.destroy(),
  };
}

/** Idempotency keys derived from the message id: a restart re-sends the same key, never a second answer. */
export const responseKey = (messageId: string) => `rsp.${messageId}`;
export const declineKey = (messageId: string) => `dcl.${messageId}`;
