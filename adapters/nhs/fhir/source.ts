/**
 * The NHS adapter's FHIR source, on the SDK's data contract (decision 0025, `Source`):
 *
 *   search(query) — Patient searches on the trust's FHIR server: each NHS number (identifier
 *                   https://fhir.nhs.uk/Id/nhs-number), then each name with each date of birth
 *                   (family and given apart, the day/month swap too), date of birth with postcode,
 *                   and family with given name when the request shows no date of birth. One FHIR
 *                   search step per cursor position; FHIR's own paging (Bundle.link next) inside it.
 *                   Each Patient is checked against UK Core; one that fails is not a candidate
 *                   (never matched, never sent) and is counted in the source's health.
 *   read(ids)     — for the patients matching chose: the Patient again, ED Encounters of the last
 *                   12 months, Conditions, EpisodesOfCare, pregnancy Observations and Flags. Every
 *                   resource is checked against the UK Core profile it claims; one that fails is
 *                   not mapped: the mapping lists it in the subject's `withheld` (reason OTHER, a
 *                   note naming the resource type and the rules, never a value) and the source's
 *                   health counts it by type and rule.
 */
import type { FhirResource, Patient } from 'fhir/r4.js';
import { healthRecorder, type SearchOptions, type SearchPage, type Source, type SourceHealth, type SourceQuery } from '../../sdk/source.js';
import { SourceAborted, SourceError, SourceUnavailable } from '../../sdk/errors.js';
import { monthsBefore, type AgencyMapping, type MappedSubject } from '../../sdk/mapping.js';
import type { LoadedAgency } from '../../sdk/respond.js';
import type { Withheld } from '../../sdk/types.js';
import { mapNhsSubject, nhsCandidates, nhsMapping, type NhsDb, type PatientRecord } from '../map.js';
import { patientSearchParams, type FhirClient, type PatientSearch } from './client.js';
import { checkUkCore, type ProfileVerdict } from './uk-core.js';

/** The mapping's Db plus, per patient, the resources withheld because they failed UK Core. */
export interface FhirNhsDb extends NhsDb {
  withheld: Map<string, Withheld[]>;
}

export interface FhirSourceHealth extends SourceHealth {
  /** Distinct resources that failed their UK Core check (Patients found by a search, and resources read). */
  withheldResources: number;
  withheldByType: Record<string, number>;
  withheldByRule: Record<string, number>;
  /** Reads cut short by the client's page ceiling. */
  truncatedReads: number;
}

const FIELD_OF: Record<string, string> = {
  Encounter: 'health.edAttendances12m',
  Condition: 'health.diagnoses',
  Observation: 'health.pregnancy',
  EpisodeOfCare: 'health',
  Flag: 'health',
  Patient: 'subject',
};

export function withheldFor(v: ProfileVerdict): Withheld {
  const rules = [...new Set(v.problems.map((p) => p.rule))].slice(0, 5).join(', ');
  return {
    fieldPath: FIELD_OF[v.resourceType] ?? 'health',
    reason: 'OTHER',
    note: v.resourceType === 'Patient'
      ? `The patient record failed its UK Core profile check (${rules}) when read; nothing from it was sent and the trust will check it.`
      : `${/^[AEIOU]/.test(v.resourceType) ? 'An' : 'A'} ${v.resourceType} record failed its UK Core profile check (${rules}) and was not sent; the trust will check it.`,
  };
}

/** The day/month swap of a date of birth, when it is a different valid date (01-02 ↔ 02-01). */
function swapped(dob: string): string | null {
  const [y, m, d] = dob.split('-');
  if (!y || !m || !d || m === d || Number(d) > 12) return null;
  const s = `${y}-${d}-${m}`;
  const t = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === s ? s : null;
}

/** The FHIR Patient searches for one SDK query, in order, each narrow (patientSearchParams refuses the rest). */
export function searchesFor(q: SourceQuery): PatientSearch[] {
  const out: PatientSearch[] = [];
  for (const id of q.identifiers) if (id.system === 'nhs-number') out.push({ nhsNumber: id.value });
  const dobs = [...new Set(q.dobs.flatMap((d) => [d, swapped(d)]).filter((d): d is string => !!d))];
  for (const birthDate of dobs) {
    for (const n of q.names) {
      // Family and given apart, so a changed surname or a nickname still brings the person back for the matcher to score.
      if (n.family) out.push({ family: n.family, birthDate });
      if (n.given?.[0]) out.push({ given: n.given[0], birthDate });
    }
    if (q.postcode) out.push({ birthDate, postcode: q.postcode });
  }
  if (!dobs.length) for (const n of q.names) if (n.family && n.given?.[0]) out.push({ family: n.family, given: n.given[0] });
  const seen = new Set<string>();
  return out.filter((s) => {
    const k = JSON.stringify(s).toLowerCase();
    if (seen.has(k) || !patientSearchParams(s)) return false;
    seen.add(k);
    return true;
  });
}

interface Cursor {
  /** Index of the search step. */
  s: number;
  /** The FHIR server's next-page link within that step. */
  n?: string;
}
const encode = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decode(cursor: string | undefined): Cursor {
  if (!cursor) return { s: 0 };
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (Number.isInteger(c.s) && c.s >= 0 && (c.n === undefined || typeof c.n === 'string')) return c;
  } catch {
    // fall through
  }
  throw new SourceUnavailable('the FHIR source was given a cursor it did not make');
}

