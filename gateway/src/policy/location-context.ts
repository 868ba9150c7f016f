/**
 * Location in free text (issue 12, class 1): which locations of a case a recipient must never
 * read in free text, compiled once per case (and per set of protected subjects) into the
 * matcher's lexicon. Pure: the exchange hands in what it unsealed; nothing here does I/O.
 *
 * Who is protected from whom is the guardrails' call, not a second table: a subject's locations
 * are protected from a recipient whenever the `location` guardrail (by role) or the
 * `confidentialAddress` / `locationInText` guardrails (by a confidential address) would keep that
 * subject's LOC fields from it. The lexicon is case-wide on purpose: the victim's refuge turns up
 * in the perpetrator's police record far more often than in her own.
 */
import type { AgencyType } from '../identity/principal.js';
import type { CatalogNode, CatalogTree } from './catalog-tree.js';
import type { Guardrails } from './guardrails.js';
import { compileLexicon, type LocationLexicon, type LocationSource } from './location-text/index.js';
import type { SubjectRole } from './types.js';

/** What the gateway knows locates the subjects of one case. Build once per request or pack read. */
export interface CaseLocations {
  /** Every subject of the case, with the sealed details that locate it. */
  readonly subjects: readonly {
    readonly subjectId: string;
    readonly role: SubjectRole;
    readonly addressConfidential: boolean;
    readonly sources: readonly LocationSource[];
  }[];
  /**
   * Documents released together (the subject results of one response): every LOC-tagged value
   * in them joins the lexicon of the subject it is about, so one result cannot leak another's.
   */
  readonly documents?: readonly { readonly subjectId: string; readonly doc: unknown }[];
}

/** What redact runs on each released free-text value for one recipient. */
export interface LocationNet {
  readonly lexicon: LocationLexicon;
  /** The second net: address-shaped text, whatever the case knows. */
  readonly shapes: boolean;
  readonly ruleId: string;
}

interface TextPolicy {
  readonly ruleId: string;
  /** Recipient types with LOC rights for free text (the shape net never runs for them). */
  readonly allowed: ReadonlySet<AgencyType>;
  readonly byRole: readonly { roles: ReadonlySet<SubjectRole>; allowed: ReadonlySet<AgencyType> }[];
  readonly byConfidential: readonly ReadonlySet<AgencyType>[];
}

const policies = new WeakMap<Guardrails, TextPolicy>();

function textPolicy(g: Guardrails): TextPolicy {
  let p = policies.get(g);
  if (p) return p;
  const byRole: TextPolicy['byRole'][number][] = [];
  const byConfidential: ReadonlySet<AgencyType>[] = [];
  let own: { id: string; allowedRecipients: AgencyType[] } | undefined;
  let loc: { id: string; allowedRecipients: AgencyType[] } | undefined;
  for (const gr of g.list) {
    if (gr.kind === 'location') {
      loc ??= gr;
      byRole.push({ roles: new Set(gr.protectedRoles), allowed: new Set(gr.allowedRecipients) });
    } else if (gr.kind === 'confidentialAddress') {
      byConfidential.push(new Set(gr.allowedRecipients));
    } else if (gr.kind === 'locationInText') {
      own ??= gr;
      byConfidential.push(new Set(gr.allowedRecipients));
    }
  }
  // Without its own guardrail (older guardrail files) the nets still run, under G-LOCATION's name.
  const named = own ?? loc!;
  p = { ruleId: named.id, allowed: new Set(named.allowedRecipients), byRole, byConfidential };
  policies.set(g, p);
  return p;
}

function protects(p: TextPolicy, role: SubjectRole, confidential: boolean, r: AgencyType): boolean {
  for (const x of p.byRole) if (x.roles.has(role) && !x.allowed.has(r)) return true;
  if (confidential) for (const a of p.byConfidential) if (!a.has(r)) return true;
  return false;
}

/** The id of the guardrail that names location-text removals in explanations. */
export function locationTextRuleId(g: Guardrails): string {
  return textPolicy(g).ruleId;
}

// ---- per case: extracted sources and compiled lexicons ----------------------------------------

interface Prepared {
  readonly subjects: readonly { role: SubjectRole; confidential: boolean; sources: readonly LocationSource[] }[];
  readonly anyConfidential: boolean;
  /** Every raw value already in some source: a document adding nothing new needs no new lexicon. */
  readonly known: ReadonlySet<string>;
  /** The registered documents themselves: their values are all in `known`. */
  readonly docs: ReadonlySet<unknown>;
  readonly lexicons: Map<string, LocationLexicon>;
}

const prepared = new WeakMap<CaseLocations, WeakMap<CatalogTree, Prepared>>();

function prepare(locs: CaseLocations, tree: CatalogTree): Prepared {
  let byTree = prepared.get(locs);
  if (!byTree) prepared.set(locs, (byTree = new WeakMap()));
  let p = byTree.get(tree);
  if (p) return p;
  const subjects = locs.subjects.map((s) => ({ role: s.role, confidential: s.addressConfidential, sources: [...s.sources] }));
  const index = new Map(locs.subjects.map((s, i) => [s.subjectId, i]));
  for (const d of locs.documents ?? []) {
    const i = index.get(d.subjectId);
    if (i === undefined) continue; // a result about no subject of the case releases nothing anyway
    const found = locationSourcesOf(tree, d.doc);
    subjects[i]!.sources.push(...found.sources);
    if (found.confidential) subjects[i]!.confidential = true;
  }
  const known = new Set<string>();
  for (const s of subjects) for (const src of s.sources) for (const v of sourceValues(src)) known.add(v);
  const docs = new Set<unknown>();
  for (const d of locs.documents ?? []) if (index.has(d.subjectId)) docs.add(d.doc);
  p = { subjects, anyConfidential: subjects.some((s) => s.confidential), known, docs, lexicons: new Map() };
  byTree.set(tree, p);
  return p;
}

