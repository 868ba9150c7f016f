/**
 * Worked example, written from the SDK's README alone: a GP practice whose system drops a nightly
 * CSV export into a folder (one row per patient and address, current and former; the practice's
 * own column names). The SDK's CSV source searches it (by NHS number, by name with date of birth);
 * this module only says how a patient's rows become the `health` payload.
 */
import { compact, wants, type DocumentMapping, type HeldSubject, type MapContext, type MappedSubject } from '@marac/adapter-sdk';

/** One row of the export, keyed by the export's header. */
type Row = Record<string, string>;

/** The rows of the patients the SDK chose for this request, by patient id. */
interface Db {
  rows: Map<string, Row[]>;
}

const first = (rows: Row[] | undefined): Row | undefined => rows?.[0];

export const gpPracticeMapping: DocumentMapping<Db> = {
  name: 'gp-practice',
  agencyType: 'HEALTH_PRIMARY',
  payloadKeys: ['health'],
  domains: ['HEALTH_ATTENDANCES', 'PREGNANCY'],

  // The CSV source has no document column here, so each record's document is its rows.
  fromDocuments: (docs) => ({ rows: new Map([...docs].map(([id, rows]) => [id, rows as Row[]])) }),
  document: (db, id) => db.rows.get(id) ?? [],

  held(db, id): HeldSubject {
    const r = first(db.rows.get(id));
    if (!r) return {};
    return compact({
      names: [{ given: [r.Forename!, ...(r.MiddleNames ? r.MiddleNames.split(' ') : [])], family: r.Surname!, use: 'official' }],
      dateOfBirth: r.DateOfBirth || undefined,
      identifiers: r.NHSNumber ? [{ system: 'nhs-number', value: r.NHSNumber }] : undefined,
    });
  },

  map(db, id, ctx: MapContext): MappedSubject {
    const r = first(db.rows.get(id));
    if (!r) return { sections: {}, withheld: [], currentInvolvement: false };
    const pregnant = r.Pregnant === 'Y';
    const health = compact({
      registeredGpOdsCode: /^[A-Z0-9]{3,10}$/.test(r.PracticeODS ?? '') ? r.PracticeODS : undefined,
      pregnancy: wants(ctx, 'PREGNANCY') ? compact({ pregnant, edd: pregnant && r.EDD ? r.EDD : undefined }) : undefined,
      communicationNeeds: r.Interpreter ? { interpreterLanguage: r.Interpreter } : undefined,
    });
    // The free-text note is the practice's own: never sent, and said so.
    const withheld = r.Note ? [{ fieldPath: 'health.clinicalNarrative', reason: 'NOT_RELEVANT_TO_CURRENT_RISK' as const, note: 'Practice notes are not shared; ask the practice safeguarding lead.' }] : [];
    return { sections: { health }, withheld, currentInvolvement: pregnant };
  },
};

/** The export's columns for the CSV source (also in the example config file). */
export const gpPracticeColumns = {
  recordId: 'PatientId',
  identifiers: { 'nhs-number': 'NHSNumber' },
  given: 'Forename', otherGiven: 'MiddleNames', family: 'Surname', dob: 'DateOfBirth', sex: 'Sex', postcode: 'Postcode',
} as const;
