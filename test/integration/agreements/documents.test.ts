import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../../gateway/src/policy/lifecycle/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { alice, bob, buildService, carol, createAuditRecorder, sampleAgreement } from './fixtures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
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

describe('diff', () => {
  it('reports added, removed and changed paths, keyed flows, and the release-rule changes', async () => {
    const v1 = sampleAgreement();
    await svc.createDraft(alice, v1);
    const flows = structuredClone(v1.flows) as Record<string, unknown>[];
    const toCoord = flows[0] as { release: Record<string, unknown> };
    toCoord.release['police.firearmsCertificateHeld'] = 'booleanise';
    delete toCoord.release['police.incidentCount12m'];
    toCoord.release['police.addressAlertPlaced'] = 'keep';
    // A new flow inserted FIRST: flows are matched by id, so nothing else shifts.
    flows.unshift({ id: 'police-to-coordinator-2', from: { type: 'POLICE' }, to: { role: 'coordinator' }, direction: 'request', release: { 'police.incidentCount12m': 'count' } });
    await svc.createDraft(alice, sampleAgreement({ title: 'Changed', purposes: ['MARAC_RESEARCH', 'MARAC_ACTION_REVIEW'], flows, description: 'new' }));

    const d = await svc.diff('test-marac', 1, 2);
    expect(d).toMatchObject({ agreementId: 'test-marac', fromVersion: 1, toVersion: 2 });
    expect(d.changed).toEqual(expect.arrayContaining([
      { path: '/title', before: 'Test MARAC research sharing', after: 'Changed' },
      { path: '/purposes', before: ['MARAC_RESEARCH'], after: ['MARAC_RESEARCH', 'MARAC_ACTION_REVIEW'] },
      { path: '/flows/police-to-coordinator/release/police.firearmsCertificateHeld', before: 'keep', after: 'booleanise' },
    ]));
    expect(d.changed).toHaveLength(3);
    expect(d.added).toEqual(expect.arrayContaining([
      { path: '/description', after: 'new' },
      { path: '/flows/police-to-coordinator/release/police.addressAlertPlaced', after: 'keep' },
      expect.objectContaining({ path: '/flows/police-to-coordinator-2' }),
    ]));
    expect(d.added).toHaveLength(3);
    expect(d.removed).toEqual([{ path: '/flows/police-to-coordinator/release/police.incidentCount12m', before: 'keep' }]);
    expect(d.releaseChanges).toEqual([
      { flowId: 'police-to-coordinator', field: 'police.addressAlertPlaced', change: 'added', after: 'keep' },
      { flowId: 'police-to-coordinator', field: 'police.firearmsCertificateHeld', change: 'changed', before: 'keep', after: 'booleanise' },
      { flowId: 'police-to-coordinator', field: 'police.incidentCount12m', change: 'removed', before: 'keep' },
      { flowId: 'police-to-coordinator-2', field: 'police.incidentCount12m', change: 'added', after: 'count' },
    ]);
  });

  it('compares an operator with parameters as a whole, and finds no difference between equal versions', async () => {
    await svc.createDraft(alice, sampleAgreement());
    const flows = structuredClone(sampleAgreement().flows) as { release: Record<string, unknown> }[];
    flows[1]!.release['police.incidentCount12m'] = { categorise: { map: { '0': 'NONE' }, default: 'SOME' } };
    await svc.createDraft(alice, sampleAgreement({ flows }));
    await svc.createDraft(alice, sampleAgreement({ flows }));
    const d = await svc.diff('test-marac', 1, 2);
    expect(d.changed).toEqual([{
      path: '/flows/police-to-housing/release/police.incidentCount12m',
      before: 'keep',
      after: { categorise: { map: { '0': 'NONE' }, default: 'SOME' } },
    }]);
    expect(await svc.diff('test-marac', 2, 3)).toMatchObject({ added: [], removed: [], changed: [], releaseChanges: [] });
  });

  it('refuses unknown versions', async () => {
    await svc.createDraft(alice, sampleAgreement());
    expect(await codeOf(svc.diff('test-marac', 1, 5))).toBe('AGREEMENT_VERSION_NOT_FOUND');
  });
});

