/**
 * TypeScript shapes of the validated bodies, written by hand to match `schemas/*.schema.json`.
 * Only use them on data that has passed `assertValid`: the schema is the authority.
 */

export type IsoDate = string; // YYYY-MM-DD
export type IsoDateTime = string; // RFC 3339 with offset
export type Purpose = 'MARAC_RESEARCH' | 'MARAC_ACTION_REVIEW' | 'MARAC_TRANSFER';
export type SubjectRole = 'VICTIM' | 'PERPETRATOR' | 'CHILD' | 'OTHER_ADULT_AT_RISK';
export type RiskCriterion = 'VISIBLE_HIGH_RISK' | 'PROFESSIONAL_JUDGEMENT' | 'POTENTIAL_ESCALATION' | 'REPEAT';
export type ConsentStatus = 'GIVEN' | 'REFUSED' | 'NOT_SOUGHT_UNSAFE' | 'NOT_SOUGHT_OTHER' | 'LACKS_CAPACITY';
export type Art9Condition = 'DPA_SCH1_P6' | 'DPA_SCH1_P10' | 'DPA_SCH1_P18' | 'EXPLICIT_CONSENT' | 'VITAL_INTERESTS';
export type Art10Condition = Art9Condition | 'DPA_SCH1_P36';
export type Part3Sch8Condition =
  | 'SCH8_P1' | 'SCH8_P2' | 'SCH8_P3' | 'SCH8_P4' | 'SCH8_P5' | 'SCH8_P6' | 'SCH8_P7' | 'SCH8_P8' | 'SCH8_P9';
export type IdentifierSystem = 'nhs-number' | 'pnc-id' | 'uprn' | 'la-child-id' | 'upn' | 'local';
export type RequestedDomain =
  | 'DA_INCIDENTS' | 'ORDERS_AND_BAIL' | 'CONVICTIONS' | 'HEALTH_ATTENDANCES' | 'PREGNANCY' | 'MENTAL_HEALTH'
  | 'TENANCY' | 'CHILDREN_STATUS' | 'ADULT_SOCIAL_CARE' | 'SUPERVISION' | 'VICTIM_VIEWS';

export interface Name {
  given?: string[];
  family: string;
  use?: 'official' | 'alias' | 'maiden' | 'preferred';
}
export interface Identifier {
  system: IdentifierSystem;
  value: string;
  verified?: boolean;
}
/** `confidential` plus at least one of lines / postcode / uprn. */
export interface Address {
  lines?: string[];
  postcode?: string;
  uprn?: string;
  confidential: boolean;
}
export interface Contact {
  phone?: string;
  email?: string;
  safeTimes?: string;
  safeToLeaveMessage?: boolean;
}
export interface Consent {
  status: ConsentStatus;
  explicitForSpecialCategory: boolean;
  rationale?: string;
}
export interface SubjectLegal {
  art9Conditions: Art9Condition[];
  art10Conditions?: Art10Condition[];
  part3Sch8?: Part3Sch8Condition[];
  careAndSupportNeeds: boolean;
}
export interface RiskBasis {
  criteria: RiskCriterion[];
  dashScore?: number;
  dashVersion?: 'SAFELIVES_24Q' | 'SAFELIVES_YP' | 'POLICE_DASH';
  policeCallouts12m?: number;
  lastMaracReferralDate?: IsoDate;
  professionalJudgementRationale?: string;
}

// ---- case -------------------------------------------------------------------------------------
export type RelationshipToVictim =
  | 'SELF' | 'PARTNER' | 'EX_PARTNER' | 'FAMILY_MEMBER' | 'CHILD_OF_VICTIM' | 'CHILD_OF_PERPETRATOR'
  | 'HOUSEHOLD_MEMBER' | 'OTHER';

export interface CaseSubjectInput {
  /** The coordinator's local key for this subject ("v1"); unique within the case (checked by the exchange). */
  key: string;
  role: SubjectRole;
  names: Name[];
  dobs: IsoDate[];
  sexOrGender?: 'F' | 'M' | 'X' | 'NOT_KNOWN';
  identifiers: Identifier[];
  address?: Address;
  contact?: Contact;
  relationshipToVictim?: RelationshipToVictim;
  consent: Consent;
  legal: SubjectLegal;
}
export interface CaseInput {
  maracArea: string;
  meetingDate: IsoDate;
  isEmergency?: boolean;
  riskBasis: RiskBasis;
  subjects: CaseSubjectInput[];
  externalRef?: string;
}

