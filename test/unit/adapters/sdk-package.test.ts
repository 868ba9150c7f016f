import { describe, expect, it } from 'vitest';
import type { AgencyType as SdkAgencyType, ProblemDetail as SdkProblem } from '@marac/adapter-sdk';
import { AGENCY_TYPES, type AgencyType } from '../../../gateway/src/identity/principal.js';
import type { ProblemDetail } from '../../../gateway/src/errors.js';
import { TLS_PROFILE as GatewayTls } from '../../../gateway/src/tls-profile.js';
import { TLS_PROFILE } from '@marac/tls-profile';

/** The SDK keeps its own copies of a few gateway shapes (it may not import the gateway): equal both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agencyTypesAgree: Same<AgencyType, SdkAgencyType> = true;
const problemsAgree: Same<ProblemDetail, SdkProblem> = true;

describe('@marac/adapter-sdk as a package', () => {
  it('resolves by its name, with the gateway\'s agency types and problem shape', async () => {
    const sdk = await import('@marac/adapter-sdk');
    expect(typeof sdk.createMatcher).toBe('function');
    expect(typeof sdk.startAdapter).toBe('function');
    expect(agencyTypesAgree && problemsAgree).toBe(true);
    const sample: SdkAgencyType[] = [...AGENCY_TYPES];
    expect(sample).toHaveLength(AGENCY_TYPES.length);
  });

  it('shares one TLS profile with the gateway', () => {
    expect(GatewayTls).toBe(TLS_PROFILE);
  });
});
