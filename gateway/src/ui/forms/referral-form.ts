import type { ProblemDetail } from '../../errors.js';
import type { Criterion } from '../../referrals/criteria-config.js';
import type { CriterionClaim } from '../../referrals/criteria.js';
import { DASH_ANSWERS, DASH_QUESTIONS, DASH_VERSION, dashScore } from '../../referrals/dash.js';
import type { ReferralInput } from '../../referrals/service.js';
import { fieldForProblem, parseCaseForm } from './case-form.js';
import { dateInput, FormErrors, oneOf, text, wholeNumber, type FormBody } from './form-values.js';

/**
 * The referral form: the referrer, the people (the same sections, fields and checks as the case
 * form, so a referral's subjects are a case's subjects), the 24 Dash questions as yes / no / not
 * known radios, the area's criteria with their evidence, and the optional equality data.
 * Field names are the input ids, so each error links to its field.
 */

export const EQUALITY = {
  gender: { FEMALE: 'Female', MALE: 'Male', NON_BINARY: 'Non-binary', OTHER: 'Another gender', NOT_KNOWN: 'Not known', PREFER_NOT_TO_SAY: 'Prefers not to say' },
  ethnicity: {
    ASIAN_OR_ASIAN_BRITISH: 'Asian or Asian British', BLACK_OR_BLACK_BRITISH: 'Black, Black British, Caribbean or African',
    MIXED_OR_MULTIPLE: 'Mixed or multiple ethnic groups', WHITE: 'White', OTHER_ETHNIC_GROUP: 'Another ethnic group',
    NOT_KNOWN: 'Not known', PREFER_NOT_TO_SAY: 'Prefers not to say',
  },
  disability: { YES: 'Yes', NO: 'No', NOT_KNOWN: 'Not known', PREFER_NOT_TO_SAY: 'Prefers not to say' },
  sexualOrientation: {
    HETEROSEXUAL: 'Heterosexual or straight', GAY_OR_LESBIAN: 'Gay or lesbian', BISEXUAL: 'Bisexual', OTHER: 'Another sexual orientation',
    NOT_KNOWN: 'Not known', PREFER_NOT_TO_SAY: 'Prefers not to say',
  },
  pregnancy: { YES: 'Yes', NO: 'No', NOT_KNOWN: 'Not known' },
} as const;

export const DASH_ANSWER_LABELS: Record<string, string> = { YES: 'Yes', NO: 'No', NOT_KNOWN: 'Not known' };

export type ReferralFormResult = { ok: true; body: ReferralInput } | { ok: false; errors: FormErrors };

const dashField = (key: string) => `dash-${key}`;
export const criterionField = (id: string, part: string) => `crit-${id}-${part}`;

/** The case form's own checks for the people; its meeting and criteria fields are not on this form. */
function parseSubjects(body: FormBody, opts: { maracArea: string; today: string }) {
  const [y, m, d] = opts.today.split('-');
  const parsed = parseCaseForm(
    { ...body, 'meetingDate-day': d, 'meetingDate-month': m, 'meetingDate-year': y, criteria: 'PROFESSIONAL_JUDGEMENT', pjRationale: 'referral', externalRef: '' },
    opts,
  );
  return parsed;
}

