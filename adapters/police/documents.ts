/**
 * One police record as a document (for the SQL and CSV sources, decision 0025): the slice of the
 * POLE export about one person (the person, their locations, the events they are involved in, their
 * convictions, orders for or against them, bail, markers, objects held, DVDS, MAPPA, address
 * alerts). The mapping reads a set of slices back as a small POLE export, so a person's payload is
 * the same from a slice as from the whole export.
 */
import type { DocumentMapping, ExportMapping } from '../sdk/mapping.js';
import { mergeExportSlices } from '../sdk/sources/documents.js';
import { loadPoliceDb, policeMapping, type PoliceDb } from './map.js';
import type { PoliceExport } from './native.js';

export function policeDocument(db: PoliceDb, ref: string): Partial<PoliceExport> {
  const e = db.exp;
  const person = db.persons.get(ref);
  const locs = new Set(person?.addresses.map((a) => a.locationRef) ?? []);
  const mine = <T extends { personRef: string }>(xs: T[]) => xs.filter((x) => x.personRef === ref);
  return {
    format: 'POLE-EXPORT', version: '1.0', force: e.force, exportedAt: e.exportedAt,
    persons: person ? [person] : [],
    locations: e.locations.filter((l) => locs.has(l.locationRef)),
    objects: e.objects.filter((o) => o.holderPersonRef === ref),
    events: e.events.filter((ev) => ev.involved.some((i) => i.personRef === ref)),
    convictions: mine(e.convictions),
    orders: e.orders.filter((o) => o.respondentPersonRef === ref || o.protectedPersonRefs.includes(ref)),
    bail: mine(e.bail),
    markers: mine(e.markers),
    dvdsDisclosures: mine(e.dvdsDisclosures),
    mappa: mine(e.mappa),
    addressAlerts: mine(e.addressAlerts),
  };
}

export const policeDocumentMapping: DocumentMapping<PoliceDb> & ExportMapping<PoliceDb> = {
  ...policeMapping,
  fromDocuments: (docs) => loadPoliceDb({ 'police-export.json': mergeExportSlices([...docs.values()], { format: 'POLE-EXPORT', version: '1.0', force: '', exportedAt: '' }) }),
  document: policeDocument,
};
