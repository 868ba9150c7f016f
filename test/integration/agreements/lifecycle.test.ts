import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditLog } from '../../../gateway/src/audit/types.js';
import { decide } from '../../../gateway/src/policy/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { alice, auditorDan, bob, buildService, carol, createAuditRecorder, sampleAgreement } from './fixtures.js';

let db: TestDatabase;
let audit: ReturnType<typeof createAuditRecorder>;
const clock = { now: new Date('2025-06-05T09:00:00Z') };
let svc: ReturnType<typeof buildService>;

beforeAll(async () => {
  db = await createTestDatabase();
  audit = createAuditRecorder(db.pool, () => clock.now);
  svc = buildService(db.pool, audit, clock);
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  clock.now = new Date('2025-06-05T09:00:00Z');
  await db.pool.query('TRUNCATE agreement_accessions, agreement_party_removals, agreement_versions, agreements, audit_pending');
});

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  throw new Error('expected a rejection');
};

async function eventsSince(seq: number) {
  return (await audit.events()).filter((e) => e.seq > seq);
}
async function lastSeq() {
  const all = await audit.events();
  return all.length ? all[all.length - 1]!.seq : 0;
}

/** v1 of test-marac, written by alice, approved by bob and active. */
async function activeV1() {
  await svc.createDraft(alice, sampleAgreement());
  await svc.approve(bob, 'test-marac', 1);
  return svc.activate(bob, 'test-marac', 1);
}

const callerCase = {
  maracArea: 'test',
  riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 16 },
};

describe('drafts', () => {
  it('creates version 1 of a new agreement, then version 2, each with one AGREEMENT_CREATED event', async () => {
    const first = await svc.createDraft(alice, sampleAgreement());
    expect(first.version).toMatchObject({ agreementId: 'test-marac', version: 1, status: 'draft', createdBy: 'user:alice', authors: ['user:alice'] });
    expect(first.problems).toEqual([]);
    const second = await svc.createDraft(bob, { ...sampleAgreement(), version: 7 });
    expect(second.version.version).toBe(2);
    expect(second.version.doc).not.toHaveProperty('version');
    const events = await audit.events();
    expect(events.map((e) => [e.action, e.actor, e.agreement_version])).toEqual([
      ['AGREEMENT_CREATED', 'user:alice', 1],
      ['AGREEMENT_CREATED', 'user:bob', 2],
    ]);
  });

  it('saves a draft that has problems and lists them all', async () => {
    const doc = sampleAgreement({ expiresAt: '2024-01-01', purposes: ['NOT_A_PURPOSE'] });
    const saved = await svc.createDraft(alice, doc);
    expect(saved.version.status).toBe('draft');
    const codes = saved.problems.map((p) => p.path);
    expect(codes.length).toBeGreaterThanOrEqual(2);
    expect(codes.some((p) => p.startsWith('/purposes'))).toBe(true);
    expect(codes.some((p) => p.startsWith('/expiresAt') || p.startsWith('/reviewBy') || p.startsWith('/effectiveFrom'))).toBe(true);
  });

  it('refuses a document without a usable id, or that is not an object, writing nothing', async () => {
    expect(await codeOf(svc.createDraft(alice, sampleAgreement({ id: 'Bad Id!' })))).toBe('AGREEMENT_ID_INVALID');
    expect(await codeOf(svc.createDraft(alice, { title: 'no id' }))).toBe('AGREEMENT_ID_INVALID');
    expect(await codeOf(svc.createDraft(alice, ['not', 'an', 'object']))).toBe('AGREEMENT_UNREADABLE');
    expect(await codeOf(svc.createDraft(alice, JSON.parse('{"id":"x-y","__proto__":{"polluted":true}}')))).toBe('AGREEMENT_UNREADABLE');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM agreement_versions')).rows[0].n).toBe(0);
    expect(await audit.events()).toEqual([]);
  });

  it('lets only IG officers change agreements', async () => {
    expect(await codeOf(svc.createDraft(auditorDan, sampleAgreement()))).toBe('FORBIDDEN');
    expect(await codeOf(svc.createDraft({ kind: 'agency', agencyId: 'test-police', agencyType: 'POLICE', certFingerprint: 'ab' }, sampleAgreement()))).toBe('FORBIDDEN');
  });

  it('edits a draft: the editor becomes a co-author, one AGREEMENT_CHANGED event', async () => {
    await svc.createDraft(alice, sampleAgreement());
    const seq = await lastSeq();
    const edited = await svc.editDraft(bob, 'test-marac', 1, sampleAgreement({ title: 'Renamed' }));
    expect(edited.version.doc.title).toBe('Renamed');
    expect(edited.version.authors).toEqual(['user:alice', 'user:bob']);
    expect((await eventsSince(seq)).map((e) => [e.action, e.actor])).toEqual([['AGREEMENT_CHANGED', 'user:bob']]);
  });

  it('refuses to edit a draft under another id, and to edit anything but a draft', async () => {
    await activeV1();
    await svc.createDraft(alice, sampleAgreement());
    expect(await codeOf(svc.editDraft(alice, 'test-marac', 2, sampleAgreement({ id: 'other-marac' })))).toBe('AGREEMENT_ID_INVALID');
    const seq = await lastSeq();
    expect(await codeOf(svc.editDraft(alice, 'test-marac', 1, sampleAgreement({ title: 'Sneaky' })))).toBe('AGREEMENT_NOT_DRAFT');
    expect((await svc.get('test-marac', 1)).doc.title).toBe('Test MARAC research sharing');
    expect(await eventsSince(seq)).toEqual([]);
    expect(await codeOf(svc.editDraft(alice, 'test-marac', 9, sampleAgreement()))).toBe('AGREEMENT_VERSION_NOT_FOUND');
    expect(await codeOf(svc.editDraft(alice, 'nope-marac', 1, sampleAgreement({ id: 'nope-marac' })))).toBe('AGREEMENT_NOT_FOUND');
  });

  it('validates on request, with one AGREEMENT_VALIDATED event', async () => {
    await svc.createDraft(alice, sampleAgreement({ retentionDays: 0 }));
    const r = await svc.validate(bob, 'test-marac', 1);
    expect(r.valid).toBe(false);
    expect(r.problems.some((p) => p.path === '/retentionDays')).toBe(true);
    const ev = (await audit.events()).at(-1)!;
    expect(ev).toMatchObject({ action: 'AGREEMENT_VALIDATED', actor: 'user:bob', detail: { valid: false, problemCount: r.problems.length } });
  });
});