// ---- research request / decline ---------------------------------------------------------------
export interface ResearchRequestInput {
  purpose: Purpose;
  recipients: string[];
  requestedDomains?: RequestedDomain[];
  lookbackMonths?: number;
  deadline?: IsoDateTime;
  transferFromMaracArea?: string;
}
export interface DeclineInput {
  reason: 'NOT_KNOWN' | 'NO_LAWFUL_BASIS' | 'CONFLICT_OF_INTEREST' | 'OTHER';
  note?: string;
}

// ---- payloads ---------------------------------------------------------------------------------
export interface PolicePayload {
  incidentCount12m?: number;
  incidents?: Array<{
    date: IsoDate;
    type: 'INCIDENT' | 'CRIME';
    roleOfSubject?: 'VICTIM' | 'SUSPECT' | 'WITNESS' | 'OTHER';
    category:
      | 'DA_ASSAULT' | 'DA_HARASSMENT' | 'DA_VERBAL' | 'DA_SEXUAL' | 'STALKING' | 'CONTROLLING_COERCIVE'
      | 'NON_FATAL_STRANGULATION' | 'THREATS_TO_KILL' | 'BREACH_OF_ORDER' | 'CRIMINAL_DAMAGE' | 'OTHER';
    crimeRef?: string;
    summary?: string;
    outcome?: 'CHARGED' | 'CAUTIONED' | 'CONVICTED' | 'NFA' | 'ONGOING' | 'UNKNOWN';
  }>;
  convictions?: Array<{
    category: 'VIOLENCE' | 'SEXUAL' | 'WEAPONS' | 'DA' | 'PUBLIC_ORDER' | 'DRUGS' | 'PROPERTY' | 'OTHER';
    date: IsoDate;
    disposal?: string;
  }>;
  bailConditions?: Array<{
    conditions: Array<
      | 'NO_CONTACT_VICTIM' | 'NO_CONTACT_CHILDREN' | 'EXCLUSION_ZONE' | 'NOT_TO_ENTER_ADDRESS' | 'CURFEW'
      | 'RESIDENCE' | 'REPORTING' | 'OTHER'
    >;
    until?: IsoDate;
  }>;
  orders?: Array<{
    type: 'NMO' | 'RESTRAINING' | 'DVPN' | 'DVPO' | 'DAPN' | 'DAPO' | 'OCCUPATION' | 'STALKING_PROTECTION';
    protectedPersonIds?: string[];
    expires?: IsoDate;
  }>;
  markers?: Array<{ type: 'WEAPONS' | 'FIREARMS' | 'VIOLENCE' | 'DA' | 'STALKING'; date?: IsoDate }>;
  firearmsCertificateHeld?: boolean;
  addressAlertPlaced?: boolean;
  dvdsDisclosureMade?: { made: boolean; date?: IsoDate };
  mappa?: { category: number; level: number };
  officerInCharge?: { name: string; contact?: string };
}

export interface ProbationPayload {
  supervisionType?: 'LICENCE' | 'PSS' | 'COMMUNITY_ORDER' | 'SUSPENDED_SENTENCE' | 'NONE';
  roshLevel?: 'LOW' | 'MEDIUM' | 'HIGH' | 'VERY_HIGH';
  roshTo?: Array<'KNOWN_ADULT' | 'CHILDREN' | 'PUBLIC' | 'STAFF' | 'PRISONERS'>;
  victimRelevantConditions?: Array<
    | 'NO_CONTACT' | 'NO_CONTACT_CHILDREN' | 'EXCLUSION_ZONE' | 'RESIDENCE_AP' | 'CURFEW' | 'DA_PROGRAMME'
    | 'DRUG_TESTING' | 'DISCLOSE_RELATIONSHIPS' | 'OTHER'
  >;
  engagement?: 'GOOD' | 'POOR' | 'NONE';
  breachOrRecallAction?: string;
  offenceCategory?: 'DA_VIOLENCE' | 'VIOLENCE' | 'SEXUAL' | 'STALKING' | 'WEAPONS' | 'OTHER';
  offenderManagerContact?: string;
}

