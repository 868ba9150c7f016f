import { isPlainObject } from './types.js';

/** Reads a dotted key ("date", "outcome.date") from a list item; own properties only. */
export function readKey(item: unknown, keys: readonly string[]): unknown {
  let cur: unknown = item;
  for (const k of keys) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function splitKey(path: string): string[] {
  return path.split('.');
}
