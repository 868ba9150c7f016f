/** Writing generated data sets: stable JSON, plus the truth file that ties records to people. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** For each agency record: the synthetic person it belongs to and how the record was distorted. */
export interface Truth {
  generatedBy: string;
  seed: string;
  anchor: string;
  records: Record<string, { personId: string; distortions: string[] }>;
}

export interface GeneratedDataSet {
  /** file name → JSON content */
  files: Record<string, unknown>;
  truth: Truth;
}

/** Compact JSON with one record per line where the top level is a list, so diffs stay readable. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[\n${value.map((v) => JSON.stringify(v)).join(',\n')}\n]\n`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) =>
      Array.isArray(v)
        ? `${JSON.stringify(k)}: [\n${v.map((x) => `  ${JSON.stringify(x)}`).join(',\n')}\n]`
        : `${JSON.stringify(k)}: ${JSON.stringify(v)}`,
    );
    return `{\n${entries.join(',\n')}\n}\n`;
  }
  return `${JSON.stringify(value)}\n`;
}

export function writeDataSet(dir: string, set: GeneratedDataSet): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of Object.entries({ ...set.files, 'truth.json': set.truth })) {
    const path = join(dir, name);
    writeFileSync(path, stableJson(content));
    written.push(path);
  }
  return written;
}
