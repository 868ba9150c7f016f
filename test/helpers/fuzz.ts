/**
 * Schema-driven fuzzing: fast-check arbitraries for VALID documents, derived from the JSON Schemas
 * the gateway validates with (`schemas/*.schema.json`), and MUTATIONS that turn a valid document
 * into hostile input (wrong types, over-limit strings and arrays, deep nesting, prototype keys,
 * invalid UTF-8, control characters, duplicate keys, odd number literals, unknown fields, missing
 * required fields).
 *
 *   const valid = documentArbitrary('research-request', { overrides: { '/recipients': fc.constant(['essex-police']) } });
 *   const hostile = hostileBodyArbitrary('research-request', valid);   // → HostileBody { label, body, headers, mustReject }
 *
 * Override paths are JSON pointers with `[]` for "every array item" (`/subjectResults/[]/subjectId`);
 * an override of `null` means "never generate this optional property".
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { SCHEMA_BASE, schemaRegistry, type SchemaName } from '../../gateway/src/schema/registry.js';

const addFormats = addFormatsModule.default;
type Schema = Record<string, any>;

export interface DocOptions {
  /** Cap on generated array lengths (schemas allow up to 500 items; default 3). */
  maxArray?: number;
  /** `realistic`: dates of birth 1930–2025, other dates 2024–2028; `any`: the whole format range (years 0000–9999, leap seconds, offsets). */
  dates?: 'realistic' | 'any';
  /** Mix hostile-but-schema-valid strings into pattern and free-text leaves (SQL, CRLF, NUL, lone surrogates...). Default true. */
  interesting?: boolean;
  overrides?: Record<string, fc.Arbitrary<unknown> | null>;
}

// ---------------------------------------------------------------------------------------------
// Schema walking
// ---------------------------------------------------------------------------------------------

interface Located { schema: Schema; base: string }

function docs(): ReadonlyMap<string, Schema> {
  return schemaRegistry().documents() as ReadonlyMap<string, Schema>;
}

export function rootSchema(name: SchemaName): Located {
  const base = `${SCHEMA_BASE}${name}.schema.json`;
  const schema = docs().get(base);
  if (!schema) throw new Error(`schema ${name} not loaded`);
  return { schema, base };
}

