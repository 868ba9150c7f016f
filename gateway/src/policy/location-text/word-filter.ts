/**
 * A cheap pre-check before a Map lookup on a freshly sliced word: first letter, last letter and
 * length. Most words of prose fail it and never pay for hashing. False positives only cost the
 * lookup they would have cost anyway.
 */
export class WordFilter {
  private readonly bits = new Uint8Array(64 * 64 * 16);

  private static key(w: string): number {
    return ((w.charCodeAt(0) & 63) << 10) | ((w.charCodeAt(w.length - 1) & 63) << 4) | Math.min(w.length, 15);
  }

  add(w: string): void {
    if (w.length > 0) this.bits[WordFilter.key(w)] = 1;
  }

  mayHave(w: string): boolean {
    return this.bits[WordFilter.key(w)] === 1;
  }
}
