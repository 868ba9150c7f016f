/**
 * Police export (POLE) → canonical `police` payload.
 *
 * What the force chooses not to share, and says so in `withheld[]`:
 *   - details of an event under live investigation (summary and crime reference; the event itself
 *     still counts, so the risk picture is not understated) — LIVE_INVESTIGATION;
 *   - events not flagged as domestic abuse and spent convictions for non-violent offences —
 *     NOT_RELEVANT_TO_CURRENT_RISK (counted, never listed);
 *   - people protected by an order who are not subjects of this request — THIRD_PARTY.
 */
import { compact, inForce, withinMonths, wants, type ExportMapping, type MapContext, type MappedSubject } from '../sdk/mapping.js';
import type { CandidatePerson } from '../sdk/matching/types.js';
import { AgencyDataInvalid } from '../sdk/errors.js';
import type { HeldSubject, IncidentCategory, PolicePayload, Withheld } from '../sdk/types.js';
import type { PoleEvent, PolePerson, PoliceExport } from './native.js';

export interface PoliceDb {
  exp: PoliceExport;
  persons: Map<string, PolePerson>;
  eventsByPerson: Map<string, { ev: PoleEvent; role: PoleEvent['involved'][number]['role'] }[]>;
  postcodeOf: Map<string, { postcode: string; uprn?: string }>;
}

const DA_CATEGORIES = new Set<string>([
  'DA_ASSAULT', 'DA_HARASSMENT', 'DA_VERBAL', 'DA_SEXUAL', 'STALKING', 'CONTROLLING_COERCIVE',
  'NON_FATAL_STRANGULATION', 'THREATS_TO_KILL', 'BREACH_OF_ORDER', 'CRIMINAL_DAMAGE',
]);
const RISK_CONVICTIONS = new Set(['VIOLENCE', 'SEXUAL', 'WEAPONS', 'DA']);
const MARKERS = { WE: 'WEAPONS', FI: 'FIREARMS', VI: 'VIOLENCE', DA: 'DA', ST: 'STALKING' } as const;

export function loadPoliceDb(files: Record<string, unknown>): PoliceDb {
  const exp = files['police-export.json'] as PoliceExport | undefined;
  if (!exp || exp.format !== 'POLE-EXPORT') throw new AgencyDataInvalid('police-export.json missing or not a POLE export');
  const eventsByPerson = new Map<string, { ev: PoleEvent; role: PoleEvent['involved'][number]['role'] }[]>();
  for (const ev of exp.events) {
    for (const inv of ev.involved) {
      const list = eventsByPerson.get(inv.personRef) ?? [];
      list.push({ ev, role: inv.role });
      eventsByPerson.set(inv.personRef, list);
    }
  }
  return {
    exp,
    persons: new Map(exp.persons.map((p) => [p.personRef, p])),
    eventsByPerson,
    postcodeOf: new Map(exp.locations.map((l) => [l.locationRef, { postcode: l.postcode, uprn: l.uprn }])),
  };
}

export function policeCandidates(db: PoliceDb): CandidatePerson[] {
  return db.exp.persons.map((p) => ({
    recordId: p.personRef,
    names: p.names.map((n) => ({ given: n.givenName, family: n.surname, use: n.nameType === 'PRIMARY' ? 'official' : 'alias' })),
    dobs: [p.dateOfBirth, ...p.alternativeDatesOfBirth],
    sexOrGender: p.gender === 'GNDR_0001' ? 'F' : p.gender === 'GNDR_0002' ? 'M' : undefined,
    identifiers: p.pncId ? [{ system: 'pnc-id', value: p.pncId }] : [],
    postcodes: p.addresses.map((a) => db.postcodeOf.get(a.locationRef)?.postcode).filter((x): x is string => !!x),
    uprns: p.addresses.map((a) => db.postcodeOf.get(a.locationRef)?.uprn).filter((x): x is string => !!x),
  }));
}

function heldSubject(db: PoliceDb, ref: string): HeldSubject {
  const p = db.persons.get(ref);
  if (!p) return {};
  const primary = p.names.find((n) => n.nameType === 'PRIMARY') ?? p.names[0];
  return compact({
    names: primary ? [{ given: primary.givenName, family: primary.surname, use: 'official' }] : undefined,
    dateOfBirth: p.dateOfBirth,
    identifiers: p.pncId ? [{ system: 'pnc-id', value: p.pncId }] : undefined,
  });
}

const ROLE: Record<string, 'VICTIM' | 'SUSPECT' | 'WITNESS' | 'OTHER'> = { VICTIM: 'VICTIM', SUSPECT: 'SUSPECT', OFFENDER: 'SUSPECT', WITNESS: 'WITNESS', OTHER: 'OTHER' };

