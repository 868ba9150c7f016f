/**
 * Plain-English labels for the stable codes the gateway uses. Pages show the label; the code
 * stays visible where people need to quote it (withheld reasons, refusal reasons, audit filters).
 */

export const RISK_CRITERIA: Record<string, string> = {
  VISIBLE_HIGH_RISK: 'Visible high risk (14 or more ticks on the Dash risk checklist)',
  PROFESSIONAL_JUDGEMENT: 'Professional judgement',
  POTENTIAL_ESCALATION: 'Potential escalation (for example 3 or more police call-outs in 12 months)',
  REPEAT: 'Repeat (a further incident within 12 months of the last referral)',
};

export const RISK_CRITERIA_SHORT: Record<string, string> = {
  VISIBLE_HIGH_RISK: 'Visible high risk',
  PROFESSIONAL_JUDGEMENT: 'Professional judgement',
  POTENTIAL_ESCALATION: 'Potential escalation',
  REPEAT: 'Repeat',
};

export const SUBJECT_ROLES: Record<string, string> = {
  VICTIM: 'Victim',
  PERPETRATOR: 'Perpetrator',
  CHILD: 'Child',
  OTHER_ADULT_AT_RISK: 'Other adult at risk',
};

export const CONSENT_STATUSES: Record<string, string> = {
  GIVEN: 'Consent given',
  REFUSED: 'Consent refused',
  NOT_SOUGHT_UNSAFE: 'Not sought: asking would be unsafe',
  NOT_SOUGHT_OTHER: 'Not sought: other reason',
  LACKS_CAPACITY: 'Lacks capacity to consent',
};

export const ART9_CONDITIONS: Record<string, string> = {
  DPA_SCH1_P6: 'DPA 2018 Sch 1 para 6: statutory and government purposes',
  DPA_SCH1_P10: 'DPA 2018 Sch 1 para 10: preventing or detecting unlawful acts',
  DPA_SCH1_P18: 'DPA 2018 Sch 1 para 18: safeguarding children and individuals at risk',
  EXPLICIT_CONSENT: 'Explicit consent (Art 9(2)(a))',
  VITAL_INTERESTS: 'Vital interests (Art 9(2)(c))',
};

export const ART10_CONDITIONS: Record<string, string> = {
  DPA_SCH1_P6: 'DPA 2018 Sch 1 para 6: statutory and government purposes',
  DPA_SCH1_P10: 'DPA 2018 Sch 1 para 10: preventing or detecting unlawful acts',
  DPA_SCH1_P18: 'DPA 2018 Sch 1 para 18: safeguarding',
  DPA_SCH1_P36: 'DPA 2018 Sch 1 para 36: extension of conditions in Part 2',
  EXPLICIT_CONSENT: 'Explicit consent',
  VITAL_INTERESTS: 'Vital interests',
};

export const PURPOSES: Record<string, string> = {
  MARAC_RESEARCH: 'MARAC research before a meeting',
  MARAC_ACTION_REVIEW: 'Review of MARAC actions',
  MARAC_TRANSFER: 'Transfer to another MARAC',
};

export const AGENCY_TYPES: Record<string, string> = {
  MARAC_COORDINATOR: 'MARAC coordinator',
  POLICE: 'Police',
  HEALTH_ACUTE: 'Health (acute trust)',
  HEALTH_PRIMARY: 'Health (primary care)',
  HEALTH_MENTAL: 'Health (mental health)',
  HOUSING: 'Housing',
  CHILDRENS_SOCIAL_CARE: "Children's social care",
  ADULT_SOCIAL_CARE: 'Adult social care',
  PROBATION: 'Probation',
  IDVA: 'IDVA service',
  SUBSTANCE_MISUSE: 'Substance misuse service',
};

export const MESSAGE_STATES: Record<string, string> = {
  queued: 'Waiting to be collected',
  delivered: 'Delivered',
  acknowledged: 'Being researched',
  responded: 'Answered',
  declined: 'Declined',
  overdue: 'Overdue',
  failed: 'Delivery failed',
};

export const AGREEMENT_STATUSES: Record<string, string> = {
  draft: 'Draft',
  approved: 'Approved',
  active: 'Active',
  suspended: 'Suspended',
  expired: 'Expired',
  superseded: 'Superseded',
};

export const ROLES: Record<string, string> = {
  coordinator: 'MARAC coordinator',
  ig_officer: 'Information governance officer',
  auditor: 'Auditor',
  admin: 'Administrator',
  agency_researcher: 'Agency researcher',
  agency_representative: 'Agency representative',
};

