import type { Queryable } from '../../store/db.js';
import type { AgreementService } from '../lifecycle/service.js';

/**
 * Which agencies are parties to an agreement that permits sharing now: the version in force is
 * active and within its dates, and the party has not been removed from it. Agency id → agreement
 * ids. Read now (statuses), plans from the lifecycle's cache.
 */
export async function partiesInForce(agreements: Pick<AgreementService, 'releaseState'>, now: Date, q?: Queryable): Promise<Map<string, string[]>> {
  const { inForce, removed } = await agreements.releaseState(q);
  const t = now.getTime();
  const out = new Map<string, string[]>();
  for (const c of inForce) {
    if (c.status !== 'active' || t < c.effectiveFromMs || t >= c.expiresAtMs) continue;
    const gone = removed.get(c.id);
    for (const p of c.doc.parties) {
      if (gone?.has(p.agency)) continue;
      out.set(p.agency, [...(out.get(p.agency) ?? []), c.id]);
    }
  }
  return out;
}
