/**
 * The case-aware net: every entry of the lexicon found in the text's tokens (longest first at each
 * position), and every compact value (postcode, phone, UPRN) found in the compact view.
 */
import { numberAfter, numbersBefore, openingBefore, prefixStart, tightGap } from './clusters.js';
import { EntryKind, type CompiledLexicon, type Entry } from './lexicon.js';
import { compactView, letterGap, tokenAt, type Tokens } from './normalise.js';
import { addSpan, type Spans } from './spans.js';
import { MAX_TYPE_LENGTH, canonicalWord, isStreetType } from './street-types.js';
import { streetTypeAt } from './typos.js';

/** Shortest name word matched one slip away (six letters: "Qaurry" is Quarry, "Birhc" is not Birch). */
const NEAR_MIN = 6;

/**
 * One slip apart (a letter swapped with its neighbour, left out, added or changed; not the first
 * letter), for names of six letters or more: "Larkpsur" is the case's Larkspur, "Qaury" its Quarry.
 */
export function near(a: string, b: string): boolean {
  if (a === b) return true;
  if (b.length < NEAR_MIN || a.charCodeAt(0) !== b.charCodeAt(0)) return false;
  const d = a.length - b.length;
  if (d > 1 || d < -1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (d === 0) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // changed
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swapped
  }
  return d > 0 ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1); // added / left out
}

function sameWord(t: Tokens, j: number, w: string, folded: string): boolean {
  const f = t.folded?.[j];
  // A word with digits for letters ("Qu4rry", "R0w"): compared folded, types and slips as ever.
  if (f !== undefined) return isStreetType(w) ? streetTypeAt(t, j) === w : f === folded || near(f, folded);
  const n = t.norm[j]!;
  if (n === w) return true;
  // A misspelt type is the type: "Birch Raod" is the case's "Birch Road".
  if (isStreetType(w)) return streetTypeAt(t, j) === w;
  return !t.num[j] && near(n, w);
}

/** Token j's letters, a to z only; a number word as written ("Ten eh Estate" is Teneh Estate). */
function letterPiece(t: Tokens, j: number): string | undefined {
  if (t.folded?.[j] !== undefined) return undefined;
  const w = t.num[j] ? t.text.slice(t.start[j], t.end[j]).toLowerCase() : t.raw[j]!;
  for (let k = 0; k < w.length; k++) {
    const c = w.charCodeAt(k);
    if (c < 97 || c > 122) return undefined;
  }
  return w.length > 0 ? w : undefined;
}

/** Tokens j and j+1 parted as the letters of a spelt-out word are (`letterGap`): maybe one word written as two. */
function splitPair(t: Tokens, j: number): string | undefined {
  if (j + 1 >= t.count || !letterGap(t.text, t.end[j]!, t.start[j + 1]!)) return undefined;
  const left = letterPiece(t, j);
  const right = left === undefined ? undefined : letterPiece(t, j + 1);
  if (right === undefined) return undefined;
  const w = left + right;
  return w.length <= MAX_TYPE_LENGTH ? canonicalWord(w) : w; // as tokenize makes norm
}

/**
 * How many tokens entry e takes from token `first` (its first word, `firstLength` tokens, already
 * matched), or 0 if it does not match there. One later word may be written as two ("Birch Wa lk",
 * "Oak Tr ee Walk"), spelt exactly, once an entry, and only if its first word was not.
 */
function matchLength(t: Tokens, first: number, firstLength: 1 | 2, e: Entry): number {
  const toks = e.toks;
  let j = first + firstLength;
  let split = firstLength === 2;
  for (let k = 1; k < toks.length; k++) {
    if (j < t.count && sameWord(t, j, toks[k]!, e.folded[k]!)) { j++; continue; }
    if (split) return 0;
    const glued = splitPair(t, j);
    if (glued === undefined || glued.length < 3) return 0;
    if (glued !== toks[k]) return 0;
    split = true;
    j += 2;
  }
  return j - first;
}