export const REQUEST_DOMAINS: Record<string, string> = {
  DA_INCIDENTS: 'Domestic abuse incidents',
  ORDERS_AND_BAIL: 'Orders and bail conditions',
  CONVICTIONS: 'Convictions',
  HEALTH_ATTENDANCES: 'Health attendances',
  PREGNANCY: 'Pregnancy',
  MENTAL_HEALTH: 'Mental health',
  TENANCY: 'Tenancy',
  CHILDREN_STATUS: "Children's status",
  ADULT_SOCIAL_CARE: 'Adult social care',
  SUPERVISION: 'Supervision',
  VICTIM_VIEWS: "Victim's views",
};

/** Refusals, withheld reasons and other reason codes, as a short explanation. */
export const REASONS: Record<string, string> = {
  NO_AGREEMENT: 'No agreement covers this exchange',
  AGREEMENT_NOT_ACTIVE: 'The agreement is not active',
  AGREEMENT_SUSPENDED: 'The agreement is suspended',
  ISA_NOT_YET_EFFECTIVE: 'The agreement is not yet in force',
  ISA_EXPIRED: 'The agreement has expired',
  PROVIDER_NOT_SIGNATORY: 'The agency is not a party to the agreement',
  RECIPIENT_NOT_SIGNATORY: 'The recipient is not a party to the agreement',
  PURPOSE_NOT_IN_ISA: 'The agreement does not cover this purpose',
  MARAC_THRESHOLD_NOT_MET: 'The case does not meet the referral threshold in the agreement',
  NO_FLOW_FOR_PAIR: 'The agreement has no rule for this pair of agencies',
  SUBJECT_ROLE_NOT_ALLOWED: 'The agreement does not cover this person',
  NO_INTER_AREA_AGREEMENT: 'No inter-area agreement covers this transfer',
  PARTY_REMOVED: 'An IG officer removed the agency from the agreement',
  UNKNOWN_RECIPIENT: 'The agency is not registered or is disabled',
  NOT_IN_AGREEMENT: 'Not released by the agreement',
  NO_ART9_CONDITION: 'Special category data without an Article 9 condition for this person',
  NO_ART10_CONDITION: 'Criminal offence data without an Article 10 condition for this person',
  P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS: 'Para 18 cannot be used for an adult without care and support needs',
  GUARDRAIL_LOCATION: 'Location that could endanger the victim',
  GUARDRAIL_CLINICAL_NARRATIVE: 'Clinical narrative never leaves health',
  GUARDRAIL_CHILD_DOB: "A child's exact date of birth goes only to children's services",
  GUARDRAIL_MENTAL_HEALTH: 'Mental health detail never leaves health',
  GUARDRAIL_FREE_TEXT: 'Free text not allowed for this recipient',
  GUARDRAIL_LOCATION_IN_TEXT: 'Free text not scrubbed while an address on the case is confidential',
  GUARDRAIL_TRANSFER_PAYLOAD: 'Agency research is never forwarded on transfer',
  MATCH_NOT_CONFIRMED: 'The agency’s match to this person is not confirmed',
  OUTSIDE_WINDOW: 'Outside the time window',
  OUTSIDE_LIMIT: 'Beyond the number of items released',
  FLOW_CONDITION_NOT_MET: 'The conditions of the agreement are not met for this person',
  FLOW_CONFLICT: 'Two rules disagree, so nothing is released',
  TYPE_MISMATCH: 'The value is not of the expected type',
  OPERATOR_RESULT_UNTRACEABLE: 'The result could not be checked, so nothing is released',
  INVALID_POSTCODE: 'The postcode could not be read',
  DROPPED_BY_RULE: 'Dropped by a rule of the agreement',
  OPERATOR_NOT_APPLICABLE: 'The rule does not fit this value',
  UNMAPPED_VALUE: 'The value has no category in the agreement',
  NOT_RELEVANT_TO_CURRENT_RISK: 'Not relevant to current risk',
  THIRD_PARTY: 'Third-party information',
  LEGAL_PRIVILEGE: 'Legal privilege',
  LIVE_INVESTIGATION: 'Live investigation',
  NOT_KNOWN: 'Not known to the agency',
  NO_LAWFUL_BASIS: 'No lawful basis to share',
  CONFLICT_OF_INTEREST: 'Conflict of interest',
  OTHER: 'Other reason',
  NO_RESPONSE: 'No answer yet',
  OWN_RESPONSE: 'Your own agency’s answer',
  UNKNOWN_AGENCY: 'Unknown agency',
  PURGED: 'Deleted at the end of the retention period',
  REVIEW_OVERDUE: 'The agreement is past its review date',
  PUSH_DELIVERY_FAILED: 'The agency’s system could not be reached',
  TIMEOUT: 'The agency’s system did not answer in time',
  UNREACHABLE: 'The agency’s system could not be reached',
  NO_PUSH_URL: 'No delivery address for the agency',
  CERTIFICATE_REVOKED: 'Not delivered: the agency’s certificate was revoked',
  CERTIFICATE_EXPIRED: 'Not delivered: the agency’s certificate has expired',
  AGENCY_DISABLED: 'Not delivered: the agency is disabled',
  CERTIFICATE_UNKNOWN: 'Not delivered: the certificate is not known',
  NO_VALID_CERTIFICATE: 'Not delivered: the agency has no valid certificate',
  FORBIDDEN_ROLE: 'Role not allowed',
  INVALID_DATE: 'The date could not be read, so it was not released',
  INVALID_AGE: 'The date of birth gives no valid age, so it was not released',
  AGE_BELOW_BANDS: 'The age is below every age band in the agreement',
  HMAC_KEY_MISSING: 'The value could not be pseudonymised safely, so it was not released',
  OPERATOR_FAILED: 'The rule could not be applied safely, so nothing was released',
  NO_EXPLICIT_CONSENT: 'Explicit consent for special category data is not recorded for this person',
  THRESHOLD_NOT_MET: 'The case meets no MARAC referral criterion',
};

