/** Reading an agency's export files from a directory (every `*.json` except the synthetic truth file). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AgencyDataInvalid } from './errors.js';

export function readDataDir(dir: string): Record<string, unknown> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new AgencyDataInvalid(`data path is not a directory: ${dir}`);
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && n !== 'truth.json').sort();
  } catch (e) {
    if (e instanceof AgencyDataInvalid) throw e;
    throw new AgencyDataInvalid(`cannot read data directory ${dir}`, { cause: e });
  }
  const files: Record<string, unknown> = {};
  for (const n of names) {
    try {
      files[n] = JSON.parse(readFileSync(join(dir, n), 'utf8'));
    } catch (e) {
      throw new AgencyDataInvalid(`data file ${n} is not valid JSON`, { cause: e });
    }
  }
  return files;
}
