/**
 * The canonical shapes an adapter reads and writes, as TypeScript types. The JSON Schemas in
 * `schemas/` are the authority (the SDK validates every response against them before sending);
 * these types keep the mapping modules honest at compile time.
 */
import type { IdentifierValue, MatchStatus, PersonName } from './matching/types.js';

/** The agency types of the gateway's agreements, from their one home in @marac/schemas. */
export type { AgencyType } from '@marac/schemas';

export type RequestedDomain =
  | 'DA_INCIDENTS' | 'ORDERS_AND_BAIL' | 'CONVICTIONS' | 'HEALTH_ATTENDANCES' | 'PREGNANCY' | 'MENTAL_HEALTH'
  | 'TENANCY' | 'CHILDREN_STATUS' | 'ADULT_SOCIAL_CARE' | 'SUPERVISION' | 'VICTIM_VIEWS';

export type SubjectRole = 'VICTIM' | 'PERPETRATOR' | 'CHILD' | 'OTHER_ADULT_AT_RISK';

/** A subject as the gateway shows it to this agency (already redacted per agreement: any field may be missing). */
export interface RequestSubject {
  subjectId: string;
  role: SubjectRole;
  names?: PersonName[];
  dobs?: string[];
  sexOrGender?: string;
  identifiers?: (IdentifierValue & { verified?: boolean })[];
  /** An object, or (generalised by the agreement) just a postcode district such as "CM1". */
  address?: { lines?: string[]; postcode?: string; uprn?: string; confidential?: boolean } | string;
  [k: string]: unknown;
}

export interface InboxRequest {
  purpose: string;
  meetingDate: string;
  deadline: string;
  lookbackMonths: number;
  requestedDomains: string[];
  riskCriteria?: string[];
  subjects: RequestSubject[];
}

export interface InboxMessage {
  messageId: string;
  requestId: string;
  caseId: string;
  kind: 'RESEARCH_REQUEST';
  purpose: string;
  deadline: string;
  request: InboxRequest;
}

export type WithheldReason =
  | 'NOT_RELEVANT_TO_CURRENT_RISK' | 'THIRD_PARTY' | 'LEGAL_PRIVILEGE' | 'LIVE_INVESTIGATION' | 'NO_ART9_CONDITION' | 'OTHER';

export interface Withheld {
  fieldPath: string;
  reason: WithheldReason;
  note?: string;
}

export type MatchedOnToken =
  | 'nhs-number' | 'pnc-id' | 'uprn' | 'la-child-id' | 'upn' | 'local' | 'name' | 'dob' | 'address' | 'postcode' | 'phone' | 'email';

export interface SubjectMatch {
  status: MatchStatus;
  confidence: number;
  matchedOn: MatchedOnToken[];
}

export interface HeldSubject {
  names?: PersonName[];
  dateOfBirth?: string;
  identifiers?: IdentifierValue[];
}

// ---- Agency payloads (schemas/payloads/*.schema.json) ----

export type IncidentCategory =
  | 'DA_ASSAULT' | 'DA_HARASSMENT' | 'DA_VERBAL' | 'DA_SEXUAL' | 'STALKING' | 'CONTROLLING_COERCIVE'
  | 'NON_FATAL_STRANGULATION' | 'THREATS_TO_KILL' | 'BREACH_OF_ORDER' | 'CRIMINAL_DAMAGE' | 'OTHER';

export interface PolicePayload {
  incidentCount12m?: number;
  incidents?: {
    date: string; type: 'INCIDENT' | 'CRIME'; roleOfSubject?: 'VICTIM' | 'SUSPECT' | 'WITNESS' | 'OTHER';
    category: IncidentCategory; crimeRef?: string; summary?: string;
    outcome?: 'CHARGED' | 'CAUTIONED' | 'CONVICTED' | 'NFA' | 'ONGOING' | 'UNKNOWN';
  }[];
  convictions?: { category: 'VIOLENCE' | 'SEXUAL' | 'WEAPONS' | 'DA' | 'PUBLIC_ORDER' | 'DRUGS' | 'PROPERTY' | 'OTHER'; date: string; disposal?: string }[];
  bailConditions?: { conditions: string[]; until?: string }[];
  orders?: { type: string; protectedPersonIds?: string[]; expires?: string }[];
  markers?: { type: 'WEAPONS' | 'FIREARMS' | 'VIOLENCE' | 'DA' | 'STALKING'; date?: string }[];
  firearmsCertificateHeld?: boolean;
  addressAlertPlaced?: boolean;
  dvdsDisclosureMade?: { made: boolean; date?: string };
  mappa?: { category: number; level: number };
  officerInCharge?: { name: string; contact?: string };
}