/** The parts of a research answer, as headings and as the first words of a field's label. */
export const PAYLOAD_GROUPS: Record<string, string> = {
  match: 'Match',
  subject: 'Person details',
  police: 'Police',
  health: 'Health',
  housing: 'Housing',
  childrensSocialCare: "Children's social care",
  adultSocialCare: 'Adult social care',
  probation: 'Probation',
  idva: 'IDVA',
  agencyRiskSummary: 'Agency risk summary',
  proposedActions: 'Proposed actions',
};

/** "incidents" → "incident", "ED attendances (12 months)" → "ED attendance (12 months)". */
function singular(label: string): string {
  const at = label.indexOf(' (');
  const [head, tail] = at < 0 ? [label, ''] : [label.slice(0, at), label.slice(at)];
  const one = head === 'children' || head === 'Children' ? head.replace(/ren$/, '')
    : head.replace(/(\w)ies$/, '$1y').replace(/(\w\w[^s])s$/, '$1');
  return one + tail;
}

/**
 * A field path as a person reads it: `police.incidents[0].summary` → "Police — incident 1 —
 * summary"; `police.incidents[].date` (the catalog's form) → "Police — each incident — date".
 * A word never follows itself ("Health — health visitor" stays, "Match — match status" → "Match — status").
 */
export function pathLabel(path: string): string {
  const parts: string[] = [];
  for (const seg of path.split('.')) {
    const m = /^([^[\]]+)((?:\[\d*\])*)$/.exec(seg);
    if (!m) return path;
    const name = m[1]!;
    const indexes = [...m[2]!.matchAll(/\[(\d*)\]/g)].map((x) => x[1]!);
    const base = parts.length === 0 && Object.hasOwn(PAYLOAD_GROUPS, name) ? PAYLOAD_GROUPS[name]! : fieldLabel(name);
    let text = parts.length === 0 ? base : base.charAt(0).toLowerCase() + base.slice(1);
    if (/^[a-z]/.test(text) && /^[A-Z]{2}/.test(base)) text = base; // keep "ED", "NHS", "PNC" as written
    if (indexes.length) text = indexes.map((i) => (i === '' ? `each ${singular(text)}` : `${singular(text)} ${Number(i) + 1}`)).join(' — ');
    parts.push(text);
  }
  return dedupeWords(parts.join(' — '));
}

/** "Match — match status" → "Match — status": a word straight after itself (across a dash) goes. */
export function dedupeWords(text: string): string {
  const words = text.split(' ');
  const out: string[] = [];
  for (const w of words) {
    const prev = out[out.length - 1] === '—' ? out[out.length - 2] : out[out.length - 1];
    const bare = (x: string) => x.toLowerCase().replace(/[:;,]$/, '');
    if (prev && w !== '—' && bare(prev) === bare(w)) continue;
    out.push(w);
  }
  // "DVDS disclosure made: made" loses its last word: no dangling colon or dash.
  return out.join(' ').replace(/\s*[:—]$/, '');
}

