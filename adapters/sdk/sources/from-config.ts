/** The source an adapter's configuration names (`source` in its config file; decision 0025). */
import { AdapterConfigInvalid } from '../errors.js';
import type { AgencyMapping, DocumentMapping } from '../mapping.js';
import type { Source } from '../source.js';
import { createCsvSource, type CsvSourceConfig } from './csv.js';
import { createSqlSource, type SqlSourceConfig } from './sql.js';

export function sourceFromConfig<Db>(mapping: AgencyMapping<Db>, config: Record<string, unknown> & { kind: 'sql' | 'csv' }): Source<Db> & { close(): Promise<void> } {
  const m = mapping as Partial<DocumentMapping<Db>>;
  if (typeof m.fromDocuments !== 'function') throw new AdapterConfigInvalid(`the ${mapping.name} mapping cannot read records from a ${config.kind} source (it has no fromDocuments)`);
  const dm = mapping as DocumentMapping<Db>;
  return config.kind === 'sql' ? createSqlSource(dm, config as unknown as SqlSourceConfig) : createCsvSource(dm, config as unknown as CsvSourceConfig);
}
