import type { CaseDetails, CaseDetailsSubject } from '../../exchange/case-details.js';
import { ART10_CONDITIONS, ART9_CONDITIONS, CONSENT_STATUSES, SUBJECT_ROLES } from '../labels.js';
import { humaniseCode, scalarText } from './released-view.js';

/** "Who the case is about" on the case page and in the pack: one summary list per person. */

const IDENTIFIERS: Record<string, string> = {
  'nhs-number': 'NHS number',
  'pnc-id': 'PNC ID',
  uprn: 'UPRN',
  'la-child-id': 'Local child ID',
};

/** Police Part 3 (DPA 2018 Sch 8) conditions, as the case form offers them. */
const SCH8: Record<string, string> = {
  SCH8_P1: 'Sch 8 para 1: statutory purposes',
  SCH8_P2: 'Sch 8 para 2: administration of justice',
  SCH8_P3: 'Sch 8 para 3: protecting an individual’s vital interests',
  SCH8_P4: 'Sch 8 para 4: safeguarding children and individuals at risk',
  SCH8_P5: 'Sch 8 para 5: made public by the data subject',
  SCH8_P6: 'Sch 8 para 6: legal claims',
  SCH8_P7: 'Sch 8 para 7: judicial acts',
  SCH8_P8: 'Sch 8 para 8: preventing fraud',
  SCH8_P9: 'Sch 8 para 9: archiving, research and statistics',
};

const RELATIONSHIPS: Record<string, string> = { SELF: '' };

function nameText(n: CaseDetailsSubject['names'][number]): string {
  return scalarText(n);
}

function dobText(dobs: string[], ageNow: number | undefined): string {
  if (dobs.length === 0) return 'Not known';
  const first = `${scalarText(dobs[0])}${ageNow !== undefined ? ` (${ageNow} today)` : ''}`;
  return [first, ...dobs.slice(1).map((d) => `also recorded: ${scalarText(d)}`)].join('; ');
}

function conditions(list: string[], labels: Record<string, string>): string {
  return list.length ? list.map((c) => labels[c] ?? c).join('; ') : 'None recorded';
}

function row(key: string, text: string) {
  return { key: { text: key }, value: { text } };
}

export function caseAboutView(d: CaseDetails) {
  const counts = new Map<string, number>();
  for (const s of d.subjects) counts.set(s.role, (counts.get(s.role) ?? 0) + 1);
  const seen = new Map<string, number>();
  const people = d.subjects.map((s) => {
    const n = (seen.get(s.role) ?? 0) + 1;
    seen.set(s.role, n);
    const role = `${SUBJECT_ROLES[s.role] ?? s.role}${(counts.get(s.role) ?? 0) > 1 ? ` ${n}` : ''}`;
    const [main, ...aliases] = s.names;
    const rows = [
      row('Name', main ? nameText(main) : 'Not known'),
      ...(aliases.length ? [row('Also known as', aliases.map(nameText).join('; '))] : []),
      row('Date of birth', dobText(s.dobs, s.ageNow)),
      ...(s.sexOrGender ? [row('Sex or gender', s.sexOrGender === 'F' ? 'Female' : s.sexOrGender === 'M' ? 'Male' : humaniseCode(s.sexOrGender))] : []),
      ...(s.relationshipToVictim && RELATIONSHIPS[s.relationshipToVictim] !== '' ? [row('Relationship to the victim', humaniseCode(s.relationshipToVictim))] : []),
      ...s.identifiers.map((i) => row(IDENTIFIERS[i.system] ?? i.system, i.value)),
      row('Address', s.address === null ? 'Not recorded'
        : s.address.confidential ? 'Confidential: not shown here. Released only to police and IDVA, as the agreements allow.'
          : [...s.address.lines, s.address.postcode].filter(Boolean).join(', ')),
      row('Consent', [
        CONSENT_STATUSES[s.consent.status] ?? humaniseCode(s.consent.status),
        s.consent.explicitForSpecialCategory ? 'explicit consent for special category data' : '',
      ].filter(Boolean).join('; ')),
      ...(s.consent.rationale ? [row('Why', s.consent.rationale)] : []),
      ...(s.consent.decidedBy || s.consent.decidedAt
        ? [row('Decided by', [s.consent.decidedBy, s.consent.decidedAt ? `on ${scalarText(s.consent.decidedAt)}` : ''].filter(Boolean).join(' '))]
        : []),
      row('Art 9 conditions (special category data)', conditions(s.legal.art9Conditions, ART9_CONDITIONS)),
      row('Art 10 conditions (criminal offence data)', conditions(s.legal.art10Conditions, ART10_CONDITIONS)),
      ...(s.legal.part3Sch8.length ? [row('Police (DPA 2018 Part 3, Sch 8)', conditions(s.legal.part3Sch8, SCH8))] : []),
      row('Care and support needs', s.legal.careAndSupportNeeds ? 'Yes' : 'No'),
    ];
    return { role, name: main ? nameText(main) : role, rows };
  });
  // The criteria are in the pack's own summary above: not repeated here.
  const summary = [
    ...(d.localReference ? [row('Local reference', d.localReference)] : []),
    row('Dash score', d.dashScore !== undefined ? `${d.dashScore} out of 24` : 'Not given'),
    ...(d.policeCallouts12m !== undefined ? [row('Police call-outs in the last 12 months', String(d.policeCallouts12m))] : []),
    ...(d.lastMaracReferralDate ? [row('Last MARAC referral', scalarText(d.lastMaracReferralDate))] : []),
    ...(d.professionalJudgementRationale ? [row('Professional judgement', d.professionalJudgementRationale)] : []),
  ];
  return { summary, people };
}

export type CaseAboutView = ReturnType<typeof caseAboutView>;
