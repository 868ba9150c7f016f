import type { PersonRole } from '../principal.js';

/** A person the development identity provider knows. Never used outside dev and tests. */
export interface DemoUser {
  /** Also the OIDC `sub`. */
  username: string;
  password: string;
  /** Goes out as the `name` claim; the gateway shows it as the display name. */
  name: string;
  roles: PersonRole[];
  /** Goes out as the agency claim (coordinators work for a MARAC coordinating agency). */
  agency?: string;
  /** Goes out as the `email` claim: where notifications go (reserved .example domains only). */
  email?: string;
}

/** The one password every demo person has. Printed by `npm start` and shown on the dev log-in page. */
export const DEMO_PASSWORD = 'demo';

/**
 * One person per role, and two IG officers so maker-checker (one drafts, another approves) can be
 * shown and tested.
 */
export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'coordinator@essex-marat', password: DEMO_PASSWORD, name: 'Casey Coordinator', roles: ['coordinator'], agency: 'essex-marat', email: 'coordinator@essex-marat.example' },
  // The coordinator of a second MARAC area: receives cases transferred under the inter-area agreement (docs/decisions/0029-transfers.md).
  { username: 'coordinator@southend-marac', password: DEMO_PASSWORD, name: 'Sol Southend', roles: ['coordinator'], agency: 'southend-marac', email: 'coordinator@southend-marac.example' },
  { username: 'ig.officer1', password: DEMO_PASSWORD, name: 'Indra Governance', roles: ['ig_officer'], email: 'ig.officer1@essex-marat.example' },
  { username: 'ig.officer2', password: DEMO_PASSWORD, name: 'Glen Checker', roles: ['ig_officer'], email: 'ig.officer2@essex-marat.example' },
  { username: 'auditor', password: DEMO_PASSWORD, name: 'Ada Auditor', roles: ['auditor'], email: 'auditor@essex-marat.example' },
  { username: 'admin', password: DEMO_PASSWORD, name: 'Sam Admin', roles: ['admin'], email: 'admin@essex-marat.example' },
  // Partner agency staff with no integrated system: they answer research and attend in the browser.
  { username: 'researcher@chelmsford-housing', password: DEMO_PASSWORD, name: 'Harper Housing', roles: ['agency_researcher'], agency: 'chelmsford-housing', email: 'researcher@chelmsford-housing.example' },
  { username: 'rep@chelmsford-housing', password: DEMO_PASSWORD, name: 'Hollis Housing', roles: ['agency_representative'], agency: 'chelmsford-housing', email: 'rep@chelmsford-housing.example' },
  { username: 'researcher@essex-police', password: DEMO_PASSWORD, name: 'Parker Police', roles: ['agency_researcher'], agency: 'essex-police', email: 'researcher@essex-police.example' },
  { username: 'rep@safe-steps-idva', password: DEMO_PASSWORD, name: 'Iris Advocate', roles: ['agency_representative', 'agency_researcher'], agency: 'safe-steps-idva', email: 'rep@safe-steps-idva.example' },
  // The IG lead of a housing association that is not yet a party: registered by the admin, it accedes to an agreement in force (docs/decisions/0023-accession.md).
  { username: 'ig@colne-housing', password: DEMO_PASSWORD, name: 'Colm Colne', roles: ['ig_officer'], agency: 'colne-housing', email: 'ig@colne-housing.example' },
  { username: 'researcher@colne-housing', password: DEMO_PASSWORD, name: 'Rory Colne', roles: ['agency_researcher'], agency: 'colne-housing', email: 'researcher@colne-housing.example' },
];
