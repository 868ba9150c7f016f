import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The SDK is a package of its own: it runs inside an agency and is published on its own, so it
 * never imports the gateway's source (nor anything else outside its folder but its declared
 * dependencies). Grep-based on purpose: it holds for every file, imported or not.
 */
const SDK = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|js|mjs|cjs)$/.test(entry)) out.push(full);
  }
  return out;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

describe('@marac/adapter-sdk boundary', () => {
  // This file names the pattern it looks for, so it is the one file not read.
  const files = sourceFiles(SDK).filter((f) => f !== import.meta.filename);
  const { dependencies = {} } = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };

  it('finds the SDK source', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('no file mentions a path into gateway/', () => {
    const offenders = files.filter((f) => /['"`][^'"`]*\bgateway\/(src\/)?[^'"`]*['"`]/.test(
      readFileSync(f, 'utf8').split('\n').filter((l) => !/^\s*(\*|\/\/)/.test(l)).join('\n'),
    ));
    expect(offenders.map((f) => relative(SDK, f))).toEqual([]);
  });

  it('every import stays inside the SDK or names node:, vitest, fast-check or a declared dependency', () => {
    const outside: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(SPECIFIER)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) {
          if (relative(SDK, resolve(f, '..', spec)).startsWith('..')) outside.push(`${relative(SDK, f)}: ${spec}`);
        } else if (!spec.startsWith('node:') && !['vitest', 'vitest/config', 'fast-check'].includes(spec)
          && !Object.hasOwn(dependencies, spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'))) {
          outside.push(`${relative(SDK, f)}: ${spec}`);
        }
      }
    }
    expect(outside).toEqual([]);
  });
});
