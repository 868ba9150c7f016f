/**
 * The NHS adapter's FHIR source: for one research request, find the candidates for each subject on
 * the trust's FHIR server (by NHS number, and by name with date of birth, and postcode where the
 * request shows one), read what the mapping needs for each candidate, check every resource against
 * the UK Core profile it claims, and keep only what passes. Never a listing of the population.
 *
 * What fails a check is not mapped nor sent: it becomes a `withheld` entry (reason OTHER, a note
 * naming the resource type and the rules, never a value) on the subject it was found for, and a
 * count in the source's health.
 */
import type { FhirResource, Patient } from 'fhir/r4.js';
import { normaliseNhsNumberLoose, postcodeKey } from '@marac/uk-identifiers';
import { monthsBefore } from '../../sdk/mapping.js';
import type { CandidatePerson } from '../../sdk/matching/types.js';
import type { RequestSubject, Withheld } from '../../sdk/types.js';
import { nhsCandidates, type NhsDb, type PatientRecord } from '../map.js';
import type { FhirClient, PatientSearch } from './client.js';
import { checkUkCore, type ProfileVerdict } from './uk-core.js';

export interface ProfileFailure {
  resourceType: string;
  rules: string[];
}

export interface Gathered {
  /** Patients (and their resources) that passed their checks, keyed by the FHIR logical id. */
  db: NhsDb;
  candidates: CandidatePerson[];
  /** Failed resources of a patient that did pass (withheld on whichever subject matches that patient). */
  withheldByPatient: Map<string, Withheld[]>;
  /** Patients that failed their own check, found by this subject's searches. */
  withheldBySubject: Map<string, Withheld[]>;
  failures: ProfileFailure[];
  searches: number;
  /** Some search had more pages than the client follows. */
  truncated: boolean;
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
      ? `A patient record the search found failed its UK Core profile check (${rules}) and was not used for matching; the trust will check it.`
      : `A ${v.resourceType} record failed its UK Core profile check (${rules}) and was not sent; the trust will check it.`,
  };
}

/** The searches for one subject: each valid NHS number, then name(s) with each exact date of birth. */
export function searchesFor(s: RequestSubject): PatientSearch[] {
  const out: PatientSearch[] = [];
  for (const id of s.identifiers ?? []) {
    if (id.system !== 'nhs-number') continue;
    const n = normaliseNhsNumberLoose(id.value);
    if (n) out.push({ nhsNumber: n });
  }
  const dobs = (s.dobs ?? []).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d));
  const postcode = typeof s.address === 'object' && s.address?.postcode ? postcodeKey(s.address.postcode) : null;
  for (const birthDate of dobs) {
    for (const n of s.names ?? []) {
      // Family and given apart, so a changed surname or a nickname still brings the person back for the matcher to score.
      if (n.family) out.push({ family: n.family, birthDate });
      if (n.given?.[0]) out.push({ given: n.given[0], birthDate });
    }
    if (postcode) out.push({ birthDate, postcode });
  }
  const seen = new Set<string>();
  return out.filter((q) => {
    const k = JSON.stringify(q).toLowerCase();
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

export async function gather(client: FhirClient, subjects: readonly RequestSubject[], o: { asOf: string; lookbackMonths: number; signal?: AbortSignal }): Promise<Gathered> {
  const found = new Map<string, { patient: Patient; subjects: Set<string> }>();
  let searches = 0;
  let truncated = false;
  for (const s of subjects) {
    const results = await Promise.all(searchesFor(s).map((q) => client.searchPatients(q, o.signal)));
    for (const r of results) {
      searches++;
      truncated ||= r.truncated;
      for (const p of r.resources) {
        if (!p.id) continue;
        const f = found.get(p.id) ?? { patient: p, subjects: new Set<string>() };
        f.subjects.add(s.subjectId);
        found.set(p.id, f);
      }
    }
  }

  const db: NhsDb = { patients: new Map() };
  const withheldByPatient = new Map<string, Withheld[]>();
  const withheldBySubject = new Map<string, Withheld[]>();
  const failures: ProfileFailure[] = [];
  const fail = (v: ProfileVerdict) => failures.push({ resourceType: v.resourceType, rules: [...new Set(v.problems.map((p) => p.rule))] });
  const edSince = monthsBefore(o.asOf, Math.min(12, o.lookbackMonths));

  const passing: Patient[] = [];
  for (const { patient, subjects: by } of found.values()) {
    const v = checkUkCore(patient);
    if (v.problems.length) {
      fail(v);
      for (const sid of by) withheldBySubject.set(sid, [...(withheldBySubject.get(sid) ?? []), withheldFor(v)]);
    } else passing.push(patient);
  }
  const records = await Promise.all(passing.map((p) => client.readRecord(p, { edSince, ...(o.signal ? { signal: o.signal } : {}) })));
  for (const r of records) {
    truncated ||= r.truncated;
    const pid = r.patient.id!;
    const keep = <T extends FhirResource>(list: T[]): T[] => list.filter((res) => {
      const v = checkUkCore(res, pid);
      if (!v.problems.length) return true;
      fail(v);
      withheldByPatient.set(pid, [...(withheldByPatient.get(pid) ?? []), withheldFor(v)]);
      return false;
    });
    // The mapping reads the same elements, with its own narrower hand-written types (../fhir.ts).
    const rec = {
      patient: r.patient,
      encounters: keep(r.encounters),
      conditions: keep(r.conditions),
      episodes: keep(r.episodes),
      observations: keep(r.observations),
      flags: keep(r.flags),
    } as unknown as PatientRecord;
    db.patients.set(pid, rec);
  }
  return { db, candidates: nhsCandidates(db), withheldByPatient, withheldBySubject, failures, searches, truncated };
}
