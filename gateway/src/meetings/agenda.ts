/**
 * The agenda's arithmetic, pure (no database, no Express): slot start times from the meeting's
 * start, positions kept 1..n without gaps through every add, remove and reorder, and the flags a
 * coordinator needs beside each case, computed from counts read with the agenda (never stored).
 */
import type { AgendaItem, ListingOutcome } from './types.js';

/** The most cases one meeting can list (a long MARAC hears about 25). */
export const MAX_AGENDA = 60;
export const DEFAULT_SLOT_MINUTES = 15;

const LONDON_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The London calendar date (YYYY-MM-DD) of an instant: "today" and a meeting's day. */
export function londonDate(at: Date | string): string {
  return LONDON_DAY.format(typeof at === 'string' ? new Date(at) : at);
}

/** Each listing's slot start: the meeting's start plus the slots before it, in position order. */
export function slotStarts(startsAt: string | Date, items: readonly { position: number; slotMinutes: number }[]): Map<number, string> {
  let t = (typeof startsAt === 'string' ? new Date(startsAt) : startsAt).getTime();
  const out = new Map<number, string>();
  for (const it of [...items].sort((a, b) => a.position - b.position)) {
    out.set(it.position, new Date(t).toISOString());
    t += it.slotMinutes * 60_000;
  }
  return out;
}

/** When the last slot ends. */
export function agendaEnds(startsAt: string | Date, items: readonly { slotMinutes: number }[]): string {
  const t = (typeof startsAt === 'string' ? new Date(startsAt) : startsAt).getTime();
  return new Date(t + items.reduce((s, i) => s + i.slotMinutes, 0) * 60_000).toISOString();
}

/** The agenda's case ids in order: adding one puts it last. */
export function withAdded(order: readonly string[], caseId: string): string[] {
  return order.includes(caseId) ? [...order] : [...order, caseId];
}

export function withRemoved(order: readonly string[], caseId: string): string[] {
  return order.filter((c) => c !== caseId);
}

/** Moves a case one place up or down; at either end it stays. */
export function withMoved(order: readonly string[], caseId: string, direction: 'up' | 'down'): string[] {
  const out = [...order];
  const i = out.indexOf(caseId);
  const j = direction === 'up' ? i - 1 : i + 1;
  if (i < 0 || j < 0 || j >= out.length) return out;
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}

/** True when `next` holds exactly the cases of `current`, each once (a reorder, nothing added or lost). */
export function isPermutation(current: readonly string[], next: readonly string[]): boolean {
  if (current.length !== next.length || new Set(next).size !== next.length) return false;
  const have = new Set(current);
  return next.every((c) => have.has(c));
}

/** Positions 1..n for an order. */
export function positionsOf(order: readonly string[]): { caseId: string; position: number }[] {
  return order.map((caseId, i) => ({ caseId, position: i + 1 }));
}

/** What the agenda query reads per listing (counts computed in SQL, facts judged here). */
export interface AgendaRow {
  caseId: string;
  position: number;
  slotMinutes: number;
  outcome: ListingOutcome;
  /** The case's referral criteria as they stand today include REPEAT (release-facts.ts judgeRiskBasis). */
  repeatByCriteria: boolean;
  /** A CONFIRMED referral_repeat_matches row links a referral of this case to an earlier case. */
  repeatConfirmed: boolean;
  overdueActions: number;
  actionsDueForReview: number;
  outstandingResearch: number;
  localReference?: string;
}

/** The agenda items in order, each with its slot time and its flags. */
export function agendaItems(startsAt: string, rows: readonly AgendaRow[]): AgendaItem[] {
  const starts = slotStarts(startsAt, rows);
  return [...rows].sort((a, b) => a.position - b.position).map((r) => ({
    caseId: r.caseId,
    position: r.position,
    slotMinutes: r.slotMinutes,
    slotStartsAt: starts.get(r.position)!,
    outcome: r.outcome,
    ...(r.localReference ? { localReference: r.localReference } : {}),
    repeat: r.repeatByCriteria || r.repeatConfirmed,
    overdueActions: r.overdueActions,
    actionsDueForReview: r.actionsDueForReview,
    outstandingResearch: r.outstandingResearch,
  }));
}

/** The flags as short words, for tags on the agenda page ("2 actions overdue"). */
export function flagLabels(item: Pick<AgendaItem, 'repeat' | 'overdueActions' | 'actionsDueForReview' | 'outstandingResearch'>): { text: string; kind: 'repeat' | 'overdue' | 'review' | 'research' }[] {
  const out: { text: string; kind: 'repeat' | 'overdue' | 'review' | 'research' }[] = [];
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  if (item.repeat) out.push({ text: 'Repeat', kind: 'repeat' });
  if (item.overdueActions > 0) out.push({ text: n(item.overdueActions, 'action overdue', 'actions overdue'), kind: 'overdue' });
  if (item.actionsDueForReview > 0) out.push({ text: n(item.actionsDueForReview, 'action due for review', 'actions due for review'), kind: 'review' });
  if (item.outstandingResearch > 0) out.push({ text: 'Research outstanding', kind: 'research' });
  return out;
}
