/**
 * The local authority social care export this adapter reads. Children's records follow the
 * Children in Need census data items (LA child id, UPN, referrals, assessments with factors,
 * s47 enquiries, CP plans with category, CIN plans, looked-after episodes); adults involved in
 * children's cases (parents, carers) are recorded with their links; adults' records hold care and
 * support needs, s42 safeguarding enquiries and capacity assessments.
 */
export interface ChildRecord {
  childId: string;
  upn?: string;
  nhsNumber?: string;
  forename: string;
  middleNames?: string;
  surname: string;
  dateOfBirth: string;
  sex: 'F' | 'M';
  referrals: { date: string; source: 'POLICE' | 'HEALTH' | 'SCHOOL' | 'LA_HOUSING' | 'INDIVIDUAL' | 'OTHER' }[];
  /**
   * Factors identified at the end of assessment. Codes as in the CIN census; this export uses
   * 3A (domestic abuse: concerns about the child as victim), 3B (the parent/carer as victim),
   * 3C (another person in the household).
   */
  assessments: { completedOn: string; factors: string[] }[];
  s47Enquiries: { startedOn: string; outcome: 'ICPC' | 'NFA' | 'CIN' }[];
  cpPlans: { startDate: string; endDate?: string; category: 'NEGLECT' | 'PHYSICAL' | 'EMOTIONAL' | 'SEXUAL' | 'MULTIPLE' }[];
  cinPlans: { startDate: string; endDate?: string }[];
  lookedAfter: { startDate: string; endDate?: string; legalStatus: 'C2' | 'V2' | 'E1' | 'L1' }[];
  earlyHelp: { startDate: string; endDate?: string }[];
  allocatedWorker?: { name: string; team: string; phone: string };
}

export interface InvolvedAdult {
  adultRef: string;
  forename: string;
  surname: string;
  formerSurnames: string[];
  dateOfBirth?: string;
  sex: 'F' | 'M';
  nhsNumber?: string;
  children: { childId: string; relationship: 'MOTHER' | 'FATHER' | 'STEP_PARENT' | 'CARER' }[];
  preBirth?: { startedOn: string; edd: string; plan: 'UNBORN_CPP' | 'CIN' | 'NONE' };
}

export interface AdultRecord {
  adultId: string;
  forename: string;
  surname: string;
  formerSurnames: string[];
  dateOfBirth: string;
  sex: 'F' | 'M';
  nhsNumber?: string;
  careAndSupportNeeds: boolean;
  primarySupportReason?: 'PHYSICAL' | 'MENTAL_HEALTH' | 'LEARNING_DISABILITY' | 'MEMORY_COGNITION' | 'SOCIAL_SUPPORT' | 'SENSORY';
  services: { type: 'HOME_CARE' | 'DAY_SERVICE' | 'DIRECT_PAYMENT' | 'RESIDENTIAL' | 'CARER_SUPPORT'; startDate: string; endDate?: string }[];
  s42Enquiries: {
    openedOn: string; closedOn?: string; concernType: 'DOMESTIC_ABUSE' | 'PHYSICAL' | 'FINANCIAL' | 'NEGLECT' | 'PSYCHOLOGICAL';
    outcome?: 'RISK_REMOVED' | 'RISK_REDUCED' | 'RISK_REMAINS' | 'NO_FURTHER_ACTION';
  }[];
  capacityAssessments: { date: string; decision: string; lacksCapacity: boolean }[];
}

export interface SocialCareExport {
  format: 'SOCIAL-CARE-EXPORT';
  version: '1.0';
  localAuthority: string;
  exportedAt: string;
  children: ChildRecord[];
  involvedAdults: InvolvedAdult[];
  adults: AdultRecord[];
}
