/**
 * Reading and writing agreement files. IG officers write YAML; the API also takes JSON. Parsing
 * only turns text into data: `validateAgreement` decides whether the data is an agreement.
 */
import { parseDocument, stringify as stringifyYaml } from 'yaml';
import { GatewayError } from '../errors.js';
import type { Agreement } from './types.js';

export class AgreementUnreadable extends GatewayError {
  readonly code = 'AGREEMENT_UNREADABLE';
  readonly status = 400;
}

export type AgreementFormat = 'yaml' | 'json';

/**
 * Text → plain data (not yet validated). YAML 1.2 core schema: dates stay strings, no custom
 * tags, duplicate keys are an error. Anchors and `<<` merge keys are allowed so a long agreement
 * can share the common part of its release maps; alias expansion is bounded.
 */
export function parseAgreementText(text: string, format: AgreementFormat = guessFormat(text)): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new AgreementUnreadable(`not JSON: ${(e as Error).message}`);
    }
  }
  const doc = parseDocument(text, { version: '1.2', schema: 'core', uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    throw new AgreementUnreadable(`not YAML: ${doc.errors.map((e) => e.message).join('; ')}`, {
      problems: doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, code: 'YAML_SYNTAX', message: e.message })),
    });
  }
  // maxAliasCount bounds "billion laughs" expansion; going over it is bad input, not a 500.
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new AgreementUnreadable('not YAML this gateway will expand: too many aliases', {
      problems: [{ path: 'document', code: 'YAML_ALIAS_LIMIT', message: (e as Error).message }],
    });
  }
}

function guessFormat(text: string): AgreementFormat {
  return /^\s*[{[]/.test(text) ? 'json' : 'yaml';
}

const KEY_ORDER = [
  'id', 'version', 'title', 'description', 'effectiveFrom', 'reviewBy', 'expiresAt', 'retentionDays', 'parties',
  'purposes', 'lawfulBasis', 'caseThreshold', 'interArea', 'flows',
];
const FLOW_KEY_ORDER = ['id', 'description', 'from', 'to', 'purposes', 'direction', 'when', 'release'];

/** Agreement → text, keys in the order people read them. */
export function exportAgreement(a: Agreement, format: AgreementFormat = 'yaml'): string {
  const ordered = orderKeys(a as unknown as Record<string, unknown>, KEY_ORDER);
  if (Array.isArray(ordered.flows)) {
    ordered.flows = (ordered.flows as Record<string, unknown>[]).map((f) => orderKeys(f, FLOW_KEY_ORDER));
  }
  if (format === 'json') return `${JSON.stringify(ordered, null, 2)}\n`;
  return stringifyYaml(ordered, { lineWidth: 120, flowCollectionPadding: true });
}

function orderKeys(o: Record<string, unknown>, order: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of order) if (o[k] !== undefined) out[k] = o[k];
  for (const k of Object.keys(o)) if (!(k in out) && o[k] !== undefined) out[k] = o[k];
  return out;
}
