import type { ProblemDetail } from '../../errors.js';
import type { CaseInput, CaseSubjectInput } from '../../exchange/case-service.js';
import { isValidPncId, isValidPostcode, normaliseNhsNumber } from '../../policy/operators/index.js';
import { ART10_CONDITIONS, ART9_CONDITIONS, CONSENT_STATUSES, RISK_CRITERIA } from '../labels.js';
import { checked, dateInput, FormErrors, oneOf, text, wholeNumber, type FormBody } from './form-values.js';

/**
 * The referral ("open a case") form: flat field names → the case body the exchange validates.
 * Sections: the case, the four MARAC criteria, then one section per person: the victim, the
 * perpetrator and one or more children (the "add another child" button works without JavaScript:
 * it posts the form back with one more section).
 *
 * Field names are also the input ids, so each error links to its field.
 */

export const MAX_CHILDREN = 6;
export const CRITERIA = Object.keys(RISK_CRITERIA);
export const DASH_VERSIONS = ['SAFELIVES_24Q', 'SAFELIVES_YP', 'POLICE_DASH'] as const;
export const CONSENT = Object.keys(CONSENT_STATUSES);
export const ART9 = Object.keys(ART9_CONDITIONS);
export const ART10 = Object.keys(ART10_CONDITIONS);
export const SEX = ['F', 'M', 'X', 'NOT_KNOWN'] as const;
export const RELATIONSHIPS = {
  perpetrator: ['PARTNER', 'EX_PARTNER', 'FAMILY_MEMBER', 'HOUSEHOLD_MEMBER', 'OTHER'],
  child: ['CHILD_OF_VICTIM', 'CHILD_OF_PERPETRATOR', 'HOUSEHOLD_MEMBER', 'OTHER'],
} as const;

export interface SubjectSlot {
  /** Field-name prefix, also the subject key sent to the exchange. */
  prefix: string;
  role: 'VICTIM' | 'PERPETRATOR' | 'CHILD';
  heading: string;
  /** A child section left blank is simply not a subject. */
  optional: boolean;
}

export function childCount(body: FormBody, action?: string): number {
  const n = Number(text(body, 'childCount', 3)) || 1;
  const wanted = action === 'add-child' ? n + 1 : n;
  return Math.min(Math.max(wanted, 1), MAX_CHILDREN);
}

export function subjectSlots(children: number): SubjectSlot[] {
  const slots: SubjectSlot[] = [
    { prefix: 'victim', role: 'VICTIM', heading: 'Victim', optional: false },
    { prefix: 'perpetrator', role: 'PERPETRATOR', heading: 'Perpetrator', optional: false },
  ];
  for (let i = 1; i <= children; i++) {
    slots.push({ prefix: `child${i}`, role: 'CHILD', heading: children > 1 ? `Child ${i}` : 'Child', optional: true });
  }
  return slots;
}

function ageOn(dob: string, today: string): number {
  const [y, m, d] = dob.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  return ty - y - (tm < m || (tm === m && td < d) ? 1 : 0);
}

function namesFrom(given: string, family: string, aliases: string): CaseSubjectInput['names'] {
  const names: { given?: string[]; family: string; use: string }[] = [];
  const g = given.split(/\s+/).filter(Boolean).slice(0, 10);
  names.push({ ...(g.length ? { given: g } : {}), family, use: 'official' });
  // One alias per line, "Given names Family name": the last word is the family name.
  for (const line of aliases.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).slice(0, 10)) {
    const words = line.split(/\s+/);
    const fam = words.pop()!.slice(0, 100);
    names.push({ ...(words.length ? { given: words.map((w) => w.slice(0, 100)) } : {}), family: fam, use: 'alias' });
  }
  return names;
}

function isBlankChild(body: FormBody, p: string): boolean {
  return ['given', 'family', 'dob-day', 'dob-month', 'dob-year', 'nhs', 'localId'].every((k) => !text(body, `${p}-${k}`));
}

export type CaseFormResult =
  | { ok: true; body: CaseInput; slots: SubjectSlot[] }
  | { ok: false; errors: FormErrors; slots: SubjectSlot[] };