describe('maker-checker approval', () => {
  it('refuses the author, and anyone who edited the version', async () => {
    await svc.createDraft(alice, sampleAgreement());
    await svc.editDraft(bob, 'test-marac', 1, sampleAgreement({ title: 'Edited by Bob' }));
    const seq = await lastSeq();
    expect(await codeOf(svc.approve(alice, 'test-marac', 1))).toBe('MAKER_CHECKER_VIOLATION');
    expect(await codeOf(svc.approve(bob, 'test-marac', 1))).toBe('MAKER_CHECKER_VIOLATION');
    expect((await svc.get('test-marac', 1)).status).toBe('draft');
    expect(await eventsSince(seq)).toEqual([]);
    const approved = await svc.approve(carol, 'test-marac', 1);
    expect(approved).toMatchObject({ status: 'approved', approvedBy: 'user:carol' });
    expect((await eventsSince(seq)).map((e) => [e.action, e.actor])).toEqual([['AGREEMENT_APPROVED', 'user:carol']]);
  });

  it('is enforced by the database too', async () => {
    await svc.createDraft(alice, sampleAgreement());
    await expect(
      db.pool.query(`UPDATE agreement_versions SET status = 'approved', approved_by = 'user:alice', approved_at = now() WHERE agreement_id = 'test-marac'`),
    ).rejects.toThrow(/check constraint/);
  });

  it('refuses an invalid version with AGREEMENT_INVALID listing every problem', async () => {
    await svc.createDraft(alice, sampleAgreement({
      retentionDays: 0,
      flows: [{ id: 'f1', from: { type: 'POLICE' }, to: { role: 'coordinator' }, direction: 'response', release: { 'police.noSuchField': 'keep', 'police.incidentCount12m': { mask: 4 } } }],
    }));
    let err: { code: string; problems: { path: string }[] } | undefined;
    try {
      await svc.approve(bob, 'test-marac', 1);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).toBe('AGREEMENT_INVALID');
    const paths = err!.problems.map((p) => p.path);
    expect(paths).toContain('/retentionDays');
    expect(paths.some((p) => p.includes('police.noSuchField'))).toBe(true);
    expect(paths.some((p) => p.includes('police.incidentCount12m'))).toBe(true);
    expect((await svc.get('test-marac', 1)).status).toBe('draft');
  });

  it('only approves drafts', async () => {
    await activeV1();
    expect(await codeOf(svc.approve(carol, 'test-marac', 1))).toBe('AGREEMENT_NOT_DRAFT');
  });
});

