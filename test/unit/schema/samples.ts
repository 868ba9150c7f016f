import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SAMPLES_DIR = fileURLToPath(new URL('../../fixtures/samples/', import.meta.url));

/** A fresh, mutable copy of a sample document. */
export function sample<T = any>(name: string): T {
  return JSON.parse(readFileSync(`${SAMPLES_DIR}${name}`, 'utf8')) as T;
}

export function responseSamples(): string[] {
  return readdirSync(SAMPLES_DIR).filter((f) => f.startsWith('response-') && f.endsWith('.json')).sort();
}
