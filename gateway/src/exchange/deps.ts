import type pg from 'pg';
import type { AuditLog } from '../audit/types.js';
import type { AgencyDirectory, ExchangeJobs, PolicyPort } from './ports.js';
import type { Sealer } from '../store/sealed-box.js';

export type { Sealed, Sealer } from '../store/sealed-box.js';

export type BodySchema = 'case' | 'case-legal-update' | 'research-request' | 'research-response' | 'decline';

/** Everything the exchange services are built from; wired by hand in app.ts. */
export interface ExchangeDeps {
  pool: pg.Pool;
  audit: AuditLog;
  policy: PolicyPort;
  agencies: AgencyDirectory;
  jobs: ExchangeJobs;
  sealer: Sealer;
  /** Throws ValidationFailed listing every problem. */
  validate(schema: BodySchema, data: unknown): void;
  /** Keyed HMAC tokens of a subject's normalised identifiers (for audit search). */
  subjectTokens(subject: unknown): string[];
  /** Keyed search tokens of a case and of a search (case-search.ts): a key of their own, never audit tokens. */
  caseSearch: import('./case-search.js').CaseSearchTokens;
  now(): Date;
  deadlines: {
    defaultDeadline(meetingDate: string): Date;
    reminderAt(deadline: Date): Date;
  };
  /** Wakes long-polling inbox readers of an agency (any instance) after commit. */
  inboxSignal: { notify(tx: import('../store/db.js').Tx, agencyId: string): Promise<void> };
}
