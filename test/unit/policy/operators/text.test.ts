import { describe, expect, it } from 'vitest';
import { CUT_MARK, compileOperator, maskText, truncateText } from '../../../../gateway/src/policy/operators/index.js';
import { reasonOf, valueOf } from './helpers.js';

describe('mask operator', () => {
  it('keeps the last n characters', () => {
    expect(valueOf({ mask: { keepLast: 4 } }, '9434765919')).toBe('******5919');
    expect(valueOf({ mask: { keepLast: 0 } }, 'abc')).toBe('***');
    expect(valueOf({ mask: { keepLast: 4 } }, 9434765919)).toBe('******5919');
  });

  it('masks a value no longer than n entirely rather than releasing it whole', () => {
    expect(maskText('1234', 4)).toBe('****');
    expect(maskText('12', 4)).toBe('**');
    expect(maskText('', 4)).toBe('');
  });

  it('counts user-perceived characters, so emoji, skin tones and accents are never split', () => {
    expect(maskText('José👍🏽', 2)).toBe('***é👍🏽');
    expect(maskText('José👍🏽', 1)).toBe('****👍🏽');
    expect(maskText('Jose\u0301', 1)).toBe('***e\u0301');
    expect(maskText('ab😀', 1)).toBe('**😀');
    expect(maskText('مرحبا', 2)).toBe('***با');
  });

  it('drops other types', () => {
    for (const v of [true, null, 1.5, { a: 1 }, ['1234']]) {
      expect(reasonOf({ mask: { keepLast: 4 } }, v)).toBe('OPERATOR_NOT_APPLICABLE');
    }
    const op = compileOperator({ mask: { keepLast: 4 } });
    expect(op).toMatchObject({ name: 'mask', transforms: true, generalises: false });
    expect(op.accepts('string')).toBe(true);
    expect(op.accepts('boolean')).toBe(false);
  });
});

describe('truncate operator', () => {
  it('returns text that fits unchanged and unmarked', () => {
    expect(truncateText('short text', 10)).toBe('short text');
    expect(truncateText('', 10)).toBe('');
  });

  it('cuts on a word boundary within n characters and marks the cut', () => {
    expect(truncateText('The quick brown fox jumps', 12)).toBe(`The quick${CUT_MARK}`);
    // The 11th character is a space: the first ten form whole words.
    expect(truncateText('The quick brown fox', 9)).toBe(`The quick${CUT_MARK}`);
    expect(truncateText('The quick   brown', 11)).toBe(`The quick${CUT_MARK}`);
  });

  it('hard-cuts a single word longer than n', () => {
    expect(truncateText('Supercalifragilistic', 5)).toBe(`Super${CUT_MARK}`);
    // Only whitespace before the long word: cut the word rather than release nothing but a mark.
    expect(truncateText('   Supercalifragilistic', 5)).toBe(`   Su${CUT_MARK}`);
  });

  it('counts user-perceived characters: flags, skin tones, ZWJ families and combining accents stay whole', () => {
    const family = '👩‍👩‍👧‍👦';
    expect(truncateText(`${family}${family}${family}`, 2)).toBe(`${family}${family}${CUT_MARK}`);
    expect(truncateText('🇬🇧🇬🇧🇬🇧', 1)).toBe(`🇬🇧${CUT_MARK}`);
    const decomposed = 'Jose\u0301 Jose\u0301';
    expect(truncateText(decomposed, 6)).toBe(`Jose\u0301${CUT_MARK}`);
    expect(truncateText('Zoë went home', 3)).toBe(`Zoë${CUT_MARK}`);
  });

  it('handles right-to-left text', () => {
    expect(truncateText('مرحبا بكم في البيت', 9)).toBe(`مرحبا بكم${CUT_MARK}`);
  });

  it('drops other types', () => {
    expect(reasonOf({ truncate: 10 }, 12345)).toBe('OPERATOR_NOT_APPLICABLE');
    expect(reasonOf({ truncate: 10 }, ['text'])).toBe('OPERATOR_NOT_APPLICABLE');
    expect(valueOf({ truncate: 280 }, 'x'.repeat(300))).toBe(`${'x'.repeat(280)}${CUT_MARK}`);
    expect(compileOperator({ truncate: 10 }).accepts('object')).toBe(false);
  });
});

describe('truncate properties', () => {
  const seg = new Intl.Segmenter('en', { granularity: 'grapheme' });
  const graphemeCount = (s: string): number => Array.from(seg.segment(s)).length;

  it('releases a prefix of the original of at most n characters, marked iff cut (property)', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.lorem({ maxCount: 12 })),
        fc.integer({ min: 1, max: 40 }),
        (text, n) => {
          const out = truncateText(text, n);
          if (out === text) {
            expect(graphemeCount(text)).toBeLessThanOrEqual(n);
            return;
          }
          expect(out.endsWith(CUT_MARK)).toBe(true);
          const kept = out.slice(0, -CUT_MARK.length);
          expect(text.startsWith(kept)).toBe(true);
          expect(graphemeCount(kept)).toBeLessThanOrEqual(n);
          expect(graphemeCount(text)).toBeGreaterThan(n);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
