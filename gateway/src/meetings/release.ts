/**
 * The release of minutes, actions and the circulated research pack to ONE partner agency under
 * MARAC_ACTION_REVIEW (docs/decisions/0027): each agency sees what the agreement lets it see,
 * never one copy for all. Pure: the caller decides once per recipient (the policy port) and hands
 * the decision in with the engine's `redact`; nothing here reads, writes or logs.
 *
 *   const d = await policy.decide({ purpose: 'MARAC_ACTION_REVIEW', direction: 'response',
 *     from: coordinator, to: recipient, caseFacts, now });
 *   const r = releaseMinutes({ decision: d, redact: policy.redact, ... });
 *   r.released   // ReleasedMinutes for the documents, pages and agency API
 *   r.explanation, r.decision, r.reasonCode   // for the audit event
 *
 * Default deny: a DENY releases nothing (every part withheld under the deny reason); a field no
 * flow names is withheld as NOT_IN_AGREEMENT; every guardrail runs on every released node; every
 * free-text value goes through the location-in-text matcher with the case's subjects as lexicon
 * (pass `locations`, built by exchange/case-locations.ts) exactly as research free text does.
 */
import type { AuditDecision } from '../audit/types.js';
import type { CaseLocations } from '../policy/location-context.js';
import type { Explanation, PermitDecision, PolicyDecision, PolicyPort, SubjectFacts } from '../exchange/ports.js';
import type { ActionUpdate, CaseAction, MinutesDocument, ReleasedMinutes } from './types.js';

export const CIRCULATION_PURPOSE = 'MARAC_ACTION_REVIEW';

export type RedactFn = PolicyPort['redact'];

/** Agency ids (common.schema.json) and gateway ids (`req_…`): anything else in an id field is not an id. */
const AGENCY_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const GATEWAY_ID = /^[a-z]{3,4}_[0-9a-f]{32}$/;

const EMPTY_EXPLANATION: Explanation = { released: [], transformed: [], withheld: [] };

/**
 * Minutes and an action plan are about every subject of the case at once, so they are released
 * under the strictest facts of them all: a guardrail that would stop a field for any one subject
 * stops it for the document. Conditions are those recorded for every subject; para 18 only when
 * every subject may rely on it (a child, or an adult with care and support needs); explicit
 * consent only when every subject gave it; confidential when any address is. The role is VICTIM,
 * the role the location guardrails protect.
 */
export function caseWideSubject(subjects: readonly SubjectFacts[]): SubjectFacts {
  const all = <T>(pick: (s: SubjectFacts) => readonly T[] | undefined): T[] => {
    if (subjects.length === 0) return [];
    const [first, ...rest] = subjects;
    return (pick(first!) ?? []).filter((x) => rest.every((s) => (pick(s) ?? []).includes(x)));
  };
  const everyone = (p: (s: SubjectFacts) => boolean) => subjects.length > 0 && subjects.every(p);
  return {
    subjectId: 'case',
    role: 'VICTIM',
    art9Conditions: all((s) => s.art9Conditions),
    art10Conditions: all((s) => s.art10Conditions),
    part3Sch8: all((s) => s.part3Sch8),
    // An adult, so para 18 rests on care and support needs alone: true only if every subject may rely on it.
    isAdult: true,
    careAndSupportNeeds: everyone((s) => !s.isAdult || s.careAndSupportNeeds === true),
    // A child's date of birth guardrail applies if it would for any subject.
    mayBeChild: subjects.some((s) => s.mayBeChild === true || !s.isAdult || s.role === 'CHILD'),
    consentStatus: everyone((s) => s.consentStatus === 'GIVEN') ? 'GIVEN' : (subjects.find((s) => s.consentStatus !== 'GIVEN')?.consentStatus ?? 'NOT_SOUGHT_OTHER'),
    explicitConsentForSpecialCategory: everyone((s) => s.explicitConsentForSpecialCategory === true),
    addressConfidential: subjects.some((s) => s.addressConfidential === true),
  };
}

export interface ReleaseOutcome {
  /** For the audit event: PERMIT, PERMIT_WITH_TRANSFORMS or DENY. */
  decision: AuditDecision;
  reasonCode?: string;
  agreement?: { agreementId: string; version: number; warnings?: string[] };
  explanation: Explanation;
}

