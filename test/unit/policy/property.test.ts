/**
 * Property: over random agreements, random responses and random subjects,
 *  1. no released view contains a value its plan drops or transforms (or that a guardrail stops);
 *  2. nothing outside the plan is released: every value in the view sits at a path the plan
 *     releases, raw values only where the plan keeps them, and each raw value at the very path
 *     it came from;
 *  3. the input is never mutated.
 *
 * The oracle reads the release map directly (it does not use the engine's explanation). Every
 * free-text value in a generated response is a unique token, so a leak is a substring search.
 * Runs: POLICY_PROPERTY_RUNS (default 10000).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileAgreement, decide, redact, type Agreement, type FieldInfo, type ReleaseSpec, type SubjectFacts,
} from '../../../gateway/src/policy/index.js';
import type { AgencyType } from '../../../gateway/src/identity/principal.js';
import { HMAC_KEY, guardrails, smallCatalog, tinyAgreement } from './helpers.js';
import { propertyRuns } from '../../helpers/property-runs.js';

const RUNS = propertyRuns(5_000, 'POLICY_PROPERTY_RUNS');
const now = new Date('2026-06-15T12:00:00Z');

const f = (path: string, type: FieldInfo['type'], sensitivity: FieldInfo['sensitivity'] = [], more: Partial<FieldInfo> = {}): FieldInfo =>
  ({ path, type, sensitivity, clinicalNarrative: false, ...more });
const catalog = smallCatalog([
  f('subject.address.line', 'string', ['LOC']),
  f('items[].nested', 'object'),
  f('items[].nested.x', 'string'),
  f('health.score', 'integer', ['SC']),
  f('plain.c', 'boolean'),
  f('note', 'string'),
]);
const infos = new Map(catalog.paths().map((p) => [p, catalog.get(p)!]));
const isLoc = (t: string) => infos.get(t)?.sensitivity.includes('LOC') ?? false;

// ---- random agreements -----------------------------------------------------------------------

const OPS: Record<string, ReleaseSpec[]> = {
  string: ['keep', 'drop', { replace: 'R' }, { mask: { keepLast: 2 } }, 'pseudonymise', 'booleanise', { truncate: 3 }, { categorise: { map: {}, default: 'CAT' } }],
  date: ['keep', 'drop', { date: 'year' }, { date: 'month' }, { ageBand: [0, 18, 65] }, 'booleanise'],
  integer: ['keep', 'drop', 'booleanise', { replace: 'R' }, { ageBand: [0, 10] }],
  boolean: ['keep', 'drop', 'booleanise'],
  object: ['keep', 'drop', 'booleanise', { replace: 'R' }],
  objectArray: ['keep', 'drop', 'count', 'booleanise', { window: { months: 12, on: 'date' } }, { limit: { top: 2, by: 'rank' } },
    [{ window: { months: 12, on: 'date' } }, { limit: { top: 1, by: 'rank', order: 'asc' } }], [{ window: { months: 6, on: 'date' } }, 'count']],
  primitiveArray: ['keep', 'drop', 'count', 'booleanise'],
};
function opsFor(path: string): ReleaseSpec[] {
  const i = infos.get(path)!;
  if (i.type === 'array') return i.itemType === 'object' ? OPS.objectArray! : OPS.primitiveArray!;
  return OPS[i.type === 'date-time' ? 'date' : i.type === 'number' ? 'integer' : i.type]!;
}
const releasable = [...infos.keys()];
const releaseArb = fc.subarray(releasable, { minLength: 1, maxLength: 14 }).chain((paths) =>
  fc.tuple(...paths.map((p) => fc.constantFrom(...opsFor(p)))).map((ops) => Object.fromEntries(paths.map((p, i) => [p, ops[i]!]))),
);
const ROLES = ['VICTIM', 'PERPETRATOR', 'CHILD', 'OTHER_ADULT_AT_RISK'] as const;
const RECIPIENTS: { id: string; type: AgencyType; sel: Record<string, string> }[] = [
  { id: 'coord', type: 'MARAC_COORDINATOR', sel: { role: 'coordinator' } },
  { id: 'housing', type: 'HOUSING', sel: { type: 'HOUSING' } },
  { id: 'idva', type: 'IDVA', sel: { type: 'IDVA' } },
  { id: 'acute', type: 'HEALTH_ACUTE', sel: { type: 'HEALTH_ACUTE' } },
];

// ---- random responses: every string slot gets a unique token later -----------------------------

const TOK = '\u0000tok';
const tok = fc.constant(TOK);
const date = fc.integer({ min: Date.UTC(2023, 0, 1), max: Date.UTC(2026, 11, 31) }).map((ms) => new Date(ms).toISOString().slice(0, 10));
const maybeWrong = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: a as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: tok });
const extra = fc.dictionary(fc.constantFrom('zzUnknown', 'secret', '__proto__', 'Home Address'), tok, { maxKeys: 1 });
const obj = <T extends Record<string, fc.Arbitrary<unknown>>>(shape: T) =>
  fc.tuple(fc.record(shape, { requiredKeys: [] }), extra).map(([o, x]) => ({ ...x, ...o }));
const docArb = obj({
  subjectId: tok,
  match: obj({ status: fc.constantFrom('MATCHED', 'MATCHED', 'POSSIBLE', 'NOT_FOUND') }),
  knownToAgency: fc.boolean(),
  subject: obj({
    dateOfBirth: maybeWrong(date),
    dobs: fc.array(maybeWrong(date), { maxLength: 3 }),
    address: obj({ postcode: tok, line: tok, confidential: fc.boolean() }),
    notes: tok,
  }),
  items: fc.array(obj({
    date: maybeWrong(date), kind: maybeWrong(fc.constantFrom('A', 'B', 'C')), text: tok,
    rank: maybeWrong(fc.integer({ min: 0, max: 99 })), nested: obj({ x: tok }),
  }), { maxLength: 4 }),
  tags: fc.array(tok, { maxLength: 3 }),
  health: obj({ flag: fc.boolean(), narrative: tok, score: maybeWrong(fc.integer({ min: 0, max: 50 })) }),
  plain: obj({ a: tok, b: maybeWrong(fc.integer({ min: -5, max: 5 })), c: fc.boolean() }),
  note: tok,
});

interface TokenInfo { template: string; rightlyTyped: boolean }
/** Replaces each token slot by a unique marker, remembering the template path it sits at. */
function tokenise(doc: unknown): { doc: Record<string, unknown>; tokens: Map<string, TokenInfo> } {
  const tokens = new Map<string, TokenInfo>();
  let n = 0;
  const walk = (v: unknown, template: string): unknown => {
    if (v === TOK) {
      const t = `Q${n++}Zqqqq`;
      const info = infos.get(template);
      const list = template.endsWith('[]') ? infos.get(template.slice(0, -2)) : undefined;
      const rightlyTyped = (info?.type === 'string' && !info.enum) || (list?.itemType === 'string' && !list.enum);
      tokens.set(t, { template, rightlyTyped });
      return t;
    }
    if (Array.isArray(v)) {
      return v.map((x) => walk(x, `${template}[]`));
    }
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        Object.defineProperty(out, k, { value: walk(x, template ? `${template}.${k}` : k), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return v;
  };
  return { doc: walk(doc, '') as Record<string, unknown>, tokens };
}

// ---- the oracle --------------------------------------------------------------------------------

const PASS = new Set(['keep', 'window', 'limit']);
const names = (spec: ReleaseSpec) => (Array.isArray(spec) ? spec : [spec]).map((s) => (typeof s === 'string' ? s : Object.keys(s)[0]!));
const isPass = (spec: ReleaseSpec) => names(spec).every((x) => PASS.has(x));
const isDrop = (spec: ReleaseSpec) => names(spec).includes('drop');
function ancestors(t: string): string[] {
  const out: string[] = [];
  for (let i = t.length - 1; i > 0; i--) if (t[i] === '.') out.push(t.slice(0, i));
  return out;
}
/** What the plan lets happen to the raw value at template path t. */
function disposition(t: string, release: Record<string, ReleaseSpec>): 'KEEP' | 'TRANSFORM' | 'DROP' {
  // A terminal or dropping ancestor (a list or its items) replaces or removes the whole subtree.
  const above = ancestors(t).flatMap((x) => (x.endsWith('[]') ? [x, x.slice(0, -2)] : [x]));
  for (const a of above) {
    const r = release[a];
    if (r && (isDrop(r) || !isPass(r))) return 'DROP';
  }
  const own = release[t] ?? release[t.replace(/\[\]$/, '')];
  if (own) return isDrop(own) ? 'DROP' : isPass(own) ? 'KEEP' : 'TRANSFORM';
  for (const a of above) if (release[a] && isPass(release[a]!)) return 'KEEP';
  return 'DROP';
}
const template = (concrete: string) => concrete.replace(/\[\d+\]/g, '[]');

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

describe('policy engine property', () => {
  it(`never releases what its plan drops or transforms, nor anything outside the plan (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        releaseArb,
        fc.option(fc.subarray([...ROLES], { minLength: 1 }), { nil: undefined }),
        fc.constantFrom(...RECIPIENTS),
        docArb,
        fc.record({
          role: fc.constantFrom(...ROLES),
          art9Conditions: fc.subarray(['DPA_SCH1_P10', 'DPA_SCH1_P18']),
          careAndSupportNeeds: fc.boolean(),
          isAdult: fc.boolean(),
          consentStatus: fc.constantFrom('GIVEN', 'REFUSED', 'NOT_SOUGHT_UNSAFE'),
          addressConfidential: fc.boolean(),
        }),
        (release, roles, recipient, rawDoc, subject: SubjectFacts) => {
          const agreement: Agreement = tinyAgreement({}, {
            flows: [{
              id: 'f', from: { type: 'POLICE' }, to: recipient.sel as never, direction: 'response',
              ...(roles ? { when: { subjectRoles: roles } } : {}), release: release as Agreement['flows'][0]['release'],
            }],
          });
          const compiled = compileAgreement(agreement, { catalog, guardrails, status: 'active', version: 1 });
          const d = decide({
            agreements: [compiled], now, purpose: 'MARAC_RESEARCH', direction: 'response',
            from: { agencyId: 'police', agencyType: 'POLICE' }, to: { agencyId: recipient.id, agencyType: recipient.type },
            caseFacts: { maracArea: 'x', riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 20 } },
          });
          expect(d.effect).toBe('PERMIT');
          if (d.effect !== 'PERMIT') return;
          const { doc, tokens } = tokenise(rawDoc);
          deepFreeze(doc);
          const before = JSON.stringify(doc);
          const { view } = redact(d.plan, doc, subject, { now, hmacKey: HMAC_KEY });
          expect(JSON.stringify(doc)).toBe(before);

          const text = JSON.stringify(view);
          const flowApplies = !roles || roles.includes(subject.role);
          const matched = (doc.match as { status?: string } | undefined)?.status === 'MATCHED';
          for (const [t, info] of tokens) {
            if (!text.includes(t)) continue;
            // (1) a raw value appears only where the plan keeps it, in a field of the right type...
            expect(info.rightlyTyped, `${t} from ${info.template} is not a string field`).toBe(true);
            expect(disposition(info.template, release), `${t} from ${info.template}`).toBe('KEEP');
            expect(flowApplies).toBe(true);
            // ...and never where a guardrail stops it.
            const top = info.template.split(/[.[]/)[0]!;
            expect(matched || !['subject', 'health', 'knownToAgency'].includes(top)).toBe(true);
            expect(info.template).not.toBe('health.narrative');
            expect(info.template).not.toBe('subject.notes');
            if (isLoc(info.template)) expect(recipient.type === 'IDVA' || subject.role === 'PERPETRATOR').toBe(true);
            if (isLoc(info.template)) expect(subject.addressConfidential && recipient.type !== 'IDVA').toBe(false);
          }
          // (2) every value sits at a path the plan releases; raw values at the path they came from.
          const check = (v: unknown, concrete: string) => {
            const t = template(concrete);
            if (v && typeof v === 'object') {
              for (const [k, x] of Object.entries(v)) check(x, Array.isArray(v) ? `${concrete}[${k}]` : concrete ? `${concrete}.${k}` : k);
              return;
            }
            expect(infos.has(t) || infos.has(t.replace(/\[\]$/, '')), `unknown path ${concrete}`).toBe(true);
            if (typeof v === 'string' && tokens.has(v)) expect(tokens.get(v)!.template, concrete).toBe(t);
            const own = release[t] ?? release[t.replace(/\[\]$/, '')];
            const terminalHere = own !== undefined && !isPass(own) && !isDrop(own);
            const guardReplaced = v === 'CONFIDENTIAL' && isLoc(t);
            expect(disposition(t, release) === 'KEEP' || terminalHere || guardReplaced, `${concrete} is outside the plan`).toBe(true);
          };
          check(view, '');
          if (!(subject.art9Conditions.includes('DPA_SCH1_P10') || (subject.art9Conditions.includes('DPA_SCH1_P18') && (!subject.isAdult || subject.careAndSupportNeeds)))) {
            expect(view.health).toBeUndefined();
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});
