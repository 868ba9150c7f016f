import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, UnsupportedMediaType } from '../errors.js';

/**
 * JSON with a key repeated in one object is ambiguous: JSON.parse keeps the last value, another
 * parser (an adapter's, an auditor's, a proxy's WAF) may keep the first, so what the gateway checks
 * and what someone else reads can differ. The agency and people APIs refuse such bodies.
 */
export class DuplicateJsonKey extends GatewayError {
  readonly code = 'DUPLICATE_JSON_KEY';
  readonly status = 400;
}

/**
 * Offset (in UTF-16 code units) of the first key that repeats an earlier key of the same object,
 * at any depth, comparing keys as JSON.parse would decode them ("a" equals "\u0061"); null when
 * there is none.
 *
 * One pass, linear in the text: strings are skipped with indexOf, escapes are decoded only in keys
 * that contain a backslash, each object remembers its keys (a Set from its second key on), and
 * nesting uses an explicit stack, so neither depth nor size can overflow the call stack. The scanner
 * does not validate: on text that is not JSON it stops and leaves the error to JSON.parse.
 */
export function findDuplicateKey(text: string): number | null {
  // One entry per open container: null for an array; for an object the keys seen so far, in a
  // list while short (cheaper than a Set for the few keys most objects have), then in a Set.
  const stack: (null | string[] | Set<string>)[] = [];
  let expectKey = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = closingQuote(text, i + 1);
      if (end < 0) return null;
      if (expectKey) {
        const top = stack.length - 1;
        let key = text.slice(i + 1, end);
        if (key.indexOf('\\') >= 0) {
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            return null;
          }
        }
        const seen = stack[top]!;
        if (Array.isArray(seen)) {
          if (seen.includes(key)) return i;
          if (seen.length < SMALL) seen.push(key);
          else stack[top] = new Set([...seen, key]);
        } else {
          if (seen.has(key)) return i;
          seen.add(key);
        }
        expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === 0x7b) { // {
      stack.push([]);
      expectKey = true;
    } else if (c === 0x5b) { // [
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d || c === 0x5d) { // } ]
      if (stack.length === 0) return null;
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c) { // ,
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    }
    i++;
  }
  return null;
}

/** Keys kept in a list before an object's keys move to a Set. */
const SMALL = 16;

/** Index of the quote closing a string whose content starts at `from`, or -1. */
function closingQuote(text: string, from: number): number {
  let j = from;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) return -1;
    // Escaped if preceded by an odd run of backslashes (each run is counted once: linear).
    let b = 0;
    for (let p = q - 1; p >= from && text.charCodeAt(p) === 0x5c; p--) b++;
    if ((b & 1) === 0) return q;
    j = q + 1;
  }
}

const UTF8 = /^utf-?8$/i;

/**
 * `verify` hook for express.json / body-parser: runs on the raw body before it is parsed and
 * refuses it with DUPLICATE_JSON_KEY (400). Bodies in a charset this check cannot decode are
 * refused (415) rather than let through unchecked.
 */
export function rejectDuplicateKeys(_req: IncomingMessage, _res: ServerResponse, buf: Buffer, encoding: string | null): void {
  let at: number | null;
  if (!encoding || UTF8.test(encoding)) {
    at = findDuplicateKey(buf.toString('utf8'));
  } else {
    const label = encoding.toLowerCase();
    // body-parser decodes "utf-16" by BOM, else by a heuristic: check every reading it may take.
    const readings = label === 'utf-16' || label === 'utf16'
      ? buf[0] === 0xfe && buf[1] === 0xff ? ['utf-16be'] : buf[0] === 0xff && buf[1] === 0xfe ? ['utf-16le'] : ['utf-16le', 'utf-16be']
      : [label];
    at = null;
    for (const r of readings) {
      let text: string;
      try {
        text = new TextDecoder(r).decode(buf);
      } catch {
        throw new UnsupportedMediaType('Send the body as UTF-8 JSON');
      }
      at ??= findDuplicateKey(text);
    }
  }
  if (at !== null) {
    // The key itself is not echoed: keys can be values in disguise.
    throw new DuplicateJsonKey('The request body repeats a key within one object', {
      problems: [{ path: '', code: 'duplicate_key', message: `a key is repeated at character ${at}` }],
    });
  }
}
