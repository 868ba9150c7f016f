import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../../helpers/oidc.js';
import { buildPeopleWorld, type PeopleWorld } from './world.js';

let w: PeopleWorld;
beforeAll(async () => {
  w = await buildPeopleWorld();
});
afterAll(async () => {
  await w?.close();
});

describe('log-in through the real OIDC flow', () => {
  it('gives each demo person the roles the provider vouches for', async () => {
    const cases = [
      ['coordinator@essex-marat', ['coordinator'], 'essex-marat'],
      ['ig.officer1', ['ig_officer'], undefined],
      ['ig.officer2', ['ig_officer'], undefined],
      ['auditor', ['auditor'], undefined],
      ['admin', ['admin'], undefined],
    ] as const;
    for (const [username, roles, agency] of cases) {
      const s = await loginAs(w.appBase, username);
      const res = await fetch(`${w.appBase}/whoami`, { headers: { cookie: s.cookie } });
      expect(res.status).toBe(200);
      const p = await res.json();
      expect(p).toMatchObject({ kind: 'person', userId: username, roles: [...roles] });
      expect(p.agencyId).toBe(agency);
      expect(typeof p.displayName).toBe('string');
    }
    const logins = (await w.auditRows()).filter((r) => r.action === 'LOGIN');
    expect(logins.map((r) => r.actor.userId)).toEqual(cases.map((c) => c[0]));
  });
});
