/**
 * The SafeLives Dash risk identification checklist (RIC): 24 questions, each answered yes, no or
 * not known, and the free-text "other relevant information". The score is the number of "yes"
 * answers, always computed here from the answers: a typed score is never accepted, so a referral
 * cannot claim visible high risk without the answers that make it.
 *
 * `(…)` stands for the name of the person causing harm, as on the form. The groups follow the
 * checklist's order: the current situation, the history of the abuse, and the abuser. Keys are
 * stable names used in the API and the sealed record; the number is the question's number on
 * the form.
 */

export const DASH_VERSION = 'SAFELIVES_24Q' as const;
export const DASH_ANSWERS = ['YES', 'NO', 'NOT_KNOWN'] as const;
export type DashAnswer = (typeof DASH_ANSWERS)[number];

export interface DashQuestion {
  n: number;
  key: string;
  text: string;
}

export interface DashGroup {
  heading: string;
  questions: DashQuestion[];
}

export const DASH_GROUPS: readonly DashGroup[] = [
  {
    heading: 'The current situation',
    questions: [
      { n: 1, key: 'injury', text: 'Has the current incident resulted in injury?' },
      { n: 2, key: 'veryFrightened', text: 'Are you very frightened?' },
      { n: 3, key: 'afraidOfWhat', text: 'What are you afraid of? Is it further injury or violence?' },
      { n: 4, key: 'isolated', text: 'Do you feel isolated from family or friends, that is, does (…) try to stop you from seeing friends, family, your doctor or others?' },
      { n: 5, key: 'depressedOrSuicidal', text: 'Are you feeling depressed or having suicidal thoughts?' },
      { n: 6, key: 'separated', text: 'Have you separated or tried to separate from (…) within the past year?' },
      { n: 7, key: 'childContactConflict', text: 'Is there conflict over child contact?' },
      { n: 8, key: 'stalkingOrHarassment', text: 'Does (…) constantly text, call, contact, follow, stalk or harass you?' },
      { n: 9, key: 'pregnantOrNewBaby', text: 'Are you pregnant or have you recently had a baby (within the last 18 months)?' },
    ],
  },
  {
    heading: 'The history of the abuse',
    questions: [
      { n: 10, key: 'moreOften', text: 'Is the abuse happening more often?' },
      { n: 11, key: 'gettingWorse', text: 'Is the abuse getting worse?' },
      { n: 12, key: 'controllingOrJealous', text: 'Does (…) try to control everything you do and/or are they excessively jealous?' },
      { n: 13, key: 'weapons', text: 'Has (…) ever used weapons or objects to hurt you?' },
      { n: 14, key: 'threatenedToKill', text: 'Has (…) ever threatened to kill you or someone else and you believed them?' },
      { n: 15, key: 'strangulation', text: 'Has (…) ever attempted to strangle, choke, suffocate or drown you?' },
      { n: 16, key: 'sexualAbuse', text: 'Does (…) do or say things of a sexual nature that make you feel bad or that physically hurt you or someone else?' },
      { n: 17, key: 'otherThreatener', text: 'Is there any other person who has threatened you or who you are afraid of?' },
      { n: 18, key: 'hurtOthers', text: 'Do you know if (…) has hurt anyone else?' },
      { n: 19, key: 'animalCruelty', text: 'Has (…) ever mistreated an animal or the family pet?' },
    ],
  },
  {
    heading: 'The abuser',
    questions: [
      { n: 20, key: 'financialIssues', text: 'Are there any financial issues? For example, are you dependent on (…) for money, have they recently lost their job, or are there other financial issues?' },
      { n: 21, key: 'substanceOrMentalHealth', text: 'Has (…) had problems in the past year with drugs (prescription or other), alcohol or mental health leading to problems in leading a normal life?' },
      { n: 22, key: 'suicideThreats', text: 'Has (…) ever threatened or attempted suicide?' },
      { n: 23, key: 'breachedBail', text: 'Has (…) ever broken bail, an injunction and/or a formal agreement for when they can see you and/or the children?' },
      { n: 24, key: 'criminalHistory', text: 'Do you know if (…) has ever been in trouble with the police or has a criminal history?' },
    ],
  },
];

export const DASH_QUESTIONS: readonly DashQuestion[] = DASH_GROUPS.flatMap((g) => g.questions);
export const DASH_KEYS: readonly string[] = DASH_QUESTIONS.map((q) => q.key);

export type DashAnswers = Record<string, DashAnswer>;

export interface DashInput {
  version: typeof DASH_VERSION;
  completedOn: string;
  answers: DashAnswers;
  otherRelevantInformation?: string;
}

/** The number of "yes" answers among the 24 questions (anything else counts for nothing). */
export function dashScore(answers: Readonly<Record<string, unknown>>): number {
  let score = 0;
  for (const key of DASH_KEYS) if (answers[key] === 'YES') score++;
  return score;
}

/** Keys of the 24 questions without a yes, no or not known answer. */
export function unansweredQuestions(answers: Readonly<Record<string, unknown>>): string[] {
  return DASH_KEYS.filter((k) => !(DASH_ANSWERS as readonly unknown[]).includes(answers[k]));
}