describe('activation, suspension, expiry', () => {
  it('activates only approved versions', async () => {
    await svc.createDraft(alice, sampleAgreement());
    expect(await codeOf(svc.activate(bob, 'test-marac', 1))).toBe('AGREEMENT_NOT_APPROVED');
    expect(await svc.activeCompiled()).toEqual([]);
  });

  it('supersedes the version in force, with one AGREEMENT_ACTIVATED event naming it', async () => {
    await activeV1();
    await svc.createDraft(alice, sampleAgreement({ title: 'Version two' }));
    await svc.approve(carol, 'test-marac', 2);
    const seq = await lastSeq();
    const v2 = await svc.activate(carol, 'test-marac', 2);
    expect(v2).toMatchObject({ status: 'active', activatedBy: 'user:carol' });
    expect((await svc.get('test-marac', 1)).status).toBe('superseded');
    expect((await eventsSince(seq)).map((e) => [e.action, e.agreement_version, e.detail])).toEqual([
      ['AGREEMENT_ACTIVATED', 2, { supersededVersion: 1 }],
    ]);
    const listing = await svc.getAgreement('test-marac');
    expect(listing).toMatchObject({ title: 'Version two', activeVersion: 2, latestVersion: 2 });
    expect((await svc.activeCompiled()).map((c) => [c.id, c.version, c.status])).toEqual([['test-marac', 2, 'active']]);
  });

  it('keeps at most one active version, even under concurrent activations', async () => {
    await activeV1();
    for (const title of ['two', 'three']) {
      const d = await svc.createDraft(alice, sampleAgreement({ title }));
      await svc.approve(carol, 'test-marac', d.version.version);
    }
    await Promise.all([svc.activate(carol, 'test-marac', 2), svc.activate(bob, 'test-marac', 3)]);
    const statuses = (await svc.getAgreement('test-marac')).versions.map((v) => v.status);
    expect(statuses.filter((s) => s === 'active')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'superseded')).toHaveLength(2);
    await expect(db.pool.query(`UPDATE agreement_versions SET status = 'active', activated_at = now() WHERE agreement_id = 'test-marac'`))
      .rejects.toThrow(/unique/);
  });

  it('suspension takes effect on the next compiledVersion / activeCompiled call', async () => {
    await activeV1();
    const before = await svc.compiledVersion('test-marac', 1);
    expect(before?.status).toBe('active');
    const input = {
      now: clock.now, purpose: 'MARAC_RESEARCH', direction: 'response' as const,
      from: { agencyId: 'test-police', agencyType: 'POLICE' as const },
      to: { agencyId: 'test-housing', agencyType: 'HOUSING' as const },
      caseFacts: callerCase, pinned: { agreementId: 'test-marac', version: 1 },
    };
    expect(decide({ ...input, agreements: [before!] }).effect).toBe('PERMIT');

    const plans = svc.cachedPlans();
    const seq = await lastSeq();
    await svc.suspend(alice, 'test-marac', 1, { reason: 'Partner breach under review', confirm: true });
    expect((await eventsSince(seq)).map((e) => e.action)).toEqual(['AGREEMENT_SUSPENDED']);
    const after = await svc.compiledVersion('test-marac', 1);
    expect(after?.status).toBe('suspended');
    expect(decide({ ...input, agreements: [after!] })).toMatchObject({ effect: 'DENY', reason: 'AGREEMENT_SUSPENDED' });
    expect(await svc.activeCompiled()).toEqual([]);
    // Same compiled plan underneath: status changes never recompile.
    expect(svc.cachedPlans()).toBe(plans);
  });

  it('only suspends the active version', async () => {
    await svc.createDraft(alice, sampleAgreement());
    expect(await codeOf(svc.suspend(bob, 'test-marac', 1, { reason: 'Partner breach under review', confirm: true }))).toBe('AGREEMENT_NOT_ACTIVE');
  });

  it('keeps a superseded version usable through a pin (decisions pinned to the version in force)', async () => {
    await activeV1();
    await svc.createDraft(alice, sampleAgreement({ title: 'two' }));
    await svc.approve(carol, 'test-marac', 2);
    await svc.activate(carol, 'test-marac', 2);
    const pinned = await svc.compiledVersion('test-marac', 1);
    expect(pinned?.version).toBe(1);
    expect(pinned?.status).toBe('active');
    expect(await svc.compiledVersion('test-marac', 3)).toBeUndefined();
    expect(await svc.compiledVersion('nope', 1)).toBeUndefined();
  });

  it('expires approved, active or suspended versions, not drafts', async () => {
    await activeV1();
    await svc.createDraft(alice, sampleAgreement());
    expect(await codeOf(svc.expire(bob, 'test-marac', 2))).toBe('INVALID_AGREEMENT_TRANSITION');
    const v1 = await svc.expire(bob, 'test-marac', 1);
    expect(v1).toMatchObject({ status: 'expired', expiredBy: 'user:bob' });
    expect(await codeOf(svc.expire(bob, 'test-marac', 1))).toBe('INVALID_AGREEMENT_TRANSITION');
    expect((await svc.compiledVersion('test-marac', 1))?.status).toBe('expired');
  });

  it('expireDue marks versions past their expiresAt as expired, as the system', async () => {
    await activeV1();
    expect(await svc.expireDue()).toBe(0);
    clock.now = new Date('2026-04-02T00:00:00Z');
    expect(await svc.expireDue()).toBe(1);
    expect((await svc.get('test-marac', 1)).status).toBe('expired');
    expect((await audit.events()).at(-1)).toMatchObject({ action: 'AGREEMENT_EXPIRED', actor: 'system:agreement-expiry' });
  });
});

