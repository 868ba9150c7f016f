/**
 * Scenario (issue 12, class 4): suspend and resume with two officers, through the web pages as IG
 * officers use them, signed in through the real OIDC provider. Officer 1 suspends Essex MARAT on a
 * confirmation page that asks for the reason; research stops at once; officer 1 cannot lift the
 * suspension, officer 2 can. The same for removing a party after a partner's breach.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { CLOCK, answer, auditRows, openCase, readPack, requestResearch, section, type Ids } from './world.js';

describe('suspend and resume with two officers (web pages, real log-ins)', () => {
  let w: WebWorld;
  let one: LoggedIn;
  let two: LoggedIn;
  let caseId: string;
  let ids: Ids;
  let requestId: string;
  const base = '/agreements/essex-marat/versions/1';

  beforeAll(async () => {
    w = await startWebWorld({ queue: 'redis' });
    w.t.clock.set(CLOCK);
    one = await w.login('ig.officer1');
    two = await w.login('ig.officer2');
    ({ caseId, ids } = await openCase(w.t));
    const r = await requestResearch(w.t, caseId, ['essex-police']);
    expect(r.status).toBe(201);
    requestId = r.body.requestId;
    expect((await answer(w.t, 'essex-police', requestId, ids)).response.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it('the version page offers suspension through a confirmation page that asks for the reason', async () => {
    const page = await (await w.page(base, one)).text();
    expect(page).toContain(`href="${base}/suspend"`);
    const confirm = await w.page(`${base}/suspend`, one);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain('name="reason"');
    expect(html).toContain('name="confirm"');
  });

  it('without a reason or without the tick, nothing is suspended and the page says what is missing', async () => {
    const noReason = await w.form(`${base}/suspend`, one, { confirm: 'yes' });
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('Give the reason');
    const noTick = await w.form(`${base}/suspend`, one, { reason: 'Partner breach' });
    expect(noTick.status).toBe(400);
    expect(await noTick.text()).toContain('Tick the box to confirm');
    expect(section(await readPack(w.t, 'essex-marat', caseId), 'essex-police').release.released).toBe(true);
  });

  it('officer 1 suspends: research stops at once', async () => {
    const r = await w.form(`${base}/suspend`, one, { reason: 'Partner breach reported by the police', confirm: 'yes' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`${base}?done=suspended`);
    const page = await (await w.page(base, one)).text();
    expect(page).toContain('govuk-tag--orange">Suspended');
    // The officer who suspended is not offered Resume (maker-checker); a second officer is.
    expect(page).not.toContain('Resume this version');
    expect(await (await w.page(base, two)).text()).toContain('Resume this version');
    expect(section(await readPack(w.t, 'essex-marat', caseId), 'essex-police').release).toEqual({ released: false, reason: 'AGREEMENT_SUSPENDED' });
  });

  it('officer 1 cannot resume it; officer 2 can, and research is released again', async () => {
    const same = await w.form(`${base}/resume`, one, {});
    expect(same.status).toBe(403);
    expect(await same.text()).toContain('another IG officer must resume it');
    expect(section(await readPack(w.t, 'essex-marat', caseId), 'essex-police').release.released).toBe(false);

    const other = await w.form(`${base}/resume`, two, {});
    expect(other.status).toBe(303);
    expect(other.headers.get('location')).toBe(`${base}?done=resumed`);
    expect(section(await readPack(w.t, 'essex-marat', caseId), 'essex-police').release).toMatchObject({ released: true, version: 1 });

    const events = await auditRows(w.t, `action IN ('AGREEMENT_SUSPENDED', 'AGREEMENT_RESUMED')`);
    expect(events.map((e) => e.action)).toEqual(['AGREEMENT_SUSPENDED', 'AGREEMENT_RESUMED']);
    expect(events[0]!.actor_id).not.toBe(events[1]!.actor_id);
  });

  it('removing a party: a confirmation page, at once, and only a second officer restores it', async () => {
    expect((await (await w.page(base, one)).text())).toContain('/agreements/essex-marat/parties/essex-police/remove');
    const confirm = await w.page('/agreements/essex-marat/parties/essex-police/remove', one);
    expect(confirm.status).toBe(200);
    expect((await w.form('/agreements/essex-marat/parties/essex-police/remove', one, { reason: 'Data breach' })).status).toBe(400);
    const removed = await w.form('/agreements/essex-marat/parties/essex-police/remove', one, { reason: 'Data breach', confirm: 'yes' });
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toBe(`${base}?done=removed`);
    expect(section(await readPack(w.t, 'essex-marat', caseId), 'essex-police').release).toEqual({ released: false, reason: 'PARTY_REMOVED' });

    const same = await w.form('/agreements/essex-marat/parties/essex-police/restore', one, {});
    expect(same.status).toBe(403);
    const other = await w.form('/agreements/essex-marat/parties/essex-police/restore', two, {});
    expect(other.status).toBe(303);
    expect(section(await readPack(w.t, 'essex-marat', caseId), 'essex-police').release.released).toBe(true);
  });
});
