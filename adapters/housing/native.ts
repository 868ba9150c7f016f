/**
 * The housing management export this adapter reads (council housing service and its RSL partners):
 * people, properties keyed by UPRN, tenancies with household members, rent accounts, ASB cases,
 * sanctuary scheme installations, homelessness applications and transfer requests. Field names
 * follow the vocabulary of DLUHC CORE returns where one exists (uprn, tenancy start, tenant code).
 */
export interface HousingPerson {
  personRef: string;
  forenames: string;
  surname: string;
  formerSurnames: string[];
  knownAs?: string;
  dateOfBirth?: string;
  gender: 'F' | 'M' | 'U';
}

export interface HousingProperty {
  uprn: string;
  addressLines: string[];
  postcode: string;
  propertyType: 'FLAT' | 'HOUSE' | 'BEDSIT' | 'HOSTEL_ROOM';
}

export interface Tenancy {
  tenancyRef: string;
  uprn: string;
  /** Legal form of the tenancy as the landlord records it. */
  tenancyType: 'SECURE' | 'INTRODUCTORY' | 'ASSURED' | 'ASSURED_SHORTHOLD' | 'LICENCE' | 'REFUGE_LICENCE';
  landlordType: 'COUNCIL' | 'RSL' | 'PRIVATE' | 'TEMPORARY_ACCOMMODATION' | 'REFUGE_PROVIDER';
  landlordOrgId: string;
  startDate: string;
  endDate?: string;
  tenantRefs: string[];
  householdMembers: { personRef: string; relationship: 'PARTNER' | 'CHILD' | 'PARENT' | 'OTHER' }[];
}

export interface RentAccount {
  tenancyRef: string;
  /** Arrears in pounds (positive = owed) at `asOf`. */
  arrears: number;
  asOf: string;
}

export interface AsbCase {
  caseRef: string;
  openedOn: string;
  closedOn?: string;
  category: 'NOISE' | 'HARASSMENT' | 'VERBAL_ABUSE' | 'DOMESTIC_ABUSE' | 'CRIMINAL_DAMAGE' | 'OTHER';
  parties: { personRef: string; role: 'COMPLAINANT' | 'ALLEGED_PERPETRATOR' | 'WITNESS' }[];
}

export interface HousingExport {
  format: 'HOUSING-EXPORT';
  version: '1.0';
  exportedAt: string;
  people: HousingPerson[];
  properties: HousingProperty[];
  tenancies: Tenancy[];
  rentAccounts: RentAccount[];
  asbCases: AsbCase[];
  sanctuaryInstallations: { uprn: string; personRef: string; referredOn: string; installedOn?: string }[];
  homelessnessApplications: {
    applicationRef: string; personRef: string; appliedOn: string;
    reason: 'DOMESTIC_ABUSE' | 'END_OF_PRIVATE_TENANCY' | 'FAMILY_EVICTION' | 'OTHER';
    status: 'OPEN' | 'ACCEPTED' | 'REFUSED' | 'CLOSED';
  }[];
  transferRequests: { personRef: string; requestedOn: string; type: 'MANAGEMENT_TRANSFER' | 'MUTUAL_EXCHANGE'; status: 'OPEN' | 'COMPLETED' | 'CLOSED' }[];
}
