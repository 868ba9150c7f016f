/** A research pack of nine agencies answering two rounds, from the sample answers (for the document tests). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResearchPack } from '../../../gateway/src/exchange/pack-service.js';

const SAMPLES = path.resolve(import.meta.dirname, '../../fixtures/samples');

export const AGENCIES: { id: string; type: string; sample: string; name: string }[] = [
  { id: 'essex-police', type: 'POLICE', sample: 'police', name: 'Essex Police' },
  { id: 'mse-hospitals', type: 'HEALTH_ACUTE', sample: 'health', name: 'Mid and South Essex NHS Foundation Trust' },
  { id: 'essex-gp-federation', type: 'HEALTH_PRIMARY', sample: 'health', name: 'Essex GP Federation' },
  { id: 'eput-mental-health', type: 'HEALTH_MENTAL', sample: 'health', name: 'Essex Partnership University NHS Foundation Trust' },
  { id: 'chelmsford-housing', type: 'HOUSING', sample: 'housing', name: 'Chelmsford City Council Housing' },
  { id: 'essex-childrens-services', type: 'CHILDRENS_SOCIAL_CARE', sample: 'childrens-social-care', name: 'Essex Children and Families' },
  { id: 'essex-adult-social-care', type: 'ADULT_SOCIAL_CARE', sample: 'adult-social-care', name: 'Essex Adult Social Care' },
  { id: 'kss-probation', type: 'PROBATION', sample: 'probation', name: 'Probation Service (Essex)' },
  { id: 'safe-steps-idva', type: 'IDVA', sample: 'idva', name: 'Safe Steps IDVA service' },
];

export const agencyName = (id: string) => AGENCIES.find((a) => a.id === id)?.name ?? (id === 'essex-marat' ? 'Essex MARAT coordinator' : id);

const ROLES: Record<string, string> = { subj_victim: 'VICTIM', subj_perp: 'PERPETRATOR', subj_child: 'CHILD' };

function sample(name: string): Record<string, unknown> & { subjectResults: ({ subjectId: string } & Record<string, unknown>)[] } {
  return JSON.parse(readFileSync(path.join(SAMPLES, `response-${name}.json`), 'utf8'));
}

const ROUND_1 = `req_${'1'.repeat(32)}`;
const ROUND_2 = `req_${'2'.repeat(32)}`;

/**
 * Nine sections per round. `differ`: 'police' (default) has police's round-1 answer without its
 * latest incident and the other eight the same in both rounds; 'all' makes every round-1 answer
 * differ (the worst case for length: nothing in the annex is a repeat).
 */
export function ninePackTwoRounds(differ: 'police' | 'all' = 'police'): ResearchPack {
  const sections: ResearchPack['sections'] = [];
  for (const [round, requestId] of [[1, ROUND_1], [2, ROUND_2]] as const) {
    for (const a of AGENCIES) {
      const body = sample(a.sample);
      const { subjectResults, ...rest } = body;
      if (round === 1 && (differ === 'all' || a.id === 'essex-police')) {
        const victim = subjectResults.find((r) => r.subjectId === 'subj_victim');
        const police = victim?.police as { incidents?: unknown[] } | undefined;
        if (police?.incidents) police.incidents = police.incidents.slice(1);
        else if (subjectResults[0]) subjectResults[0].currentInvolvement = false;
      }
      const envelope: Record<string, unknown> = {};
      for (const k of ['agencyRiskSummary', 'proposedActions']) if (rest[k] !== undefined) envelope[k] = rest[k];
      sections.push({
        messageId: `msg_${String(round)}${a.id.length.toString(16).padStart(31, '0')}`,
        requestId,
        agencyId: a.id,
        agencyType: a.type,
        purpose: 'MARAC_RESEARCH',
        state: 'responded',
        late: false,
        deadline: round === 1 ? '2026-11-20T17:00:00.000Z' : '2026-12-09T17:00:00.000Z',
        answeredAt: round === 1 ? '2026-11-19T10:00:00.000Z' : '2026-12-08T10:00:00.000Z',
        release: { released: true, agreementId: 'essex-marat', version: 1 },
        subjects: subjectResults.map(({ withheld, ...view }) => ({
          subjectId: view.subjectId,
          role: ROLES[view.subjectId] ?? 'OTHER',
          view,
          withheld: [
            { path: 'subject.address', reason: 'GUARDRAIL_LOCATION', by: 'policy' as const },
            ...((withheld as { fieldPath: string; reason: string }[] | undefined) ?? []).map((w) => ({ path: w.fieldPath, reason: w.reason, by: 'agency' as const })),
          ],
          transformed: [{ path: 'subject.dateOfBirth', op: 'ageBand' }],
        })),
        ...(Object.keys(envelope).length ? { envelope } : {}),
      });
    }
  }
  return {
    caseId: `case_${'c'.repeat(32)}`,
    maracArea: 'Essex',
    meetingDate: '2026-12-16',
    riskCriteria: ['VISIBLE_HIGH_RISK', 'POTENTIAL_ESCALATION'],
    viewer: 'essex-marat',
    sections,
    rounds: [
      { requestId: ROUND_1, purpose: 'MARAC_RESEARCH', askedAt: '2026-11-10T09:00:00.000Z', deadline: '2026-11-20T17:00:00.000Z', requestedDomains: [], lookbackMonths: 12 },
      { requestId: ROUND_2, purpose: 'MARAC_RESEARCH', askedAt: '2026-12-01T09:00:00.000Z', deadline: '2026-12-09T17:00:00.000Z', requestedDomains: ['DA_INCIDENTS', 'TENANCY'], lookbackMonths: 12 },
    ],
    refused: [],
    generatedAt: '2026-12-10T10:00:00.000Z',
  };
}
