import { DASH_KEYS } from '../../../gateway/src/referrals/dash.js';
import { sample } from '../exchange/fixtures.js';

/** 24 answers with the first `yes` questions answered YES, then NO and NOT_KNOWN alternating. */
export function dashAnswers(yes: number): Record<string, string> {
  return Object.fromEntries(DASH_KEYS.map((k, i) => [k, i < yes ? 'YES' : i % 2 === 0 ? 'NO' : 'NOT_KNOWN']));
}

/** The sample family (victim, perpetrator, child) of test/fixtures/samples/case.json as a referral. */
export function sampleReferral(opts: { yes?: number; criteria?: unknown[]; overrides?: Record<string, unknown> } = {}): any {
  const c = sample('case.json');
  return {
    referrer: { name: 'Pat Officer', role: 'Police constable', phone: '01245 000000' },
    subjects: c.subjects,
    dash: {
      version: 'SAFELIVES_24Q',
      completedOn: '2026-01-20',
      answers: dashAnswers(opts.yes ?? 16),
      otherRelevantInformation: 'She says the threats got worse after the court hearing (fictional sample).',
    },
    criteria: opts.criteria ?? [],
    victimAwareOfReferral: true,
    equality: { gender: 'FEMALE', age: 35, ethnicity: 'WHITE', disability: 'NO', sexualOrientation: 'HETEROSEXUAL', pregnancy: 'NO' },
    ...opts.overrides,
  };
}

const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');

/** A new victim each call (no identifier in common with the sample family or any other call). */
export function otherVictim(referral: any): any {
  const subjects = structuredClone(referral.subjects);
  subjects[0].names = [{ given: ['Anna'], family: `Otherly${letters(8)}`, use: 'official' }];
  subjects[0].dobs = ['1985-02-03'];
  subjects[0].identifiers = [{ system: 'nhs-number', value: String(Math.floor(1e9 + Math.random() * 8.9e9)) }];
  return { ...referral, subjects };
}

let n = 0;
export const key = () => `ref-test-${process.pid}-${Date.now()}-${n++}`;

/**
 * The referral web form filled in for the sample family: the case form's people fields (from the
 * web world) without its meeting and criteria, plus the referrer, the 24 answers and the criteria.
 */
export function referralFormFields(caseForm: Record<string, string | string[]>, opts: { yes: number; criteria?: Record<string, string | string[]> }): Record<string, string | string[]> {
  const people = Object.fromEntries(Object.entries(caseForm).filter(([k]) => !/^(meetingDate|criteria|dashScore|dashVersion|policeCallouts12m|lastReferral|pjRationale|externalRef|isEmergency)/.test(k)));
  const answers = Object.fromEntries(Object.entries(dashAnswers(opts.yes)).map(([k, v]) => [`dash-${k}`, v]));
  return {
    ...people,
    'referrer-name': 'Pat Officer',
    'referrer-role': 'IDVA',
    'dash-completedOn-day': '1',
    'dash-completedOn-month': '12',
    'dash-completedOn-year': '2026',
    ...answers,
    'dash-other': 'Threats after the hearing (fictional).',
    'eq-gender': 'FEMALE',
    'eq-ethnicity': 'WHITE',
    'eq-age': '36',
    ...opts.criteria,
  };
}
