/**
 * FHIR R4 (UK Core) Bundles → canonical `health` payload.
 *
 * Read straight from the JSON: six resource types and a few codes do not need a FHIR library.
 * What stays in health and is listed in `withheld[]`: the problem list (`health.diagnoses`) and any
 * mental-health diagnosis (`health.mentalHealth.diagnosis`) — NOT_RELEVANT_TO_CURRENT_RISK; clinical
 * narrative is never produced at all. Risk-relevant facts are shared as booleans and categories.
 */
import { compact, inForce, wants, withinMonths, type ExportMapping, type MapContext, type MappedSubject } from '../sdk/mapping.js';
import type { CandidatePerson } from '../sdk/matching/types.js';
import { AgencyDataInvalid } from '../sdk/errors.js';
import type { HealthPayload, HeldSubject, Withheld } from '../sdk/types.js';
import {
  codeIn, ED_REASON_SYSTEM, FLAG_CODE_SYSTEM, hasCode, INTERPRETER_REQUIRED_EXT, LOINC, LOINC_EDD, LOINC_PREGNANCY_STATUS,
  NHS_NUMBER_SYSTEM, ODS_SYSTEM, SERVICE_TYPE_SYSTEM, SNOMED, SNOMED_PREGNANT,
  type Bundle, type Condition, type Encounter, type EpisodeOfCare, type Flag, type Observation, type Patient,
} from './fhir.js';

export interface PatientRecord {
  patient: Patient;
  encounters: Encounter[];
  flags: Flag[];
  episodes: EpisodeOfCare[];
  observations: Observation[];
  conditions: Condition[];
}

export interface NhsDb {
  patients: Map<string, PatientRecord>;
}

const ED_CATEGORY: Record<string, 'INJURY' | 'ASSAULT' | 'OVERDOSE' | 'SELF_HARM' | 'OTHER'> = {
  ASSAULT: 'ASSAULT', INJURY_FALL: 'INJURY', INJURY_OTHER: 'INJURY', OVERDOSE: 'OVERDOSE', SELF_HARM: 'SELF_HARM',
};
const MH_CONDITION_CODES = new Set(['35489007', '197480006']);

function patientIdOf(ref: { reference?: string } | undefined): string | undefined {
  const m = /^Patient\/(.+)$/.exec(ref?.reference ?? '');
  return m?.[1];
}

export function loadNhsDb(files: Record<string, unknown>): NhsDb {
  const raw = files['fhir-bundles.json'];
  if (!Array.isArray(raw)) throw new AgencyDataInvalid('fhir-bundles.json missing or not a list of Bundles');
  const patients = new Map<string, PatientRecord>();
  const pending: { pid: string; res: Exclude<PatientRecord[keyof PatientRecord], Patient>[number] }[] = [];
  for (const b of raw as Bundle[]) {
    if (b?.resourceType !== 'Bundle') throw new AgencyDataInvalid('fhir-bundles.json holds something that is not a Bundle');
    for (const e of b.entry ?? []) {
      const res = e.resource;
      if (!res) continue;
      switch (res.resourceType) {
        case 'Patient':
          patients.set((res as Patient).id, { patient: res as Patient, encounters: [], flags: [], episodes: [], observations: [], conditions: [] });
          break;
        case 'Encounter': case 'Flag': case 'Observation': case 'Condition': {
          const pid = patientIdOf((res as Encounter).subject);
          if (pid) pending.push({ pid, res: res as Encounter });
          break;
        }
        case 'EpisodeOfCare': {
          const pid = patientIdOf((res as EpisodeOfCare).patient);
          if (pid) pending.push({ pid, res: res as EpisodeOfCare });
          break;
        }
        default: // other resource types are not used
      }
    }
  }
  for (const { pid, res } of pending) {
    const rec = patients.get(pid);
    if (!rec) continue;
    if (res.resourceType === 'Encounter') rec.encounters.push(res);
    else if (res.resourceType === 'Flag') rec.flags.push(res);
    else if (res.resourceType === 'EpisodeOfCare') rec.episodes.push(res);
    else if (res.resourceType === 'Observation') rec.observations.push(res);
    else rec.conditions.push(res);
  }
  return { patients };
}

