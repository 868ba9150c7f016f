/**
 * A small, valid agreement and helpers for the agreement lifecycle tests. Each test builds its
 * own world: a fresh database, its own service, a fake audit log writing to a table in the same
 * transaction (so rollbacks take the event with them, as with the real log).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { AuditEventInput, AuditLog } from '../../../gateway/src/audit/types.js';
import type { PersonPrincipal } from '../../../gateway/src/identity/principal.js';
import { loadGuardrails } from '../../../gateway/src/policy/index.js';
import { createAgreementService } from '../../../gateway/src/policy/lifecycle/index.js';
import { fieldCatalog } from '../../../gateway/src/schema/catalog.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const alice: PersonPrincipal = { kind: 'person', userId: 'alice', displayName: 'Alice IG', roles: ['ig_officer'] };
export const bob: PersonPrincipal = { kind: 'person', userId: 'bob', displayName: 'Bob IG', roles: ['ig_officer'] };
export const carol: PersonPrincipal = { kind: 'person', userId: 'carol', displayName: 'Carol IG', roles: ['ig_officer'] };
export const auditorDan: PersonPrincipal = { kind: 'person', userId: 'dan', displayName: 'Dan Auditor', roles: ['auditor'] };

export function sampleAgreement(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'test-marac',
    title: 'Test MARAC research sharing',
    effectiveFrom: '2025-01-01',
    reviewBy: '2026-01-01',
    expiresAt: '2026-03-31',
    retentionDays: 90,
    parties: [
      { agency: 'test-coordinator', type: 'MARAC_COORDINATOR', role: 'coordinator' },
      { agency: 'test-police', type: 'POLICE' },
      { agency: 'test-housing', type: 'HOUSING' },
    ],
    purposes: ['MARAC_RESEARCH'],
    lawfulBasis: {
      article6: 'PUBLIC_TASK',
      article9: ['DPA_SCH1_P10', 'DPA_SCH1_P18'],
      article10: ['DPA_SCH1_P10'],
      part3Sch8: ['SCH8_P4'],
      statutoryGateways: ['CDA1998_S115'],
    },
    caseThreshold: { criteria: ['VISIBLE_HIGH_RISK', 'PROFESSIONAL_JUDGEMENT', 'POTENTIAL_ESCALATION', 'REPEAT'] },
    flows: [
      {
        id: 'police-to-coordinator',
        from: { type: 'POLICE' },
        to: { role: 'coordinator' },
        direction: 'response',
        release: {
          'police.incidentCount12m': 'keep',
          'police.firearmsCertificateHeld': 'keep',
        },
      },
      {
        id: 'police-to-housing',
        from: { type: 'POLICE' },
        to: { type: 'HOUSING' },
        direction: 'response',
        release: {
          'police.incidentCount12m': 'keep',
        },
      },
    ],
    ...overrides,
  };
}

export interface RecordedEvent {
  seq: number;
  action: string;
  actor: string;
  agreement_id: string | null;
  agreement_version: number | null;
  detail: Record<string, unknown> | null;
}

/** Stand-in for the audit engineer's log: one row per event, written through the caller's tx. */
export async function createFakeAudit(pool: pg.Pool): Promise<AuditLog & { events(): Promise<RecordedEvent[]> }> {
  await pool.query(`CREATE TABLE IF NOT EXISTS test_audit_events (
    seq bigserial PRIMARY KEY, action text NOT NULL, actor text NOT NULL,
    agreement_id text, agreement_version int, detail jsonb)`);
  return {
    async append(tx, e: AuditEventInput) {
      const actor = e.actor.kind === 'person' ? `user:${e.actor.userId}` : e.actor.kind === 'system' ? `system:${e.actor.component}` : `agency:${e.actor.agencyId}`;
      const { rows } = await tx.query<{ seq: string }>(
        'INSERT INTO test_audit_events (action, actor, agreement_id, agreement_version, detail) VALUES ($1, $2, $3, $4, $5) RETURNING seq',
        [e.action, actor, e.agreementId ?? null, e.agreementVersion ?? null, e.detail ? JSON.stringify(e.detail) : null],
      );
      return { seq: Number(rows[0]!.seq), hash: '' };
    },
    async events() {
      const { rows } = await pool.query<RecordedEvent>('SELECT seq::int, action, actor, agreement_id, agreement_version, detail FROM test_audit_events ORDER BY seq');
      return rows;
    },
  };
}

export function guardrails() {
  return loadGuardrails(readFileSync(path.join(ROOT, 'policies', 'guardrails.yaml'), 'utf8'));
}

export function buildService(pool: pg.Pool, audit: AuditLog, clock: { now: Date }) {
  return createAgreementService({
    pool,
    audit,
    catalog: fieldCatalog(),
    guardrails: guardrails(),
    now: () => clock.now,
    previewHmacKey: Buffer.alloc(32, 9),
  });
}
