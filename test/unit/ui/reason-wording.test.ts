/**
 * The pack reads as a document for people: every reason code a reader can meet (policy refusals,
 * withheld reasons, operators' drop reasons, agencies' own withheld and decline reasons, section
 * states, request refusals, warnings) has wording, and field paths read as labels.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DECISION_WARNINGS, DENY_REASONS, WITHHELD_REASONS } from '../../../gateway/src/policy/reasons.js';
import { DropReason } from '../../../gateway/src/policy/operators/types.js';
import { dedupeWords, describeCode, domainsText, pathLabel } from '../../../gateway/src/ui/labels.js';

const schema = (f: string) => JSON.parse(readFileSync(`schemas/${f}`, 'utf8'));

function enumsUnder(node: unknown, key: string, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const x of node) enumsUnder(x, key, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === key && v && typeof v === 'object' && Array.isArray((v as { enum?: unknown }).enum)) for (const e of (v as { enum: string[] }).enum) out.add(e);
      enumsUnder(v, key, out);
    }
  }
  return out;
}

const CODES = [
  ...DENY_REASONS, ...WITHHELD_REASONS, ...DECISION_WARNINGS, ...Object.values(DropReason),
  ...enumsUnder(schema('research-response.schema.json'), 'reason'),
  ...enumsUnder(schema('decline.schema.json'), 'reason'),
  // Pack sections not released, and request refusals outside the engine.
  'NO_RESPONSE', 'OWN_RESPONSE', 'UNKNOWN_AGENCY', 'PURGED', 'UNKNOWN_RECIPIENT', 'THRESHOLD_NOT_MET',
];

describe('reason codes in words', () => {
  it.each([...new Set(CODES)])('%s has wording', (code) => {
    const words = describeCode(code);
    expect(words).not.toBe(code);
    expect(words.split(' ').length).toBeGreaterThanOrEqual(2);
    expect(words).not.toMatch(/[A-Z]{2,}_[A-Z]/);
  });

  it('the agencies’ withheld reasons were found in the schema (the list is not empty by accident)', () => {
    expect(enumsUnder(schema('research-response.schema.json'), 'reason')).toContain('LIVE_INVESTIGATION');
    expect(enumsUnder(schema('decline.schema.json'), 'reason')).toContain('NOT_KNOWN');
  });
});

describe('field labels', () => {
  it.each([
    ['police.incidents[0].summary', 'Police — incident 1 — summary'],
    ['police.incidents[].date', 'Police — each incident — date'],
    ['police.orders[0].conditions[1]', 'Police — order 1 — condition 2'],
    ['subject.dateOfBirth', 'Person details — date of birth'],
    ['subject.contact', 'Person details — contact'],
    ['match.status', 'Match — status'],
    ['knownToAgency', 'Known to agency'],
    ['childrensSocialCare.children[1].cpIsFlag', "Children's social care — child 2 — child protection flag"],
    ['proposedActions[0].ownerAgencyId', 'Proposed action 1 — owner agency'],
    ['health.edAttendances12m', 'Health — ED attendances (12 months)'],
  ])('%s → %s', (path, label) => {
    expect(pathLabel(path)).toBe(label);
  });

  it('no word follows itself', () => {
    expect(dedupeWords('Tenancy: tenancy type')).toBe('Tenancy: type');
    expect(dedupeWords('Match — match status')).toBe('Match — status');
    expect(dedupeWords('Police — incident 1 — summary')).toBe('Police — incident 1 — summary');
    expect(dedupeWords('DVDS disclosure made: made')).toBe('DVDS disclosure made');
  });

  it('a round says what it asked for', () => {
    expect(domainsText([])).toBe('Identity check only');
    expect(domainsText(['DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS', 'HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH', 'TENANCY', 'CHILDREN_STATUS', 'ADULT_SOCIAL_CARE', 'SUPERVISION', 'VICTIM_VIEWS'])).toBe('Everything the agreements allow');
    expect(domainsText(['TENANCY', 'VICTIM_VIEWS'])).toBe('Tenancy, Victim’s views'.replace('’', "'"));
  });
});
