/**
 * IDVA service export → canonical `idva` payload. The IDVA service holds records about victims
 * only; a perpetrator or child subject is simply not found here.
 *
 * The victim's own words (views, what they want from MARAC) and safe contact details are shared
 * as recorded; the gateway's agreement and guardrails decide who may see them (safe contact is LOC).
 * Contact attempts and DASH answers are not shared beyond the latest score and whether contact
 * was made.
 */
import { compact, wants, withinMonths, type ExportMapping, type MapContext, type MappedSubject } from '../sdk/mapping.js';
import type { CandidatePerson } from '../sdk/matching/types.js';
import { AgencyDataInvalid } from '../sdk/errors.js';
import type { HeldSubject, IdvaPayload, Withheld } from '../sdk/types.js';
import type { IdvaClient, IdvaExport } from './native.js';

export interface IdvaDb {
  clients: Map<string, IdvaClient>;
  list: IdvaClient[];
}

export function loadIdvaDb(files: Record<string, unknown>): IdvaDb {
  const exp = files['idva-export.json'] as IdvaExport | undefined;
  if (!exp || exp.format !== 'IDVA-EXPORT') throw new AgencyDataInvalid('idva-export.json missing or not an IDVA export');
  return { clients: new Map(exp.clients.map((c) => [c.clientRef, c])), list: exp.clients };
}

function idvaCandidates(db: IdvaDb): CandidatePerson[] {
  return db.list.map((c) => ({
    recordId: c.clientRef,
    names: [{ given: [c.firstName], family: c.lastName, use: 'official' }, ...c.otherNames.map((n) => ({ given: [n.firstName], family: n.lastName, use: 'alias' }))],
    dobs: c.dateOfBirth ? [c.dateOfBirth] : [],
    sexOrGender: c.gender === 'X' ? undefined : c.gender,
    identifiers: [],
    postcodes: c.postcode ? [c.postcode] : [],
  }));
}

function heldSubject(db: IdvaDb, ref: string): HeldSubject {
  const c = db.clients.get(ref);
  return c ? compact({ names: [{ given: [c.firstName], family: c.lastName, use: 'official' as const }], dateOfBirth: c.dateOfBirth }) : {};
}

export function mapIdvaSubject(db: IdvaDb, ref: string, ctx: MapContext): MappedSubject {
  const c = db.clients.get(ref);
  const withheld: Withheld[] = [];
  if (!c || !wants(ctx, 'VICTIM_VIEWS')) return { sections: {}, withheld, currentInvolvement: false };
  if (ctx.role !== 'VICTIM') {
    // The record is about the client as a victim; nothing here is shared about them in another role.
    withheld.push({ fieldPath: 'idva', reason: 'THIRD_PARTY', note: 'Held as an IDVA client; not shared for this subject role.' });
    return { sections: {}, withheld, currentInvolvement: false };
  }
  const contacts = c.contactAttempts.filter((a) => a.outcome === 'CONTACTED').sort((a, b) => b.date.localeCompare(a.date));
  const out: IdvaPayload = { victimContacted: compact({ contacted: contacts.length > 0, date: contacts[0]?.date }) };
  if (c.views) out.victimViews = c.views;
  if (c.wantsFromMarac) out.victimWantsFromMarac = c.wantsFromMarac;
  const dash = c.dash.filter((d) => withinMonths(d.date, ctx.asOf, ctx.lookbackMonths)).sort((a, b) => b.date.localeCompare(a.date))[0];
  if (dash) out.dashScore = dash.score;
  out.safetyPlanInPlace = c.safetyPlan.inPlace;
  if (c.safeContact && (c.safeContact.phone || c.safeContact.safeTimes)) out.safeContact = compact({ ...c.safeContact });
  if (c.immigration) out.immigrationNrpf = c.immigration.nrpf;
  if (c.interpreterLanguage) out.interpreterLanguage = c.interpreterLanguage;
  const currentInvolvement = c.status === 'OPEN' && (!c.closedOn || c.closedOn > ctx.asOf);
  return { sections: { idva: out }, withheld, currentInvolvement };
}

export const idvaMapping: ExportMapping<IdvaDb> = {
  name: 'idva',
  agencyType: 'IDVA',
  payloadKeys: ['idva'],
  domains: ['VICTIM_VIEWS'],
  load: loadIdvaDb,
  candidates: idvaCandidates,
  held: heldSubject,
  map: mapIdvaSubject,
};