interface ReleaseBase {
  decision: PolicyDecision;
  redact: RedactFn;
  now: Date;
  recipientAgencyId: string;
  /** Every subject of the case, with facts judged now. */
  subjects: readonly SubjectFacts[];
  /** What locates the case's subjects (exchange/case-locations.ts): free text is cleared of it. */
  locations?: CaseLocations;
}

export interface MinutesReleaseInput extends ReleaseBase {
  caseId: string;
  meetingId: string;
  /** The minutes as recorded (unsealed); undefined when none were recorded. */
  minutes: MinutesDocument | undefined;
  /** The actions to release with them (those agreed at the meeting). */
  actions: readonly CaseAction[];
}

export type ActionsReleaseInput = ReleaseBase & { actions: readonly CaseAction[] };

/** releaseMinutes for one recipient: ReleasedMinutes plus what the audit event needs. */
export function releaseMinutes(input: MinutesReleaseInput): ReleaseOutcome & { released: ReleasedMinutes } {
  const { minutes, withheld: shapeWithheld } = minutesDoc(input.minutes);
  const r = releaseDocument(input, minutes, input.actions);
  const withheld = r.outcome.decision === 'DENY' ? r.withheld : [...shapeWithheld, ...r.withheld];
  return {
    ...r.outcome,
    released: {
      caseId: input.caseId,
      meetingId: input.meetingId,
      recipientAgencyId: input.recipientAgencyId,
      minutes: r.minutes,
      actions: r.actions,
      withheld,
    },
  };
}

/** releaseActions for one recipient: its own actions in full, the others' as the agreement says. */
export function releaseActions(input: ActionsReleaseInput): ReleaseOutcome & { actions: Partial<CaseAction>[]; withheld: { path: string; reason: string }[] } {
  const r = releaseDocument(input, undefined, input.actions);
  return { ...r.outcome, actions: r.actions, withheld: r.withheld };
}

/** The recipient's agency id picks which actions are "own": the only difference between the lists. */
function releaseDocument(input: ReleaseBase, minutes: Record<string, unknown> | undefined, actions: readonly CaseAction[]) {
  const own: { a: CaseAction; i: number }[] = [];
  const others: { a: CaseAction; i: number }[] = [];
  actions.forEach((a, i) => (a.ownerAgencyId === input.recipientAgencyId ? own : others).push({ a, i }));
  const doc: Record<string, unknown> = {};
  if (minutes && Object.keys(minutes).length > 0) doc.minutes = minutes;
  if (others.length > 0) doc.actions = others.map((x) => actionDoc(x.a));
  if (own.length > 0) doc.ownActions = own.map((x) => actionDoc(x.a));

  const d = input.decision;
  if (d.effect !== 'PERMIT') {
    const withheld = [
      ...(doc.minutes ? [{ path: 'minutes', reason: d.reason }] : []),
      ...(actions.length > 0 ? [{ path: 'actions', reason: d.reason }] : []),
    ];
    return {
      minutes: {} as Partial<MinutesDocument>,
      actions: [] as Partial<CaseAction>[],
      withheld,
      outcome: { decision: 'DENY' as AuditDecision, reasonCode: d.reason, explanation: { ...EMPTY_EXPLANATION, withheld }, ...agreementOf(d) },
    };
  }
  if (Object.keys(doc).length === 0) {
    return { minutes: {}, actions: [], withheld: [], outcome: { decision: 'PERMIT' as AuditDecision, explanation: EMPTY_EXPLANATION, ...agreementOf(d) } };
  }
  const { view, explanation: raw } = input.redact(d, doc, caseWideSubject(input.subjects), input.now, input.locations);
  // Paths as the reader knows them: `actions[i]` with i the action's place in the plan, never which list it was in.
  const remap = (path: string) => path.replace(/^(ownActions|actions)(?:\[(\d+)\])?/, (_m, list: string, k?: string) => {
    if (k === undefined) return 'actions';
    const src = (list === 'ownActions' ? own : others)[Number(k)];
    return src ? `actions[${src.i}]` : 'actions';
  });
  const explanation: Explanation = {
    released: raw.released.map((x) => ({ ...x, path: remap(x.path) })),
    transformed: raw.transformed.map((x) => ({ ...x, path: remap(x.path) })),
    withheld: raw.withheld.map((x) => ({ ...x, path: remap(x.path) })),
  };
  const order = new Map(actions.map((a, i) => [a.id, i]));
  const released = [...asList(view.ownActions), ...asList(view.actions)] as Partial<CaseAction>[];
  // By the plan's order when ids are released (the sample agreement releases them to every party).
  released.sort((x, y) => (order.get(x.id as string) ?? Infinity) - (order.get(y.id as string) ?? Infinity));
  const changed = explanation.transformed.length > 0 || explanation.withheld.length > 0;
  return {
    minutes: (view.minutes ?? {}) as Partial<MinutesDocument>,
    actions: released,
    withheld: explanation.withheld.map((w) => ({ path: w.path, reason: w.reason })),
    outcome: { decision: (changed ? 'PERMIT_WITH_TRANSFORMS' : 'PERMIT') as AuditDecision, explanation, ...agreementOf(d) },
  };
}

