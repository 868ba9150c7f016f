/**
 * The memory source: an agency data set already loaded by its mapping (the JSON exports of this
 * repository's adapters). The mapping's people are indexed once, at load, by identifier and by
 * name and date of birth; a search returns the people sharing the query's keys; `read` gives the
 * mapping the loaded data set (it is in memory already; nothing is listed to matching).
 */
import { AgencyDataInvalid } from '../errors.js';
import type { AgencyMapping } from '../mapping.js';
import type { Source } from '../source.js';
import { indexPeople, indexedSource } from './indexed.js';

export function createMemorySource<Db>(mapping: AgencyMapping<Db>, db: Db): Source<Db> {
  if (!mapping.candidates) throw new AgencyDataInvalid(`the ${mapping.name} mapping has no candidates(db): it cannot be served from memory`);
  const index = indexPeople(mapping.candidates(db));
  return indexedSource('memory', () => ({ index }), () => db);
}
