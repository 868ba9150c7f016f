/**
 * The one place the exchange turns a case into location knowledge for the policy engine
 * (issue 12, class 1): every address, UPRN, phone, e-mail and safe time the coordinator sealed,
 * per subject, and (for a response) every LOC-tagged value the agency itself sent. The engine
 * decides per recipient which of these it must not read in free text.
 *
 * Build one per request view or pack read and pass the same object to every redaction of it:
 * the compiled lexicons are cached on it, so a pack of many sections compiles once per viewer.
 */
import type { CaseLocations } from '../policy/location-context.js';
import type { LocationSource } from '../policy/location-text/index.js';
import type { SealedSubjects } from './case-service.js';
import type { SubjectFacts } from './ports.js';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : []);

/** What locates one sealed subject: its address (with any UPRN identifier) and its contact details. */
export function subjectLocationSources(s: { address?: unknown; contact?: unknown; identifiers?: unknown }): LocationSource[] {
  const out: LocationSource[] = [];
  const a = isObj(s.address) ? s.address : {};
  const uprns = Array.isArray(s.identifiers)
    ? s.identifiers.filter((i): i is Json => isObj(i) && i.system === 'uprn').map((i) => str(i.value)).filter((x): x is string => !!x)
    : [];
  const lines = strs(a.lines);
  const postcode = str(a.postcode);
  const uprn = str(a.uprn);
  if (lines.length || postcode || uprn) out.push({ addressLines: lines, ...(postcode ? { postcode } : {}), ...(uprn ? { uprn } : {}) });
  for (const u of uprns) if (u !== uprn) out.push({ uprn: u });
  if (isObj(s.contact)) {
    const c = s.contact;
    const phone = str(c.phone);
    const email = str(c.email);
    const safeTimes = str(c.safeTimes);
    if (phone || email || safeTimes) {
      out.push({ phones: phone ? [phone] : [], emails: email ? [email] : [], other: safeTimes ? [safeTimes] : [] });
    }
  }
  return out;
}

/** Location knowledge of a case, from its sealed subjects and their facts. */
export function caseLocationContext(sealed: SealedSubjects, facts: readonly Pick<SubjectFacts, 'subjectId' | 'role' | 'addressConfidential'>[]): CaseLocations {
  const byId = new Map(facts.map((f) => [f.subjectId, f]));
  const subjects = sealed.subjects.map((s) => {
    const f = byId.get(s.subjectId);
    const sealedConfidential = isObj(s.address) && s.address.confidential === true;
    return {
      subjectId: s.subjectId,
      role: f?.role ?? s.role,
      // A flag raised later (an agency marked the address confidential) lives in the facts.
      addressConfidential: f?.addressConfidential === true || sealedConfidential,
      sources: subjectLocationSources(s),
    };
  });
  // Facts for a subject the sealed part lacks still count for confidentiality.
  for (const f of facts) {
    if (!subjects.some((s) => s.subjectId === f.subjectId)) {
      subjects.push({ subjectId: f.subjectId, role: f.role, addressConfidential: f.addressConfidential === true, sources: [] });
    }
  }
  return { subjects };
}

/**
 * The case's knowledge plus one response's subject results: a value an agency tagged as a
 * location (the refuge it recorded) is protected in every free-text field of the response.
 */
export function withResponseDocuments(ctx: CaseLocations, subjectResults: readonly unknown[]): CaseLocations {
  const documents = subjectResults
    .filter((d): d is Json & { subjectId: string } => isObj(d) && typeof d.subjectId === 'string')
    .map((doc) => ({ subjectId: doc.subjectId, doc }));
  return { subjects: ctx.subjects, documents: [...(ctx.documents ?? []), ...documents] };
}
