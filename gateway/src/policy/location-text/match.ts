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

function matchesAt(t: Tokens, i: number, e: Entry): boolean {
  const toks = e.toks;
  if (i + toks.length > t.count) return false;
  for (let k = 1; k < toks.length; k++) {
    const w = toks[k]!;
    if (t.norm[i + k] === w) continue;
    // A misspelt type is the type: "Birch Raod" is the case's "Birch Road".
    if (!isStreetType(w) || streetTypeAt(t, i + k) !== w) return false;
  }
  return true;
}

export function matchLexicon(t: Tokens, lex: CompiledLexicon, shapes: boolean, spans: Spans): void {
  if (lex.byFirst.size > 0) {
    for (let i = 0; i < t.count;) {
      const w = t.norm[i]!;
      const candidates = lex.firstFilter.mayHave(w) ? lex.byFirst.get(w) : undefined;
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
