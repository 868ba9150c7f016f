/**
 * The police records export this adapter reads: POLE-shaped (Person, Object, Location, Event),
 * loosely after the NPCC POLE data standard and the PDS iHub Standard Data Model (constrained values
 * as codes, e.g. `GNDR_0001`), plus the DA-relevant registers a force keeps alongside (convictions
 * from PNC, orders, bail, warning markers, DVDS disclosures, MAPPA).
 */
export interface PoleName {
  givenName: string[];
  surname: string;
  nameType: 'PRIMARY' | 'ALIAS' | 'MAIDEN' | 'PREFERRED';
}

export interface PolePerson {
  personRef: string;
  names: PoleName[];
  /** GNDR_0001 female, GNDR_0002 male, GNDR_0009 not known. */
  gender: 'GNDR_0001' | 'GNDR_0002' | 'GNDR_0009';
  dateOfBirth: string;
  alternativeDatesOfBirth: string[];
  pncId?: string;
  addresses: { locationRef: string; current: boolean }[];
}

export interface PoleLocation {
  locationRef: string;
  uprn?: string;
  addressLines: string[];
  postcode: string;
}

export interface PoleObject {
  objectRef: string;
  objectType: 'SHOTGUN_CERTIFICATE' | 'FIREARM_CERTIFICATE' | 'FIREARM' | 'BLADED_ARTICLE';
  holderPersonRef: string;
  status: 'HELD' | 'REVOKED' | 'SEIZED';
  date: string;
}

export type PoleEventCategory =
  | 'DA_ASSAULT' | 'DA_HARASSMENT' | 'DA_VERBAL' | 'DA_SEXUAL' | 'STALKING' | 'CONTROLLING_COERCIVE'
  | 'NON_FATAL_STRANGULATION' | 'THREATS_TO_KILL' | 'BREACH_OF_ORDER' | 'CRIMINAL_DAMAGE'
  | 'THEFT' | 'PUBLIC_ORDER' | 'DRUGS' | 'ASB' | 'CONCERN_FOR_WELFARE';

export interface PoleEvent {
  eventRef: string;
  eventType: 'INCIDENT' | 'CRIME';
  occurredOn: string;
  category: PoleEventCategory;
  daFlag: boolean;
  crimeRef?: string;
  summary: string;
  outcome: 'CHARGED' | 'CAUTIONED' | 'CONVICTED' | 'NFA' | 'ONGOING' | 'UNKNOWN';
  investigationStatus: 'OPEN' | 'CLOSED';
  /** Disclosure would prejudice a live investigation (set by the OIC). */
  sensitive: boolean;
  officerInCharge?: { name: string; contact: string };
  locationRef?: string;
  involved: { personRef: string; role: 'VICTIM' | 'SUSPECT' | 'WITNESS' | 'OFFENDER' | 'OTHER' }[];
}

export interface PoleConviction {
  personRef: string;
  convictedOn: string;
  offenceCategory: 'VIOLENCE' | 'SEXUAL' | 'WEAPONS' | 'DA' | 'PUBLIC_ORDER' | 'DRUGS' | 'PROPERTY' | 'OTHER';
  offenceDescription: string;
  disposal: string;
  /** Spent under ROA 1974 (still held; not relevant to current risk unless DA/violence). */
  spent: boolean;
}

export interface PoleOrder {
  orderRef: string;
  orderType: 'NMO' | 'RESTRAINING' | 'DVPN' | 'DVPO' | 'DAPN' | 'DAPO' | 'OCCUPATION' | 'STALKING_PROTECTION';
  respondentPersonRef: string;
  protectedPersonRefs: string[];
  madeOn: string;
  expires?: string;
}

export interface PoleBail {
  personRef: string;
  eventRef: string;
  conditions: ('NO_CONTACT_VICTIM' | 'NO_CONTACT_CHILDREN' | 'EXCLUSION_ZONE' | 'NOT_TO_ENTER_ADDRESS' | 'CURFEW' | 'RESIDENCE' | 'REPORTING')[];
  grantedOn: string;
  until: string;
}

export interface PoleMarker {
  personRef: string;
  /** Local warning-marker codes: WE weapons, FI firearms, VI violent, DA domestic abuse, ST stalker. */
  code: 'WE' | 'FI' | 'VI' | 'DA' | 'ST';
  placedOn: string;
}

export interface PoliceExport {
  format: 'POLE-EXPORT';
  version: '1.0';
  force: string;
  exportedAt: string;
  persons: PolePerson[];
  locations: PoleLocation[];
  objects: PoleObject[];
  events: PoleEvent[];
  convictions: PoleConviction[];
  orders: PoleOrder[];
  bail: PoleBail[];
  markers: PoleMarker[];
  dvdsDisclosures: { personRef: string; disclosedOn: string; route: 'RIGHT_TO_ASK' | 'RIGHT_TO_KNOW' }[];
  mappa: { personRef: string; category: 1 | 2 | 3 | 4; level: 1 | 2 | 3 }[];
  addressAlerts: { locationRef: string; personRef: string; placedOn: string }[];
}