describe('one audit event per change, in the same transaction', () => {
  it('a change whose audit append fails leaves neither the change nor an event', async () => {
    await svc.createDraft(alice, sampleAgreement());
    const failing: AuditLog = {
      async append(tx, e) {
        await audit.append(tx, e);
        throw new Error('audit store unavailable');
      },
    };
    const broken = buildService(db.pool, failing, clock);
    const seq = await lastSeq();
    await expect(broken.approve(bob, 'test-marac', 1)).rejects.toThrow('audit store unavailable');
    await expect(broken.createDraft(bob, sampleAgreement())).rejects.toThrow('audit store unavailable');
    expect((await svc.get('test-marac', 1)).status).toBe('draft');
    expect((await svc.getAgreement('test-marac')).versions).toHaveLength(1);
    expect(await eventsSince(seq)).toEqual([]);
  });

  it('a refused change writes no event', async () => {
    await svc.createDraft(alice, sampleAgreement());
    const seq = await lastSeq();
    await codeOf(svc.approve(alice, 'test-marac', 1));
    await codeOf(svc.activate(bob, 'test-marac', 1));
    await codeOf(svc.suspend(bob, 'test-marac', 1));
    expect(await eventsSince(seq)).toEqual([]);
  });
});

describe('reading', () => {
  it('lists agreements with their versions, and gets the active (else latest) version by default', async () => {
    await activeV1();
    await svc.createDraft(alice, sampleAgreement({ title: 'draft two' }));
    const list = await svc.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: 'test-marac', activeVersion: 1, latestVersion: 2 });
    expect(list[0]!.versions.map((v) => v.status)).toEqual(['active', 'draft']);
    expect((await svc.get('test-marac')).version).toBe(1);
    await svc.suspend(bob, 'test-marac', 1, { reason: 'Partner breach under review', confirm: true });
    expect((await svc.get('test-marac')).version).toBe(2);
    expect(await codeOf(svc.get('missing'))).toBe('AGREEMENT_NOT_FOUND');
    expect(await codeOf(svc.get('test-marac', 0))).toBe('AGREEMENT_VERSION_NOT_FOUND');
  });

  it('keeps the author’s key order in the stored document', async () => {
    await svc.createDraft(alice, sampleAgreement());
    const doc = (await svc.get('test-marac', 1)).doc;
    expect(Object.keys(doc).slice(0, 3)).toEqual(['id', 'title', 'effectiveFrom']);
  });
});
