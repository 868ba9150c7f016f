import { isPlainObject, type OperatorSpec } from './types.js';

/**
 * Parses an operator as written in an agreement (YAML/JSON) into an OperatorSpec. Strict: unknown
 * operators, unknown parameters and out-of-range values are errors, because an operator the
 * engine cannot carry out must never become "release it anyway".
 */
export type ParseResult = { ok: true; spec: OperatorSpec } | { ok: false; message: string };

const BARE = ['keep', 'drop', 'count', 'booleanise', 'pseudonymise', 'scrub'] as const;
type Bare = (typeof BARE)[number];
const PARAMETERISED = ['mask', 'date', 'ageBand', 'postcode', 'truncate', 'window', 'limit', 'categorise', 'replace'];

/** Names from domain-marac.md §7 that people will write, and what to write instead. */
const HINTS: Record<string, string> = {
  postcodeDistrict: '{ postcode: district }',
  countOnly: 'count',
  generaliseDate: '{ date: month } or { date: year }',
  generalizeDate: '{ date: month } or { date: year }',
  redact: 'drop',
  hmac: 'pseudonymise',
  booleanize: 'booleanise',
  categorize: '{ categorise: { map: {...} } }',
  pseudonymize: 'pseudonymise',
};

const MAX_MASK_KEEP = 64;
const MAX_TRUNCATE = 100_000;
const MAX_WINDOW_MONTHS = 1_200;
const MAX_AGE = 150;
const MAX_REPLACE = 500;

const fail = (message: string): ParseResult => ({ ok: false, message });
const ok = (spec: OperatorSpec): ParseResult => ({ ok: true, spec });

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function onlyKeys(o: Record<string, unknown>, allowed: string[], where: string): string | null {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  return extra.length ? `${where}: unknown parameter(s) ${extra.join(', ')}; allowed: ${allowed.join(', ')}` : null;
}

function isKeyPath(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 200 && v.split('.').every((s) => s.length > 0);
}

function unknownName(name: string): ParseResult {
  const hint = HINTS[name];
  const known = [...BARE, ...PARAMETERISED].join(', ');
  return fail(hint ? `unknown operator "${name}": write ${hint}` : `unknown operator "${name}"; known: ${known}`);
}

export function parseOperator(raw: unknown): ParseResult {
  if (typeof raw === 'string') {
    if ((BARE as readonly string[]).includes(raw)) return ok(raw as Bare);
    if (PARAMETERISED.includes(raw)) return fail(`operator "${raw}" needs parameters, e.g. { ${raw}: ... }`);
    return unknownName(raw);
  }
  if (!isPlainObject(raw)) return fail('an operator is a name (e.g. keep) or an object with one key (e.g. { mask: { keepLast: 4 } })');
  const names = Object.keys(raw);
  if (names.length !== 1) return fail(`an operator object has exactly one key, got ${names.length}: ${names.join(', ') || '(none)'}`);
  const name = names[0] as string;
  const arg = raw[name];
  switch (name) {
    case 'mask': {
      if (!isPlainObject(arg)) return fail('mask: expected { keepLast: n }');
      const extra = onlyKeys(arg, ['keepLast'], 'mask');
      if (extra) return fail(extra);
      if (!isInt(arg.keepLast, 0, MAX_MASK_KEEP)) return fail(`mask.keepLast: an integer from 0 to ${MAX_MASK_KEEP}`);
      return ok({ mask: { keepLast: arg.keepLast } });
    }
    case 'date':
      if (arg !== 'year' && arg !== 'month') return fail('date: "year" or "month"');
      return ok({ date: arg });
    case 'ageBand': {
      if (!Array.isArray(arg) || arg.length === 0) return fail('ageBand: a non-empty list of lower bounds, e.g. [0, 5, 11, 16, 18]');
      for (let i = 0; i < arg.length; i++) {
        const b: unknown = arg[i];
        if (!isInt(b, 0, MAX_AGE)) return fail(`ageBand[${i}]: an integer from 0 to ${MAX_AGE}`);
        if (i > 0 && b <= (arg[i - 1] as number)) return fail(`ageBand[${i}]: bounds must be strictly ascending`);
      }
      return ok({ ageBand: [...(arg as number[])] });
    }
    case 'postcode':
      if (arg !== 'district' && arg !== 'sector') return fail('postcode: "district" or "sector"');
      return ok({ postcode: arg });
    case 'truncate':
      if (!isInt(arg, 1, MAX_TRUNCATE)) return fail(`truncate: an integer number of characters from 1 to ${MAX_TRUNCATE}`);
      return ok({ truncate: arg });
    case 'window': {
      if (!isPlainObject(arg)) return fail('window: expected { months: n, on: dateKey }');
      const extra = onlyKeys(arg, ['months', 'on'], 'window');
      if (extra) return fail(extra);
      if (!isInt(arg.months, 1, MAX_WINDOW_MONTHS)) return fail(`window.months: an integer from 1 to ${MAX_WINDOW_MONTHS}`);
      if (!isKeyPath(arg.on)) return fail('window.on: the key of the date in each item, e.g. "date"');
      return ok({ window: { months: arg.months, on: arg.on } });
    }
    case 'limit': {
      if (!isPlainObject(arg)) return fail('limit: expected { top: n, by: key, order?: asc|desc }');
      const extra = onlyKeys(arg, ['top', 'by', 'order'], 'limit');
      if (extra) return fail(extra);
      if (!isInt(arg.top, 1, 10_000)) return fail('limit.top: an integer from 1 to 10000');
      if (!isKeyPath(arg.by)) return fail('limit.by: the key to order items by, e.g. "date"');
      if (arg.order !== undefined && arg.order !== 'asc' && arg.order !== 'desc') return fail('limit.order: "asc" or "desc"');
      return ok({ limit: arg.order === undefined ? { top: arg.top, by: arg.by } : { top: arg.top, by: arg.by, order: arg.order } });
    }
    case 'categorise': {
      if (!isPlainObject(arg)) return fail('categorise: expected { map: { value: category, ... }, default?: category }');
      const extra = onlyKeys(arg, ['map', 'default'], 'categorise');
      if (extra) return fail(extra);
      if (!isPlainObject(arg.map)) return fail('categorise.map: an object of value → category');
      const map: Record<string, string> = {};
      for (const [k, v] of Object.entries(arg.map)) {
        if (typeof v !== 'string') return fail(`categorise.map.${k}: the category must be a string`);
        map[k] = v;
      }
      if (arg.default !== undefined && typeof arg.default !== 'string') return fail('categorise.default: a string');
      return ok({ categorise: arg.default === undefined ? { map } : { map, default: arg.default } });
    }
    case 'replace':
      if (typeof arg !== 'string' || arg.length > MAX_REPLACE) return fail(`replace: a string of at most ${MAX_REPLACE} characters`);
      return ok({ replace: arg });
    default:
      if ((BARE as readonly string[]).includes(name)) return fail(`operator "${name}" takes no parameters: write ${name}`);
      return unknownName(name);
  }
}
