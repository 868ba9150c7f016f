/**
 * Pure parts of the minutes and the action plan: normalising minutes, a page row. What an owner
 * agency is released is the policy engine's (owner-view.ts over release.ts): tested through the
 * agency API in test/integration/meetings/minutes-actions-api.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { filledParts, MINUTES_PARTS, normaliseMinutes } from '../../../gateway/src/meetings/minutes-service.js';
import { actionRow } from '../../../gateway/src/ui/minutes-pages.js';

const ACTION = {
  id: `act_${'1'.repeat(32)}`, caseId: `case_${'2'.repeat(32)}`, kind: 'ACTION' as const, dueOn: '2027-01-10', status: 'OPEN' as const,
  ownerAgencyId: 'chelmsford-housing', description: 'Fit a sanctuary scheme', createdAt: '2026-12-01T10:00:00Z', overdue: true,
  updates: [{ at: '2026-12-02T10:00:00Z', byAgencyId: 'chelmsford-housing', status: 'OPEN' as const, note: 'Booked' }],
};

describe('minutes', () => {
  it('the victim’s voice is the first part; empty parts and rows are dropped, text trimmed', () => {
    expect(MINUTES_PARTS[0]).toBe('victimVoice');
    const m = normaliseMinutes({
      victimVoice: '  She wants to stay  ', risks: '   ', decisions: '',
      informationShared: [{ agencyId: 'essex-police', note: '  ' }],
      notShared: [{ what: ' ', why: '' }, { what: 'GP records', why: ' No consent ' }],
    });
    expect(m).toEqual({ victimVoice: 'She wants to stay', informationShared: [{ agencyId: 'essex-police' }], notShared: [{ what: 'GP records', why: 'No consent' }] });
    expect(filledParts(m)).toEqual(['victimVoice', 'informationShared', 'notShared']);
    expect(filledParts({})).toEqual([]);
  });
});

describe('an action plan row', () => {
  it('labels the status in words, names the owner, links the update page and keeps the overdue flag', () => {
    const row = actionRow({ ...ACTION, status: 'NOT_POSSIBLE_CHANGE' }, (id) => (id === 'chelmsford-housing' ? 'Chelmsford Housing' : id));
    expect(row).toMatchObject({ href: `/actions/${ACTION.id}`, owner: 'Chelmsford Housing', statusLabel: 'Not done: circumstances changed', overdue: true });
    expect(actionRow({ ...ACTION, status: 'NOT_DONE_AGENCY' }, String).statusLabel).toBe('Not done by the agency');
  });
});