function agreementOf(d: PolicyDecision): Pick<ReleaseOutcome, 'agreement'> {
  if (d.effect === 'PERMIT') return { agreement: { agreementId: d.agreementId, version: d.version, ...(d.warnings?.length ? { warnings: [...d.warnings] } : {}) } };
  return d.agreementId && d.version !== undefined ? { agreement: { agreementId: d.agreementId, version: d.version } } : {};
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * The minutes as the engine reads them: only the parts of the shared model, text as text, and
 * ids that are ids (a pointer into the pack that is not an id is withheld, never passed on).
 */
function minutesDoc(m: MinutesDocument | undefined): { minutes: Record<string, unknown> | undefined; withheld: { path: string; reason: string }[] } {
  if (!m) return { minutes: undefined, withheld: [] };
  const out: Record<string, unknown> = {};
  const withheld: { path: string; reason: string }[] = [];
  for (const k of ['victimVoice', 'risks', 'decisions', 'crimesDisclosed'] as const) {
    if (typeof m[k] === 'string' && m[k]!.trim() !== '') out[k] = m[k];
  }
  if (Array.isArray(m.informationShared)) {
    out.informationShared = m.informationShared.map((x, i) => {
      const item: Record<string, unknown> = {};
      if (AGENCY_ID.test(String(x?.agencyId))) item.agencyId = x.agencyId;
      else withheld.push({ path: `minutes.informationShared[${i}].agencyId`, reason: 'TYPE_MISMATCH' });
      if (x?.requestId !== undefined) {
        if (GATEWAY_ID.test(String(x.requestId))) item.requestId = x.requestId;
        else withheld.push({ path: `minutes.informationShared[${i}].requestId`, reason: 'TYPE_MISMATCH' });
      }
      if (typeof x?.note === 'string' && x.note.trim() !== '') item.note = x.note;
      return item;
    });
  }
  if (Array.isArray(m.notShared)) {
    out.notShared = m.notShared.map((x) => ({
      ...(typeof x?.what === 'string' ? { what: x.what } : {}),
      ...(typeof x?.why === 'string' ? { why: x.why } : {}),
    }));
  }
  return { minutes: out, withheld };
}

function actionDoc(a: CaseAction): Record<string, unknown> {
  return {
    id: a.id,
    ...(a.meetingId ? { meetingId: a.meetingId } : {}),
    kind: a.kind,
    ownerAgencyId: a.ownerAgencyId,
    dueOn: a.dueOn,
    status: a.status,
    ...(a.description ? { description: a.description } : {}),
    ...(a.updates.length > 0 ? { updates: a.updates.map(updateDoc) } : {}),
  };
}

function updateDoc(u: ActionUpdate): Record<string, unknown> {
  return { at: u.at, byAgencyId: u.byAgencyId, status: u.status, ...(u.note ? { note: u.note } : {}) };
}

// ---- the circulated research pack ---------------------------------------------------------------

/** Response fields about the case as a whole (pack-service's envelope), released like the rest. */
export const ENVELOPE_FIELDS = ['agencyRiskSummary', 'proposedActions'] as const;

export interface AnswerBody {
  subjectResults: ({ subjectId: string; withheld?: { fieldPath: string; reason: string }[] } & Record<string, unknown>)[];
  [key: string]: unknown;
}

export interface CirculatedSubject {
  subjectId: string;
  role: string;
  view: Record<string, unknown>;
  /** `policy`: withheld from this recipient; `agency`: the answering agency withheld it itself. */
  withheld: { path: string; reason: string; by: 'policy' | 'agency' }[];
  transformed: { path: string; op: string }[];
}

export interface ReleasedAnswer extends ReleaseOutcome {
  subjects: CirculatedSubject[];
  envelope?: Record<string, unknown>;
  /** Per-part explanations (`<subjectId>` or `envelope`) for mergeExplanations. */
  parts: { subjectId: string; explanation: Explanation }[];
}

/**
 * Another agency's answer released onward to the recipient under MARAC_ACTION_REVIEW: each subject
 * result under that subject's facts (as the research pack does), the envelope under the case-wide
 * strictest facts. `decision` is the provider → recipient decision (pinned to the request's version).
 */
export function releaseAnswer(input: ReleaseBase & { body: AnswerBody; subjectsById?: ReadonlyMap<string, SubjectFacts> }): ReleasedAnswer {
  const d = input.decision;
  if (d.effect !== 'PERMIT') {
    return { decision: 'DENY', reasonCode: d.reason, explanation: EMPTY_EXPLANATION, subjects: [], parts: [], ...agreementOf(d) };
  }
  const byId = input.subjectsById ?? new Map(input.subjects.map((s) => [s.subjectId, s]));
  const subjects: CirculatedSubject[] = [];
  const parts: ReleasedAnswer['parts'] = [];
  for (const sr of input.body.subjectResults ?? []) {
    const facts = byId.get(sr.subjectId);
    if (!facts) continue; // a result about nobody on the case releases nothing
    const { withheld: agencyWithheld = [], ...doc } = sr;
    const { view, explanation } = input.redact(d as PermitDecision, doc, facts, input.now, input.locations);
    parts.push({ subjectId: sr.subjectId, explanation });
    subjects.push({
      subjectId: sr.subjectId,
      role: facts.role,
      view,
      transformed: explanation.transformed.map((t) => ({ path: t.path, op: t.op })),
      withheld: [
        ...explanation.withheld.map((w) => ({ path: w.path, reason: w.reason, by: 'policy' as const })),
        ...(Array.isArray(agencyWithheld) ? agencyWithheld : []).map((w) => ({ path: String(w.fieldPath), reason: String(w.reason), by: 'agency' as const })),
      ],
    });
  }
  let envelope: Record<string, unknown> | undefined;
  const envDoc: Record<string, unknown> = {};
  for (const k of ENVELOPE_FIELDS) if (input.body[k] !== undefined) envDoc[k] = input.body[k];
  if (Object.keys(envDoc).length > 0 && input.subjects.length > 0) {
    const r = input.redact(d as PermitDecision, envDoc, caseWideSubject(input.subjects), input.now, input.locations);
    parts.push({ subjectId: 'envelope', explanation: r.explanation });
    if (Object.keys(r.view).length > 0) envelope = r.view;
  }
  const changed = parts.some(({ explanation: e }) => e.transformed.length > 0 || e.withheld.length > 0);
  return {
    decision: changed ? 'PERMIT_WITH_TRANSFORMS' : 'PERMIT',
    explanation: EMPTY_EXPLANATION,
    subjects,
    ...(envelope ? { envelope } : {}),
    parts,
    ...agreementOf(d),
  };
}

/** The recipient's own answer, in full: its own records, as it sent them (its own withheld notes included). */
export function ownAnswer(body: AnswerBody, subjectsById: ReadonlyMap<string, SubjectFacts>): { subjects: CirculatedSubject[]; envelope?: Record<string, unknown> } {
  const subjects: CirculatedSubject[] = [];
  for (const sr of body.subjectResults ?? []) {
    const facts = subjectsById.get(sr.subjectId);
    if (!facts) continue;
    const { withheld: agencyWithheld = [], ...view } = sr;
    subjects.push({
      subjectId: sr.subjectId,
      role: facts.role,
      view: structuredClone(view),
      transformed: [],
      withheld: (Array.isArray(agencyWithheld) ? agencyWithheld : []).map((w) => ({ path: String(w.fieldPath), reason: String(w.reason), by: 'agency' as const })),
    });
  }
  const envelope: Record<string, unknown> = {};
  for (const k of ENVELOPE_FIELDS) if (body[k] !== undefined) envelope[k] = structuredClone(body[k]);
  return { subjects, ...(Object.keys(envelope).length > 0 ? { envelope } : {}) };
}
