import type { CaseRow } from './case-service.js';
import type { CaseFacts } from './ports.js';

/**
 * What the policy engine learns about a case: area and risk basis. The free-text rationale stays
 * sealed; the engine only needs to know that one was recorded.
 */
export function policyCaseFacts(c: Pick<CaseRow, 'maracArea' | 'riskBasis'>): CaseFacts {
  const rb = { ...c.riskBasis } as CaseFacts['riskBasis'] & { hasRationale?: boolean };
  if (rb.hasRationale) rb.professionalJudgementRationale = '[recorded]';
  delete rb.hasRationale;
  return { maracArea: c.maracArea, riskBasis: rb };
}
