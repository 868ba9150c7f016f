/**
 * One housing record as a document (for the SQL and CSV sources, decision 0025): the slice of the
 * housing export about one person (the person, their tenancies and those properties and rent
 * accounts, ASB cases they are a party to, sanctuary, homelessness and transfer requests).
 */
import type { DocumentMapping, ExportMapping } from '../sdk/mapping.js';
import { mergeExportSlices } from '../sdk/sources/documents.js';
import { housingMapping, loadHousingDb, type HousingDb } from './map.js';
import type { HousingExport } from './native.js';

export function housingDocument(db: HousingDb, ref: string): Partial<HousingExport> {
  const e = db.exp;
  const tenancies = db.tenanciesOf.get(ref) ?? [];
  const uprns = new Set(tenancies.map((t) => t.uprn));
  const trefs = new Set(tenancies.map((t) => t.tenancyRef));
  const mine = <T extends { personRef: string }>(xs: T[]) => xs.filter((x) => x.personRef === ref);
  return {
    format: 'HOUSING-EXPORT', version: '1.0', exportedAt: e.exportedAt,
    people: e.people.filter((p) => p.personRef === ref),
    properties: e.properties.filter((p) => uprns.has(p.uprn)),
    tenancies,
    rentAccounts: e.rentAccounts.filter((r) => trefs.has(r.tenancyRef)),
    asbCases: e.asbCases.filter((c) => c.parties.some((p) => p.personRef === ref)),
    sanctuaryInstallations: mine(e.sanctuaryInstallations),
    homelessnessApplications: mine(e.homelessnessApplications),
    transferRequests: mine(e.transferRequests),
  };
}

export const housingDocumentMapping: DocumentMapping<HousingDb> & ExportMapping<HousingDb> = {
  ...housingMapping,
  fromDocuments: (docs) => loadHousingDb({ 'housing-export.json': mergeExportSlices([...docs.values()], { format: 'HOUSING-EXPORT', version: '1.0', exportedAt: '' }) }),
  document: housingDocument,
};