/** `maracArea` is accepted for callers' sake and not sent: a case's area is the coordinator's registered one. */
export function parseCaseForm(raw: FormBody, opts: { maracArea?: string; today: string }): CaseFormResult {
  const body = raw;
  const errors = new FormErrors();
  const slots = subjectSlots(childCount(body));

  const meeting = dateInput(body, 'meetingDate');
  if (meeting.kind === 'empty') errors.add('meetingDate-day', 'Enter the date of the MARAC meeting');
  else if (meeting.kind === 'invalid') errors.add('meetingDate-day', `Date of the MARAC meeting ${meeting.message}`);
  else if (meeting.iso < opts.today) errors.add('meetingDate-day', 'Date of the MARAC meeting must be today or in the future');

  const externalRef = text(body, 'externalRef', 200);
  if (externalRef && !/^[A-Za-z0-9/._:-]{1,100}$/.test(externalRef)) {
    errors.add('externalRef', 'Local reference must be 100 characters or fewer and use only letters, numbers and / . _ : -');
  }

  const criteria = checked(body, 'criteria', CRITERIA);
  if (criteria.length === 0) errors.add('criteria', 'Select at least one referral criterion');
  const dash = wholeNumber(body, 'dashScore', 0, 24);
  if (dash.kind === 'invalid') errors.add('dashScore', 'Dash score must be a whole number from 0 to 24');
  else if (dash.kind === 'empty' && criteria.includes('VISIBLE_HIGH_RISK')) errors.add('dashScore', 'Enter the Dash score for a visible high risk referral');
  const dashVersion = oneOf(body, 'dashVersion', DASH_VERSIONS);
  const callouts = wholeNumber(body, 'policeCallouts12m', 0, 1000);
  if (callouts.kind === 'invalid') errors.add('policeCallouts12m', 'Police call-outs must be a whole number from 0 to 1000');
  else if (callouts.kind === 'empty' && criteria.includes('POTENTIAL_ESCALATION')) {
    errors.add('policeCallouts12m', 'Enter the number of police call-outs in the last 12 months for potential escalation');
  }
  const last = dateInput(body, 'lastReferral');
  if (last.kind === 'invalid') errors.add('lastReferral-day', `Date of the last MARAC referral ${last.message}`);
  else if (last.kind === 'date' && last.iso > opts.today) errors.add('lastReferral-day', 'Date of the last MARAC referral must be in the past');
  else if (last.kind === 'empty' && criteria.includes('REPEAT')) errors.add('lastReferral-day', 'Enter the date of the last MARAC referral for a repeat referral');
  const rationale = text(body, 'pjRationale', 5000);
  if (rationale.length > 4000) errors.add('pjRationale', 'Professional judgement rationale must be 4000 characters or fewer');
  else if (!rationale && criteria.includes('PROFESSIONAL_JUDGEMENT')) errors.add('pjRationale', 'Explain the professional judgement');

  const subjects: CaseSubjectInput[] = [];
  for (const slot of slots) {
    const p = slot.prefix;
    if (slot.optional && isBlankChild(body, p)) continue;
    const who = slot.heading.toLowerCase();
    const given = text(body, `${p}-given`, 300);
    const family = text(body, `${p}-family`, 300);
    if (!family) errors.add(`${p}-family`, `Enter the ${who}’s family name`);
    else if (family.length > 100) errors.add(`${p}-family`, `The ${who}’s family name must be 100 characters or fewer`);
    if (given.split(/\s+/).some((g) => g.length > 100)) errors.add(`${p}-given`, `Each of the ${who}’s given names must be 100 characters or fewer`);
    const aliases = text(body, `${p}-aliases`, 3000);

    const dob = dateInput(body, `${p}-dob`);
    if (dob.kind === 'invalid') errors.add(`${p}-dob-day`, `The ${who}’s date of birth ${dob.message}`);
    else if (dob.kind === 'date' && dob.iso > opts.today) errors.add(`${p}-dob-day`, `The ${who}’s date of birth must be in the past`);
    else if (dob.kind === 'empty' && slot.role !== 'PERPETRATOR') errors.add(`${p}-dob-day`, `Enter the ${who}’s date of birth`);
    else if (dob.kind === 'date' && slot.role === 'CHILD' && ageOn(dob.iso, opts.today) >= 18) {
      errors.add(`${p}-dob-day`, `The ${who} must be under 18; record an adult as another person`);
    }

    const identifiers: { system: string; value: string }[] = [];
    const nhs = text(body, `${p}-nhs`, 40);
    if (nhs) {
      const n = normaliseNhsNumber(nhs);
      if (!n) errors.add(`${p}-nhs`, `Enter a real NHS number for the ${who}, like 943 476 5919`);
      else identifiers.push({ system: 'nhs-number', value: n });
    }
    const pnc = text(body, `${p}-pnc`, 40);
    if (pnc) {
      if (!isValidPncId(pnc)) errors.add(`${p}-pnc`, `Enter a real PNC ID for the ${who}, like 19/0456789Y`);
      else identifiers.push({ system: 'pnc-id', value: pnc.toUpperCase() });
    }
    const localId = text(body, `${p}-localId`, 80);
    if (localId) {
      if (!/^[A-Za-z0-9/ ._-]{1,64}$/.test(localId)) errors.add(`${p}-localId`, 'Local child ID must be 64 characters or fewer: letters, numbers, spaces and / . _ -');
      else identifiers.push({ system: 'la-child-id', value: localId });
    }

    const lines = text(body, `${p}-addressLines`, 2000).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    const postcode = text(body, `${p}-postcode`, 20).toUpperCase();
    if (lines.length > 6 || lines.some((l) => l.length > 200)) errors.add(`${p}-addressLines`, 'Address must be 6 lines or fewer, each 200 characters or fewer');
    if (postcode && !isValidPostcode(postcode)) errors.add(`${p}-postcode`, `Enter a real postcode for the ${who}`);
    const confidential = text(body, `${p}-addressConfidential`) === 'yes';
    const address = lines.length || postcode ? { ...(lines.length ? { lines } : {}), ...(postcode ? { postcode } : {}), confidential } : undefined;

    let contact: Record<string, unknown> | undefined;
    if (slot.role === 'VICTIM') {
      const phone = text(body, 'victim-phone', 40);
      const safeTimes = text(body, 'victim-safeTimes', 600);
      if (phone && !/^[0-9+() -]{3,32}$/.test(phone)) errors.add('victim-phone', 'Enter a phone number, like 07700 900 982');
      if (safeTimes.length > 500) errors.add('victim-safeTimes', 'Safe times to call must be 500 characters or fewer');
      const leave = oneOf(body, 'victim-safeToLeaveMessage', ['yes', 'no'] as const);
      if (phone || safeTimes || leave) {
        contact = { ...(phone ? { phone } : {}), ...(safeTimes ? { safeTimes } : {}), ...(leave ? { safeToLeaveMessage: leave === 'yes' } : {}) };
      }
    }

    const relationship = slot.role === 'VICTIM'
      ? 'SELF'
      : oneOf(body, `${p}-relationship`, slot.role === 'PERPETRATOR' ? RELATIONSHIPS.perpetrator : RELATIONSHIPS.child);
    if (!relationship) errors.add(`${p}-relationship`, `Select the ${who}’s relationship to the victim`);
    const sex = oneOf(body, `${p}-sex`, SEX);

    const consent = oneOf(body, `${p}-consent`, CONSENT);
    if (!consent) errors.add(`${p}-consent`, `Select the consent position for the ${who}`);
    // Sharing without consent (anything but GIVEN): why, who decided and when, as the API requires.
    const withoutConsent = consent !== undefined && consent !== 'GIVEN';
    const consentRationale = text(body, `${p}-consentRationale`, 5000);
    if (consentRationale.length > 4000) errors.add(`${p}-consentRationale`, 'Reason must be 4000 characters or fewer');
    else if (!consentRationale && withoutConsent) {
      errors.add(`${p}-consentRationale`, `Explain why information about the ${who} is shared without consent`);
    }
    const decidedBy = text(body, `${p}-consentDecidedBy`, 300);
    if (decidedBy.length > 200) errors.add(`${p}-consentDecidedBy`, 'Who decided must be 200 characters or fewer');
    else if (!decidedBy && withoutConsent) errors.add(`${p}-consentDecidedBy`, `Enter who decided to share information about the ${who} without consent`);
    const decidedAt = dateInput(body, `${p}-consentDecidedAt`);
    if (decidedAt.kind === 'invalid') errors.add(`${p}-consentDecidedAt-day`, `The date of the decision ${decidedAt.message}`);
    else if (decidedAt.kind === 'date' && decidedAt.iso > opts.today) errors.add(`${p}-consentDecidedAt-day`, 'The date of the decision must be today or in the past');
    else if (decidedAt.kind === 'empty' && withoutConsent) errors.add(`${p}-consentDecidedAt-day`, 'Enter when the decision to share without consent was made');
    const explicit = text(body, `${p}-explicitConsent`) === 'yes';
    const art9 = checked(body, `${p}-art9`, ART9);
    const art10 = checked(body, `${p}-art10`, ART10);
    if (explicit && consent !== 'GIVEN') errors.add(`${p}-explicitConsent`, 'Explicit consent for special category data needs consent to be given');
    if (art9.includes('EXPLICIT_CONSENT') && !explicit) errors.add(`${p}-art9`, 'Explicit consent as a condition needs explicit consent to be recorded');
    const care = oneOf(body, `${p}-careNeeds`, ['yes', 'no'] as const);
    if (!care && slot.role !== 'CHILD') errors.add(`${p}-careNeeds`, `Select whether the ${who} has care and support needs`);
    const isAdult = slot.role !== 'CHILD' && !(dob.kind === 'date' && ageOn(dob.iso, opts.today) < 18);
    // DPA 2018 Sch 1 para 18 covers children and adults at risk only (the exchange checks again).
    if (art9.includes('DPA_SCH1_P18') && isAdult && care !== 'yes') {
      errors.add(`${p}-art9`, `Para 18 cannot be used for the ${who}: an adult without care and support needs. Choose another condition`);
    }

    subjects.push({
      key: p,
      role: slot.role,
      names: namesFrom(given, family, aliases),
      dobs: dob.kind === 'date' ? [dob.iso] : [],
      identifiers,
      ...(sex ? { sexOrGender: sex } : {}),
      ...(address ? { address } : {}),
      ...(contact ? { contact } : {}),
      relationshipToVictim: relationship ?? 'OTHER',
      consent: {
        status: consent ?? 'NOT_SOUGHT_OTHER',
        explicitForSpecialCategory: explicit,
        ...(consentRationale ? { rationale: consentRationale } : {}),
        ...(decidedBy ? { decidedBy } : {}),
        ...(decidedAt.kind === 'date' ? { decidedAt: decidedAt.iso } : {}),
      },
      legal: { art9Conditions: art9, art10Conditions: art10, careAndSupportNeeds: slot.role === 'CHILD' ? care === 'yes' : care === 'yes' },
    });
  }
  if (!subjects.some((s) => s.role === 'CHILD') && text(body, 'noChildren') !== 'yes') {
    errors.add('child1-family', 'Enter at least one child, or confirm there are no children in the household');
  }

  if (errors.any) return { ok: false, errors, slots };
  const riskBasis: CaseInput['riskBasis'] = {
    criteria,
    ...(dash.kind === 'int' ? { dashScore: dash.value, dashVersion: dashVersion ?? 'SAFELIVES_24Q' } : {}),
    ...(callouts.kind === 'int' ? { policeCallouts12m: callouts.value } : {}),
    ...(last.kind === 'date' ? { lastMaracReferralDate: last.iso } : {}),
    ...(rationale ? { professionalJudgementRationale: rationale } : {}),
  };
  return {
    ok: true,
    slots,
    body: {
      meetingDate: (meeting as { iso: string }).iso,
      isEmergency: text(body, 'isEmergency') === 'yes',
      riskBasis,
      subjects,
      ...(externalRef ? { externalRef } : {}),
    },
  };
}

