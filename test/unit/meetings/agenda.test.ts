/**
 * The agenda's arithmetic (meetings/agenda.ts): slot start times from the meeting's start, flags
 * as words, and positions that stay 1..n without gaps or repeats through any sequence of adds,
 * removes, reorders and moves (property test).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  agendaEnds, agendaItems, flagLabels, isPermutation, londonDate, positionsOf, slotStarts, withAdded, withMoved, withRemoved, type AgendaRow,
} from '../../../gateway/src/meetings/agenda.js';

const row = (caseId: string, position: number, slotMinutes: number, over: Partial<AgendaRow> = {}): AgendaRow => ({
  caseId, position, slotMinutes, outcome: 'LISTED', repeatByCriteria: false, repeatConfirmed: false,
  overdueActions: 0, actionsDueForReview: 0, outstandingResearch: 0, ...over,
});

describe('slot times', () => {
  it('each slot starts when the ones before it end, in position order whatever order the rows come in', () => {
    const rows = [row('c', 3, 20), row('a', 1, 15), row('b', 2, 30)];
    const items = agendaItems('2026-12-16T10:00:00.000Z', rows);
    expect(items.map((i) => [i.caseId, i.slotStartsAt])).toEqual([
      ['a', '2026-12-16T10:00:00.000Z'],
      ['b', '2026-12-16T10:15:00.000Z'],
      ['c', '2026-12-16T10:45:00.000Z'],
    ]);
    expect(agendaEnds('2026-12-16T10:00:00.000Z', rows)).toBe('2026-12-16T11:05:00.000Z');
    expect(slotStarts('2026-12-16T10:00:00Z', []).size).toBe(0);
  });

  it('slots are instants: they run straight across the spring clock change (28 March 2027)', () => {
    const s = slotStarts('2027-03-28T00:30:00Z', [{ position: 1, slotMinutes: 60 }, { position: 2, slotMinutes: 15 }]);
    expect(s.get(2)).toBe('2027-03-28T01:30:00.000Z');
  });

  it('the London date of a meeting: 23:30 UTC in summer is the next day in London', () => {
    expect(londonDate('2026-07-01T23:30:00Z')).toBe('2026-07-02');
    expect(londonDate('2026-12-01T23:30:00Z')).toBe('2026-12-01');
  });
});

describe('flags', () => {
  it('repeat by criteria or by a confirmed match; counts as they are', () => {
    const [a, b, c] = agendaItems('2026-12-16T10:00:00Z', [
      row('a', 1, 15, { repeatByCriteria: true }),
      row('b', 2, 15, { repeatConfirmed: true, overdueActions: 2, actionsDueForReview: 1 }),
      row('c', 3, 15, { outstandingResearch: 3 }),
    ]);
    expect([a!.repeat, b!.repeat, c!.repeat]).toEqual([true, true, false]);
    expect(flagLabels(a!).map((f) => f.text)).toEqual(['Repeat']);
    expect(flagLabels(b!).map((f) => f.text)).toEqual(['Repeat', '2 actions overdue', '1 action due for review']);
    expect(flagLabels(c!).map((f) => f.text)).toEqual(['Research outstanding']);
    expect(flagLabels({ repeat: false, overdueActions: 1, actionsDueForReview: 2, outstandingResearch: 0 }).map((f) => f.text))
      .toEqual(['1 action overdue', '2 actions due for review']);
  });
});

describe('positions', () => {
  it('a move at either end leaves the order as it was; a reorder must hold the same cases once each', () => {
    expect(withMoved(['a', 'b', 'c'], 'a', 'up')).toEqual(['a', 'b', 'c']);
    expect(withMoved(['a', 'b', 'c'], 'c', 'down')).toEqual(['a', 'b', 'c']);
    expect(withMoved(['a', 'b', 'c'], 'b', 'up')).toEqual(['b', 'a', 'c']);
    expect(isPermutation(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(isPermutation(['a', 'b'], ['a', 'a'])).toBe(false);
    expect(isPermutation(['a', 'b'], ['a', 'b', 'c'])).toBe(false);
    expect(isPermutation(['a', 'b'], ['a', 'c'])).toBe(false);
  });

  type Op = { kind: 'add'; id: number } | { kind: 'remove'; id: number } | { kind: 'move'; id: number; up: boolean } | { kind: 'reorder'; seed: number[] };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), id: fc.nat(20) }),
    fc.record({ kind: fc.constant('remove' as const), id: fc.nat(20) }),
    fc.record({ kind: fc.constant('move' as const), id: fc.nat(20), up: fc.boolean() }),
    fc.record({ kind: fc.constant('reorder' as const), seed: fc.array(fc.nat(1000), { maxLength: 25 }) }),
  );

  it('stay 1..n, contiguous and unique, after any sequence of add, remove, move and reorder', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      let order: string[] = [];
      const model = new Set<string>();
      for (const o of ops) {
        if (o.kind === 'add') {
          order = withAdded(order, `c${o.id}`);
          model.add(`c${o.id}`);
        } else if (o.kind === 'remove') {
          order = withRemoved(order, `c${o.id}`);
          model.delete(`c${o.id}`);
        } else if (o.kind === 'move') {
          order = withMoved(order, `c${o.id}`, o.up ? 'up' : 'down');
        } else {
          // A random permutation of the current order (what a PUT of a new order may hold).
          const keyed = order.map((c, i) => ({ c, k: o.seed[i % Math.max(1, o.seed.length)] ?? i }));
          const next = keyed.sort((x, y) => x.k - y.k).map((x) => x.c);
          expect(isPermutation(order, next)).toBe(true);
          order = next;
        }
        const pos = positionsOf(order);
        expect(pos.map((p) => p.position)).toEqual(order.map((_, i) => i + 1));
        expect(new Set(order).size).toBe(order.length);
        expect(new Set(order)).toEqual(model);
        // Slot times follow the same order with no gap.
        const starts = slotStarts('2026-12-16T10:00:00Z', pos.map((p) => ({ position: p.position, slotMinutes: 10 })));
        pos.forEach((p, i) => expect(starts.get(p.position)).toBe(new Date(Date.parse('2026-12-16T10:00:00Z') + i * 600_000).toISOString()));
      }
    }), { numRuns: 500 });
  });
});
