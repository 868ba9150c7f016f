/**
 * A small, valid agreement and helpers for the agreement lifecycle tests. Each test builds its
 * own world: a fresh database, its own service, a fake audit log writing to a table in the same
 * transaction (so rollbacks take the event with them, as with the real log).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { createAuditLog, type AuditLog } from '../../../gateway/src/audit/index.js';
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

/**
 * The real audit log (append in the caller's transaction), read back from `audit_pending`: no
 * sequencer runs in these tests, so every committed event stays there, in commit order.
 */
export function createAuditRecorder(pool: pg.Pool, now: () => Date): AuditLog & { events(): Promise<RecordedEvent[]> } {
  const log = createAuditLog({ now });
  return {
    append: (tx, e) => log.append(tx, e),
    async events() {
      const { rows } = await pool.query<{ id: string; body: string }>('SELECT id, body FROM audit_pending ORDER BY id');
      return rows.map((r) => {
        const b = JSON.parse(r.body) as {
          action: string; agreementId?: string; agreementVersion?: number; detail?: Record<string, unknown>;
          actor: { kind: string; userId?: string; component?: string; agencyId?: string };
        };
        const actor = b.actor.kind === 'person' ? `user:${b.actor.userId}` : b.actor.kind === 'system' ? `system:${b.actor.component}` : `agency:${b.actor.agencyId}`;
        return {
          seq: Number(r.id),
          action: b.action,
          actor,
          agreement_id: b.agreementId ?? null,
          agreement_version: b.agreementVersion ?? null,
          detail: b.detail ?? null,
        };
      });
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
