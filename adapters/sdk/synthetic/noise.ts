/**
 * How an agency's system records a person differs from the truth: a nickname keyed as the first
 * name, a typo, a maiden name, day and month swapped, an identifier never captured. Each agency
 * generator applies this with its own rates, so matching is tested on realistic records.
 */
import { variantsOf } from '../matching/nicknames.js';
import type { PersonName } from '../matching/types.js';
import type { Rng } from './prng.js';
import type { SynthPerson } from './population.js';

export interface NoiseRates {
  nickname: number;
  typoFamily: number;
  typoGiven: number;
  swappedDob: number;
  /** Record only the alias (maiden/previous) name as the main name. */
  aliasAsMain: number;
  /** Drop the middle names. */
  dropMiddle: number;
}

export const DEFAULT_NOISE: NoiseRates = {
  nickname: 0.06, typoFamily: 0.03, typoGiven: 0.03, swappedDob: 0.02, aliasAsMain: 0.03, dropMiddle: 0.3,
};

export interface RecordedIdentity {
  given: string[];
  family: string;
  aliases: PersonName[];
  dob: string;
  altDobs: string[];
  /** Which distortions were applied (kept in the truth file, for the matching report). */
  distortions: string[];
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** One plausible keying error: a doubled, dropped, swapped or substituted letter (never the first letter). */
export function typo(rng: Rng, word: string): string {
  if (word.length < 5) return word;
  const i = rng.int(1, word.length - 2);
  const kind = rng.int(0, 3);
  const chars = word.split('');
  if (kind === 0) chars.splice(i, 0, chars[i]!);
  else if (kind === 1) chars.splice(i, 1);
  else if (kind === 2) [chars[i], chars[i + 1]] = [chars[i + 1]!, chars[i]!];
  else chars[i] = 'aeiou'.includes(chars[i]!.toLowerCase()) ? 'e' === chars[i] ? 'a' : 'e' : chars[i]!;
  const out = chars.join('');
  return out === word ? `${word.slice(0, i)}${word[i]}${word.slice(i)}` : out;
}

export function swapDayMonth(dob: string): string | null {
  const [y, m, d] = dob.split('-');
  if (!y || !m || !d || m === d || Number(d) > 12) return null;
  return `${y}-${d}-${m}`;
}

export function recordIdentity(rng: Rng, p: SynthPerson, rates: NoiseRates = DEFAULT_NOISE): RecordedIdentity {
  const distortions: string[] = [];
  let given = [...p.given];
  let family = p.family;
  const aliases = p.aliases.map((a) => ({ ...a, given: a.given ? [...a.given] : undefined }));
  let dob = p.dob;
  if (given.length > 1 && rng.chance(rates.dropMiddle)) given = given.slice(0, 1);
  const maiden = aliases.find((a) => a.use === 'maiden');
  if (maiden?.family && rng.chance(rates.aliasAsMain)) {
    // Still known under the old name: the current name may not have reached this system.
    aliases.splice(aliases.indexOf(maiden), 1);
    family = maiden.family;
    distortions.push('alias-as-main');
  }
  if (rng.chance(rates.nickname)) {
    const v = variantsOf(given[0]!.toLowerCase()).filter((n) => n.length > 2);
    if (v.length) {
      given = [cap(rng.pick(v)), ...given.slice(1)];
      distortions.push('nickname');
    }
  }
  if (rng.chance(rates.typoFamily)) {
    const t = typo(rng, family);
    if (t !== family) {
      family = t;
      distortions.push('typo-family');
    }
  }
  if (rng.chance(rates.typoGiven)) {
    const t = typo(rng, given[0]!);
    if (t !== given[0]) {
      given = [t, ...given.slice(1)];
      distortions.push('typo-given');
    }
  }
  if (rng.chance(rates.swappedDob)) {
    const s = swapDayMonth(dob);
    if (s) {
      dob = s;
      distortions.push('swapped-dob');
    }
  }
  return { given, family, aliases: aliases.filter((a) => a.family), dob, altDobs: [...p.altDobs], distortions };
}