describe('import and export', () => {
  it('imports YAML as a draft and exports it back to the same document in YAML and JSON', async () => {
    const yamlText = `# an IG officer's file\n${stringify(sampleAgreement())}`;
    const saved = await svc.importFile(alice, yamlText);
    expect(saved.version).toMatchObject({ version: 1, status: 'draft' });
    expect(saved.version.doc.effectiveFrom).toBe('2025-01-01');
    expect((await audit.events()).map((e) => e.action)).toEqual(['AGREEMENT_CREATED']);

    const yamlOut = await svc.exportVersion('test-marac', 1, 'yaml');
    expect(yamlOut).toMatch(/^# test-marac version 1 \(draft\), sha256 [0-9a-f]{64}\n/);
    expect(yamlOut).toContain('version: 1');
    const jsonOut = await svc.exportVersion('test-marac', 1, 'json');
    expect(JSON.parse(jsonOut)).toMatchObject({ id: 'test-marac', version: 1 });

    const again = await svc.importFile(bob, yamlOut);
    const fromJson = await svc.importFile(bob, jsonOut);
    expect(again.version.docDigest).toBe(saved.version.docDigest);
    expect(fromJson.version.docDigest).toBe(saved.version.docDigest);
    expect(saved.version.docDigest).toBe(digestOf(sampleAgreement()));
  });

  it('refuses text that is not one YAML or JSON mapping, with AGREEMENT_UNREADABLE and nothing written', async () => {
    for (const text of ['id: [unclosed', '{"id": ', '- a\n- b\n', 'just a string', 'a: 1\na: 2\n', '{"id":"x-y","__proto__":{}}', '---\nid: a\n---\nid: b\n']) {
      expect(await codeOf(svc.importFile(alice, text))).toBe('AGREEMENT_UNREADABLE');
    }
    expect(await audit.events()).toEqual([]);
    expect((await svc.list())).toEqual([]);
  });

  it('keeps YAML dates and yes/no as strings (YAML 1.2 core schema)', async () => {
    const saved = await svc.importFile(alice, stringify(sampleAgreement({ description: 'no' })).replace("description: 'no'", 'description: no'));
    expect(saved.version.doc.description).toBe('no');
    expect(typeof saved.version.doc.reviewBy).toBe('string');
  });
});

describe('seedFromDirectory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'marac-seed-'));
    await copyFile(path.join(ROOT, 'policies', 'guardrails.yaml'), path.join(dir, 'guardrails.yaml'));
    await writeFile(path.join(dir, 'test-marac.yaml'), stringify(sampleAgreement()));
    await writeFile(path.join(dir, 'other.json'), JSON.stringify(sampleAgreement({
      id: 'other-marac',
      parties: [
        { agency: 'other-coordinator', type: 'MARAC_COORDINATOR', role: 'coordinator' },
        { agency: 'other-police', type: 'POLICE' },
        { agency: 'other-housing', type: 'HOUSING' },
      ],
    })));
    await writeFile(path.join(dir, 'notes.txt'), 'not an agreement');
  });

  it('imports each agreement as an active version once, skipping guardrails; re-running is a no-op', async () => {
    const first = await svc.seedFromDirectory(dir);
    expect(first.map((r) => [r.file, r.agreementId, r.action])).toEqual([
      ['other.json', 'other-marac', 'seeded'],
      ['test-marac.yaml', 'test-marac', 'seeded'],
    ]);
    const v = await svc.get('test-marac', 1);
    expect(v).toMatchObject({ status: 'active', createdBy: 'system:policy-seed', approvedBy: 'system:deployment' });
    expect((await svc.activeCompiled()).map((c) => c.id).sort()).toEqual(['other-marac', 'test-marac']);
    const events = await audit.events();
    expect(events.filter((e) => e.agreement_id === 'test-marac').map((e) => e.action)).toEqual([
      'AGREEMENT_CREATED', 'AGREEMENT_APPROVED', 'AGREEMENT_ACTIVATED',
    ]);

    const second = await svc.seedFromDirectory(dir);
    expect(second.every((r) => r.action === 'skipped')).toBe(true);
    expect((await audit.events()).length).toBe(events.length);
  });

  it('seeds the sample agreements shipped in policies/', async () => {
    const seeded = await svc.seedFromDirectory(path.join(ROOT, 'policies'));
    expect(seeded.every((r) => r.action === 'seeded' && r.version === 1)).toBe(true);
    expect(seeded.map((r) => r.file)).not.toContain('guardrails.yaml');
    const compiled = await svc.activeCompiled();
    expect(compiled.map((c) => c.id).sort()).toEqual(seeded.map((r) => r.agreementId).sort());
    expect(compiled.every((c) => c.status === 'active' && c.problems.length === 0)).toBe(true);
  });

  it('never overrides what IG officers did since', async () => {
    await svc.seedFromDirectory(dir);
    await svc.suspend(alice, 'test-marac', 1, { reason: 'Partner breach under review', confirm: true });
    await svc.seedFromDirectory(dir);
    expect((await svc.getAgreement('test-marac')).versions.map((x) => x.status)).toEqual(['suspended']);
  });

  it('refuses a seed file that does not validate, seeding nothing from it', async () => {
    await writeFile(path.join(dir, 'test-marac.yaml'), stringify(sampleAgreement({ retentionDays: 0 })));
    expect(await codeOf(svc.seedFromDirectory(dir))).toBe('AGREEMENT_INVALID');
    expect((await svc.list()).map((a) => a.id)).toEqual(['other-marac']);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
});

