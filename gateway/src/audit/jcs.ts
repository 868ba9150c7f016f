/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * The audit hash chain and Merkle leaves are computed over these bytes, so the output must be
 * identical in every implementation that ever checks our log: members sorted by the UTF-16 code
 * units of their names, numbers in ECMAScript `Number.prototype.toString` form, strings escaped
 * exactly as `JSON.stringify` does, no whitespace. Anything that I-JSON (RFC 7493) forbids is an
 * error rather than something we silently coerce: NaN, Infinity, lone surrogates, undefined in an
 * array, functions, symbols, bigints, and objects that are not plain data.
 */
export class JcsError extends Error {
  readonly code = 'JCS_UNSUPPORTED_VALUE';
}

// A lone (unpaired) UTF-16 surrogate cannot be encoded as UTF-8, so I-JSON forbids it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function serializeString(s: string): string {
  // ES JSON.stringify escapes exactly the set RFC 8785 §3.2.2.2 requires, with lower-case \u00xx,
  // and writes a lone surrogate as a \udXXX escape, so only then is the slower check needed.
  const out = JSON.stringify(s);
  if (out.includes('\\ud') && LONE_SURROGATE.test(s)) throw new JcsError('string contains a lone surrogate');
  return out;
}

function serializeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new JcsError('NaN and Infinity are not JSON');
  // Number.prototype.toString is the RFC 8785 §3.2.2.3 algorithm; -0 becomes "0".
  return Object.is(n, -0) ? '0' : String(n);
}

function serialize(value: unknown, depth: number): string {
  if (depth > 64) throw new JcsError('nesting too deep');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return serializeNumber(value);
    case 'string':
      return serializeString(value);
    case 'object':
      break;
    default:
      throw new JcsError(`unsupported type ${typeof value}`);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw new JcsError('undefined inside an array');
      out += (i > 0 ? ',' : '') + serialize(item, depth + 1);
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new JcsError('only plain objects can be canonicalised');
  // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
  const keys = Object.keys(value).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    out += `${first ? '' : ','}${serializeString(key)}:${serialize(member, depth + 1)}`;
    first = false;
  }
  return `${out}}`;
}

/** Canonical JSON text of `value` (RFC 8785). */
export function canonicalize(value: unknown): string {
  return serialize(value, 0);
}

/** Canonical JSON as UTF-8 bytes: what gets hashed. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