export interface HealthPayload {
  registeredGpOdsCode?: string;
  edAttendances12m?: Array<{
    date: IsoDate;
    reasonCategory: 'INJURY' | 'ASSAULT' | 'OVERDOSE' | 'SELF_HARM' | 'OTHER';
    safeguardingConcernRaised?: boolean;
  }>;
  injuriesConsistentWithAbuse?: boolean;
  pregnancy?: { pregnant: boolean; edd?: IsoDate; maternityBooked?: boolean };
  mentalHealth?: { openToSecondaryMH?: boolean; riskToSelf?: boolean; riskToOthersConcern?: boolean; diagnosis?: string };
  diagnoses?: string[];
  substanceMisuseServiceOpen?: boolean;
  communicationNeeds?: { interpreterLanguage?: string };
  childrenKnownToHVorSN?: Array<{ subjectId: string }>;
  cpIsFlag?: 'CPP' | 'LAC' | 'UNBORN_CPP' | 'NONE';
  clinicalNarrative?: string;
}

export interface HousingPayload {
  tenure?: 'COUNCIL' | 'RSL' | 'PRIVATE_RENTED' | 'OWNER' | 'TEMP_ACCOMMODATION' | 'REFUGE' | 'NO_FIXED_ABODE' | 'OTHER';
  landlordOrgId?: string;
  jointTenancyWithPerpetrator?: boolean;
  propertyUprn?: string;
  asbCasesOpen?: number;
  rentArrearsBand?: 'NONE' | 'UNDER_500' | '500_TO_2000' | 'OVER_2000';
  sanctuaryScheme?: { installed: boolean; date?: IsoDate };
  managementTransferRequested?: boolean;
  homelessnessApplication?: { status: 'OPEN' | 'ACCEPTED' | 'REFUSED' | 'CLOSED'; date?: IsoDate };
}

export interface ChildrensSocialCarePayload {
  children?: Array<{
    subjectId: string;
    status: 'NONE' | 'EARLY_HELP' | 'CIN' | 'CPP' | 'CLA';
    cpCategory?: 'NEGLECT' | 'PHYSICAL' | 'EMOTIONAL' | 'SEXUAL' | 'MULTIPLE';
    planStart?: IsoDate;
    s47Last12m?: boolean;
    daFactorAtAssessment?: boolean;
    allocatedWorkerContact?: string;
  }>;
  preBirthPlan?: boolean;
}

export interface AdultSocialCarePayload {
  careAndSupportNeeds?: boolean;
  s42Enquiry?: { status: 'OPEN' | 'CLOSED'; outcome?: string };
  capacityConcerns?: boolean;
}

export interface IdvaPayload {
  victimContacted?: { contacted: boolean; date?: IsoDate };
  victimViews?: string;
  victimWantsFromMarac?: string;
  dashScore?: number;
  safetyPlanInPlace?: boolean;
  safeContact?: Contact;
  immigrationNrpf?: boolean;
  interpreterLanguage?: string;
}

// ---- research response ------------------------------------------------------------------------
export type MatchStatus = 'MATCHED' | 'POSSIBLE' | 'NOT_FOUND';
export type MatchedOn =
  | IdentifierSystem | 'name' | 'dob' | 'address' | 'postcode' | 'phone' | 'email';
export type WithheldReason =
  | 'NOT_RELEVANT_TO_CURRENT_RISK' | 'THIRD_PARTY' | 'LEGAL_PRIVILEGE' | 'LIVE_INVESTIGATION' | 'NO_ART9_CONDITION' | 'OTHER';

export interface SubjectResult {
  subjectId: string;
  match: { status: MatchStatus; confidence: number; matchedOn: MatchedOn[] };
  knownToAgency: boolean;
  currentInvolvement?: boolean;
  subject?: {
    names?: Name[];
    dateOfBirth?: IsoDate;
    identifiers?: Identifier[];
    address?: Address;
    contact?: Contact;
  };
  police?: PolicePayload;
  health?: HealthPayload;
  housing?: HousingPayload;
  childrensSocialCare?: ChildrensSocialCarePayload;
  adultSocialCare?: AdultSocialCarePayload;
  probation?: ProbationPayload;
  idva?: IdvaPayload;
  withheld: Array<{ fieldPath: string; reason: WithheldReason; note?: string }>;
}

export interface ProposedAction {
  description: string;
  ownerAgencyId: string;
  dueBy: IsoDate;
}

export interface ResearchResponseInput {
  schemaVersion: '1.0';
  completedAt?: IsoDateTime;
  completedByRole?: string;
  subjectResults: SubjectResult[];
  agencyRiskSummary?: { text: string; isOpinion: true };
  proposedActions?: ProposedAction[];
}
