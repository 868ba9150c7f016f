/**
 * House numbers written as words ("fourteen Birch Road", "number twelve", "twenty-two", "one
 * hundred and five"): after tokenising, a run of number words becomes one number token whose raw
 * and normal forms are its digits, so both nets read "fourteen Birch Road" as "14 Birch Road" and
 * the case's "30 Birch Walk" is found as "thirty Birch Walk". Cardinals 0 to 999 only; ordinals
 * and "oh" are not numbers ("oh no", "first floor").
 */
import { WordFilter } from './word-filter.js';

const UNITS: Record<string, number> = {
  zero: 0, nought: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
};

const ALL = new Set([...Object.keys(UNITS), ...Object.keys(TENS), 'hundred']);
const FILTER = new WordFilter();
for (const w of ALL) FILTER.add(w);

export function isNumberWord(w: string): boolean {
  return FILTER.mayHave(w) && ALL.has(w);
}

/** Quick pre-check on a whole text: can it hold a number word at all? */
export const NUMBER_WORD_HINT = /zero|nought|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|teen|twenty|thirty|fort|fifty|ninety|hundred/i;

/**
 * Reads a number written in words starting at word index i of `words` (lower case), where
 * `joined(k)` says the gap between word k and k+1 is a space or hyphen. Returns the value and the
 * index after the last word used, or undefined.
 */
export function readNumberWords(words: readonly string[], i: number, joined: (k: number) => boolean): { value: number; next: number } | undefined {
  let k = i;
  let value = 0;
  let used = false;
  const below100 = (): number | undefined => {
    const w = words[k];
    if (w === undefined) return undefined;
    if (Object.hasOwn(TENS, w)) {
      let v = TENS[w]!;
      k++;
      const u = words[k];
      if (u !== undefined && joined(k - 1) && Object.hasOwn(UNITS, u) && UNITS[u]! > 0 && UNITS[u]! < 10) { v += UNITS[u]!; k++; }
      return v;
    }
    if (Object.hasOwn(UNITS, w)) { k++; return UNITS[w]!; }
    return undefined;
  };
  const first = words[k];
  if (first === 'a' && words[k + 1] === 'hundred' && joined(k)) { value = 100; k += 2; used = true; }
  else {
    const v = below100();
    if (v === undefined) return undefined;
    value = v;
    used = true;
    if (v > 0 && v < 10 && words[k] === 'hundred' && joined(k - 1)) { value = v * 100; k++; }
  }
  if (value >= 100 && value % 100 === 0) {
    let save = k;
    if (words[k] === 'and' && joined(k - 1)) { save = k; k++; }
    if (joined(k - 1)) {
      const v = below100();
      if (v !== undefined && v > 0) value += v;
      else k = save;
    } else k = save;
  }
  return used ? { value, next: k } : undefined;
}
