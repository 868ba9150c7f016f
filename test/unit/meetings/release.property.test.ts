/**
 * Property tests of the circulation release (docs/decisions/0027) over the real sample agreement:
 * random minutes and action plans with the case's locations planted at random in ANY free-text
 * field; random recipients among the parties.
 *
 * - No party without LOC rights ever receives the street with its number, the postcode, the UPRN
 *   or the phone number, whatever field the text was typed in.
 * - A party with no flow receives nothing.
 * - Two parties whose flows differ never receive the same view (never one copy for all).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { releaseMinutes } from '../../../gateway/src/meetings/release.js';
import type { CaseAction, MinutesDocument } from '../../../gateway/src/meetings/types.js';
import type { CaseLocations } from '../../../gateway/src/policy/location-context.js';
import type { AgencyType } from '../../../gateway/src/identity/principal.js';
import { findLeaks, locationTextArb, type GeneratedLocation } from '../../helpers/location-gen.js';
import { compile, essexDoc } from '../policy/helpers.js';
import { LOC_RIGHTS, PARTY_TYPES, decideFor, engineRedact, now, partyOf, subject } from './release-helpers.js';
import { propertyRuns } from '../../helpers/property-runs.js';

const RUNS = propertyRuns(4_000, 'LOCATION_PROPERTY_RUNS');

const subjects = [subject('sub_victim', 'VICTIM', { addressConfidential: true }), subject('sub_perp', 'PERPETRATOR')];
const locationsOf = (loc: GeneratedLocation): CaseLocations => ({
  subjects: [
    { subjectId: 'sub_victim', role: 'VICTIM', addressConfidential: true, sources: [loc.source] },
    { subjectId: 'sub_perp', role: 'PERPETRATOR', addressConfidential: false, sources: [] },
  ],
});

/** Every free-text slot of the minutes and the action plan. */
const SLOTS = [
  'victimVoice', 'risks', 'decisions', 'crimesDisclosed', 'informationShared.note', 'notShared.what', 'notShared.why',
  'action.description', 'action.note',
] as const;
type Slot = (typeof SLOTS)[number];

const OWNERS = PARTY_TYPES.map((t) => partyOf(t).agencyId);

function plant(slot: Slot, text: string, owner: string, filler: string): { minutes: MinutesDocument; actions: CaseAction[] } {
  const minutes: MinutesDocument = {
    victimVoice: filler, risks: filler, decisions: filler, crimesDisclosed: filler,
    informationShared: [{ agencyId: 'essex-police', note: filler }], notShared: [{ what: filler, why: filler }],
  };
  const act: CaseAction = {
    id: 'act_1', caseId: 'cas_1', meetingId: 'mtg_1', kind: 'ACTION', ownerAgencyId: owner, dueOn: '2026-12-20', status: 'OPEN',
    description: filler, updates: [{ at: '2026-12-11T09:00:00.000Z', byAgencyId: owner, status: 'OPEN', note: filler }],
  };
  if (slot === 'informationShared.note') minutes.informationShared![0]!.note = text;
  else if (slot === 'notShared.what') minutes.notShared![0]!.what = text;
  else if (slot === 'notShared.why') minutes.notShared![0]!.why = text;
  else if (slot === 'action.description') act.description = text;
  else if (slot === 'action.note') act.updates[0]!.note = text;
  else minutes[slot] = text;
  return { minutes, actions: [act] };
}

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

const NO_LOC = PARTY_TYPES.filter((t) => !LOC_RIGHTS.has(t));
const decisions = new Map(PARTY_TYPES.map((t) => [t, decideFor(partyOf(t))]));

describe('circulation release: properties', () => {
  it(`no party without LOC rights receives the case's street and number, postcode, UPRN or phone from any free-text field (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NO_LOC), fc.constantFrom(...SLOTS), fc.constantFrom(...OWNERS), locationTextArb(),
        (t: AgencyType, slot, owner, { loc, text }) => {
          const to = partyOf(t);
          const { minutes, actions } = plant(slot, text, owner, 'Discussed at the meeting.');
          const r = releaseMinutes({
            decision: decisions.get(t)!, redact: engineRedact, now, recipientAgencyId: to.agencyId, subjects, locations: locationsOf(loc),
            caseId: 'cas_1', meetingId: 'mtg_1', minutes, actions,
          });
          for (const s of strings(r.released)) {
            const leaks = findLeaks(s, loc);
            if (leaks.length > 0) throw new Error(`${t} received ${leaks.join(', ')} from ${slot}: ${JSON.stringify(s)}`);
          }
          for (const x of r.explanation.transformed) expect(x.path.includes(loc.postcode)).toBe(false);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the property has something to test: free text reaches parties without LOC rights from the minutes and their own actions', () => {
    const to = partyOf('HOUSING');
    const r = releaseMinutes({
      decision: decisions.get('HOUSING')!, redact: engineRedact, now, recipientAgencyId: to.agencyId, subjects, caseId: 'c', meetingId: 'm',
      ...plant('action.note', 'probe text', to.agencyId, 'probe text'),
    });
    expect(r.released.minutes.risks).toBe('probe text');
    expect(r.released.actions[0]!.updates![0]!.note).toBe('probe text');
  });

  const withoutFlow = (() => {
    const doc = essexDoc();
    doc.flows = doc.flows.filter((f) => !f.id.startsWith('minutes-to-'));
    return compile(doc);
  })();

  it('a party with no flow receives nothing, whatever the minutes hold (1,000 runs)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PARTY_TYPES), fc.constantFrom(...SLOTS), fc.constantFrom(...OWNERS), fc.string({ minLength: 1 }), (t, slot, owner, text) => {
        const to = partyOf(t);
        const r = releaseMinutes({
          decision: decideFor(to, withoutFlow), redact: engineRedact, now, recipientAgencyId: to.agencyId, subjects, caseId: 'c', meetingId: 'm',
          ...plant(slot, text, owner, text),
        });
        expect(r.decision).toBe('DENY');
        expect(r.released.minutes).toEqual({});
        expect(r.released.actions).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('never one copy for all: parties whose flows differ get different views of the same minutes (1,000 runs)', () => {
    const flows = essexDoc().flows;
    const rules = new Map(PARTY_TYPES.map((t) => [t, JSON.stringify(flows.find((f) => f.id.startsWith('minutes-to-') && f.to.type === t)!.release)]));
    const pairs = PARTY_TYPES.flatMap((a) => PARTY_TYPES.filter((b) => a !== b && rules.get(a) !== rules.get(b)).map((b) => [a, b] as const));
    expect(pairs.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(
        fc.constantFrom(...pairs), fc.constantFrom(...SLOTS), fc.constantFrom(...OWNERS),
        fc.stringMatching(/^[A-Za-z][A-Za-z ]{3,40}$/),
        ([a, b], slot, owner, text) => {
          const { minutes, actions } = plant(slot, text, owner, text);
          const view = (t: AgencyType) => {
            const r = releaseMinutes({ decision: decisions.get(t)!, redact: engineRedact, now, recipientAgencyId: partyOf(t).agencyId, subjects, caseId: 'c', meetingId: 'm', minutes, actions });
            return JSON.stringify({ minutes: r.released.minutes, actions: r.released.actions });
          };
          expect(view(a)).not.toBe(view(b));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
