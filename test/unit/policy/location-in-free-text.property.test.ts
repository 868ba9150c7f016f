/**
 * Issue 12, class 1 (location-in-free-text), end to end at the engine level: `decide` + `redact`
 * with the real sample agreement (policies/essex-marat.yaml), the real guardrails and the real
 * field catalog, the location context built as the exchange builds it.
 *
 * Random cases: a victim with a confidential address in a random format, mentioned at random in
 * ANY free-text field of ANY payload (every FT path of the catalog that some flow releases to a
 * recipient without LOC rights), in the victim's own record or the perpetrator's, inside random
 * surrounding text. No such recipient ever receives the street number with the street name, the
 * postcode in any spacing, the UPRN or the phone number.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, redact, type CompiledAgreement, type SubjectFacts } from '../../../gateway/src/policy/index.js';
import { catalogTree, type CatalogNode } from '../../../gateway/src/policy/catalog-tree.js';
import type { CaseLocations } from '../../../gateway/src/policy/location-context.js';
import type { AgencyType } from '../../../gateway/src/identity/principal.js';
import { findLeaks, locationTextArb, type GeneratedLocation } from '../../helpers/location-gen.js';
import { HMAC_KEY, catalog, compile, essexDoc, highRisk } from './helpers.js';
import { propertyRuns } from '../../helpers/property-runs.js';

const RUNS = propertyRuns(4_000, 'LOCATION_PROPERTY_RUNS');
const now = new Date('2026-12-10T10:00:00Z');
const RECENT = '2026-11-30';

const NO_LOC_RIGHTS: AgencyType[] = [
  'MARAC_COORDINATOR', 'HEALTH_ACUTE', 'HEALTH_PRIMARY', 'HEALTH_MENTAL', 'HOUSING', 'CHILDRENS_SOCIAL_CARE', 'ADULT_SOCIAL_CARE', 'PROBATION',
];
const PAYLOAD_OWNER: Record<string, AgencyType[]> = {
  police: ['POLICE'], health: ['HEALTH_ACUTE', 'HEALTH_PRIMARY', 'HEALTH_MENTAL'], housing: ['HOUSING'],
  childrensSocialCare: ['CHILDRENS_SOCIAL_CARE'], adultSocialCare: ['ADULT_SOCIAL_CARE'], probation: ['PROBATION'], idva: ['IDVA'],
};
const ALL_PROVIDERS = [...new Set(Object.values(PAYLOAD_OWNER).flat())];

const agreement: CompiledAgreement = compile(essexDoc());
const doc = essexDoc();
const partyOf = (t: AgencyType) => ({ agencyId: doc.parties.find((p) => p.type === t)!.agency, agencyType: t });
const tree = catalogTree(catalog);

function facts(role: 'VICTIM' | 'PERPETRATOR'): SubjectFacts {
  return {
    role, art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], part3Sch8: ['SCH8_P4'], careAndSupportNeeds: false,
    consentStatus: 'NOT_SOUGHT_UNSAFE', isAdult: true, addressConfidential: role === 'VICTIM',
  };
}

/** Every free-text path of the catalog (strings and lists of strings). */
const FT_PATHS = catalog.paths().filter((p) => {
  const i = catalog.get(p)!;
  return i.sensitivity.includes('FT') && (i.type === 'string' || (i.type === 'array' && i.itemType === 'string'));
});

/** A subject result placing `text` at the template path `path` (one item per list, dated recently). */
function docWith(path: string, text: string, subjectId: string): Record<string, unknown> {
  const root: Record<string, unknown> = {
    subjectId, match: { status: 'MATCHED', confidence: 1, matchedOn: ['name'] }, knownToAgency: true,
  };
  let cur: Record<string, unknown> = root;
  let node: CatalogNode = tree.root;
  const keys = path.replace(/\[\]/g, '').split('.');
  keys.forEach((k, i) => {
    node = node.children.get(k)!;
    const last = i === keys.length - 1;
    if (last) {
      cur[k] = node.info.type === 'array' ? [text] : text;
      return;
    }
    if (node.info.type === 'array') {
      const item: Record<string, unknown> = {};
      if (node.item!.children.has('date')) item.date = RECENT;
      cur[k] = [item];
      cur = item;
      node = node.item!;
    } else {
      const obj: Record<string, unknown> = {};
      cur[k] = obj;
      cur = obj;
    }
  });
  return root;
}

interface Target { path: string; from: AgencyType; to: AgencyType; role: 'VICTIM' | 'PERPETRATOR' }

const MARKER = 'probe text';

/** Every (path, provider, recipient, subject role) whose free text the agreement releases. */
function releasedTargets(): Target[] {
  const out: Target[] = [];
  for (const path of FT_PATHS) {
    const top = path.split(/[.[]/)[0]!;
    const providers = PAYLOAD_OWNER[top] ?? ALL_PROVIDERS;
    for (const from of providers) {
      for (const to of NO_LOC_RIGHTS) {
        for (const role of ['VICTIM', 'PERPETRATOR'] as const) {
          const d = decide({
            agreements: [agreement], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: partyOf(from), to: partyOf(to), caseFacts: highRisk,
          });
          if (d.effect !== 'PERMIT') continue;
          const { view } = redact(d.plan, docWith(path, MARKER, 's1'), facts(role), { now, hmacKey: HMAC_KEY });
          if (JSON.stringify(view).includes(MARKER)) out.push({ path, from, to, role });
        }
      }
    }
  }
  return out;
}

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

function locationsOf(loc: GeneratedLocation): CaseLocations {
  return {
    subjects: [
      { subjectId: 'victim', role: 'VICTIM', addressConfidential: true, sources: [loc.source] },
      { subjectId: 'perp', role: 'PERPETRATOR', addressConfidential: false, sources: [] },
    ],
  };
}

describe('location-in-free-text: property over every free-text field of every payload', () => {
  const targets = releasedTargets();

  it('the sample agreement releases free text to parties without LOC rights on many paths (the property has something to test)', () => {
    const paths = new Set(targets.map((t) => t.path));
    expect(paths.size).toBeGreaterThanOrEqual(8);
    for (const p of ['police.incidents[].summary', 'agencyRiskSummary.text', 'proposedActions[].description', 'idva.victimViews',
      'probation.breachOrRecallAction', 'adultSocialCare.s42Enquiry.outcome']) expect(paths, p).toContain(p);
    expect(new Set(targets.map((t) => t.to)).size).toBeGreaterThanOrEqual(5);
  });

  it(`no recipient without LOC rights receives the street with its number, the postcode, the UPRN or the phone (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.constantFrom(...targets), locationTextArb(), ({ path, from, to, role }, { loc, text }) => {
        const d = decide({
          agreements: [agreement], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: partyOf(from), to: partyOf(to), caseFacts: highRisk,
        });
        if (d.effect !== 'PERMIT') throw new Error(`${from} -> ${to} denied: ${d.reason}`);
        const subjectId = role === 'VICTIM' ? 'victim' : 'perp';
        const { view, explanation } = redact(d.plan, docWith(path, text, subjectId), facts(role), { now, hmacKey: HMAC_KEY, locations: locationsOf(loc) });
        for (const s of strings(view)) {
          const leaks = findLeaks(s, loc);
          if (leaks.length > 0) throw new Error(`${to} received ${leaks.join(', ')} at ${path}: ${JSON.stringify(s)}`);
        }
        // What was removed is said, by path, never by value.
        for (const x of explanation.transformed) expect(x.path.includes(loc.postcode)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});
