/**
 * The research answer form for one request: per subject the match, the agency type's payload
 * (generated from its JSON Schema by schema-form.ts) and the fields withheld with their reasons;
 * an agency risk summary; or a decline with its reason. Reads the form back into exactly the body
 * an adapter would POST to /v1/research-requests/{id}/response (or /decline), so the browser and
 * the API share one answer path from there on.
 */
import type { AgencyType } from '../../identity/principal.js';
import { fieldCatalog, payloadKeyFor, type PayloadKey } from '../../schema/catalog.js';
import { schemaRegistry } from '../../schema/registry.js';
import { pathLabel, SUBJECT_ROLES } from '../labels.js';
import { text, type FormBody, FormErrors } from './form-values.js';
import { describeField, enumText, payloadSchema, problemText, readField, type FormField, type Option } from './schema-form.js';

export const PAYLOAD_FILES: Record<PayloadKey, string> = {
  police: 'police.schema.json',
  health: 'health.schema.json',
  housing: 'housing.schema.json',
  childrensSocialCare: 'childrens-social-care.schema.json',
  adultSocialCare: 'adult-social-care.schema.json',
  probation: 'probation.schema.json',
  idva: 'idva.schema.json',
};

export const MATCH_STATUSES: Option[] = [
  { value: 'MATCHED', text: 'Found: we hold records on this person' },
  { value: 'POSSIBLE', text: 'Possibly: a record may be this person' },
  { value: 'NOT_FOUND', text: 'Not found: we hold nothing on this person' },
];

/**
 * How sure the match is, from what the person chose: a person says found, possibly or not found;
 * an adapter's matcher may give a finer figure. Either is a valid answer in the pack.
 */
const CONFIDENCE: Record<string, number> = { MATCHED: 1, POSSIBLE: 0.5, NOT_FOUND: 0 };

const WITHHELD_REASONS = ['NOT_RELEVANT_TO_CURRENT_RISK', 'THIRD_PARTY', 'LEGAL_PRIVILEGE', 'LIVE_INVESTIGATION', 'NO_ART9_CONDITION', 'OTHER'];
const DECLINE_REASONS = ['NOT_KNOWN', 'NO_LAWFUL_BASIS', 'CONFLICT_OF_INTEREST', 'OTHER'];
const MATCHED_ON = ['nhs-number', 'pnc-id', 'uprn', 'la-child-id', 'upn', 'local', 'name', 'dob', 'address', 'postcode', 'phone', 'email'];

export const DECLINE_OPTIONS: Option[] = [
  { value: 'NOT_KNOWN', text: 'None of these people are known to us' },
  { value: 'NO_LAWFUL_BASIS', text: 'We have no lawful basis to share' },
  { value: 'CONFLICT_OF_INTEREST', text: 'We have a conflict of interest' },
  { value: 'OTHER', text: 'Another reason' },
];

const WITHHELD_OPTIONS: Option[] = WITHHELD_REASONS.map((v) => ({ value: v, text: enumText(v) }));
const MATCHED_ON_OPTIONS: Option[] = MATCHED_ON.map((v) => ({
  value: v, text: ({ 'nhs-number': 'NHS number', 'pnc-id': 'PNC ID', uprn: 'UPRN', 'la-child-id': 'Local authority child ID', upn: 'Unique pupil number', local: 'Our own reference', dob: 'Date of birth' } as Record<string, string>)[v] ?? enumText(v),
}));
const WITHHELD_MAX = 20;

export interface SubjectInRequest {
  subjectId: string;
  role: string;
}

export interface SubjectSection {
  index: number;
  subjectId: string;
  roleLabel: string;
  match: { name: string; options: Option[] };
  matchedOn: { name: string; options: Option[] };
  currentInvolvement: { name: string };
  payload?: FormField;
  withheld: { count: number; canAdd: boolean; items: { fieldPath: string; reason: string; note: string }[]; pathOptions: Option[]; reasonOptions: Option[] };
}

