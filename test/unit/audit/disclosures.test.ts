/**
 * Who received an audit event (the disclosure log's rule, docs/decisions/0034), and the readable
 * report's line: field paths and rules only, spreadsheet formulas neutralised.
 */
import { describe, expect, it } from 'vitest';
import { disclosureRow, recipientOf, releasedSomething, REPORT_HEADER, reportLine } from '../../../gateway/src/audit/disclosures.js';
import type { AuditEvent } from '../../../gateway/src/audit/types.js';

function event(over: Partial<AuditEvent>): AuditEvent {
  return {
    v: 1, seq: 7, ts: '2026-12-07T10:00:00.000Z', action: 'VIEW_READ', prevHash: '0'.repeat(64), hash: 'a'.repeat(64),
    actor: { kind: 'agency', agencyId: 'essex-marat', certFingerprint: 'f'.repeat(64) },
    ...over,
  } as AuditEvent;
}

const HOUSING = { kind: 'agency' as const, agencyId: 'chelmsford-housing', certFingerprint: 'e'.repeat(64) };

describe('recipientOf', () => {
  it('a pulled delivery goes to the agency that collected it', () => {
    expect(recipientOf(event({ action: 'DELIVERED', actor: HOUSING, agencyIds: ['chelmsford-housing', 'essex-marat'], decision: 'PERMIT' }))).toBe('chelmsford-housing');
  });

  it('a pushed delivery goes to the agency that did not send the request', () => {
    const e = event({ action: 'DELIVERED', actor: { kind: 'system', component: 'push-delivery' }, messageId: 'msg_1', agencyIds: ['chelmsford-housing', 'essex-marat'] });
    expect(recipientOf(e, new Map([['msg_1', 'essex-marat']]))).toBe('chelmsford-housing');
    // Without the request's sender it is not guessed.
    expect(recipientOf(e)).toBeUndefined();
  });

  it('a person of an agency reading a request is that agency', () => {
    const e = event({ actor: { kind: 'person', userId: 'researcher@chelmsford-housing', roles: ['agency_researcher'], agencyId: 'chelmsford-housing' }, agencyIds: ['chelmsford-housing', 'essex-marat'] });
    expect(recipientOf(e)).toBe('chelmsford-housing');
  });

  it('an event naming one agency names its recipient (circulation, documents, pack reads)', () => {
    expect(recipientOf(event({ action: 'CIRCULATED', agencyIds: ['safe-steps-idva'] }))).toBe('safe-steps-idva');
  });

  it('a request refused at fan-out was refused to the agency the coordinator asked', () => {
    expect(recipientOf(event({ action: 'REQUEST_REFUSED', decision: 'DENY', reasonCode: 'PARTY_REMOVED', agencyIds: ['chelmsford-housing', 'essex-marat'] }))).toBe('chelmsford-housing');
  });

  it('refusal actions count only as refusals, and other actions not at all', () => {
    expect(recipientOf(event({ action: 'ACCESS_DENIED', actor: HOUSING, decision: 'DENY', agencyIds: ['chelmsford-housing', 'essex-marat'] }))).toBe('chelmsford-housing');
    expect(recipientOf(event({ action: 'ACCESS_DENIED', actor: HOUSING, agencyIds: ['chelmsford-housing'] }))).toBeUndefined();
    expect(recipientOf(event({ action: 'RESPONSE_RECEIVED', actor: HOUSING, agencyIds: ['chelmsford-housing', 'essex-marat'] }))).toBeUndefined();
  });
});

describe('the readable report', () => {
  it('has one column per header name, field paths and rules, and no formula', () => {
    const r = disclosureRow(event({
      action: 'DELIVERED', actor: HOUSING, agencyIds: ['chelmsford-housing', 'essex-marat'], caseId: 'case_1', agreementId: 'essex-marat', agreementVersion: 2,
      decision: 'PERMIT_WITH_TRANSFORMS', ruleIds: ['request-housing-adults#subject.names'], fieldsReleased: ['subj_1/subject.names[0].family'],
      fieldsTransformed: [{ path: 'subj_1/subject.dateOfBirth', op: 'ageBand' }], fieldsWithheld: [{ path: '-subj_1/x', reason: 'NOT_RELEASED' }],
      detail: { view: 'inbox' },
    }), 'chelmsford-housing');
    expect(releasedSomething(r)).toBe(true);
    const line = reportLine(r);
    expect(line.split(',').length).toBe(REPORT_HEADER.split(',').length);
    expect(line).toContain(',essex-marat v2,');
    expect(line).toContain('subj_1/subject.dateOfBirth:ageBand');
    expect(line).toContain(",'-subj_1/x:NOT_RELEASED,");
    expect(releasedSomething({ ...r, released: [], transformed: [] })).toBe(false);
    expect(releasedSomething({ ...r, decision: 'DENY' })).toBe(false);
  });
});
