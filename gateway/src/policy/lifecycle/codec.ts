/**
 * Agreement files in and out of the store. The engine parses (YAML 1.2 core schema, unique keys,
 * bounded aliases) and orders keys for export; this adds what storage needs: one plain mapping of
 * JSON data, no prototype keys, a size limit, and `version` owned by the store.
 */
import { AgreementUnreadable, exportAgreement, parseAgreementText, type Agreement } from '../index.js';

const MAX_TEXT = 1_000_000;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function forbiddenKey(v: unknown, path: string, depth: number): string | undefined {
  if (depth > 64) return path || '/';
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = forbiddenKey(v[i], `${path}/${i}`, depth + 1);
      if (bad !== undefined) return bad;
    }
  } else if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) return `${path}/${k}`;
      const bad = forbiddenKey((v as Record<string, unknown>)[k], `${path}/${k}`, depth + 1);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

// PostgreSQL jsonb stores neither U+0000 nor a lone UTF-16 surrogate: such text is bad input (400), not a 500.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unstorableText(v: unknown, path: string, depth: number): string | undefined {
  if (typeof v === 'string') return UNSTORABLE.test(v) ? path || '/' : undefined;
  if (depth > 64 || !v || typeof v !== 'object') return undefined;
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
  for (const [k, x] of entries) {
    if (UNSTORABLE.test(k)) return `${path}/${k}`;
    const bad = unstorableText(x, `${path}/${k}`, depth + 1);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** Checks that parsed data is one plain mapping of JSON data, and returns a plain copy of it. */
export function asAgreementObject(value: unknown): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new AgreementUnreadable('An agreement is one mapping (object) at the top level');
  }
  const bad = forbiddenKey(value, '', 0);
  if (bad !== undefined) {
    throw new AgreementUnreadable('The agreement contains a key that is not allowed or is nested too deeply', {
      problems: [{ path: bad, code: 'FORBIDDEN_KEY', message: 'key not allowed (or nesting deeper than 64)' }],
    });
  }
  const unstorable = unstorableText(value, '', 0);
  if (unstorable !== undefined) {
    throw new AgreementUnreadable('The agreement contains text that cannot be stored (a NUL character or a broken surrogate pair)', {
      problems: [{ path: unstorable, code: 'UNSTORABLE_TEXT', message: 'NUL or lone surrogate' }],
    });
  }
  // Through JSON once: whatever the parser produced becomes plain JSON data.
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/** YAML or JSON text → a plain agreement object (not yet validated). */
export function readAgreementText(text: string): Record<string, unknown> {
  if (text.length > MAX_TEXT) throw new AgreementUnreadable('The agreement file is too large');
  return asAgreementObject(parseAgreementText(text));
}

/** The document as stored: without `version`, which the store assigns. */
export function withoutVersion(doc: Record<string, unknown>): Record<string, unknown> {
  const { version: _ignored, ...rest } = doc;
  return rest;
}

export function formatAgreement(doc: Record<string, unknown>, version: number, format: 'yaml' | 'json', header?: string): string {
  const text = exportAgreement({ ...doc, version } as unknown as Agreement, format);
  if (format === 'json' || !header) return text;
  return `${header.split('\n').map((l) => `# ${l}`).join('\n')}\n${text}`;
}