describe('preview', () => {
  const sample = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/samples/response-police.json'), 'utf8')) as {
    subjectResults: Record<string, unknown>[];
  };
  const victimFacts = {
    role: 'VICTIM', art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_UNSAFE', isAdult: true,
  };
  const perpFacts = { role: 'PERPETRATOR', art9Conditions: [], careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_OTHER', isAdult: true };
  const facts = { subj_victim: victimFacts, subj_perp: perpFacts, subj_child: { ...victimFacts, role: 'CHILD', isAdult: false } };

  it('shows each other party’s view of a sample response next to the original', async () => {
    await svc.createDraft(alice, sampleAgreement());
    const p = await svc.preview('test-marac', 1, sample, facts, { provider: 'test-police' });
    expect(p).toMatchObject({ agreementId: 'test-marac', version: 1, purpose: 'MARAC_RESEARCH', provider: { agencyId: 'test-police' } });
    expect(p.recipients.map((r) => [r.agencyId, r.decision])).toEqual([
      ['test-coordinator', 'PERMIT'],
      ['test-housing', 'PERMIT'],
    ]);
    const coord = p.recipients[0]!;
    const housing = p.recipients[1]!;
    if (coord.decision !== 'PERMIT' || housing.decision !== 'PERMIT') throw new Error('expected permits');
    const victimAtHousing = housing.subjects.find((s) => s.subjectId === 'subj_victim')!;
    expect(victimAtHousing.original).toBe(sample.subjectResults[0]);
    expect(victimAtHousing.view).toEqual({ police: { incidentCount12m: 4 } });
    expect(victimAtHousing.explanation.withheld.map((w) => w.path)).toEqual(expect.arrayContaining(['police.incidents', 'subject']));
    const victimAtCoord = coord.subjects.find((s) => s.subjectId === 'subj_victim')!;
    expect((victimAtCoord.view as { police: Record<string, unknown> }).police.incidentCount12m).toBe(4);
    // The originals carry the victim's address and phone; no released view does.
    const views = JSON.stringify([coord, housing].flatMap((r) => r.subjects.map((s) => s.view)));
    expect(JSON.stringify(victimAtHousing.original)).toContain('CM2 9ZZ');
    expect(views).not.toContain('CM2 9ZZ');
    expect(views).not.toContain('07700 900123');
  });

  it('refuses preview input it cannot use, with PREVIEW_INPUT_INVALID', async () => {
    await svc.createDraft(alice, sampleAgreement());
    expect(await codeOf(svc.preview('test-marac', 1, { nope: true }, facts, { provider: 'test-police' }))).toBe('PREVIEW_INPUT_INVALID');
    expect(await codeOf(svc.preview('test-marac', 1, sample, facts, { provider: 'not-a-party' }))).toBe('PREVIEW_INPUT_INVALID');
    expect(await codeOf(svc.preview('test-marac', 1, sample, { subj_victim: victimFacts }, { provider: 'test-police' }))).toBe('PREVIEW_INPUT_INVALID');
    expect(await codeOf(svc.preview('test-marac', 1, sample, { ...facts, subj_perp: { role: 'VILLAIN' } }, { provider: 'test-police' }))).toBe('PREVIEW_INPUT_INVALID');
    expect(await codeOf(svc.preview('test-marac', 1, sample, facts))).toBe('PREVIEW_INPUT_INVALID');
  });

  it('refuses to preview a draft the engine cannot compile, with AGREEMENT_INVALID', async () => {
    const flows = structuredClone(sampleAgreement().flows) as { release: Record<string, unknown> }[];
    flows[0]!.release['police.incidentCount12m'] = { shred: true };
    await svc.createDraft(alice, sampleAgreement({ flows }));
    expect(await codeOf(svc.preview('test-marac', 1, sample, facts, { provider: 'test-police' }))).toBe('AGREEMENT_INVALID');
  });

  it('writes no audit event (a preview changes nothing)', async () => {
    await svc.createDraft(alice, sampleAgreement());
    const before = (await audit.events()).length;
    await svc.preview('test-marac', 1, sample, facts, { provider: 'test-police' });
    expect((await audit.events()).length).toBe(before);
    void bob;
    void carol;
  });
});