/** Follows `$ref` (relative to the document's `$id`), keeping the target's validation keywords. */
function deref(l: Located): Located {
  let cur = l;
  for (let i = 0; i < 20 && typeof cur.schema.$ref === 'string'; i++) {
    const url = new URL(cur.schema.$ref, cur.base);
    const docId = url.href.split('#')[0]!;
    const doc = docs().get(docId);
    if (!doc) throw new Error(`unresolved $ref ${cur.schema.$ref} from ${cur.base}`);
    let target: any = doc;
    for (const tok of decodeURIComponent(url.hash.slice(1)).split('/').filter(Boolean)) {
      target = target[tok.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    cur = { schema: target as Schema, base: docId };
  }
  return cur;
}

/** The (dereferenced) schema at a concrete JSON pointer of a document, or undefined. */
export function schemaAtPointer(name: SchemaName, pointer: string[]): Located | undefined {
  let cur: Located | undefined = deref(rootSchema(name));
  for (const tok of pointer) {
    if (!cur) return undefined;
    const s: Schema = cur.schema;
    if (s.type === 'array' && s.items) cur = deref({ schema: s.items, base: cur.base });
    else if (s.properties?.[tok]) cur = deref({ schema: s.properties[tok], base: cur.base });
    else return undefined;
  }
  return cur;
}

// ---------------------------------------------------------------------------------------------
// Leaves
// ---------------------------------------------------------------------------------------------

const leafAjv = new Ajv2020({ strict: false });
addFormats(leafAjv);
const leafCache = new Map<string, ValidateFunction>();
/** Exactly ajv's verdict for one string leaf (pattern, format, lengths): the generator never guesses. */
function leafValidator(s: Schema): ValidateFunction {
  const leaf: Schema = { type: 'string' };
  for (const k of ['pattern', 'format', 'minLength', 'maxLength']) if (s[k] !== undefined) leaf[k] = s[k];
  const key = JSON.stringify(leaf);
  let v = leafCache.get(key);
  if (!v) leafCache.set(key, (v = leafAjv.compile(leaf)));
  return v;
}

/** Schema-valid strings an attacker would try first. Each is used only where the leaf accepts it. */
export const INTERESTING_STRINGS: readonly string[] = [
  "'; DROP TABLE cases; --", "' OR '1'='1", '1 OR 1=1', 'x\r\nSet-Cookie: sid=evil', '%0d%0aSet-Cookie:x',
  '\u0000', 'a\u0000b', '\u0007\u001b[31m', '\ud800', 'x\udfffy', '\u202e\u2066', '\u200b', '\ufeff', '\u2028\u2029',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile string, on purpose
  '<script>alert(1)</script>', '{{7*7}}', '${jndi:ldap://x}', '../../etc/passwd', '__proto__', 'constructor', 'prototype',
  '0123456789', '9990013713', '07700900123', 'CM29ZZ', 'cm2-9zz', 'CM2 9ZZ', '2026-01-01', '01/02/2026', '19/0456789Y',
  'a@b.co', 'NaN', 'Infinity', '-0', 'null', 'true', 'ＳＵＢＪＥＣＴ', 'pol\u0456ce', 'Police', 'SUBJECT',
  'police.incidents[0].summary', 'subject..address', '[]', '.', '-', '_', '00', 'a-', 'zz', '😀', 'e\u0301',
];

function dateArb(kind: 'realistic' | 'any', dob: boolean): fc.Arbitrary<string> {
  const range = kind === 'any' ? [0, 9999] : dob ? [1930, 2025] : [2024, 2028];
  const core = fc.tuple(fc.integer({ min: range[0]!, max: range[1]! }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
    .map(([y, m, d]) => {
      const days = new Date(Date.UTC(2000, m, 0)).getUTCDate() - (m === 2 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 1 : 0);
      return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(Math.min(d, days)).padStart(2, '0')}`;
    });
  if (kind === 'realistic') return core;
  return fc.oneof({ weight: 4, arbitrary: core }, { weight: 1, arbitrary: fc.constantFrom('0000-01-01', '9999-12-31', '2024-02-29', '1970-01-01', '1000-01-01') });
}

function dateTimeArb(kind: 'realistic' | 'any'): fc.Arbitrary<string> {
  const realistic = fc.date({ min: new Date('2025-06-01T00:00:00Z'), max: new Date('2028-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  if (kind === 'realistic') return realistic;
  return fc.oneof(
    { weight: 3, arbitrary: realistic },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '2026-06-30T23:59:60Z', '2016-12-31T23:59:60z', '2026-01-01t00:00:00z', '2026-01-01 10:00:00Z', '0000-01-01T00:00:00Z',
        '9999-12-31T23:59:59-23:59', '2026-01-01T00:00:00+23:59', '2026-03-29T01:30:00+00:00', '2026-01-01T00:00:00.123456789012Z',
        '1970-01-01T00:00:00Z',
      ),
    },
  );
}

function stringArb(s: Schema, o: Required<Omit<DocOptions, 'overrides'>>, path: string): fc.Arbitrary<string> {
  if (s.enum) return fc.constantFrom(...(s.enum as string[]));
  if (s.const !== undefined) return fc.constant(s.const as string);
  const valid = leafValidator(s);
  let base: fc.Arbitrary<string>;
  if (s.format === 'date') base = dateArb(o.dates, /dob|dateOfBirth/i.test(path));
  else if (s.format === 'date-time') base = dateTimeArb(o.dates);
  else if (s.format === 'email') base = fc.emailAddress();
  else if (s.pattern) base = fc.stringMatching(new RegExp(s.pattern as string, 'u'), { size: 'small' });
  else base = fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40), unit: 'binary' });
  base = base.filter((x) => valid(x) as boolean);
  if (!o.interesting) return base;
  const extra = [...INTERESTING_STRINGS, ...(s.maxLength ? ['x'.repeat(s.maxLength as number)] : [])].filter((x) => valid(x) as boolean);
  return extra.length ? fc.oneof({ weight: 4, arbitrary: base }, { weight: 1, arbitrary: fc.constantFrom(...extra) }) : base;
}

// ---------------------------------------------------------------------------------------------
// Valid documents
// ---------------------------------------------------------------------------------------------

function arbFor(l0: Located, o: Required<Omit<DocOptions, 'overrides'>>, ov: DocOptions['overrides'], path: string): fc.Arbitrary<unknown> {
  const hit = ov?.[path];
  if (hit) return hit;
  const { schema: s, base } = deref(l0);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum && s.type !== 'string') return fc.constantFrom(...(s.enum as unknown[]));
  if (s.oneOf || s.anyOf) return fc.oneof(...((s.oneOf ?? s.anyOf) as Schema[]).map((x) => arbFor({ schema: x, base }, o, ov, path)));
  switch (s.type) {
    case 'string': return stringArb(s, o, path);
    case 'boolean': return fc.boolean();
    case 'integer': return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 });
    case 'number': return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'array': {
      const item = arbFor({ schema: s.items ?? {}, base }, o, ov, `${path}/[]`);
      const minLength = s.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(s.maxItems ?? o.maxArray, o.maxArray));
      return s.uniqueItems
        ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
        : fc.array(item, { minLength, maxLength });
    }
    case 'object': {
      // `if`/`else: {required}` (consent: any status but GIVEN needs the decision recorded): always
      // generating the keys the `else` branch requires satisfies both branches.
      const required = new Set<string>([...(s.required ?? []), ...((s.if && s.else?.required) ?? [])]);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, sub] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
        const p = `${path}/${k}`;
        if (ov?.[p] === null) {
          if (required.has(k)) throw new Error(`override removes required property ${p}`);
          continue;
        }
        model[k] = arbFor({ schema: sub, base }, o, ov, p);
      }
      const rec = fc.record(model, { requiredKeys: [...required].filter((k) => k in model) });
      return s.minProperties ? rec.filter((x) => Object.keys(x).length >= (s.minProperties as number)) : rec;
    }
    default:
      return fc.constant(null);
  }
}

/** Documents that pass `schemas/<name>.schema.json` (the tests assert it with the real registry). */
export function documentArbitrary(name: SchemaName, opts: DocOptions = {}): fc.Arbitrary<any> {
  const o = { maxArray: opts.maxArray ?? 3, dates: opts.dates ?? 'realistic', interesting: opts.interesting ?? true };
  return arbFor(rootSchema(name), o, opts.overrides, '');
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

export interface HostileBody {
  label: string;
  /** What goes on the wire (a Buffer when the bytes are not valid UTF-8 or compressed). */
  body: string | Buffer;
  headers: Record<string, string>;
  /** true when no reading of the input can be a valid document: the gateway must answer 4xx. */
  mustReject: boolean;
}

interface Node { pointer: string[]; value: unknown }

function nodes(doc: unknown, pointer: string[] = [], out: Node[] = []): Node[] {
  out.push({ pointer, value: doc });
  if (Array.isArray(doc)) doc.forEach((v, i) => nodes(v, [...pointer, String(i)], out));
  else if (doc && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) nodes(v, [...pointer, k], out);
  return out;
}

/** Replaces the value at `pointer` with raw JSON text (which need not be valid JSON). */
export function spliceRaw(doc: unknown, pointer: string[], raw: string): string {
  if (pointer.length === 0) return raw;
  const sentinel = `__fuzz_sentinel_${Math.random().toString(36).slice(2)}__`;
  const copy = structuredClone(doc) as any;
  let parent = copy;
  for (const tok of pointer.slice(0, -1)) parent = parent[tok];
  parent[pointer.at(-1)!] = sentinel;
  return JSON.stringify(copy).replace(`"${sentinel}"`, () => raw);
}

/** Adds `"key": raw` (key written verbatim, so `__proto__` and escapes survive) to the object at `pointer`. */
export function addRawKey(doc: unknown, pointer: string[], rawKey: string, raw: string, atStart = false): string {
  const sentinel = `__fuzz_key_${Math.random().toString(36).slice(2)}__`;
  const copy = structuredClone(doc) as any;
  let obj = copy;
  for (const tok of pointer) obj = obj[tok];
  const entries = Object.entries(obj);
  for (const k of Object.keys(obj)) delete obj[k];
  if (atStart) obj[sentinel] = 0;
  for (const [k, v] of entries) obj[k] = v;
  if (!atStart) obj[sentinel] = 0;
  return JSON.stringify(copy).replace(`"${sentinel}":0`, () => `${rawKey}:${raw}`);
}

function deepText(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const lazy = <T>(f: () => T): fc.Arbitrary<T> => fc.constant(0).map(f);
let bomb: Buffer | undefined;
function gzipBomb(): Buffer {
  bomb ??= gzipSync(Buffer.concat([Buffer.from('{"a":1'), Buffer.alloc(20_000_000, 0x20), Buffer.from('}')]));
  return bomb;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const LOOKALIKE_KEYS = ['"Police"', '"SUBJECT"', '"pol\u0456ce"', '"ｐｏｌｉｃｅ"', '"police.incidents[0].summary"', '"subjectId "', '"unexpected"', '"agencyId"'];
const PROTO_KEYS = ['"__proto__"', '"constructor"', '"prototype"', '"__proto\\u005f_"', '"\\u0063onstructor"'];
const NUMBER_TEXTS: { raw: string; parses: boolean }[] = [
  { raw: '1e400', parses: true }, { raw: '-1e400', parses: true }, { raw: '-0', parses: true }, { raw: '1e-400', parses: true },
  { raw: '9007199254740993', parses: true }, { raw: '1.0', parses: true }, { raw: 'NaN', parses: false }, { raw: 'Infinity', parses: false },
  { raw: '-Infinity', parses: false }, { raw: '0x10', parses: false }, { raw: '01', parses: false }, { raw: '.5', parses: false }, { raw: '+1', parses: false },
];
const BAD_UTF8: Buffer[] = [Buffer.from([0xc3, 0x28]), Buffer.from([0xff]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])];

/**
 * Hostile bodies built from valid documents of `name`. Each run picks one mutation and where to
 * apply it (any node of the document).
 */
export function hostileBodyArbitrary(name: SchemaName, valid: fc.Arbitrary<unknown>): fc.Arbitrary<HostileBody> {
  return fc.tuple(valid, fc.nat(), fc.nat(), fc.nat()).chain(([doc, a, b, c]) => {
    const all = nodes(doc);
    const pick = <T>(xs: T[], n: number): T => xs[n % xs.length]!;
    const at = (pred: (n: Node) => boolean) => all.filter(pred);
    const objects = at((n) => !!n.value && typeof n.value === 'object' && !Array.isArray(n.value));
    const leaves = at((n) => n.value === null || typeof n.value !== 'object');
    const strings = at((n) => typeof n.value === 'string');
    const arrays = at((n) => Array.isArray(n.value) && n.value.length > 0);
    const json = (label: string, body: string, mustReject: boolean): HostileBody => ({ label, body, headers: JSON_HEADERS, mustReject });
    const m: fc.Arbitrary<HostileBody>[] = [];

    // Wrong type anywhere (the root too: the body is then not an object at all).
    const target = pick(all, a);
    const wrong = [1, 'x', true, null, [], {}].filter((v) => typeof v !== typeof target.value || Array.isArray(v) !== Array.isArray(target.value) || (v === null) !== (target.value === null));
    m.push(lazy(() => json(`wrong type at /${target.pointer.join('/')}`, spliceRaw(doc, target.pointer, JSON.stringify(pick(wrong, b))), true)));

    // Over-limit strings and arrays.
    if (strings.length) {
      const sn = pick(strings, a);
      const max = (schemaAtPointer(name, sn.pointer)?.schema.maxLength as number | undefined) ?? 4000;
      const len = pick([max + 1, max * 4 + 7, 100_000, 600_000], b);
      m.push(lazy(() => json(`huge string (${len}) at /${sn.pointer.join('/')}`, spliceRaw(doc, sn.pointer, JSON.stringify('x'.repeat(len))), true)));
    }
    if (arrays.length) {
      const an = pick(arrays, a);
      const max = (schemaAtPointer(name, an.pointer)?.schema.maxItems as number | undefined) ?? 500;
      const item = JSON.stringify((an.value as unknown[])[0]);
      const n = Math.min(max + 1 + (c % 3) * 1000, Math.ceil(700_000 / Math.max(item.length + 1, 1)));
      m.push(lazy(() => json(`huge array (${n}) at /${an.pointer.join('/')}`, spliceRaw(doc, an.pointer, `[${Array(n).fill(item).join(',')}]`), true)));
    }

    // Deep nesting (10k levels fits the 512 kB limit; 300k levels does not).
    const depth = pick([64, 1000, 10_000, 100_000, 300_000], b);
    m.push(lazy(() => json(`nesting ${depth} at /${target.pointer.join('/')}`, spliceRaw(doc, target.pointer, deepText(depth, c % 2 ? 'array' : 'object')), true)));

    // Prototype keys, look-alike and unknown keys, in any object.
    if (objects.length) {
      const on = pick(objects, a);
      const s = schemaAtPointer(name, on.pointer)?.schema;
      const closed = s?.additionalProperties === false;
      m.push(lazy(() => json(`proto key ${pick(PROTO_KEYS, b)} at /${on.pointer.join('/')}`, addRawKey(doc, on.pointer, pick(PROTO_KEYS, b), pick(['{"admin":true}', '{"prototype":{"x":1}}', '1', 'null'], c), c % 2 === 0), true)));
      m.push(lazy(() => json(`unknown key ${pick(LOOKALIKE_KEYS, b)} at /${on.pointer.join('/')}`, addRawKey(doc, on.pointer, pick(LOOKALIKE_KEYS, b), '"x"'), closed)));
      const req = ((s?.required ?? []) as string[]).filter((k) => k in (on.value as object));
      if (req.length) {
        const k = pick(req, c);
        const copy = structuredClone(doc) as any;
        let o = copy;
        for (const t of on.pointer) o = o[t];
        delete o[k];
        m.push(lazy(() => json(`missing required ${k} at /${on.pointer.join('/')}`, JSON.stringify(copy), true)));
      }
      // Duplicate keys: JSON.parse keeps the last, so the document may still be valid.
      const keys = Object.keys(on.value as object);
      if (keys.length) {
        const k = pick(keys, c);
        const v = JSON.stringify((on.value as Record<string, unknown>)[k]);
        m.push(lazy(() => json(`duplicate key ${k} at /${on.pointer.join('/')}`, addRawKey(doc, on.pointer, JSON.stringify(k), pick([v, '12345', '"other"', '{}'], b), c % 2 === 0), false)));
      }
    }

    // Odd number literals at any leaf.
    if (leaves.length) {
      const ln = pick(leaves, a);
      const num = pick(NUMBER_TEXTS, b);
      const s = schemaAtPointer(name, ln.pointer)?.schema;
      const bounded = s?.type === 'integer' || s?.type === 'number' ? s.maximum !== undefined : true;
      const mustReject = !num.parses || (num.raw.includes('e400') && bounded) || (s !== undefined && s.type !== 'integer' && s.type !== 'number');
      m.push(lazy(() => json(`number ${num.raw} at /${ln.pointer.join('/')}`, spliceRaw(doc, ln.pointer, num.raw), mustReject)));
    }

    // Control characters: escaped inside a string (may be valid free text) or raw in the text (never JSON).
    if (strings.length) {
      const sn = pick(strings, c);
      const ch = pick(['\u0000', '\u0001', '\u001f', '\u007f', '\u2028', '\ud800', '\r\n', '\u202e'], b);
      const escaped = spliceRaw(doc, sn.pointer, JSON.stringify(`${sn.value as string}${ch}`));
      const s = schemaAtPointer(name, sn.pointer)?.schema;
      const strict = !!(s?.enum || s?.const !== undefined || s?.pattern || s?.format);
      m.push(lazy(() => json(`control char U+${ch.charCodeAt(0).toString(16)} in /${sn.pointer.join('/')}`, escaped, !!(strict && ch !== '\u007f' ))));
      const rawCtl = spliceRaw(doc, sn.pointer, `"${String(sn.value).replace(/["\\]/g, '')}${pick(['\u0000', '\u0001', '\n', '\t', '\u001f'], a)}"`);
      m.push(lazy(() => json(`raw control char in /${sn.pointer.join('/')}`, rawCtl, true)));
      // Invalid UTF-8 bytes inside a string value.
      const bad = pick(BAD_UTF8, a);
      const text = spliceRaw(doc, sn.pointer, '"__fuzz_bytes__"');
      const [pre, post] = text.split('__fuzz_bytes__') as [string, string];
      m.push(lazy(() => ({ label: `invalid UTF-8 ${bad.toString('hex')} in /${sn.pointer.join('/')}`, body: Buffer.concat([Buffer.from(pre), bad, Buffer.from(post)]), headers: JSON_HEADERS, mustReject: strict })));
    }

    // Whole-body mutations: not an object, truncated, wrong media type, encodings, bombs.
    const text = JSON.stringify(doc);
    const whole: (() => HostileBody)[] = [
      () => json('empty object', '{}', true),
      () => json('root array', '[]', true),
      () => json('root null', 'null', true),
      () => json('root string', '"x"', true),
      () => json('truncated', text.slice(0, Math.max(1, a % text.length)), true),
      () => json('trailing garbage', `${text}x`, true),
      () => json('two documents', `${text}${text}`, true),
      () => json('BOM', `\ufeff${text}`, false),
      () => ({ label: 'text/plain', body: text, headers: { 'content-type': 'text/plain' }, mustReject: true }),
      () => ({ label: 'form', body: 'purpose=MARAC_RESEARCH', headers: { 'content-type': 'application/x-www-form-urlencoded' }, mustReject: true }),
      // JSON may be sent in UTF-16 (RFC 8259 allows utf-16/32 on closed systems; body-parser decodes it).
      () => ({ label: 'utf-16 charset', body: Buffer.from(text, 'utf16le'), headers: { 'content-type': 'application/json; charset=utf-16' }, mustReject: false }),
      () => ({ label: 'koi8-r charset', body: text, headers: { 'content-type': 'application/json; charset=koi8-r' }, mustReject: true }),
      () => ({ label: 'latin1 charset', body: text, headers: { 'content-type': 'application/json; charset=latin1' }, mustReject: false }),
      () => ({ label: 'unknown content-encoding', body: text, headers: { 'content-type': 'application/json', 'content-encoding': 'x-fuzz' }, mustReject: true }),
      () => ({ label: 'gzip bomb (20 MB of spaces)', body: gzipBomb(), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, mustReject: true }),
      () => ({ label: 'gzip garbage', body: Buffer.from('1f8b0800000000000003ffffffff', 'hex'), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, mustReject: true }),
      () => json('oversized (600 kB)', JSON.stringify({ pad: 'x'.repeat(600_000) }), true),
    ];
    m.push(fc.integer({ min: 0, max: whole.length - 1 }).map((i) => whole[i]!()));
    return fc.oneof(...m);
  });
}