export interface ResearchForm {
  payloadKey?: PayloadKey;
  subjects: SubjectSection[];
}

function count(body: FormBody, name: string, action: string | undefined, max: number, min = 1): number {
  const raw = Number(text(body, `${name}.count`, 4));
  const shown = Number.isInteger(raw) && raw >= min ? Math.min(raw, max) : min;
  return action === `add:${name}` ? Math.min(shown + 1, max) : shown;
}

/** The form for the agency type and the request's subjects; `body`/`action` say how many groups to show. */
export function describeResearchForm(agencyType: AgencyType, subjects: SubjectInRequest[], body: FormBody = {}, action?: string): ResearchForm {
  const payloadKey = payloadKeyFor(agencyType);
  const catalog = fieldCatalog();
  const pathOptions: Option[] = catalog.paths()
    .filter((p) => (payloadKey && p.startsWith(`${payloadKey}.`)) || /^subject\.(names|dateOfBirth|identifiers|address|contact)\b/.test(p))
    .map((p) => ({ value: p, text: pathLabel(p) }));
  return {
    ...(payloadKey ? { payloadKey } : {}),
    subjects: subjects.map((s, i) => {
      const prefix = `s${i}`;
      const withheldName = `${prefix}.withheld`;
      const wCount = count(body, withheldName, action, WITHHELD_MAX);
      let payload: FormField | undefined;
      if (payloadKey) {
        const { node, base } = payloadSchema(PAYLOAD_FILES[payloadKey]);
        payload = describeField(node, base, { name: `${prefix}.${payloadKey}`, pointer: `/subjectResults/${i}/${payloadKey}` }, body, action);
      }
      return {
        index: i,
        subjectId: s.subjectId,
        roleLabel: SUBJECT_ROLES[s.role] ?? s.role,
        match: { name: `${prefix}.match`, options: MATCH_STATUSES },
        matchedOn: { name: `${prefix}.matchedOn`, options: MATCHED_ON_OPTIONS },
        currentInvolvement: { name: `${prefix}.currentInvolvement` },
        ...(payload ? { payload } : {}),
        withheld: {
          count: wCount,
          canAdd: wCount < WITHHELD_MAX,
          items: Array.from({ length: wCount }, (_x, j) => ({
            fieldPath: `${withheldName}.${j}.fieldPath`,
            reason: `${withheldName}.${j}.reason`,
            note: `${withheldName}.${j}.note`,
          })),
          pathOptions,
          reasonOptions: WITHHELD_OPTIONS,
        },
      };
    }),
  };
}

export type ParsedAnswer =
  | { ok: true; kind: 'response'; body: Record<string, unknown> }
  | { ok: true; kind: 'decline'; body: Record<string, unknown> }
  | { ok: false; errors: FormErrors };

/**
 * The response body the form makes, checked against the research-response schema, with every
 * problem mapped back to its field. A subject not found carries no payload (what was typed for it
 * is dropped, as the hint says).
 */
