/**
 * The world of the kill-switch and refusals tests: a whole gateway with the people web (real OIDC
 * log-ins for two IG officers), agencies over mTLS, and the agreement API called as a browser
 * session would (cookie + CSRF header).
 */
import { expect } from 'vitest';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { CLOCK } from '../scenarios/world.js';

export interface ApiAnswer {
  status: number;
  body: any;
}

export interface KillSwitchWorld {
  w: WebWorld;
  officer1: LoggedIn;
  officer2: LoggedIn;
  api(who: LoggedIn, method: 'GET' | 'POST', url: string, body?: unknown): Promise<ApiAnswer>;
  /** A new version of `id` from `edit(copy of the version in force)`, written by officer1, approved by officer2, activated. */
  newVersion(id: string, edit?: (doc: Record<string, any>) => void): Promise<number>;
  close(): Promise<void>;
}

export const REASONED = { reason: 'Partner breach under investigation', confirm: true } as const;

export async function startKillSwitchWorld(): Promise<KillSwitchWorld> {
  const w = await startWebWorld({ queue: 'redis' });
  w.t.clock.set(CLOCK);
  const officer1 = await w.login('ig.officer1');
  const officer2 = await w.login('ig.officer2');
  const api = async (who: LoggedIn, method: 'GET' | 'POST', url: string, body?: unknown): Promise<ApiAnswer> => {
    const r = await fetch(`${w.base}${url}`, {
      method,
      headers: {
        accept: 'application/json', cookie: who.cookie, origin: w.base, 'x-csrf-token': who.csrfToken,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: text && (r.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  };
  return {
    w,
    officer1,
    officer2,
    api,
    async newVersion(id, edit) {
      const current = await api(officer1, 'GET', `/v1/agreements/${id}`);
      const inForce = (current.body.versions as any[]).filter((v) => v.activatedAt).sort((a, b) => Date.parse(b.activatedAt) - Date.parse(a.activatedAt) || b.version - a.version)[0];
      const doc = structuredClone((await api(officer1, 'GET', `/v1/agreements/${id}/versions/${inForce.version}`)).body.doc);
      edit?.(doc);
      const draft = await api(officer1, 'POST', '/v1/agreements', doc);
      expect(draft.status, JSON.stringify(draft.body)).toBe(201);
      expect(draft.body.problems).toEqual([]);
      const v = draft.body.version as number;
      expect((await api(officer2, 'POST', `/v1/agreements/${id}/versions/${v}/approve`)).status).toBe(200);
      expect((await api(officer2, 'POST', `/v1/agreements/${id}/versions/${v}/activate`)).status).toBe(200);
      return v;
    },
    close: () => w.close(),
  };
}

/** A copy of the agreement without one party and the flows that select its type. */
export function withoutParty(agencyId: string, type: string) {
  return (doc: Record<string, any>) => {
    doc.parties = doc.parties.filter((p: any) => p.agency !== agencyId);
    const names = (sel: any) => sel?.agency === agencyId || sel?.type === type;
    doc.flows = doc.flows.filter((f: any) => !names(f.from) && !names(f.to));
  };
}
