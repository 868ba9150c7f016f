import type { PersonName } from './names.js';

export type { PersonName };

export interface IdentifierValue {
  system: string;
  value: string;
}

/** What a research request says about a subject (fields may be missing: the gateway redacts per agreement). */
export interface SubjectQuery {
  names?: PersonName[];
  dobs?: string[];
  sexOrGender?: string;
  identifiers?: IdentifierValue[];
  /** A generalised address (a bare postcode district string) carries no matching evidence and is ignored. */
  address?: { uprn?: string; postcode?: string } | string;
}

/** One person as the agency's system knows them, flattened for matching by the adapter. */
export interface CandidatePerson {
  /** The agency's own key for the person; never leaves the adapter. */
  recordId: string;
  names: PersonName[];
  dobs: string[];
  sexOrGender?: string;
  identifiers: IdentifierValue[];
  /** Current and previous postcodes. */
  postcodes?: string[];
  /** Current and previous property UPRNs. */
  uprns?: string[];
}

export type MatchedOn = 'nhs-number' | 'pnc-id' | 'uprn' | 'la-child-id' | 'upn' | 'name' | 'dob' | 'postcode';

export type MatchStatus = 'MATCHED' | 'POSSIBLE' | 'NOT_FOUND';

export interface MatchResult {
  status: MatchStatus;
  /** 0..1, two decimals. */
  confidence: number;
  /** Evidence in the schema's vocabulary (`nhs-number`, `pnc-id`, `uprn`, `la-child-id`, `upn`, `name`, `dob`, `postcode`). */
  matchedOn: MatchedOn[];
  /** Finer detail for logs and tests: `alias`, `name-variant`, `name-typo`, `dob-swapped`, `dob-alternative`... */
  evidence: string[];
  /** The agency's key of the best candidate (absent when NOT_FOUND); stays inside the adapter. */
  recordId?: string;
  /** Why a match was held back to POSSIBLE (for the adapter's log and the withheld note). */
  caveats?: string[];
}