function nhsNumber(p: Patient): string | undefined {
  return p.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value;
}

export function nhsCandidates(db: NhsDb): CandidatePerson[] {
  return [...db.patients.values()].map(({ patient: p }) => {
    const nhs = nhsNumber(p);
    return {
      recordId: p.id,
      names: (p.name ?? []).filter((n) => n.family).map((n) => ({ given: n.given, family: n.family, use: n.use === 'official' || n.use === 'usual' ? 'official' : 'alias' })),
      dobs: p.birthDate ? [p.birthDate] : [],
      sexOrGender: p.gender === 'female' ? 'F' : p.gender === 'male' ? 'M' : undefined,
      identifiers: nhs ? [{ system: 'nhs-number', value: nhs }] : [],
      postcodes: (p.address ?? []).map((a) => a.postalCode).filter((x): x is string => !!x),
    };
  });
}

function heldSubject(db: NhsDb, id: string): HeldSubject {
  const p = db.patients.get(id)?.patient;
  if (!p) return {};
  const official = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
  const nhs = nhsNumber(p);
  return compact({
    names: official?.family ? [{ given: official.given, family: official.family, use: 'official' as const }] : undefined,
    dateOfBirth: p.birthDate,
    identifiers: nhs ? [{ system: 'nhs-number', value: nhs }] : undefined,
  });
}

const flagActive = (f: Flag, asOf: string) => f.status === 'active' && inForce(f.period?.start, f.period?.end, asOf);
const episodeActive = (e: EpisodeOfCare, asOf: string) => e.status === 'active' && inForce(e.period?.start, e.period?.end, asOf);
const serviceOf = (e: EpisodeOfCare) => codeIn(e.type, SERVICE_TYPE_SYSTEM);
const flagCode = (f: Flag) => codeIn(f.code, FLAG_CODE_SYSTEM);

