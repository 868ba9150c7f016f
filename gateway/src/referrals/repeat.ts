/**
 * Repeat detection: a referral's victim is looked for among the subjects of earlier cases, by the
 * keyed tokens cases already store (`cases.subject_tokens`: NHS number, PNC id, name with date of
 * birth), never by a plaintext identifier. A case in the same area, or in an area an inter-area
 * agreement in force links it with, opened within the window, is a possible repeat; the
 * coordinator confirms or rejects each one.
 */
import type { Queryable } from '../store/db.js';
import type { TokenSubject } from '../audit/subject-tokens.js';

export type MatchSystem = 'nhs-number' | 'pnc-id' | 'name-dob';

/** The victim's tokens, each labelled with the kind of identifier it came from. */
export function labelledTokens(subjectTokens: (s: TokenSubject) => string[], victim: TokenSubject): Map<string, MatchSystem> {
  const out = new Map<string, MatchSystem>();
  const ids = victim.identifiers ?? [];
  for (const system of ['nhs-number', 'pnc-id'] as const) {
    for (const t of subjectTokens({ identifiers: ids.filter((i) => i.system === system) })) out.set(t, system);
  }
  for (const t of subjectTokens({ names: victim.names ?? [], dobs: victim.dobs ?? [] })) out.set(t, 'name-dob');
  return out;
}

export interface RepeatCandidate {
  caseId: string;
  caseArea: string;
  caseOpenedAt: Date;
  matchedOn: MatchSystem[];
}

/**
 * Cases in `areas` opened on or after `since` that share a token with the victim. The GIN index on
 * `cases.subject_tokens` answers `&&`; the area is compared as the registration normalises it.
 */
export async function findRepeatCandidates(
  q: Queryable,
  victimTokens: Map<string, MatchSystem>,
  areas: string[],
  since: Date,
): Promise<RepeatCandidate[]> {
  if (victimTokens.size === 0) return [];
  const { rows } = await q.query<{ id: string; area: string; created_at: Date; tokens: string[] }>(
    `SELECT id, lower(regexp_replace(btrim(marac_area), '\\s+', '-', 'g')) AS area, created_at,
            ARRAY(SELECT unnest(subject_tokens) INTERSECT SELECT unnest($1::text[])) AS tokens
       FROM cases
      WHERE subject_tokens && $1::text[] AND created_at >= $2
        AND lower(regexp_replace(btrim(marac_area), '\\s+', '-', 'g')) = ANY($3::text[])
      ORDER BY created_at DESC
      LIMIT 20`,
    [[...victimTokens.keys()], since, areas],
  );
  return rows.map((r) => ({
    caseId: r.id,
    caseArea: r.area,
    caseOpenedAt: r.created_at,
    matchedOn: [...new Set(r.tokens.map((t) => victimTokens.get(t)).filter((x): x is MatchSystem => !!x))].sort(),
  }));
}
