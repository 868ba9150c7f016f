/**
 * The contract between the SDK and an agency's mapping module. A new adapter is one object of type
 * `AgencyMapping`: how to turn one matched person's records into the canonical payload (plus what
 * it chose to withhold), and how its records are read: from a loaded export (`load`, `candidates`:
 * the memory source) or from one document per record (`fromDocuments`: SQL and CSV sources). Where
 * the people are searched is a `Source` (source.ts, decision 0025).
 */
import type { CandidatePerson } from './matching/types.js';
import type { AgencyType } from './types.js';
import type { HeldSubject, PayloadKey, PayloadSections, RequestedDomain, SubjectRole, Withheld } from './types.js';

export interface MapContext {
  /** The research is as of this date (ISO); windows count back from here. */
  asOf: string;
  lookbackMonths: number;
  /** Domains the coordinator asked for; sections for other domains are left out (data minimisation). */
  domains: ReadonlySet<RequestedDomain>;
  subjectId: string;
  role: SubjectRole;
  /** The request's subject id for another agency record that was MATCHED in this same request. */
  subjectIdOf(recordId: string): string | undefined;
  /** The other subjects of this request the agency MATCHED (for cross-references such as children). */
  others: readonly { subjectId: string; role: SubjectRole; recordId: string }[];
}

export interface MappedSubject {
  sections: PayloadSections;
  withheld: Withheld[];
  currentInvolvement: boolean;
}

export interface AgencyMapping<Db = unknown> {
  /** Short name: `police`, `nhs`, ... */
  name: string;
  agencyType: AgencyType;
  /** Payload keys this agency fills (the gateway refuses any other). */
  payloadKeys: readonly PayloadKey[];
  /** Domains this agency can answer; a request asking none of them gets match results only. */
  domains: readonly RequestedDomain[];
  /**
   * Parse the agency's export (already read from disk as JSON files keyed by file name). With
   * `candidates`, lets the SDK serve the export from memory (`loadAgency`, the memory source).
   */
  load?(files: Record<string, unknown>): Db;
  /** The people of a loaded export, flattened for matching: indexed once by the memory source, never listed to the matcher. */
  candidates?(db: Db): CandidatePerson[];
  /** What the agency holds on the person, so a coordinator can confirm a POSSIBLE match. */
  held(db: Db, recordId: string): HeldSubject;
  map(db: Db, recordId: string, ctx: MapContext): MappedSubject;
}

/**
 * A mapping that can be fed one JSON document per record (the agency's native record of that
 * person), as the SQL and CSV sources read them: `fromDocuments` builds the Db for the records read,
 * `document` produces one (for exports to a database or a CSV file, and tests).
 */
export interface DocumentMapping<Db = unknown> extends AgencyMapping<Db> {
  fromDocuments(docs: ReadonlyMap<string, unknown>): Db;
  document(db: Db, recordId: string): unknown;
}

/** A mapping that reads a whole export file (every mapping in this repository): the SDK can serve it from memory. */
export type ExportMapping<Db = unknown> = AgencyMapping<Db> & Required<Pick<AgencyMapping<Db>, 'load' | 'candidates'>>;

// ---- Date helpers shared by mapping modules (calendar dates, UTC) ----

export function monthsBefore(asOf: string, months: number): string {
  const d = new Date(`${asOf.slice(0, 10)}T00:00:00Z`);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.toISOString().slice(0, 10);
}

/** True when `date` falls in the last `months` months up to and including `asOf`. */
export function withinMonths(date: string | undefined, asOf: string, months: number): boolean {
  if (!date) return false;
  const d = date.slice(0, 10);
  return d > monthsBefore(asOf, months) && d <= asOf.slice(0, 10);
}

/** Still in force on `asOf` (no end date, or an end date on or after it). */
export function inForce(start: string | undefined, end: string | undefined, asOf: string): boolean {
  const a = asOf.slice(0, 10);
  return (!start || start.slice(0, 10) <= a) && (!end || end.slice(0, 10) >= a);
}

export function wants(ctx: MapContext, ...domains: RequestedDomain[]): boolean {
  return domains.some((d) => ctx.domains.has(d));
}

/** Drop keys whose value is undefined, so the output validates under additionalProperties: false. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
