/**
 * Every adapter in this repository: its mapping module, where its synthetic data lives and the
 * generator that writes it. The runnable entries (`adapters/<name>/index.ts`), the contract tests
 * and the demo all read this list, so adding an adapter is one line here.
 */
import { fileURLToPath } from 'node:url';
import type { ExportMapping } from './sdk/mapping.js';
import type { GeneratedDataSet } from './sdk/synthetic/output.js';
import type { Population } from './sdk/synthetic/population.js';
import { policeDocumentMapping } from './police/documents.js';
import { generatePoliceData } from './police/data/generate.js';
import { nhsMapping } from './nhs/map.js';
import { generateNhsData } from './nhs/data/generate.js';
import { housingDocumentMapping } from './housing/documents.js';
import { generateHousingData } from './housing/data/generate.js';
import { adultSocialCareMapping, childrensSocialCareMapping } from './social-care/map.js';
import { generateSocialCareData } from './social-care/data/generate.js';
import { probationMapping } from './probation/map.js';
import { generateProbationData } from './probation/data/generate.js';
import { idvaMapping } from './idva/map.js';
import { generateIdvaData } from './idva/data/generate.js';

export interface CatalogEntry {
  /** Adapter type name, e.g. `police`, `childrens-social-care`. */
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  mapping: ExportMapping<any>;
  /** Default data directory (the committed synthetic data set). */
  dataDir: string;
  generate: (pop: Population) => GeneratedDataSet;
}

const dir = (sub: string) => fileURLToPath(new URL(`./${sub}/data/`, import.meta.url));

export const ADAPTERS: readonly CatalogEntry[] = [
  { name: 'police', mapping: policeDocumentMapping, dataDir: dir('police'), generate: generatePoliceData },
  { name: 'nhs', mapping: nhsMapping, dataDir: dir('nhs'), generate: generateNhsData },
  { name: 'housing', mapping: housingDocumentMapping, dataDir: dir('housing'), generate: generateHousingData },
  { name: 'childrens-social-care', mapping: childrensSocialCareMapping, dataDir: dir('social-care'), generate: generateSocialCareData },
  { name: 'adult-social-care', mapping: adultSocialCareMapping, dataDir: dir('social-care'), generate: generateSocialCareData },
  { name: 'probation', mapping: probationMapping, dataDir: dir('probation'), generate: generateProbationData },
  { name: 'idva', mapping: idvaMapping, dataDir: dir('idva'), generate: generateIdvaData },
];

export function adapterByName(name: string): CatalogEntry | undefined {
  return ADAPTERS.find((a) => a.name === name);
}
