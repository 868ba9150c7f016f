import { describe, expect, it } from 'vitest';
import { formatDateTime, formatTime } from '../../../gateway/src/ui/render.js';
import { docDateTime } from '../../../gateway/src/documents/format.js';

// en-GB with hour12 counts hours 0 to 11, so a slot at a quarter past noon read "0:15pm".
describe('times around noon and midnight (London, 12-hour clock)', () => {
  it('an agenda slot at 12:15 reads 12:15pm, never 0:15pm', () => {
    expect(formatTime('2026-12-10T12:15:00Z')).toBe('12:15pm');
    expect(formatTime('2026-12-10T00:05:00Z')).toBe('12:05am');
    expect(formatTime('2026-12-10T13:00:00Z')).toBe('1:00pm');
    expect(formatTime('2026-07-10T11:00:00Z')).toBe('12:00pm'); // BST
  });
  it('a date and time at noon, on a page and in a document', () => {
    expect(formatDateTime('2026-12-10T12:00:00Z')).toBe('10 December 2026, 12:00pm');
    expect(docDateTime('2026-12-10T12:30:00Z')).toContain('12:30');
    expect(docDateTime('2026-12-10T12:30:00Z')).not.toContain('0:30');
  });
});