/** The entries whose first word token i spells with digits for letters ("L4rkspur", "8irch"), or undefined. */
function foldedFirst(f: string, lex: CompiledLexicon): readonly Entry[] | undefined {
  let out: Entry[] | undefined;
  for (const k of lex.foldedFirst) if (k.folded === f || near(f, k.folded)) (out ??= []).push(...lex.byFirst.get(k.first)!);
  return out;
}

/** The entries whose first word is one slip from token i ("Larkpsur House"), or undefined. */
function nearFirst(t: Tokens, i: number, lex: CompiledLexicon): readonly Entry[] | undefined {
  const w = t.norm[i]!;
  if (t.num[i] || w.length < NEAR_MIN - 1) return undefined;
  const keys = lex.nearKeys.get(w.charCodeAt(0));
  if (keys === undefined) return undefined;
  let out: Entry[] | undefined;
  for (const k of keys) if (k !== w && near(w, k)) (out ??= []).push(...lex.byFirst.get(k)!);
  return out;
}

/**
 * The entries whose first word is tokens i and i+1 read as one ("Lark spur House", "Larks pur
 * House", a spelt-out "L a r k s p u r" cut before its "spur"), or undefined. Spelt exactly: a
 * split word with a slip as well is two evasions, and "high the" is one slip from "hightce".
 */
function gluedFirst(t: Tokens, i: number, lex: CompiledLexicon): readonly Entry[] | undefined {
  const left = t.num[i] ? undefined : t.raw[i]!;
  if (left !== undefined && !lex.gluePrefixes.mayHave(left)) return undefined;
  const w = splitPair(t, i);
  if (w === undefined || w.length < 4 || !lex.firstFilter.mayHave(w)) return undefined;
  return lex.byFirst.get(w);
}

export function matchLexicon(t: Tokens, lex: CompiledLexicon, shapes: boolean, spans: Spans): void {
  if (lex.byFirst.size > 0) {
    for (let i = 0; i < t.count;) {
      const w = t.norm[i]!;
      const f = t.folded?.[i];
      const candidates = f !== undefined ? foldedFirst(f, lex)
        : (lex.firstFilter.mayHave(w) ? lex.byFirst.get(w) : undefined) ?? nearFirst(t, i, lex);
      let hit: Entry | undefined;
      let length = 0; // tokens the hit takes
      if (candidates) {
        for (const e of candidates) {
          if (e.kind === EntryKind.District && !shapes) continue;
          length = matchLength(t, i, 1, e);
          if (length > 0) { hit = e; break; }
        }
      }
      if (!hit) {
        const glued = gluedFirst(t, i, lex);
        if (glued) {
          for (const e of glued) {
            if (e.kind === EntryKind.District && !shapes) continue;
            length = matchLength(t, i, 2, e);
            if (length > 0) { hit = e; break; }
          }
        }
      }
      if (!hit) { i++; continue; }
      let start = t.start[i]!;
      let z = i + length; // exclusive
      if (hit.kind === EntryKind.Address) {
        start = openingBefore(t, t.start[numbersBefore(t, i)]!);
        if (z < t.count && tightGap(t, z - 1)) {
          if (streetTypeAt(t, z) !== undefined) z++;
          else if (isStreetType(splitPair(t, z) ?? '')) z += 2; // "30 Birch Wa lk"
        }
        // The house number after the street: "Birch Walk, number 30", "Quarry Row 9".
        const after = numberAfter(t, z - 1);
        if (after > 0) z = after + 1;
      }
      addSpan(spans, start, t.end[z - 1]!);
      i = z;
    }
  }
  if (lex.compact.length > 0 && t.digits > 0) {
    const view = compactView(t);
    for (const cv of lex.compact) {
      for (let at = view.s.indexOf(cv.value); at >= 0; at = view.s.indexOf(cv.value, at + 1)) {
        const ia = tokenAt(view, at);
        const a = view.tok[ia]!;
        const z = view.tok[tokenAt(view, at + cv.value.length - 1)]!;
        const start = !cv.digits ? t.start[a]! : view.offset[ia] === at ? prefixStart(t, a) : openingBefore(t, t.start[a]!);
        addSpan(spans, start, t.end[z]!);
      }
    }
  }
}
