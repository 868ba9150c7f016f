/**
 * buildResponse: the pure request → response step every adapter shares (matching statuses,
 * requested domains, cross-references, held subject), exercised through the worked-example adapter.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { buildResponse, loadAgency } from '../../../adapters/sdk/respond.js';
import { readDataDir } from '../../../adapters/sdk/data.js';
import { responseProblems } from '../../../adapters/sdk/validate.js';
import { mentalHealthMapping } from '../../../adapters/examples/mental-health/map.js';
import type { InboxMessage, RequestSubject } from '../../../adapters/sdk/types.js';

const agency = loadAgency(mentalHealthMapping, readDataDir(fileURLToPath(new URL('../../../adapters/examples/mental-health/data/', import.meta.url))));
const now = () => new Date('2026-11-20T10:00:00Z');

function msg(subjects: RequestSubject[], domains = ['MENTAL_HEALTH']): InboxMessage {
  return {
    messageId: `msg_${'a'.repeat(32)}`, requestId: `req_${'a'.repeat(32)}`, caseId: `case_${'a'.repeat(32)}`, kind: 'RESEARCH_REQUEST', purpose: 'MARAC_RESEARCH', deadline: '2026-12-15T17:00:00Z',
    request: { purpose: 'MARAC_RESEARCH', meetingDate: '2026-12-16', deadline: '2026-12-15T17:00:00Z', lookbackMonths: 12, requestedDomains: domains, subjects },
  };
}

const ada: RequestSubject = { subjectId: 'subj_v', role: 'VICTIM', names: [{ given: ['Ada'], family: 'Quayle' }], dobs: ['1990-01-02'], identifiers: [{ system: 'nhs-number', value: '9434765919' }] };
const bobNameOnly: RequestSubject = { subjectId: 'subj_p', role: 'PERPETRATOR', names: [{ given: ['Bob'], family: 'Quayle' }] };
const nobody: RequestSubject = { subjectId: 'subj_c', role: 'CHILD', names: [{ given: ['Zed'], family: 'Nobody' }], dobs: ['2020-01-01'] };

describe('buildResponse', () => {
  it('answers every subject: MATCHED with payload, POSSIBLE with payload (held back by the gateway), NOT_FOUND bare', () => {
    const { response, report } = buildResponse(agency, msg([ada, bobNameOnly, nobody]), { now, completedByRole: 'Safeguarding lead' });
    expect(responseProblems(response)).toEqual([]);
    expect(response).toMatchObject({ schemaVersion: '1.0', completedAt: '2026-11-20T10:00:00.000Z', completedByRole: 'Safeguarding lead' });
    const [v, p, c] = response.subjectResults;
    expect(v).toMatchObject({ subjectId: 'subj_v', match: { status: 'MATCHED', matchedOn: ['nhs-number', 'name', 'dob'] }, knownToAgency: true, currentInvolvement: true,
      health: { mentalHealth: { openToSecondaryMH: true, riskToSelf: true, riskToOthersConcern: false } }, subject: { dateOfBirth: '1990-01-02' } });
    expect(p).toMatchObject({ subjectId: 'subj_p', match: { status: 'POSSIBLE', matchedOn: ['name'] }, knownToAgency: true, health: { mentalHealth: { riskToOthersConcern: true } } });
    expect(c).toEqual({ subjectId: 'subj_c', match: { status: 'NOT_FOUND', confidence: 0, matchedOn: [] }, knownToAgency: false, withheld: [] });
    expect(report).toMatchObject({ matched: 1, possible: 1, notFound: 1, withheld: 0 });
  });

  it('gives match results only when no requested domain is one the agency answers', () => {
    const { response } = buildResponse(agency, msg([ada], ['TENANCY', 'NOT_A_DOMAIN']), { now });
    expect(response.subjectResults[0]!.match.status).toBe('MATCHED');
    expect(response.subjectResults[0]!.health).toBeUndefined();
    expect(responseProblems(response)).toEqual([]);
  });

  it('copes with a subject the agreement redacted (masked ids, age band, district only)', () => {
    const redacted: RequestSubject = { subjectId: 'subj_v', role: 'VICTIM', names: [{ given: ['Ada'], family: 'Quayle' }], dobs: ['35-49'], identifiers: [{ system: 'nhs-number', value: '******5919' }], address: 'CM1' };
    const { response } = buildResponse(agency, msg([redacted]), { now });
    expect(response.subjectResults[0]!.match.status).toBe('POSSIBLE');
    expect(responseProblems(response)).toEqual([]);
  });

  it('keeps the output free of the agency\'s own record keys', () => {
    const { response } = buildResponse(agency, msg([ada, bobNameOnly]), { now });
    expect(JSON.stringify(response)).not.toMatch(/MH-00\d/);
  });
});
