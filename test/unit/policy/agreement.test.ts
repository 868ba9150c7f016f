import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AgreementUnreadable, explainDecision, explainText, exportAgreement, parseAgreementText, validateAgreement,
} from '../../../gateway/src/policy/index.js';
import { validateFiles } from '../../../scripts/policy-validate.js';
import { guessFacts, renderPreview, runPreview } from '../../../scripts/policy-preview.js';
import { COORD, POLICE, catalog, compile, essexDoc, guardrails, release, sample } from './helpers.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

describe('agreement files', () => {
  it('YAML and JSON read the same; export round-trips in both formats', () => {
    const doc = essexDoc();
    for (const format of ['yaml', 'json'] as const) {
      const text = exportAgreement(doc, format);
      expect(parseAgreementText(text)).toEqual(doc);
    }
    expect(exportAgreement(doc).split('\n')[0]).toBe('id: essex-marat');
  });
  it('dates stay text (YAML 1.2 core schema)', () => {
    expect((parseAgreementText('effectiveFrom: 2026-01-01\n') as Record<string, unknown>).effectiveFrom).toBe('2026-01-01');
  });
  it.each([
    ['broken YAML', 'id: [unclosed', 'yaml'],
    ['duplicate keys', 'id: a\nid: b\n', 'yaml'],
    ['broken JSON', '{"id": ', 'json'],
  ] as const)('refuses %s with AGREEMENT_UNREADABLE', (_n, text, format) => {
    expect(() => parseAgreementText(text, format)).toThrow(AgreementUnreadable);
    try {
      parseAgreementText(text, format);
    } catch (e) {
      expect((e as AgreementUnreadable).code).toBe('AGREEMENT_UNREADABLE');
      expect((e as AgreementUnreadable).status).toBe(400);
    }
  });
  it('bounds alias expansion (no billion laughs)', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
    expect(() => parseAgreementText(bomb)).toThrow();
  });
});

describe('explanations for people', () => {
  it('renders a decision and an explanation as text', () => {
    const now = new Date('2026-12-12T10:00:00Z');
    const r = release({ agreement: compile(essexDoc()), from: POLICE, to: COORD, doc: sample('response-police').subjectResults[0], now });
    expect(explainDecision(r.decision)).toMatch(/^PERMIT under essex-marat v1 by flow\(s\) police-to-coordinator-perpetrator, police-to-coordinator-others; criteria met: VISIBLE_HIGH_RISK$/);
    const text = explainText(r.explanation);
    expect(text).toMatch(/released {5}subjectId {2}\(police-to-coordinator-others#subjectId\)/);
    expect(text).toMatch(/transformed {2}subject.address {2}by replace {2}\(G-CONFIDENTIAL-ADDRESS\)/);
    expect(text).not.toMatch(/CM2|Example Row/);
  });
});

describe('npm run policy:validate', () => {
  it('the sample agreements have no problems', () => {
    expect(validateFiles([file('policies/essex-marat.yaml'), file('policies/inter-area-transfer.yaml')]).map((r) => r.problems)).toEqual([[], []]);
  });
  it('lists every problem of a bad file with its path, and an unreadable file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'policy-validate-'));
    const bad = essexDoc();
    bad.reviewBy = '2025-01-01';
    (bad.flows[0]!.release as Record<string, unknown>)['police.shoeSize'] = 'keep';
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
    writeFileSync(path.join(dir, 'broken.yaml'), 'id: [');
    const [r1, r2] = validateFiles([path.join(dir, 'bad.json'), path.join(dir, 'broken.yaml')]);
    expect(r1!.problems.map((p) => `${p.code} ${p.path}`)).toEqual(expect.arrayContaining([
      'DATES_OUT_OF_ORDER /reviewBy', 'UNKNOWN_FIELD_PATH /flows/0/release/police.shoeSize',
    ]));
    expect(r2!.problems.map((p) => p.code)).toEqual(['UNREADABLE']);
  });
  it('takes a guardrails file among the agreements (policies/*.yaml): checked as guardrails, in the order given', () => {
    const files = ['policies/essex-marat.yaml', 'policies/guardrails.yaml', 'policies/inter-area-transfer.yaml'].map(file);
    const results = validateFiles(files);
    expect(results.map((r) => r.file)).toEqual(files);
    expect(results.map((r) => r.problems)).toEqual([[], [], []]);
  });
  it('reports a broken guardrails file as GUARDRAILS_INVALID', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'policy-validate-'));
    writeFileSync(path.join(dir, 'guardrails.yaml'), 'version: 1\nguardrails:\n  - id: G-X\n    kind: nonsense\n    title: x\n');
    const [g, essex] = validateFiles([path.join(dir, 'guardrails.yaml'), file('policies/essex-marat.yaml')]);
    expect(g!.problems.map((p) => p.code)).toEqual(['GUARDRAILS_INVALID']);
    // The agreement is still checked, against the default guardrails.
    expect(essex!.problems).toEqual([]);
  });
  it('checks files against each other for conflicting flows', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'policy-validate-'));
    const other = essexDoc();
    other.id = 'essex-other';
    (other.flows[0]!.release as Record<string, unknown>)['subject.dobs'] = { date: 'year' };
    writeFileSync(path.join(dir, 'other.json'), JSON.stringify(other));
    const [essex] = validateFiles([file('policies/essex-marat.yaml'), path.join(dir, 'other.json')]);
    expect(essex!.problems.map((p) => `${p.code} ${p.path}`)).toContain('AGREEMENT_CONFLICT /flows/0/release/subject.dobs');
  });
});

describe('npm run policy:preview', () => {
  it('shows, side by side, what each party would receive from a police sample', () => {
    const result = runPreview({
      agreementText: readFileSync(file('policies/essex-marat.yaml'), 'utf8'),
      sample: sample('response-police'),
    });
    expect(result.provider).toEqual({ agencyId: 'essex-police', agencyType: 'POLICE' });
    const text = renderPreview(result, { views: true });
    const row = text.split('\n').find((l) => l.startsWith('police.convictions[0].date'))!;
    expect(row).toMatch(/keep .*\| date/);
    expect(text).toMatch(/subject\.address +\| replace/);
    expect(text).toMatch(/View for chelmsford-housing \(HOUSING\)/);
    const housing = result.recipients.find((r) => r.agencyId === 'chelmsford-housing')!;
    expect(housing.decision).toBe('PERMIT');
  });
  it('lists the parties the agreement refuses', () => {
    const result = runPreview({ agreementText: readFileSync(file('policies/essex-marat.yaml'), 'utf8'), sample: sample('response-housing') });
    const text = renderPreview(result);
    expect(text).toMatch(/Refused:\n(.*\n)* {2}essex-police \(POLICE\): NO_FLOW_FOR_PAIR/);
  });
  it('guesses subject facts from the sample subject ids', () => {
    expect(guessFacts('subj_perp').role).toBe('PERPETRATOR');
    expect(guessFacts('subj_child')).toMatchObject({ role: 'CHILD', isAdult: false });
    expect(guessFacts('subj_victim').role).toBe('VICTIM');
  });
});

describe('the catalog and guardrails the samples rely on', () => {
  it('the sample agreement validates with the real catalog and guardrails', () => {
    expect(validateAgreement(essexDoc(), { catalog, guardrails })).toEqual([]);
  });
});