export function parseResearchAnswer(form: ResearchForm, body: FormBody): ParsedAnswer {
  const errors = new FormErrors();
  const results: Record<string, unknown>[] = [];
  const where = new Map<string, { id: string; label: string }>();
  for (const s of form.subjects) {
    const status = text(body, s.match.name, 20);
    const ptr = `/subjectResults/${s.index}`;
    where.set(`${ptr}/match`, { id: s.match.name, label: `Whether you hold records on the ${s.roleLabel.toLowerCase()}` });
    if (!MATCH_STATUSES.some((o) => o.value === status)) {
      errors.add(s.match.name, `Select whether you hold records on the ${s.roleLabel.toLowerCase()}`);
    }
    const found = status === 'MATCHED' || status === 'POSSIBLE';
    const matchedOnRaw = body[s.matchedOn.name];
    const matchedOn = [...new Set((Array.isArray(matchedOnRaw) ? matchedOnRaw : matchedOnRaw ? [matchedOnRaw] : []).filter((v) => MATCHED_ON.includes(v)))];
    const result: Record<string, unknown> = {
      subjectId: s.subjectId,
      match: { status: status || 'NOT_FOUND', confidence: CONFIDENCE[status] ?? 0, matchedOn: found ? matchedOn : [] },
      knownToAgency: found,
    };
    const involvement = text(body, s.currentInvolvement.name, 10);
    if (found && (involvement === 'true' || involvement === 'false')) result.currentInvolvement = involvement === 'true';
    if (found && s.payload && form.payloadKey) {
      const r = readField(s.payload, body);
      for (const e of r.errors) errors.add(e.field, e.message);
      for (const [k, v] of r.fields) where.set(k, v);
      if (r.value !== undefined) result[form.payloadKey] = r.value;
    }
    const withheld: Record<string, unknown>[] = [];
    for (const w of s.withheld.items) {
      const fieldPath = text(body, w.fieldPath, 300);
      const reason = text(body, w.reason, 60);
      const note = text(body, w.note, 501);
      if (!fieldPath && !reason && !note) continue;
      const wptr = `${ptr}/withheld/${withheld.length}`;
      where.set(`${wptr}/fieldPath`, { id: w.fieldPath, label: 'Field withheld' });
      where.set(`${wptr}/reason`, { id: w.reason, label: 'Reason for withholding' });
      where.set(`${wptr}/note`, { id: w.note, label: 'Note' });
      if (!s.withheld.pathOptions.some((o) => o.value === fieldPath)) errors.add(w.fieldPath, 'Select the field you are withholding');
      if (!WITHHELD_REASONS.includes(reason)) errors.add(w.reason, 'Select why you are withholding it');
      withheld.push({ fieldPath, reason, ...(note ? { note } : {}) });
    }
    result.withheld = withheld;
    results.push(result);
  }
  const out: Record<string, unknown> = { schemaVersion: '1.0', subjectResults: results };
  const summary = text(body, 'agencyRiskSummary', 4001);
  where.set('/agencyRiskSummary/text', { id: 'agencyRiskSummary', label: 'Your agency’s view of the risk' });
  if (summary) out.agencyRiskSummary = { text: summary, isOpinion: true };
  const role = text(body, 'completedByRole', 201);
  where.set('/completedByRole', { id: 'completedByRole', label: 'Your role' });
  if (role) out.completedByRole = role;

  for (const p of schemaRegistry().validate('research-response', out)) {
    const hit = where.get(p.path) ?? nearest(where, p.path);
    errors.add(hit?.id ?? 'agencyRiskSummary', problemText(p.code, hit?.label ?? 'This answer', p.message));
  }
  return errors.any ? { ok: false, errors } : { ok: true, kind: 'response', body: out };
}

/** The closest mapped field above a pointer (a problem on an object the form shows as its inputs). */
function nearest(where: Map<string, { id: string; label: string }>, pointer: string): { id: string; label: string } | undefined {
  let p = pointer;
  while (p.includes('/')) {
    p = p.slice(0, p.lastIndexOf('/'));
    const hit = where.get(p);
    if (hit) return hit;
  }
  return undefined;
}

export function parseDecline(body: FormBody): ParsedAnswer {
  const errors = new FormErrors();
  const reason = text(body, 'declineReason', 60);
  const note = text(body, 'declineNote', 501);
  if (!DECLINE_REASONS.includes(reason)) errors.add('declineReason', 'Select why you are declining');
  if (note.length > 500) errors.add('declineNote', 'The note must be 500 characters or fewer');
  if (reason === 'OTHER' && !note) errors.add('declineNote', 'Say why you are declining');
  if (errors.any) return { ok: false, errors };
  return { ok: true, kind: 'decline', body: { reason, ...(note ? { note } : {}) } };
}