export function mapPoliceSubject(db: PoliceDb, ref: string, ctx: MapContext): MappedSubject {
  const { asOf, lookbackMonths } = ctx;
  const withheld: Withheld[] = [];
  const out: PolicePayload = {};
  const events = (db.eventsByPerson.get(ref) ?? []).filter(({ ev }) => withinMonths(ev.occurredOn, asOf, lookbackMonths));
  const da = events.filter(({ ev }) => ev.daFlag && DA_CATEGORIES.has(ev.category)).sort((a, b) => b.ev.occurredOn.localeCompare(a.ev.occurredOn));
  const countMonths = Math.min(12, lookbackMonths);
  let currentInvolvement = false;

  if (wants(ctx, 'DA_INCIDENTS')) {
    out.incidentCount12m = da.filter(({ ev }) => withinMonths(ev.occurredOn, asOf, countMonths)).length;
    out.incidents = da.map(({ ev, role }, i) => {
      if (ev.sensitive) {
        withheld.push({ fieldPath: `police.incidents[${i}].summary`, reason: 'LIVE_INVESTIGATION', note: 'Held back until the investigation concludes.' });
        if (ev.crimeRef) withheld.push({ fieldPath: `police.incidents[${i}].crimeRef`, reason: 'LIVE_INVESTIGATION' });
        return { date: ev.occurredOn, type: ev.eventType, roleOfSubject: ROLE[role], category: ev.category as IncidentCategory, outcome: 'ONGOING' as const };
      }
      return compact({
        date: ev.occurredOn, type: ev.eventType, roleOfSubject: ROLE[role], category: ev.category as IncidentCategory,
        crimeRef: ev.crimeRef, summary: ev.summary, outcome: ev.outcome,
      });
    });
    if (!out.incidents.length) delete out.incidents;
    const notDa = events.length - da.length;
    if (notDa > 0) withheld.push({ fieldPath: 'police.incidents', reason: 'NOT_RELEVANT_TO_CURRENT_RISK', note: `${notDa} event(s) not related to domestic abuse not listed.` });
    const markers = db.exp.markers.filter((m) => m.personRef === ref);
    if (markers.length) out.markers = markers.map((m) => ({ type: MARKERS[m.code], date: m.placedOn }));
    out.firearmsCertificateHeld = db.exp.objects.some((o) => o.holderPersonRef === ref && o.status === 'HELD' && o.objectType.endsWith('CERTIFICATE'));
    const alert = db.exp.addressAlerts.find((a) => a.personRef === ref);
    if (alert) out.addressAlertPlaced = true;
    const dvds = db.exp.dvdsDisclosures.filter((d) => d.personRef === ref).sort((a, b) => b.disclosedOn.localeCompare(a.disclosedOn))[0];
    if (dvds) out.dvdsDisclosureMade = { made: true, date: dvds.disclosedOn };
    const mappa = db.exp.mappa.find((m) => m.personRef === ref);
    if (mappa) out.mappa = { category: mappa.category, level: mappa.level };
    const oic = da.find(({ ev }) => ev.officerInCharge)?.ev.officerInCharge;
    if (oic) out.officerInCharge = { name: oic.name, contact: oic.contact };
    currentInvolvement ||= da.some(({ ev }) => ev.investigationStatus === 'OPEN' || withinMonths(ev.occurredOn, asOf, 3));
  }

  if (wants(ctx, 'CONVICTIONS')) {
    const all = db.exp.convictions.filter((c) => c.personRef === ref && c.convictedOn <= asOf).sort((a, b) => b.convictedOn.localeCompare(a.convictedOn));
    const relevant = all.filter((c) => !c.spent || RISK_CONVICTIONS.has(c.offenceCategory));
    if (relevant.length) out.convictions = relevant.map((c) => ({ category: c.offenceCategory, date: c.convictedOn, disposal: c.disposal }));
    if (relevant.length < all.length) {
      withheld.push({ fieldPath: 'police.convictions', reason: 'NOT_RELEVANT_TO_CURRENT_RISK', note: `${all.length - relevant.length} spent conviction(s) for non-violent offences not listed.` });
    }
  }

  if (wants(ctx, 'ORDERS_AND_BAIL')) {
    const bail = db.exp.bail.filter((b) => b.personRef === ref && inForce(b.grantedOn, b.until, asOf));
    if (bail.length) out.bailConditions = bail.map((b) => ({ conditions: [...b.conditions], until: b.until }));
    const orders = db.exp.orders.filter(
      (o) => (o.respondentPersonRef === ref || o.protectedPersonRefs.includes(ref)) && (inForce(o.madeOn, o.expires, asOf) || withinMonths(o.expires, asOf, lookbackMonths)),
    );
    if (orders.length) {
      out.orders = orders.map((o, i) => {
        const ids = o.protectedPersonRefs.map((p) => ctx.subjectIdOf(p)).filter((x): x is string => !!x);
        if (ids.length < o.protectedPersonRefs.length) {
          withheld.push({ fieldPath: `police.orders[${i}].protectedPersonIds`, reason: 'THIRD_PARTY', note: 'Protected people who are not subjects of this request are not named.' });
        }
        return compact({ type: o.orderType, protectedPersonIds: ids.length ? ids : undefined, expires: o.expires });
      });
    }
    currentInvolvement ||= bail.length > 0 || orders.some((o) => inForce(o.madeOn, o.expires, asOf));
  }
  return { sections: { police: out }, withheld, currentInvolvement };
}

export const policeMapping: ExportMapping<PoliceDb> = {
  name: 'police',
  agencyType: 'POLICE',
  payloadKeys: ['police'],
  domains: ['DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS'],
  load: loadPoliceDb,
  candidates: policeCandidates,
  held: heldSubject,
  map: mapPoliceSubject,
};
