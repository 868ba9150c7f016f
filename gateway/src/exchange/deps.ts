import type pg from 'pg';
import type { AuditLog } from '../audit/types.js';
import type { AgencyDirectory, ExchangeJobs, PolicyPort } from './ports.js';

export interface Sealed {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export interface Sealer {
  seal(plain: unknown, aad: string): Sealed;
  open(sealed: Sealed, aad: string): unknown;
}

export type BodySchema = 'case' | 'research-request' | 'research-response' | 'decline';

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
  now(): Date;
  deadlines: {
    defaultDeadline(meetingDate: string): Date;
    reminderAt(deadline: Date): Date;
  };
  /** Wakes long-polling inbox readers of an agency (any instance) after commit. */
  inboxSignal: { notify(tx: import('../store/db.js').Tx, agencyId: string): Promise<void> };
}
