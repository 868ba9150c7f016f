/**
 * The case-aware net: every entry of the lexicon found in the text's tokens (longest first at each
 * position), and every compact value (postcode, phone, UPRN) found in the compact view.
 */
import { numberAfter, numbersBefore, openingBefore, prefixStart, tightGap } from './clusters.js';
import { EntryKind, type CompiledLexicon, type Entry } from './lexicon.js';
import { compactView, tokenAt, type Tokens } from './normalise.js';
import { addSpan, type Spans } from './spans.js';
import { isStreetType } from './street-types.js';
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

function matchesAt(t: Tokens, i: number, e: Entry): boolean {
  const toks = e.toks;
  if (i + toks.length > t.count) return false;
  for (let k = 1; k < toks.length; k++) if (!sameWord(t, i + k, toks[k]!, e.folded[k]!)) return false;
  return true;
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

export function matchLexicon(t: Tokens, lex: CompiledLexicon, shapes: boolean, spans: Spans): void {
  if (lex.byFirst.size > 0) {
    for (let i = 0; i < t.count;) {
      const w = t.norm[i]!;
      const f = t.folded?.[i];
      const candidates = f !== undefined ? foldedFirst(f, lex)
        : (lex.firstFilter.mayHave(w) ? lex.byFirst.get(w) : undefined) ?? nearFirst(t, i, lex);
      let hit: Entry | undefined;
      if (candidates) {
        for (const e of candidates) {
          if (e.kind === EntryKind.District && !shapes) continue;
          if (matchesAt(t, i, e)) { hit = e; break; }
        }
      }
      if (!hit) { i++; continue; }
      let start = t.start[i]!;
      let z = i + hit.toks.length; // exclusive
      if (hit.kind === EntryKind.Address) {
        start = openingBefore(t, t.start[numbersBefore(t, i)]!);
        if (z < t.count && streetTypeAt(t, z) !== undefined && tightGap(t, z - 1)) z++;
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
