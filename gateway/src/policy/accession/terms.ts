/**
 * What an agreement means for one agency, read from its flows (flows are written per agency type,
 * so a new provider of a type inherits them): what it is sent to search its records, what of its
 * research goes to whom and in what form, what it receives from others; retention and lawful
 * bases. Structured (paths and operators); the pages put it into words (ui/view-model/accession-view.ts).
 */
import type { AgencyType } from '../../identity/principal.js';
import type { Agreement, Flow, LawfulBasis, PartySelector } from '../types.js';

export interface TermsField {
  path: string;
  /** The operator (or pipeline `a+b`) applied: `keep` means as recorded. */
  op: string;
}

export interface TermsFlow {
  flowId: string;
  description?: string;
  /** The other side of the flow. */
  other: PartySelector;
  subjectRoles?: string[];
  purposes?: string[];
  fields: TermsField[];
}

export interface AgreementTerms {
  agreementId: string;
  title: string;
  agencyId: string;
  agencyType: AgencyType;
  /** Requests it is sent so it can search its records. */
  requestsReceived: TermsFlow[];
  /** Its research, released to others. */
  sends: TermsFlow[];
  /** Research others release to it. */
  receives: TermsFlow[];
  retentionDays: number;
  purposes: string[];
  lawfulBasis: LawfulBasis;
  effectiveFrom: string;
  reviewBy: string;
  expiresAt: string;
}

export function opOf(spec: unknown): string {
  if (typeof spec === 'string') return spec;
  if (Array.isArray(spec)) return spec.map(opOf).join('+');
  if (spec && typeof spec === 'object') return Object.keys(spec)[0] ?? 'keep';
  return 'keep';
}

function matches(sel: PartySelector, agencyId: string, type: AgencyType, coordinator: boolean): boolean {
  if (sel.agency !== undefined) return sel.agency === agencyId;
  if (sel.type !== undefined) return sel.type === type;
  return sel.role === 'coordinator' && coordinator;
}

function termsFlow(f: Flow, other: PartySelector): TermsFlow {
  return {
    flowId: f.id,
    ...(f.description ? { description: f.description } : {}),
    other,
    ...(f.when?.subjectRoles ? { subjectRoles: [...f.when.subjectRoles] } : {}),
    ...(f.purposes ? { purposes: [...f.purposes] } : {}),
    fields: Object.entries(f.release).map(([path, spec]) => ({ path, op: opOf(spec) })),
  };
}

export function termsFor(doc: Agreement, agencyId: string, type: AgencyType): AgreementTerms {
  const coordinator = doc.parties.some((p) => p.agency === agencyId && p.role === 'coordinator');
  const requestsReceived: TermsFlow[] = [];
  const sends: TermsFlow[] = [];
  const receives: TermsFlow[] = [];
  for (const f of doc.flows) {
    const from = matches(f.from, agencyId, type, coordinator);
    const to = matches(f.to, agencyId, type, coordinator);
    if (f.direction === 'request' && to) requestsReceived.push(termsFlow(f, f.from));
    else if (f.direction === 'response' && from) sends.push(termsFlow(f, f.to));
    else if (f.direction === 'response' && to) receives.push(termsFlow(f, f.from));
  }
  return {
    agreementId: doc.id, title: doc.title, agencyId, agencyType: type,
    requestsReceived, sends, receives,
    retentionDays: doc.retentionDays, purposes: [...doc.purposes], lawfulBasis: doc.lawfulBasis,
    effectiveFrom: String(doc.effectiveFrom), reviewBy: String(doc.reviewBy), expiresAt: String(doc.expiresAt),
  };
}

/** Whether any flow of the agreement concerns an agency of this type (by type, not by id). */
export function hasFlowsForType(doc: Agreement, type: AgencyType): boolean {
  return doc.flows.some((f) => f.from.type === type || f.to.type === type);
}