export interface HealthPayload {
  registeredGpOdsCode?: string;
  edAttendances12m?: { date: string; reasonCategory: 'INJURY' | 'ASSAULT' | 'OVERDOSE' | 'SELF_HARM' | 'OTHER'; safeguardingConcernRaised?: boolean }[];
  injuriesConsistentWithAbuse?: boolean;
  pregnancy?: { pregnant: boolean; edd?: string; maternityBooked?: boolean };
  mentalHealth?: { openToSecondaryMH?: boolean; riskToSelf?: boolean; riskToOthersConcern?: boolean; diagnosis?: string };
  diagnoses?: string[];
  substanceMisuseServiceOpen?: boolean;
  communicationNeeds?: { interpreterLanguage?: string };
  childrenKnownToHVorSN?: { subjectId: string }[];
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
  sanctuaryScheme?: { installed: boolean; date?: string };
  managementTransferRequested?: boolean;
  homelessnessApplication?: { status: 'OPEN' | 'ACCEPTED' | 'REFUSED' | 'CLOSED'; date?: string };
}

export type ChildStatus = 'NONE' | 'EARLY_HELP' | 'CIN' | 'CPP' | 'CLA';

export interface ChildrensSocialCarePayload {
  children?: {
    subjectId: string; status: ChildStatus; cpCategory?: 'NEGLECT' | 'PHYSICAL' | 'EMOTIONAL' | 'SEXUAL' | 'MULTIPLE';
    planStart?: string; s47Last12m?: boolean; daFactorAtAssessment?: boolean; allocatedWorkerContact?: string;
  }[];
  preBirthPlan?: boolean;
}

export interface AdultSocialCarePayload {
  careAndSupportNeeds?: boolean;
  s42Enquiry?: { status: 'OPEN' | 'CLOSED'; outcome?: string };
  capacityConcerns?: boolean;
}

export interface ProbationPayload {
  supervisionType?: 'LICENCE' | 'PSS' | 'COMMUNITY_ORDER' | 'SUSPENDED_SENTENCE' | 'NONE';
  roshLevel?: 'LOW' | 'MEDIUM' | 'HIGH' | 'VERY_HIGH';
  roshTo?: ('KNOWN_ADULT' | 'CHILDREN' | 'PUBLIC' | 'STAFF' | 'PRISONERS')[];
  victimRelevantConditions?: string[];
  engagement?: 'GOOD' | 'POOR' | 'NONE';
  breachOrRecallAction?: string;
  offenceCategory?: 'DA_VIOLENCE' | 'VIOLENCE' | 'SEXUAL' | 'STALKING' | 'WEAPONS' | 'OTHER';
  offenderManagerContact?: string;
}

export interface IdvaPayload {
  victimContacted?: { contacted: boolean; date?: string };
  victimViews?: string;
  victimWantsFromMarac?: string;
  dashScore?: number;
  safetyPlanInPlace?: boolean;
  safeContact?: { phone?: string; safeTimes?: string; safeToLeaveMessage?: boolean };
  immigrationNrpf?: boolean;
  interpreterLanguage?: string;
}

export interface PayloadSections {
  police?: PolicePayload;
  health?: HealthPayload;
  housing?: HousingPayload;
  childrensSocialCare?: ChildrensSocialCarePayload;
  adultSocialCare?: AdultSocialCarePayload;
  probation?: ProbationPayload;
  idva?: IdvaPayload;
}

export type PayloadKey = keyof PayloadSections;

export interface SubjectResult extends PayloadSections {
  subjectId: string;
  match: SubjectMatch;
  knownToAgency: boolean;
  currentInvolvement?: boolean;
  subject?: HeldSubject;
  withheld: Withheld[];
}

export interface ResearchResponse {
  schemaVersion: '1.0';
  completedAt?: string;
  completedByRole?: string;
  subjectResults: SubjectResult[];
  agencyRiskSummary?: { text: string; isOpinion: true };
  proposedActions?: { description: string; ownerAgencyId: string; dueBy: string }[];
}

export type DeclineReason = 'NOT_KNOWN' | 'NO_LAWFUL_BASIS' | 'CONFLICT_OF_INTEREST' | 'OTHER';

export interface Decline {
  reason: DeclineReason;
  note?: string;
}
