/**
 * The common world of the §8 scenarios, driven end to end through the agency API (mTLS) of a
 * whole test gateway: the sample case (victim V, adult without care and support needs;
 * perpetrator P; child C, 6, on a child protection plan) in the Essex MARAT area, the sample
 * agreements from `policies/`, and the sample responses from `test/fixtures/samples/`.
 *
 * The clock is fixed (CLOCK) so windows ("last 12 months"), age bands and the repeat check give
 * the same answer every day the suite runs.
 */
import { expect } from 'vitest';
import type { PersonPrincipal } from '../../../gateway/src/identity/principal.js';
import type { TestGateway } from '../../helpers/gateway.js';
import type { AgencyResponse } from '../../helpers/pki.js';
import { sampleCase, sampleResponse, subjectIds } from '../exchange/fixtures.js';

/** A few days before the sample meeting (2026-12-16) and its default deadline (2026-12-15 17:00). */
export const CLOCK = '2026-12-10T10:00:00Z';

export type Ids = { v1: string; p1: string; c1: string };

export const RESPONSE_FILE: Record<string, string> = {
  'essex-police': 'response-police.json',
  'mse-hospitals': 'response-health.json',
  'chelmsford-housing': 'response-housing.json',
  'safe-steps-idva': 'response-idva.json',
  'essex-childrens-services': 'response-childrens-social-care.json',
  'kss-probation': 'response-probation.json',
  'essex-adult-social-care': 'response-adult-social-care.json',
};

type Json = Record<string, any>;

/** The sample case with per-subject changes (by key: v1, p1, c1) and case-level overrides. */
export function caseBody(opts: { subjects?: Record<string, (s: Json) => void>; riskBasis?: Json; [k: string]: unknown } = {}): Json {
  const { subjects = {}, riskBasis, ...rest } = opts;
  const body = structuredClone(sampleCase(rest)) as Json;
  if (riskBasis) body.riskBasis = riskBasis;
  for (const s of body.subjects as Json[]) subjects[s.key]?.(s);
  return body;
}

export async function openCase(t: TestGateway, body: Json = caseBody()): Promise<{ caseId: string; ids: Ids; riskBasis: Json }> {
  const r = await t.as('essex-marat').post('/v1/cases', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { caseId: r.body.caseId, ids: subjectIds(r.body), riskBasis: r.body.riskBasis };
}

export async function requestResearch(t: TestGateway, caseId: string, recipients: string[], extra: Json = {}, from = 'essex-marat'): Promise<AgencyResponse> {
  return t.as(from).post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients, ...extra });
}

/** Pulls the recipient's inbox and returns the message of that request (the request view it was shown). */
export async function pull(t: TestGateway, agency: string, requestId: string): Promise<Json | undefined> {
  const inbox = await t.as(agency).get('/v1/inbox?wait=1');
  expect(inbox.status, JSON.stringify(inbox.body)).toBe(200);
  return (inbox.body.messages as Json[]).find((m) => m.requestId === requestId);
}

/**
 * Acknowledge and answer with `body` (default: the agency's sample response). Pulls the inbox
 * first unless the message was already pulled.
 */
export async function answer(t: TestGateway, agency: string, requestId: string, ids: Ids, body?: Json, pulled?: Json): Promise<{ message: Json; response: AgencyResponse }> {
  const message = pulled ?? (await pull(t, agency, requestId));
  expect(message, `${agency} got no message for ${requestId}`).toBeDefined();
  const ack = await t.as(agency).post(`/v1/inbox/${message!.messageId}/ack`);
  expect(ack.status).toBe(200);
  const response = await t.as(agency).post(
    `/v1/research-requests/${requestId}/response`,
    body ?? sampleResponse(RESPONSE_FILE[agency]!, ids),
    { 'Idempotency-Key': `answer-${message!.messageId}` },
  );
  return { message: message!, response };
}

export async function readPack(t: TestGateway, viewer: string, caseId: string): Promise<Json> {
  const r = await t.as(viewer).get(`/v1/cases/${caseId}/research`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** The one section of a pack from this responding agency (the latest request's, if several). */
export function section(pack: Json, agencyId: string, requestId?: string): Json {
  const all = (pack.sections as Json[]).filter((s) => s.agencyId === agencyId && (!requestId || s.requestId === requestId));
  expect(all.length, `no section from ${agencyId}`).toBeGreaterThan(0);
  return all[all.length - 1]!;
}

export function subjectOf(sec: Json, subjectId: string): Json {
  const s = (sec.subjects as Json[]).find((x) => x.subjectId === subjectId);
  expect(s, `no subject ${subjectId} in the ${sec.agencyId} section`).toBeDefined();
  return s!;
}

export interface AuditRow {
  seq: number;
  action: string;
  decision: string | null;
  reason_code: string | null;
  case_id: string | null;
  request_id: string | null;
  message_id: string | null;
  agreement_id: string | null;
  agreement_version: number | null;
  actor_id: string;
  canonical: string;
  event: Json;
}

export async function auditRows(t: TestGateway, where = 'true', params: unknown[] = []): Promise<AuditRow[]> {
  await t.gateway.audit.flush();
  const r = await t.db.pool.query(
    `SELECT seq, action, decision, reason_code, case_id, request_id, message_id, agreement_id, agreement_version, actor_id, canonical
       FROM audit_events WHERE ${where} ORDER BY seq`,
    params,
  );
  return r.rows.map((x) => ({ ...x, seq: Number(x.seq), event: JSON.parse(x.canonical) }));
}

/** Every stored audit event as text must contain none of these values. */
export async function expectAuditFreeOf(t: TestGateway, needles: string[]): Promise<void> {
  const rows = await auditRows(t);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    for (const n of needles) expect(row.canonical.includes(n), `audit event ${row.seq} (${row.action}) holds "${n}"`).toBe(false);
  }
}

/** IG officers, as the people-auth layer would hand them to the agreement service. */
export const IG_A: PersonPrincipal = { kind: 'person', userId: 'ig-officer-a', displayName: 'IG officer A', roles: ['ig_officer'] };
export const IG_B: PersonPrincipal = { kind: 'person', userId: 'ig-officer-b', displayName: 'IG officer B', roles: ['ig_officer'] };
