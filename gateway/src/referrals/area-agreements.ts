/**
 * Which agreements in force connect a referring agency with a MARAC area's coordinator, and which
 * areas an inter-area agreement links. Read-only over the agreement store: an agreement is in
 * force here when the version activated last is active, today is inside its dates, and the agency
 * has not been removed from it (the kill switch covers referrals too).
 */
import type { Queryable } from '../store/db.js';
import { agreementInstant } from '../policy/dates.js';
import type { Agreement, Purpose } from '../policy/types.js';
import type { AgencyDirectory } from '../exchange/ports.js';
import { areaKey } from './criteria-config.js';

export interface AgreementInForce {
  id: string;
  version: number;
  doc: Agreement;
  removed: string[];
}

export async function agreementsInForce(q: Queryable, now: Date): Promise<AgreementInForce[]> {
  const { rows } = await q.query<{ agreement_id: string; version: number; status: string; doc: Agreement; removed: string[] }>(
    `SELECT * FROM (
       SELECT DISTINCT ON (v.agreement_id) v.agreement_id, v.version, v.status, v.doc,
              ARRAY(SELECT r.agency_id FROM agreement_party_removals r WHERE r.agreement_id = v.agreement_id AND r.lifted_at IS NULL) AS removed
         FROM agreement_versions v WHERE v.activated_at IS NOT NULL
        ORDER BY v.agreement_id, v.activated_at DESC, v.version DESC) x
      WHERE x.status = 'active'`,
  );
  const t = now.getTime();
  return rows
    .filter((r) => {
      const from = agreementInstant(r.doc.effectiveFrom);
      const to = agreementInstant(r.doc.expiresAt);
      return from !== undefined && to !== undefined && from <= t && t < to;
    })
    .map((r) => ({ id: r.agreement_id, version: r.version, doc: r.doc, removed: r.removed }));
}

export interface CoordinatorLink {
  coordinatorAgencyId: string;
  maracArea: string;
  agreements: AgreementInForce[];
}

/**
 * The coordinators (with their registered area) that share a MARAC_RESEARCH agreement in force with
 * `agencyId`. The coordinator itself is linked to its own area through any such agreement.
 */
export async function coordinatorsFor(
  agencyId: string,
  inForce: AgreementInForce[],
  agencies: AgencyDirectory,
  purpose: Purpose = 'MARAC_RESEARCH',
): Promise<CoordinatorLink[]> {
  const byCoordinator = new Map<string, AgreementInForce[]>();
  for (const a of inForce) {
    if (!a.doc.purposes?.includes(purpose)) continue;
    const parties = a.doc.parties ?? [];
    if (!parties.some((p) => p.agency === agencyId) || a.removed.includes(agencyId)) continue;
    for (const p of parties) {
      if (p.role !== 'coordinator' || a.removed.includes(p.agency)) continue;
      byCoordinator.set(p.agency, [...(byCoordinator.get(p.agency) ?? []), a]);
    }
  }
  const out: CoordinatorLink[] = [];
  for (const [id, agreements] of byCoordinator) {
    const info = await agencies.getAgency(id);
    if (!info || info.disabled || info.type !== 'MARAC_COORDINATOR' || !info.maracArea) continue;
    out.push({ coordinatorAgencyId: id, maracArea: areaKey(info.maracArea), agreements });
  }
  return out.sort((a, b) => a.maracArea.localeCompare(b.maracArea));
}

/** The area itself and every area an inter-area agreement in force links it with. */
export function linkedAreas(area: string, inForce: AgreementInForce[]): string[] {
  const out = new Set([areaKey(area)]);
  for (const a of inForce) {
    const areas = (a.doc.interArea?.maracAreas ?? []).map(areaKey);
    if (areas.includes(areaKey(area))) for (const x of areas) out.add(x);
  }
  return [...out].sort();
}
