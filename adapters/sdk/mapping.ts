/**
 * The contract between the SDK and an agency's mapping module. A new adapter is one object of type
 * `AgencyMapping`: how to load the agency's export, how to list its people for matching, and how to
 * turn one matched person's records into the canonical payload (plus what it chose to withhold).
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
  /** Parse the agency's export (already read from disk as JSON files keyed by file name). */
  load(files: Record<string, unknown>): Db;
  candidates(db: Db): CandidatePerson[];
  /** What the agency holds on the person, so a coordinator can confirm a POSSIBLE match. */
  held(db: Db, recordId: string): HeldSubject;
  map(db: Db, recordId: string, ctx: MapContext): MappedSubject;
}

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
