/**
 * The probation case management export this adapter reads (nDelius-shaped): one case per person on
 * probation's books (CRN), with sentence events, requirements and licence conditions, registrations,
 * the latest RoSH summary, OASys scores (never shared), breaches and recalls, and the offender manager.
 */
export type RoshLevel = 'LOW' | 'MEDIUM' | 'HIGH' | 'VERY_HIGH';

export interface ProbationCase {
  crn: string;
  forename: string;
  middleNames?: string;
  surname: string;
  aliases: { forename: string; surname: string }[];
  dateOfBirth: string;
  sex: 'F' | 'M';
  pncId?: string;
  nomsNumber?: string;
  events: {
    eventNumber: number;
    offenceCategory: 'DA_VIOLENCE' | 'VIOLENCE' | 'SEXUAL' | 'STALKING' | 'WEAPONS' | 'ACQUISITIVE' | 'DRUGS' | 'OTHER';
    offenceDescription: string;
    sentenceType: 'LICENCE' | 'PSS' | 'COMMUNITY_ORDER' | 'SUSPENDED_SENTENCE';
    startDate: string;
    endDate?: string;
    active: boolean;
  }[];
  /** Requirements (community orders) and licence conditions, by local code. */
  requirements: {
    code: 'NO_CONTACT_NAMED' | 'NO_CONTACT_CHILDREN' | 'EXCLUSION_ZONE' | 'RESIDE_AP' | 'CURFEW' | 'BBR' | 'DRUG_TEST' | 'DISCLOSE_RELATIONSHIPS' | 'UNPAID_WORK' | 'RAR' | 'ALCOHOL_TREATMENT';
    startDate: string;
    endDate?: string;
  }[];
  registrations: { type: 'DOMESTIC_ABUSE_PERPETRATOR' | 'CHILD_CONCERNS' | 'MAPPA' | 'HIGH_ROSH' | 'WEAPONS'; date: string }[];
  rosh?: { assessedOn: string; overall: RoshLevel; knownAdult: RoshLevel; children: RoshLevel; public: RoshLevel; staff: RoshLevel };
  /** Actuarial scores from OASys: internal to probation, never part of research. */
  oasysScores?: { ogrs3: number; ovp: number; ogp: number };
  contacts: { last3mAttended: number; last3mMissed: number };
  breaches: { date: string; type: 'WARNING' | 'BREACH' | 'RECALL'; outcome: string }[];
  offenderManager: { name: string; team: string; phone: string };
}

export interface ProbationExport {
  format: 'PROBATION-EXPORT';
  version: '1.0';
  region: string;
  exportedAt: string;
  cases: ProbationCase[];
}
