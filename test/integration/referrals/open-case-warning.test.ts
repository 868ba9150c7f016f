/**
 * The same victim referred twice (police and housing) before either is accepted: repeat detection
 * ran when each arrived, when there was no case. Once the first is accepted, the second's page
 * warns that an open case has a person with the victim's NHS number, and links it; a referral for
 * another victim, and the accepted one, carry no warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { key, otherVictim, sampleReferral } from './fixtures.js';

let w: WebWorld;
let coord: LoggedIn;

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', workers: false });
  coord = await w.login('coordinator@essex-marat');
});
afterAll(async () => {
  await w?.close();
});

async function refer(agency: string, body: unknown): Promise<string> {
  const r = await w.t.as(agency).post('/v1/referrals', body, { 'Idempotency-Key': key() });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.referralId as string;
}

describe('a referral for a victim who already has an open case', () => {
  it('warns on the referral page once the other referral has opened the case', async () => {
    const fromPolice = await refer('essex-police', sampleReferral());
    const fromHousing = await refer('chelmsford-housing', sampleReferral());
    const someoneElse = await refer('essex-police', otherVictim(sampleReferral()));
    // Before anything is accepted: no case, no warning.
    expect(await (await w.page(`/referrals/${fromHousing}`, coord)).text()).not.toContain('data-warning="open-case"');

    const d = new Date(Date.now() + 10 * 86_400_000);
    const accepted = await w.form(`/referrals/${fromPolice}/accept`, coord, {
      'meetingDate-day': String(d.getUTCDate()), 'meetingDate-month': String(d.getUTCMonth() + 1), 'meetingDate-year': String(d.getUTCFullYear()),
    });
    expect(accepted.status).toBe(303);
    const caseId = /\/cases\/(case_[0-9a-f]{32})/.exec(accepted.headers.get('location') ?? '')![1]!;

    const second = await (await w.page(`/referrals/${fromHousing}`, coord)).text();
    expect(second).toContain('data-warning="open-case"');
    expect(second).toContain('a person with this victim’s NHS number');
    expect(second).toContain(`href="/cases/${caseId}"`);
    expect(second).toContain('Accepting opens another case.');
    expect(await (await w.page(`/referrals/${someoneElse}`, coord)).text()).not.toContain('data-warning="open-case"');
    expect(await (await w.page(`/referrals/${fromPolice}`, coord)).text()).not.toContain('data-warning="open-case"');
  });
});
