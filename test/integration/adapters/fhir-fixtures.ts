/**
 * Synthetic UK Core bundles for the FHIR test server, from the NHS adapter's synthetic data
 * (adapters/nhs/data/fhir-bundles.json): every resource claims its UK Core STU2 profile, and a few
 * resources are added that break their profile on purpose.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UK_CORE_PROFILES } from '../../../adapters/nhs/fhir/uk-core.js';
import { ACT_CODE_SYSTEM, ED_REASON_SYSTEM, FLAG_CATEGORY_SYSTEM, LOINC, LOINC_PREGNANCY_STATUS, NHS_NUMBER_SYSTEM, SNOMED, SNOMED_PREGNANT } from '../../../adapters/nhs/fhir.js';

type Res = Record<string, unknown> & { resourceType: string; id: string };

export function ukCoreResources(): Res[] {
  const bundles = JSON.parse(readFileSync(fileURLToPath(new URL('../../../adapters/nhs/data/fhir-bundles.json', import.meta.url)), 'utf8')) as { entry?: { resource?: Res }[] }[];
  const out: Res[] = [];
  for (const b of bundles) {
    for (const e of b.entry ?? []) {
      const r = e.resource;
      if (!r) continue;
      const profile = (UK_CORE_PROFILES as Record<string, string>)[r.resourceType];
      out.push(profile ? { ...r, meta: { ...(r.meta as object), profile: [profile] } } : r);
    }
  }
  return out;
}

/** Resources for `patientId` that each fail their claimed UK Core profile (dated `day`, inside the ED window). */
export function badResourcesFor(patientId: string, day: string): Res[] {
  const subject = { reference: `Patient/${patientId}` };
  return [
    // status outside its required value set
    { resourceType: 'Encounter', id: 'enc-bad-status', meta: { profile: [UK_CORE_PROFILES.Encounter] }, status: 'done', class: { system: ACT_CODE_SYSTEM, code: 'EMER' }, subject,
      period: { start: `${day}T10:00:00Z`, end: `${day}T11:00:00Z` }, reasonCode: [{ coding: [{ system: ED_REASON_SYSTEM, code: 'ASSAULT' }] }] },
    // a code without its system
    { resourceType: 'Flag', id: 'flag-bad-coding', meta: { profile: [UK_CORE_PROFILES.Flag] }, status: 'active', category: [{ coding: [{ system: FLAG_CATEGORY_SYSTEM, code: 'safety' }] }],
      code: { coding: [{ code: 'RISK_TO_OTHERS' }] }, subject, period: { start: day } },
    // required status missing
    { resourceType: 'Observation', id: 'obs-bad-status', meta: { profile: [UK_CORE_PROFILES.Observation] }, code: { coding: [{ system: LOINC, code: LOINC_PREGNANCY_STATUS }] }, subject,
      effectiveDateTime: `${day}T09:00:00Z`, valueCodeableConcept: { coding: [{ system: SNOMED, code: SNOMED_PREGNANT }] } },
  ];
}

/** A second patient record with the same name and birth date as `like`, whose NHS number fails modulus 11. */
export function badPatientLike(like: Res): Res {
  const nhs = (like.identifier as { system: string; value: string }[] | undefined)?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value ?? '9434765919';
  const wrong = `${nhs.slice(0, 9)}${(Number(nhs[9]) + 1) % 10}`;
  return { ...like, id: 'pat-bad-nhs', identifier: [{ system: NHS_NUMBER_SYSTEM, value: wrong }], meta: { profile: [UK_CORE_PROFILES.Patient] } };
}
