/**
 * Who may act on a case's minutes and actions: the case's coordinator (its certificate, or a
 * person with the coordinator role for it). Another agency's case looks missing.
 */
import type pg from 'pg';
import type { AuditLog } from '../audit/types.js';
import { actingAgency, type ExchangeActor } from '../exchange/acting-agency.js';
import { CaseNotFound } from '../exchange/errors.js';
import type { AgencyDirectory, PartyRef } from '../exchange/ports.js';
import type { Queryable } from '../store/db.js';
import type { Sealer } from '../store/sealed-box.js';
import { findCaseRef, type CaseRef } from './minutes-repo.js';

export type MeetingsSchema = 'case-minutes' | 'case-action' | 'case-action-update';

/** What the minutes and action services are built from; wired by hand in app.ts. */
export interface MinutesActionsDeps {
  pool: pg.Pool;
  audit: AuditLog;
  sealer: Sealer;
  agencies: AgencyDirectory;
  now(): Date;
  /** Throws ValidationFailed listing every problem. */
  validate(schema: MeetingsSchema, data: unknown): void;
}

export const by = (actor: ExchangeActor): string => (actor.kind === 'person' ? actor.userId : actor.agencyId);

export async function coordinatorCase(
  q: Queryable, actor: ExchangeActor, caseId: string, agencies: AgencyDirectory,
): Promise<{ acting: PartyRef; theCase: CaseRef }> {
  const acting = await actingAgency(actor, agencies);
  const theCase = await findCaseRef(q, caseId);
  if (!theCase || theCase.coordinatorAgencyId !== acting.agencyId) throw new CaseNotFound('No such case');
  return { acting, theCase };
}

/** The London calendar day of an instant, YYYY-MM-DD. */
export function londonDay(at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
