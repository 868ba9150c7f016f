/**
 * Worked example (adapters/README.md): a mental health trust's adapter is this mapping module plus
 * a config file. Its export is a list of clients; it answers MENTAL_HEALTH with three risk flags.
 * The SDK serves the export from memory (`load` + `candidates`: indexed once by identifier and by
 * name with date of birth; each subject is searched there, never listed whole: decision 0025).
 */
import { AgencyDataInvalid, type ExportMapping } from '@marac/adapter-sdk';

interface Client {
  ref: string;
  first: string;
  last: string;
  dob?: string;
  nhs?: string;
  openEpisode: boolean;
  riskToSelf: boolean;
  riskToOthers: boolean;
}
interface Db {
  byRef: Map<string, Client>;
  list: Client[];
}

export const mentalHealthMapping: ExportMapping<Db> = {
  name: 'mental-health',
  agencyType: 'HEALTH_MENTAL',
  payloadKeys: ['health'], // the payload key the gateway allows this agency type
  domains: ['MENTAL_HEALTH'], // the requested domains it can answer
  load(files) {
    const exp = files['clients.json'] as { format?: string; clients?: Client[] } | undefined;
    if (exp?.format !== 'MH-EXPORT' || !Array.isArray(exp.clients)) throw new AgencyDataInvalid('clients.json missing or not an MH export');
    return { byRef: new Map(exp.clients.map((c) => [c.ref, c])), list: exp.clients };
  },
  candidates: (db) => db.list.map((c) => ({
    recordId: c.ref,
    names: [{ given: [c.first], family: c.last }],
    dobs: c.dob ? [c.dob] : [],
    identifiers: c.nhs ? [{ system: 'nhs-number', value: c.nhs }] : [],
  })),
  held: (db, ref) => {
    const c = db.byRef.get(ref)!;
    return { names: [{ given: [c.first], family: c.last }], ...(c.dob ? { dateOfBirth: c.dob } : {}) };
  },
  map: (db, ref) => {
    const c = db.byRef.get(ref)!;
    return {
      sections: { health: { mentalHealth: { openToSecondaryMH: c.openEpisode, riskToSelf: c.riskToSelf, riskToOthersConcern: c.riskToOthers } } },
      withheld: [],
      currentInvolvement: c.openEpisode,
    };
  },
};