/** What a research round asked for, in words. */
export function domainsText(domains: readonly string[]): string {
  if (domains.length === 0) return 'Identity check only';
  const all = Object.keys(REQUEST_DOMAINS);
  if (all.every((d) => domains.includes(d))) return 'Everything the agreements allow';
  return domains.map((d) => REQUEST_DOMAINS[d] ?? d).join(', ');
}

export const OPERATORS: Record<string, string> = {
  keep: 'kept',
  drop: 'dropped',
  mask: 'masked',
  date: 'date generalised',
  ageBand: 'age band',
  postcode: 'postcode generalised',
  truncate: 'shortened',
  window: 'limited to recent months',
  limit: 'limited to the most recent items',
  count: 'counted',
  booleanise: 'reduced to yes or no',
  categorise: 'categorised',
  pseudonymise: 'pseudonymised',
  scrub: 'identifiers removed from text',
  locationText: 'locations removed from text',
  replace: 'replaced',
};

/** "date" → "date generalised"; a pipeline "scrub+truncate" → "identifiers removed from text, then shortened". */
export function operatorLabel(op: string): string {
  return op.split('+').map((o) => OPERATORS[o] ?? o).join(', then ');
}

const ALL: Record<string, string>[] = [
  REASONS, RISK_CRITERIA_SHORT, SUBJECT_ROLES, CONSENT_STATUSES, PURPOSES, AGENCY_TYPES, MESSAGE_STATES, AGREEMENT_STATUSES, REQUEST_DOMAINS,
];

/** The label for a code, or the code itself (never blank, never invented). */
export function describeCode(code: string): string {
  for (const map of ALL) if (Object.hasOwn(map, code)) return map[code]!;
  return code;
}

export function roleLabel(role: string): string {
  return ROLES[role] ?? role;
}

/** `edAttendances12m` → "Ed attendances 12m"; a few fields get a proper name. */
const FIELD_NAMES: Record<string, string> = {
  edAttendances12m: 'ED attendances (12 months)',
  incidentCount12m: 'Incidents (12 months)',
  dobs: 'Dates of birth',
  dateOfBirth: 'Date of birth',
  nhsNumber: 'NHS number',
  pncId: 'PNC ID',
  uprn: 'UPRN',
  propertyUprn: 'Property UPRN',
  roshLevel: 'Risk of serious harm level',
  roshTo: 'Risk of serious harm to',
  dvdsDisclosureMade: 'DVDS disclosure made',
  mappa: 'MAPPA',
  cpIsFlag: 'Child protection flag',
  s47Last12m: 'Section 47 enquiry (12 months)',
  s42Enquiry: 'Section 42 enquiry',
  registeredGpOdsCode: 'Registered GP (ODS code)',
  childrenKnownToHVorSN: 'Children known to health visitor or school nurse',
  immigrationNrpf: 'No recourse to public funds',
  knownToAgency: 'Known to agency',
  currentInvolvement: 'Current involvement',
  agencyRiskSummary: 'Agency risk summary',
  proposedActions: 'Proposed actions',
  idva: 'IDVA',
  asbCasesOpen: 'ASB cases open',
  landlordOrgId: 'Landlord',
  gpOdsCode: 'GP (ODS code)',
  edd: 'Expected delivery date',
  mentalHealth: 'Mental health',
  openToSecondaryMH: 'Open to secondary mental health services',
  riskToOthersConcern: 'Concern about risk to others',
  victimContacted: 'Victim contacted',
  safeContact: 'Safe contact',
  dashScore: 'Dash score',
  ownerOrgId: 'Owner agency',
  ownerAgencyId: 'Owner agency',
};

export function fieldLabel(segment: string): string {
  if (Object.hasOwn(FIELD_NAMES, segment)) return FIELD_NAMES[segment]!;
  const words = segment
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/(\d+)m$/, '($1 months)')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Options for GOV.UK radios / checkboxes from a label map. */
export function optionsOf(map: Record<string, string>, selected: readonly string[] = []): { value: string; text: string; checked: boolean }[] {
  return Object.entries(map).map(([value, text]) => ({ value, text, checked: selected.includes(value) }));
}