export function mapNhsSubject(db: NhsDb, id: string, ctx: MapContext): MappedSubject {
  const rec = db.patients.get(id);
  if (!rec) return { sections: {}, withheld: [], currentInvolvement: false };
  const { asOf } = ctx;
  const withheld: Withheld[] = [];
  const out: HealthPayload = {};
  const edMonths = Math.min(12, ctx.lookbackMonths);
  const activeFlags = rec.flags.filter((f) => flagActive(f, asOf));
  const activeServices = new Set(rec.episodes.filter((e) => episodeActive(e, asOf)).map(serviceOf));
  const ed = rec.encounters
    .filter((e) => e.class.code === 'EMER' && e.status !== 'entered-in-error' && withinMonths(e.period?.start, asOf, edMonths))
    .sort((a, b) => (b.period!.start!).localeCompare(a.period!.start!));
  const anyHealth = wants(ctx, 'HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH');

  if (anyHealth) {
    const gp = rec.patient.generalPractitioner?.find((g) => g.identifier?.system === ODS_SYSTEM)?.identifier?.value;
    if (gp) out.registeredGpOdsCode = gp;
    if (rec.patient.extension?.some((x) => x.url === INTERPRETER_REQUIRED_EXT && x.valueBoolean)) {
      const lang = rec.patient.communication?.[0]?.language.coding?.[0]?.code;
      if (lang) out.communicationNeeds = { interpreterLanguage: lang };
    }
    if (ctx.role === 'CHILD') {
      const codes = new Set(activeFlags.map(flagCode));
      out.cpIsFlag = codes.has('CPIS_CPP') ? 'CPP' : codes.has('CPIS_LAC') ? 'LAC' : 'NONE';
    } else {
      const known = ctx.others.filter((o) => o.role === 'CHILD').filter((o) => {
        const child = db.patients.get(o.recordId);
        return child?.episodes.some((e) => episodeActive(e, asOf) && (serviceOf(e) === 'HEALTH_VISITING' || serviceOf(e) === 'SCHOOL_NURSING'));
      });
      if (known.length) out.childrenKnownToHVorSN = known.map((o) => ({ subjectId: o.subjectId }));
    }
    if (rec.conditions.length) {
      withheld.push({ fieldPath: 'health.diagnoses', reason: 'NOT_RELEVANT_TO_CURRENT_RISK', note: 'Problem list not shared: clinical detail stays in health.' });
    }
  }

  if (wants(ctx, 'HEALTH_ATTENDANCES')) {
    const concernEncounters = new Set(rec.flags.filter((f) => flagCode(f) === 'SAFEGUARDING_CONCERN').map((f) => f.encounter?.reference));
    const abuseEncounters = new Set(rec.flags.filter((f) => flagCode(f) === 'INJURIES_CONSISTENT_WITH_ABUSE').map((f) => f.encounter?.reference));
    if (ed.length) {
      out.edAttendances12m = ed.map((e) => ({
        date: e.period!.start!.slice(0, 10),
        reasonCategory: ED_CATEGORY[codeIn(e.reasonCode, ED_REASON_SYSTEM) ?? ''] ?? 'OTHER',
        safeguardingConcernRaised: concernEncounters.has(`Encounter/${e.id}`),
      }));
      out.injuriesConsistentWithAbuse = ed.some((e) => abuseEncounters.has(`Encounter/${e.id}`));
    }
  }

  if (wants(ctx, 'PREGNANCY')) {
    const status = rec.observations
      .filter((o) => o.status !== 'entered-in-error' && hasCode(o.code, LOINC, LOINC_PREGNANCY_STATUS) && withinMonths(o.effectiveDateTime, asOf, 10))
      .sort((a, b) => (b.effectiveDateTime ?? '').localeCompare(a.effectiveDateTime ?? ''))[0];
    if (status) {
      const edd = rec.observations.filter((o) => hasCode(o.code, LOINC, LOINC_EDD) && o.valueDateTime).map((o) => o.valueDateTime!.slice(0, 10)).sort().pop();
      const pregnant = hasCode(status.valueCodeableConcept, SNOMED, SNOMED_PREGNANT) && (!edd || edd >= asOf);
      out.pregnancy = pregnant ? compact({ pregnant: true, edd, maternityBooked: activeServices.has('MATERNITY') }) : { pregnant: false };
    }
  }

  if (wants(ctx, 'MENTAL_HEALTH')) {
    const codes = new Set(activeFlags.map(flagCode));
    const selfHarm = ed.some((e) => ['SELF_HARM', 'OVERDOSE'].includes(codeIn(e.reasonCode, ED_REASON_SYSTEM) ?? ''));
    const mh = {
      openToSecondaryMH: activeServices.has('MH_SECONDARY'),
      riskToSelf: codes.has('RISK_TO_SELF') || selfHarm,
      riskToOthersConcern: codes.has('RISK_TO_OTHERS'),
    };
    if (mh.openToSecondaryMH || mh.riskToSelf || mh.riskToOthersConcern || rec.episodes.some((e) => serviceOf(e) === 'MH_SECONDARY')) out.mentalHealth = mh;
    out.substanceMisuseServiceOpen = activeServices.has('SUBSTANCE_MISUSE');
    if (rec.conditions.some((c) => c.code?.coding?.some((x) => x.system === SNOMED && MH_CONDITION_CODES.has(x.code ?? '')))) {
      withheld.push({ fieldPath: 'health.mentalHealth.diagnosis', reason: 'NOT_RELEVANT_TO_CURRENT_RISK', note: 'Diagnosis not shared; risk flags given instead.' });
    }
  }

  const currentInvolvement = activeServices.size > 0 || ed.some((e) => withinMonths(e.period?.start, asOf, 3));
  return { sections: { health: out }, withheld, currentInvolvement };
}

export const nhsMapping: ExportMapping<NhsDb> = {
  name: 'nhs',
  agencyType: 'HEALTH_ACUTE',
  payloadKeys: ['health'],
  domains: ['HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH'],
  load: loadNhsDb,
  candidates: nhsCandidates,
  held: heldSubject,
  map: mapNhsSubject,
};
