import type { AgencyPrincipal, PersonPrincipal, SystemPrincipal } from '../../../gateway/src/identity/principal.js';
import type { AuditEventInput } from '../../../gateway/src/audit/types.js';

export const POLICE: AgencyPrincipal = { kind: 'agency', agencyId: 'essex-police', agencyType: 'POLICE', certFingerprint: 'a'.repeat(64) };
export const AUDITOR: PersonPrincipal = { kind: 'person', userId: 'auditor-1', displayName: 'Ada Auditor', roles: ['auditor'] };
export const SYSTEM: SystemPrincipal = { kind: 'system', component: 'deadlines' };
export const HMAC_KEY = Buffer.alloc(32, 7);

/** A realistic release event: paths and decisions, never values. */
export function viewRead(i: number, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    action: 'VIEW_READ',
    actor: POLICE,
    caseId: `case_${i % 17}`,
    requestId: `req_${i % 51}`,
    messageId: `msg_${i}`,
    agreementId: 'essex-marat',
    agreementVersion: 3,
    purpose: 'MARAC_RESEARCH',
    decision: 'PERMIT_WITH_TRANSFORMS',
    ruleIds: ['flow-1', 'guard-loc-1'],
    fieldsReleased: ['subj_1/police.incidents12m', 'subj_1/police.markers'],
    fieldsTransformed: [{ path: 'subj_1/subject.dateOfBirth', op: 'ageBand' }],
    fieldsWithheld: [{ path: 'subj_1/subject.address', reason: 'LOC_GUARDRAIL' }],
    viewDigest: 'b'.repeat(64),
    agencyIds: ['essex-marat', 'essex-police'],
    detail: { attempt: i % 3, late: false },
    ...extra,
  };
}
