/**
 * The IDVA service's case management export: one client record per victim referred, with contact
 * attempts, DASH risk assessments, the victim's own views and wishes, the safety plan, safe contact
 * details (the most dangerous data the service holds), immigration and language needs.
 */
export interface IdvaClient {
  clientRef: string;
  firstName: string;
  lastName: string;
  otherNames: { firstName: string; lastName: string }[];
  dateOfBirth?: string;
  gender: 'F' | 'M' | 'X';
  postcode?: string;
  referral: { date: string; source: 'POLICE' | 'MARAC' | 'HEALTH' | 'SELF' | 'HOUSING' | 'CSC' | 'OTHER' };
  status: 'OPEN' | 'CLOSED';
  closedOn?: string;
  contactAttempts: { date: string; method: 'PHONE' | 'IN_PERSON' | 'TEXT'; outcome: 'CONTACTED' | 'NO_ANSWER' | 'UNSAFE_TO_CONTINUE' }[];
  dash: { date: string; score: number; version: 'SAFELIVES_24Q' }[];
  views?: string;
  wantsFromMarac?: string;
  safetyPlan: { inPlace: boolean; reviewedOn?: string };
  safeContact?: { phone?: string; safeTimes?: string; safeToLeaveMessage: boolean };
  immigration?: { nrpf: boolean };
  interpreterLanguage?: string;
}

export interface IdvaExport {
  format: 'IDVA-EXPORT';
  version: '1.0';
  service: string;
  exportedAt: string;
  clients: IdvaClient[];
}
