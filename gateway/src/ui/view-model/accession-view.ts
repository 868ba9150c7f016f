import type { Accession, AccessionTermsView } from '../../policy/accession/service.js';
import type { TermsFlow } from '../../policy/accession/terms.js';
import type { Party, PartySelector } from '../../policy/types.js';
import { AGENCY_TYPES, ART10_CONDITIONS, ART9_CONDITIONS, operatorLabel, pathLabel, PURPOSES, SUBJECT_ROLES } from '../labels.js';

/** The terms of an agreement for one agency, in words (what the IG lead reads before signing). */

const ARTICLE6: Record<string, string> = {
  PUBLIC_TASK: 'Public task (UK GDPR Art 6(1)(e))',
  LEGAL_OBLIGATION: 'Legal obligation (Art 6(1)(c))',
  VITAL_INTERESTS: 'Vital interests (Art 6(1)(d))',
  RECOGNISED_LI_SAFEGUARDING: 'Recognised legitimate interest: safeguarding (Art 6(1)(ea))',
  LEGITIMATE_INTERESTS: 'Legitimate interests (Art 6(1)(f))',
  CONSENT: 'Consent (Art 6(1)(a))',
};
const SCH8: Record<string, string> = {
  SCH8_P1: 'DPA 2018 Sch 8 para 1: statutory purposes',
  SCH8_P2: 'DPA 2018 Sch 8 para 2: administration of justice',
  SCH8_P3: 'DPA 2018 Sch 8 para 3: protecting vital interests',
  SCH8_P4: 'DPA 2018 Sch 8 para 4: safeguarding children and individuals at risk',
};
const GATEWAYS: Record<string, string> = {
  CDA1998_S115: 'Crime and Disorder Act 1998 s115',
  CHILDREN_ACT_2004_S11: 'Children Act 2004 s11',
  CARE_ACT_2014_S42: 'Care Act 2014 s42',
};

function who(sel: PartySelector, parties: readonly Party[]): string {
  if (sel.role === 'coordinator') return parties.find((p) => p.role === 'coordinator')?.name ?? 'The MARAC coordinator';
  if (sel.agency) return parties.find((p) => p.agency === sel.agency)?.name ?? sel.agency;
  const type = sel.type ?? '';
  const named = parties.filter((p) => p.type === type).map((p) => p.name ?? p.agency);
  const label = AGENCY_TYPES[type] ?? type;
  return named.length ? `every ${label.toLowerCase()} party (now: ${named.join(', ')})` : `every ${label.toLowerCase()} party`;
}

function fields(f: TermsFlow) {
  const cap = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
  return f.fields.map((x) => ({ label: cap(pathLabel(x.path)), form: x.op === 'keep' ? 'as recorded' : operatorLabel(x.op) }));
}

function aboutWhom(f: TermsFlow): string {
  return f.subjectRoles?.length ? f.subjectRoles.map((r) => SUBJECT_ROLES[r] ?? r).join(', ') : 'Everyone on the case';
}

export function termsView(v: AccessionTermsView) {
  const t = v.terms;
  const parties = v.parties;
  const lb = t.lawfulBasis;
  return {
    requestsReceived: t.requestsReceived.map((f) => ({ id: f.flowId, from: who(f.other, parties), about: aboutWhom(f), fields: fields(f) })),
    sends: t.sends.map((f) => ({ id: f.flowId, to: who(f.other, parties), about: aboutWhom(f), fields: fields(f) })),
    receives: t.receives.map((f) => ({ id: f.flowId, from: who(f.other, parties), about: aboutWhom(f), fields: fields(f) })),
    retention: `Research received is kept for ${t.retentionDays} days, then deleted.`,
    purposes: t.purposes.map((p) => PURPOSES[p] ?? p),
    lawfulBasis: [
      { key: 'UK GDPR Article 6', values: [ARTICLE6[lb.article6] ?? lb.article6] },
      { key: 'Special category data (Article 9)', values: lb.article9.map((c) => ART9_CONDITIONS[c] ?? c) },
      { key: 'Criminal offence data (Article 10)', values: lb.article10.map((c) => ART10_CONDITIONS[c] ?? c) },
      { key: 'Law enforcement processing (DPA 2018 Part 3, Schedule 8)', values: lb.part3Sch8.map((c) => SCH8[c] ?? c) },
      { key: 'Statutory gateways', values: lb.statutoryGateways.map((c) => GATEWAYS[c] ?? c) },
    ].filter((r) => r.values.length > 0),
  };
}

export const KIND_LABELS: Record<string, string> = { JOIN: 'Joins', WITHDRAW: 'Leaves' };
export const STATUS_TAGS: Record<string, { text: string; classes: string }> = {
  REQUESTED: { text: 'Waiting for a decision', classes: 'govuk-tag--yellow' },
  APPROVED: { text: 'Approved', classes: 'govuk-tag--green' },
  REFUSED: { text: 'Refused', classes: 'govuk-tag--red' },
};

export function registerRow(a: Accession, agencyName: (id: string) => string) {
  return { ...a, agencyName: agencyName(a.agencyId), kindText: KIND_LABELS[a.kind] ?? a.kind, tag: STATUS_TAGS[a.status] ?? { text: a.status, classes: '' } };
}
