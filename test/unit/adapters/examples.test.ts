/**
 * The worked examples in adapters/examples/ (written against the SDK's README): they import only
 * `@marac/adapter-sdk`, and answer through the data contract — the GP practice from its nightly CSV
 * export as its config file names it, the mental health trust from its JSON export in memory.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { agencyOf, answerRequest, loadAdapterConfig, responseProblems, type InboxMessage, type RequestSubject } from '@marac/adapter-sdk';
import { gpPracticeMapping } from '../../../adapters/examples/gp-practice/map.js';
import { mentalHealthMapping } from '../../../adapters/examples/mental-health/map.js';

const EXAMPLES = fileURLToPath(new URL('../../../adapters/examples/', import.meta.url));
const now = () => new Date('2026-12-07T10:00:00Z');
const msg = (subjects: RequestSubject[], domains: string[]): InboxMessage => ({
  messageId: `msg_${'c'.repeat(32)}`, requestId: `req_${'c'.repeat(32)}`, caseId: `case_${'c'.repeat(32)}`, kind: 'RESEARCH_REQUEST', purpose: 'MARAC_RESEARCH', deadline: '2026-12-15T17:00:00Z',
  request: { purpose: 'MARAC_RESEARCH', meetingDate: '2026-12-16', deadline: '2026-12-15T17:00:00Z', lookbackMonths: 12, requestedDomains: domains, subjects },
});
const ada: RequestSubject = { subjectId: 'subj_v', role: 'VICTIM', names: [{ given: ['Ada'], family: 'Quayle' }], dobs: ['1990-01-02'], identifiers: [{ system: 'nhs-number', value: '943 476 5919' }] };
const bob: RequestSubject = { subjectId: 'subj_p', role: 'PERPETRATOR', names: [{ given: ['Bob'], family: 'Quayle' }], dobs: ['1988-03-04'] };
const cara: RequestSubject = { subjectId: 'subj_o', role: 'OTHER_ADULT_AT_RISK', names: [{ given: ['Cara'], family: 'Ng' }], dobs: ['2001-11-12'] };
const nobody: RequestSubject = { subjectId: 'subj_c', role: 'CHILD', names: [{ given: ['Zed'], family: 'Nobody' }], dobs: ['2020-01-01'] };

describe('worked examples', () => {
  it('import the SDK as a package only (never its files, never the gateway)', () => {
    for (const ex of readdirSync(EXAMPLES)) {
      for (const f of readdirSync(join(EXAMPLES, ex)).filter((n) => n.endsWith('.ts'))) {
        const src = readFileSync(join(EXAMPLES, ex, f), 'utf8');
        const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
        for (const i of imports) expect(i, `${ex}/${f}`).toMatch(/^(@marac\/adapter-sdk|node:[a-z]+|\.\/[a-z-]+\.js)$/);
      }
    }
  });

  it('the GP practice answers from its CSV export, as its config file names it', async () => {
    const file = join(EXAMPLES, 'gp-practice', 'gp-practice.config.example.json');
    const cfg = loadAdapterConfig(['--config', file, '--check'], { dataDir: join(EXAMPLES, 'gp-practice', 'exports') });
    expect(cfg.source).toMatchObject({ kind: 'csv', folder: join(EXAMPLES, 'gp-practice', 'exports') });
    const agency = agencyOf({ name: 'gp-practice', mapping: gpPracticeMapping, dataDir: '' }, cfg);
    try {
      const { response, report } = await answerRequest(agency, msg([ada, bob, cara, nobody], ['PREGNANCY', 'HEALTH_ATTENDANCES']), { now });
      expect(responseProblems(response)).toEqual([]);
      const [a, b, c, n] = response.subjectResults;
      expect(a).toMatchObject({ match: { status: 'MATCHED', matchedOn: expect.arrayContaining(['nhs-number']) }, health: { registeredGpOdsCode: 'F81001', pregnancy: { pregnant: true, edd: '2027-03-01' } }, currentInvolvement: true });
      expect(a!.withheld).toEqual([expect.objectContaining({ fieldPath: 'health.clinicalNarrative' })]);
      expect(b!.match.status).toBe('MATCHED');
      expect(c).toMatchObject({ match: { status: 'MATCHED' }, health: { communicationNeeds: { interpreterLanguage: 'pl' } } });
      expect(n!.match.status).toBe('NOT_FOUND');
      expect(report.searches).toBe(4);
    } finally {
      await agency.source?.close?.();
    }
  });

  it('the mental health trust answers from its JSON export in memory', async () => {
    const cfg = loadAdapterConfig(['--check'], { dataDir: join(EXAMPLES, 'mental-health', 'data') });
    const agency = agencyOf({ name: 'mental-health', mapping: mentalHealthMapping, dataDir: cfg.dataDir }, cfg);
    const { response } = await answerRequest(agency, msg([ada, nobody], ['MENTAL_HEALTH']), { now });
    expect(responseProblems(response)).toEqual([]);
    expect(response.subjectResults.map((r) => r.match.status)).toEqual(['MATCHED', 'NOT_FOUND']);
  });
});