export function parseReferralForm(body: FormBody, opts: { maracArea: string; today: string; criteria: readonly Criterion[] }): ReferralFormResult {
  const errors = new FormErrors();

  const referrerName = text(body, 'referrer-name', 300);
  const referrerRole = text(body, 'referrer-role', 300);
  const referrerPhone = text(body, 'referrer-phone', 40);
  const referrerEmail = text(body, 'referrer-email', 300);
  if (!referrerName) errors.add('referrer-name', 'Enter your name');
  else if (referrerName.length > 200) errors.add('referrer-name', 'Your name must be 200 characters or fewer');
  if (!referrerRole) errors.add('referrer-role', 'Enter your role');
  else if (referrerRole.length > 200) errors.add('referrer-role', 'Your role must be 200 characters or fewer');
  if (referrerPhone && !/^[0-9+() -]{3,32}$/.test(referrerPhone)) errors.add('referrer-phone', 'Enter a phone number, like 01245 000 000');
  if (referrerEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(referrerEmail)) errors.add('referrer-email', 'Enter an email address, like name@example.org');

  const subjects = parseSubjects(body, opts);
  if (!subjects.ok) for (const e of subjects.errors.items) errors.add(e.field, e.message);

  const completed = dateInput(body, 'dash-completedOn');
  if (completed.kind === 'empty') errors.add('dash-completedOn-day', 'Enter the date the checklist was completed');
  else if (completed.kind === 'invalid') errors.add('dash-completedOn-day', `The date the checklist was completed ${completed.message}`);
  else if (completed.iso > opts.today) errors.add('dash-completedOn-day', 'The date the checklist was completed must be today or in the past');
  const answers: Record<string, (typeof DASH_ANSWERS)[number]> = {};
  for (const q of DASH_QUESTIONS) {
    const a = oneOf(body, dashField(q.key), DASH_ANSWERS);
    if (!a) errors.add(dashField(q.key), `Answer question ${q.n}: yes, no or not known`);
    else answers[q.key] = a;
  }
  const other = text(body, 'dash-other', 5000);
  if (other.length > 4000) errors.add('dash-other', 'Other relevant information must be 4000 characters or fewer');

  const chosen = new Set(Array.isArray(body.referralCriteria) ? body.referralCriteria : body.referralCriteria ? [body.referralCriteria] : []);
  const claims: CriterionClaim[] = [];
  for (const c of opts.criteria) {
    if (!chosen.has(c.id)) continue;
    const claim: CriterionClaim = { id: c.id };
    const what = c.title.toLowerCase();
    if (c.kind === 'judgement' || c.kind === 'confirmation') {
      const why = text(body, criterionField(c.id, 'rationale'), 5000);
      if (why.length > 4000) errors.add(criterionField(c.id, 'rationale'), 'Reasons must be 4000 characters or fewer');
      else if (!why && (c.kind === 'judgement' || c.requiresRationale)) errors.add(criterionField(c.id, 'rationale'), `Give your reasons for ${what}`);
      if (why) claim.rationale = why;
    }
    if (c.kind === 'confirmation') {
      if (text(body, criterionField(c.id, 'confirmed')) !== 'yes') errors.add(criterionField(c.id, 'confirmed'), `Tick the box to confirm ${what}: ${c.confirm}`);
      else claim.confirmed = true;
    }
    if (c.kind === 'policeCallouts') {
      const n = wholeNumber(body, criterionField(c.id, 'callouts'), 0, 1000);
      if (n.kind === 'empty') errors.add(criterionField(c.id, 'callouts'), `Enter the number of police call-outs in the last ${c.withinMonths} months`);
      else if (n.kind === 'invalid') errors.add(criterionField(c.id, 'callouts'), 'Police call-outs must be a whole number from 0 to 1000');
      else claim.policeCallouts12m = n.value;
    }
    if (c.kind === 'repeat') {
      const last = dateInput(body, criterionField(c.id, 'last'));
      if (last.kind === 'invalid') errors.add(`${criterionField(c.id, 'last')}-day`, `Date of the last MARAC referral ${last.message}`);
      else if (last.kind === 'date' && last.iso > opts.today) errors.add(`${criterionField(c.id, 'last')}-day`, 'Date of the last MARAC referral must be in the past');
      else if (last.kind === 'date') claim.lastMaracReferralDate = last.iso;
    }
    claims.push(claim);
  }

  const equality: Record<string, string | number> = {};
  for (const k of ['gender', 'ethnicity', 'disability', 'sexualOrientation', 'pregnancy'] as const) {
    const v = oneOf(body, `eq-${k}`, Object.keys(EQUALITY[k]));
    if (v) equality[k] = v;
  }
  const age = wholeNumber(body, 'eq-age', 0, 120);
  if (age.kind === 'invalid') errors.add('eq-age', 'Age must be a whole number from 0 to 120');
  else if (age.kind === 'int') equality.age = age.value;
  const aware = oneOf(body, 'victimAware', ['yes', 'no'] as const);

  if (errors.any || !subjects.ok) return { ok: false, errors };
  return {
    ok: true,
    body: {
      referrer: { name: referrerName, role: referrerRole, ...(referrerPhone ? { phone: referrerPhone } : {}), ...(referrerEmail ? { email: referrerEmail } : {}) },
      subjects: subjects.body.subjects,
      dash: { version: DASH_VERSION, completedOn: (completed as { iso: string }).iso, answers, ...(other ? { otherRelevantInformation: other } : {}) },
      criteria: claims,
      ...(aware ? { victimAwareOfReferral: aware === 'yes' } : {}),
      ...(Object.keys(equality).length > 0 ? { equality } : {}),
    },
  };
}

/** The score as the answers on the form stand (shown back when the form has errors). */
export function scoreOf(body: FormBody): number {
  return dashScore(Object.fromEntries(DASH_QUESTIONS.map((q) => [q.key, text(body, dashField(q.key), 20)])));
}

/** The service's problems (JSON Pointers into the referral body) as form fields. */
export function fieldForReferralProblem(p: ProblemDetail, body: ReferralInput): string {
  const parts = p.path.split('/').filter(Boolean);
  if (parts[0] === 'subjects') return fieldForProblem(p, { meetingDate: '', riskBasis: { criteria: [] }, subjects: body.subjects });
  if (parts[0] === 'criteria' && parts[1] !== undefined) {
    const claim = body.criteria[Number(parts[1])];
    const part = parts[2] === 'policeCallouts12m' ? 'callouts' : parts[2] === 'confirmed' ? 'confirmed' : parts[2] === 'lastMaracReferralDate' ? 'last-day' : 'rationale';
    return claim ? criterionField(claim.id, part) : 'referralCriteria';
  }
  if (parts[0] === 'dash') return parts[1] === 'answers' && parts[2] ? dashField(parts[2]) : 'dash-completedOn-day';
  if (parts[0] === 'referrer') return `referrer-${parts[1] ?? 'name'}`;
  if (parts[0] === 'equality') return `eq-${parts[1] ?? 'gender'}`;
  return 'referrer-name';
}