/** The NHS mapping fed by the FHIR source: the same map, plus what failed UK Core for that patient. */
export const nhsFhirMapping: AgencyMapping<FhirNhsDb> = {
  name: nhsMapping.name,
  agencyType: nhsMapping.agencyType,
  payloadKeys: nhsMapping.payloadKeys,
  domains: nhsMapping.domains,
  held: (db, recordId) => nhsMapping.held(db, recordId),
  map(db, recordId, ctx): MappedSubject {
    const mapped = mapNhsSubject(db, recordId, ctx);
    return { ...mapped, withheld: [...mapped.withheld, ...(db.withheld.get(recordId) ?? [])] };
  },
};

export interface FhirSource extends Source<FhirNhsDb> {
  health(): FhirSourceHealth;
}

export function createFhirSource(o: { client: FhirClient; now?: () => Date }): FhirSource {
  const { client } = o;
  const now = o.now ?? (() => new Date());
  const rec = healthRecorder('fhir', now);
  const extra = { withheldResources: 0, withheldByType: {} as Record<string, number>, withheldByRule: {} as Record<string, number>, truncatedReads: 0 };
  // Distinct failing resources (a Patient found by two search steps, an Encounter read for two
  // requests count once); bounded, holding resource ids only.
  const seenBad = new Set<string>();
  const count = (res: FhirResource, v: ProfileVerdict) => {
    const key = `${res.resourceType}/${res.id ?? ''}/${res.meta?.versionId ?? ''}`;
    if (seenBad.has(key)) return;
    if (seenBad.size >= 10_000) seenBad.clear();
    seenBad.add(key);
    extra.withheldResources++;
    extra.withheldByType[v.resourceType] = (extra.withheldByType[v.resourceType] ?? 0) + 1;
    for (const r of new Set(v.problems.map((p) => p.rule))) extra.withheldByRule[r] = (extra.withheldByRule[r] ?? 0) + 1;
  };
  async function tracked<T>(f: () => Promise<T>, signal: AbortSignal): Promise<T> {
    try {
      const r = await f();
      rec.contact(true);
      return r;
    } catch (e) {
      if (signal.aborted || e instanceof SourceAborted) throw e;
      const err = e instanceof SourceError ? e : new SourceUnavailable('the FHIR source failed', { cause: e });
      rec.error(err);
      throw err;
    }
  }

  return {
    async search(query: SourceQuery, opts: SearchOptions): Promise<SearchPage> {
      const steps = searchesFor(query);
      const c = decode(opts.cursor);
      const step = steps[c.s];
      if (!step) return { candidates: [] };
      rec.h.searches++;
      const page = await tracked(() => client.searchPage<Patient>('Patient', c.n ? { next: c.n } : { params: patientSearchParams(step)!, count: opts.pageSize }, opts.signal), opts.signal);
      const db: NhsDb = { patients: new Map() };
      for (const p of page.resources) {
        const v = checkUkCore(p);
        if (v.problems.length) count(p, v);
        else if (p.id) db.patients.set(p.id, { patient: p, encounters: [], flags: [], episodes: [], observations: [], conditions: [] } as unknown as PatientRecord);
      }
      const next: Cursor | undefined = page.next ? { s: c.s, n: page.next } : c.s + 1 < steps.length ? { s: c.s + 1 } : undefined;
      return { candidates: nhsCandidates(db), ...(next ? { nextCursor: encode(next) } : {}) };
    },

    async read(recordIds, { signal }): Promise<FhirNhsDb> {
      rec.h.reads++;
      const edSince = monthsBefore(now().toISOString().slice(0, 10), 12);
      const db: FhirNhsDb = { patients: new Map(), withheld: new Map() };
      const note = (pid: string, res: FhirResource, v: ProfileVerdict) => {
        count(res, v);
        db.withheld.set(pid, [...(db.withheld.get(pid) ?? []), withheldFor(v)]);
      };
      await tracked(() => Promise.all(recordIds.map(async (pid) => {
        const patient = await client.readPatient(pid, signal);
        if (!patient) return;
        const pv = checkUkCore(patient);
        if (pv.problems.length) return note(pid, patient, pv);
        const r = await client.readRecord(patient, { edSince, signal });
        if (r.truncated) extra.truncatedReads++;
        const keep = <T extends FhirResource>(list: T[]): T[] => list.filter((res) => {
          const v = checkUkCore(res, pid);
          if (v.problems.length) note(pid, res, v);
          return !v.problems.length;
        });
        // The mapping reads the same elements with its own narrower hand-written types (../fhir.ts).
        db.patients.set(pid, {
          patient,
          encounters: keep(r.encounters),
          conditions: keep(r.conditions),
          episodes: keep(r.episodes),
          observations: keep(r.observations),
          flags: keep(r.flags),
        } as unknown as PatientRecord);
      })), signal);
      return db;
    },

    health: (): FhirSourceHealth => ({ ...rec.snapshot(), ...extra, withheldByType: { ...extra.withheldByType }, withheldByRule: { ...extra.withheldByRule } }),
  };
}

/** The NHS agency served from a FHIR server: what `startAdapter(def, cfg, { agency })` and the runner take. */
export interface FhirNhsAgency extends LoadedAgency<FhirNhsDb> {
  source: FhirSource;
}

export function createFhirNhsAgency(o: { client: FhirClient; now?: () => Date }): FhirNhsAgency {
  return { mapping: nhsFhirMapping, source: createFhirSource(o) };
}