/** A stable error code: UPPER_SNAKE, as every GatewayError has. */
export const STABLE_CODE = /^[A-Z][A-Z0-9_]{2,63}$/;

/** Run count for one property: `FUZZ_RUNS` (default `dflt`), scaled by `factor` for expensive properties. */
export function fuzzRuns(dflt = 200, factor = 1): number {
  const n = Number(process.env.FUZZ_RUNS ?? dflt);
  return Math.max(1, Math.round((Number.isFinite(n) && n > 0 ? n : dflt) * factor));
}

/**
 * A garbage collector for memory bounds: `--expose-gc` set at run time, `gc` taken from a fresh
 * context (vitest workers are not started with the flag).
 */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/**
 * Builds what the generators cache on first use (fast-check's full-Unicode table alone is some
 * 80 MB of heap), so a memory baseline taken after this measures the system under test.
 */
export function warmUpGenerators(): void {
  for (const name of ['case', 'research-request', 'research-response', 'decline'] as const) {
    const valid = documentArbitrary(name, { dates: 'any' });
    fc.sample(hostileBodyArbitrary(name, valid), 3);
  }
}

/** `FUZZ_SEED` pins the run (fast-check prints the seed of a failing run). */
export function fuzzSeed(): { seed?: number } {
  const s = process.env.FUZZ_SEED;
  return s !== undefined && Number.isFinite(Number(s)) ? { seed: Number(s) } : {};
}
