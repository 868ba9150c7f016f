/**
 * Date-of-birth comparison. Records carry alternative DOBs and the usual keying errors: day and
 * month swapped (US order), one digit wrong, day digits transposed, year off by one.
 */

export type DobHow = 'exact' | 'swapped' | 'typo' | 'none';

export interface DobScore {
  score: number;
  how: DobHow;
  /** The match used a DOB other than the first on either side. */
  alternative: boolean;
}

interface Ymd {
  y: number;
  m: number;
  d: number;
}

export function parseDob(raw: string): Ymd | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw.trim());
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCMonth() !== mo - 1) return null;
  return { y, m: mo, d };
}

function digitsDiffer(a: number, b: number, width: number): number {
  const sa = String(a).padStart(width, '0');
  const sb = String(b).padStart(width, '0');
  let n = 0;
  for (let i = 0; i < width; i++) if (sa[i] !== sb[i]) n++;
  return n;
}

function transposed(a: number, b: number): boolean {
  const sa = String(a).padStart(2, '0');
  const sb = String(b).padStart(2, '0');
  return sa !== sb && sa[0] === sb[1] && sa[1] === sb[0];
}

export function compareOneDob(a: Ymd, b: Ymd): Omit<DobScore, 'alternative'> {
  if (a.y === b.y && a.m === b.m && a.d === b.d) return { score: 1, how: 'exact' };
  if (a.y === b.y && a.d === b.m && a.m === b.d) return { score: 0.85, how: 'swapped' };
  const sameDayMonth = a.m === b.m && a.d === b.d;
  if (sameDayMonth && (Math.abs(a.y - b.y) === 1 || digitsDiffer(a.y, b.y, 4) === 1)) return { score: 0.6, how: 'typo' };
  const sameYearMonth = a.y === b.y && a.m === b.m;
  if (sameYearMonth && (digitsDiffer(a.d, b.d, 2) === 1 || transposed(a.d, b.d))) return { score: 0.6, how: 'typo' };
  if (a.y === b.y && a.d === b.d && digitsDiffer(a.m, b.m, 2) === 1) return { score: 0.6, how: 'typo' };
  return { score: 0, how: 'none' };
}

/** Best comparison across every pair of DOBs (alternative DOBs on either side). */
export function compareDobs(as: readonly string[], bs: readonly string[]): DobScore | null {
  const pa = as.map(parseDob);
  const pb = bs.map(parseDob);
  if (!pa.some(Boolean) || !pb.some(Boolean)) return null;
  let best: DobScore = { score: 0, how: 'none', alternative: false };
  pa.forEach((a, i) => {
    if (!a) return;
    pb.forEach((b, j) => {
      if (!b) return;
      const s = compareOneDob(a, b);
      const alternative = i > 0 || j > 0;
      // Prefer the primary DOBs when they score the same.
      if (s.score > best.score || (s.score === best.score && s.score > 0 && best.alternative && !alternative)) {
        best = { ...s, alternative };
      }
    });
  });
  return best;
}