/**
 * The exchange's own checks (schema, lawful basis) report JSON Pointers into the case body; map
 * them back to the form's fields so they show next to the right input.
 */
export function fieldForProblem(problem: ProblemDetail, body: CaseInput): string {
  const parts = problem.path.split('/').filter(Boolean);
  if (parts[0] === 'subjects' && parts[1] !== undefined) {
    const subject = body.subjects[Number(parts[1])];
    const p = subject?.key ?? 'victim';
    const rest = parts.slice(2);
    const map: Record<string, string> = {
      names: `${p}-family`, dobs: `${p}-dob-day`, identifiers: `${p}-nhs`, address: `${p}-addressLines`, contact: `${p}-phone`,
      consent: `${p}-consent`, relationshipToVictim: `${p}-relationship`, sexOrGender: `${p}-sex`, key: `${p}-family`,
    };
    if (rest[0] === 'legal') return rest[1] === 'art10Conditions' ? `${p}-art10` : rest[1] === 'careAndSupportNeeds' ? `${p}-careNeeds` : `${p}-art9`;
    if (rest[0] === 'consent' && rest[1] === 'rationale') return `${p}-consentRationale`;
    if (rest[0] === 'consent' && rest[1] === 'decidedBy') return `${p}-consentDecidedBy`;
    if (rest[0] === 'consent' && rest[1] === 'decidedAt') return `${p}-consentDecidedAt-day`;
    return map[rest[0] ?? ''] ?? `${p}-family`;
  }
  if (parts[0] === 'riskBasis') {
    const map: Record<string, string> = {
      criteria: 'criteria', dashScore: 'dashScore', dashVersion: 'dashVersion', policeCallouts12m: 'policeCallouts12m',
      lastMaracReferralDate: 'lastReferral-day', professionalJudgementRationale: 'pjRationale',
    };
    return map[parts[1] ?? ''] ?? 'criteria';
  }
  if (parts[0] === 'meetingDate') return 'meetingDate-day';
  if (parts[0] === 'externalRef') return 'externalRef';
  return 'meetingDate-day';
}