export interface LocationNetInput {
  guardrails: Guardrails;
  tree: CatalogTree;
  recipientType: AgencyType;
  locations: CaseLocations | undefined;
  /** The subject the document under redaction is about, and the document itself. */
  subject: { role: SubjectRole; addressConfidential: boolean };
  doc: unknown;
}

/**
 * The net for one redaction, or undefined when the recipient may read every location the case
 * holds (police and IDVA under the sample guardrails) or there is nothing to protect.
 * `anyConfidential` also drives the G-LOCATION-IN-TEXT guardrail.
 */
export function locationNet(i: LocationNetInput): { net: LocationNet | undefined; anyConfidential: boolean } {
  const p = textPolicy(i.guardrails);
  const r = i.recipientType;
  const pre = i.locations ? prepare(i.locations, i.tree) : undefined;
  const anyConfidential = i.subject.addressConfidential || (pre?.anyConfidential ?? false);
  const shapes = anyConfidential && !p.allowed.has(r);

  let key = '';
  const sources: LocationSource[] = [];
  for (const s of pre?.subjects ?? []) {
    const on = protects(p, s.role, s.confidential, r);
    key += on ? '1' : '0';
    if (on) sources.push(...s.sources);
  }
  let lexicon: LocationLexicon | undefined;
  if (pre) {
    lexicon = pre.lexicons.get(key);
    if (!lexicon) pre.lexicons.set(key, (lexicon = compileLexicon(sources)));
  }
  // The document's own LOC values, when nobody registered them (previews, direct engine calls).
  // A registered document's values are in the case's lexicon already (the same object: read once).
  if (!pre?.docs.has(i.doc) && protects(p, i.subject.role, i.subject.addressConfidential, r)) {
    const own = locationSourcesOf(i.tree, i.doc).sources;
    const fresh = own.some((src) => sourceValues(src).some((v) => !pre?.known.has(v)));
    if (fresh) lexicon = compileLexicon([...sources, ...own]);
  }
  lexicon ??= compileLexicon([]);
  const net = lexicon.empty && !shapes ? undefined : { lexicon, shapes, ruleId: p.ruleId };
  return { net, anyConfidential };
}

// ---- extracting LOC values from a document ----------------------------------------------------

const locBelow = new WeakMap<CatalogTree, Uint8Array>();

/** 1 for nodes tagged LOC, with a LOC node below, or a list of identifiers (a UPRN is one). */
function locMarks(tree: CatalogTree): Uint8Array {
  let m = locBelow.get(tree);
  if (m) return m;
  m = new Uint8Array(tree.nodes.length);
  for (const n of tree.nodes) {
    if (!n.info.sensitivity.includes('LOC') && !isIdentifierValue(n)) continue;
    for (let x: CatalogNode | undefined = n; x && !m[x.id]; x = x.parent) m[x.id] = 1;
  }
  locBelow.set(tree, m);
  return m;
}

function isIdentifierValue(n: CatalogNode): boolean {
  return n.path.endsWith('identifiers[].value');
}

/**
 * Every LOC-tagged string in `doc`, one source per object holding them (so an address's lines,
 * postcode and UPRN stay together), plus UPRNs given as identifiers.
 */
export function locationSourcesOf(tree: CatalogTree, doc: unknown): { sources: LocationSource[]; confidential: boolean } {
  const marks = locMarks(tree);
  const out: LocationSource[] = [];
  let confidential = false;
  const walk = (node: CatalogNode, v: unknown): void => {
    if (!marks[node.id] || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      if (node.item) for (const x of v) walk(node.item, x);
      return;
    }
    const o = v as Record<string, unknown>;
    const src: { addressLines: string[]; postcode?: string; uprn?: string; phones: string[]; emails: string[]; other: string[] } =
      { addressLines: [], phones: [], emails: [], other: [] };
    let any = false;
    if (node.path.endsWith('address') && o.confidential === true) confidential = true;
    for (const [k, x] of Object.entries(o)) {
      const child = node.children.get(k);
      if (!child || !marks[child.id]) continue;
      if (isIdentifierValue(child)) {
        if (o.system === 'uprn' && typeof x === 'string') { src.uprn = x; any = true; }
        continue;
      }
      const strings = typeof x === 'string' ? [x] : Array.isArray(x) && x.every((y) => typeof y === 'string') ? (x as string[]) : undefined;
      if (!strings || !child.info.sensitivity.includes('LOC')) {
        walk(child, x);
        continue;
      }
      any = true;
      const key = k.toLowerCase();
      if (key === 'lines') src.addressLines.push(...strings);
      else if (key.includes('postcode')) src.postcode = strings[0];
      else if (key.includes('uprn')) src.uprn = strings[0];
      else if (key.includes('phone')) src.phones.push(...strings);
      else if (key.includes('email')) src.emails.push(...strings);
      else src.other.push(...strings);
    }
    if (any) out.push(src);
  };
  walk(tree.root, doc);
  return { sources: out, confidential };
}

function sourceValues(s: LocationSource): string[] {
  return [
    ...(s.addressLines ?? []), ...(s.postcode ? [s.postcode] : []), ...(s.uprn ? [s.uprn] : []),
    ...(s.phones ?? []), ...(s.emails ?? []), ...(s.other ?? []),
  ];
}
