import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileOperator, scrubText } from '../../../../gateway/src/policy/operators/index.js';
import { reasonOf, valueOf } from './helpers.js';

describe('scrubText', () => {
  it('replaces NHS numbers with a valid check digit, spaced or not', () => {
    expect(scrubText('NHS 9434765919 seen')).toBe('NHS [NHS-NUMBER] seen');
    expect(scrubText('NHS 943 476 5919 seen')).toBe('NHS [NHS-NUMBER] seen');
    expect(scrubText('NHS 943-476-5919.')).toBe('NHS [NHS-NUMBER].');
    expect(scrubText('NHS:9434765919;4010232137')).toBe('NHS:[NHS-NUMBER];[NHS-NUMBER]');
  });

  it('leaves a ten-digit number with a wrong check digit alone', () => {
    expect(scrubText('ref 9434765918 noted')).toBe('ref 9434765918 noted');
    expect(scrubText('ref 943 476 5918')).toBe('ref 943 476 5918');
  });

  it('does not take ten digits out of a longer number', () => {
    expect(scrubText('account 194347659190')).toBe('account 194347659190');
  });

  it('replaces PNC ids with a valid check letter, short or long year', () => {
    expect(scrubText('PNC 89/12345X on file')).toBe('PNC [PNC-ID] on file');
    expect(scrubText('PNC 2001/0012345H')).toBe('PNC [PNC-ID]');
    expect(scrubText('pnc 89/0012345x.')).toBe('pnc [PNC-ID].');
    expect(scrubText('PNC 89/12345K')).toBe('PNC 89/12345K');
  });

  it('leaves crime references and dates alone', () => {
    expect(scrubText('crime ref 42/12345/25 on 01/02/2025')).toBe('crime ref 42/12345/25 on 01/02/2025');
  });

  it.each([
    ['07700 900123'],
    ['07700900123'],
    ['07700 900 123'],
    ['+44 7700 900123'],
    ['+447700900123'],
    ['+44 (0)7700 900123'],
    ['0044 7700 900123'],
    ['020 7946 0958'],
    ['(01245) 123456'],
    ['01245 123456'],
    ['0345-300-0157'],
    ['0800 123 4567'],
  ])('replaces the UK phone number %s', (phone) => {
    expect(scrubText(`call ${phone} after 6`)).toBe('call [PHONE] after 6');
  });

  it('replaces two phone numbers written next to each other separately', () => {
    expect(scrubText('07700900123 07700900456')).toBe('[PHONE] [PHONE]');
    expect(scrubText('07700 900123, 01245 123456')).toBe('[PHONE], [PHONE]');
  });

  it('leaves short numbers and amounts alone', () => {
    expect(scrubText('999 was called at 0930 on 3 occasions, £0.50')).toBe('999 was called at 0930 on 3 occasions, £0.50');
  });

  it('replaces e-mail addresses, including non-ASCII ones', () => {
    expect(scrubText('mail jane.doe+marac@example.co.uk now')).toBe('mail [EMAIL] now');
    expect(scrubText('écrire à josé.núñez@correo.es.')).toBe('écrire à [EMAIL].');
    expect(scrubText("o'brien@example.org")).toBe('[EMAIL]');
    expect(scrubText('not an address: a@b, @home, x@')).toBe('not an address: a@b, @home, x@');
  });

  it('scrubs an e-mail as a whole even when it contains digits or a postcode', () => {
    expect(scrubText('cm14xx07700900123@example.com')).toBe('[EMAIL]');
  });

  it('replaces UK postcodes, in any case and spacing, but not districts or invalid ones', () => {
    expect(scrubText('lives at CM1 4XX with')).toBe('lives at [POSTCODE] with');
    expect(scrubText('lives at cm14xx.')).toBe('lives at [POSTCODE].');
    expect(scrubText('SW1A  2AA, then GIR 0AA')).toBe('[POSTCODE], then [POSTCODE]');
    expect(scrubText('area CM1 only')).toBe('area CM1 only');
    expect(scrubText('meet at 2pm, b4 2pm')).toBe('meet at 2pm, b4 2pm');
    expect(scrubText('BFPO 1234')).toBe('BFPO 1234');
  });

  it('works at the very start and the very end of the text', () => {
    expect(scrubText('9434765919')).toBe('[NHS-NUMBER]');
    expect(scrubText('9434765919 first')).toBe('[NHS-NUMBER] first');
    expect(scrubText('last 9434765919')).toBe('last [NHS-NUMBER]');
    expect(scrubText('07700900123')).toBe('[PHONE]');
    expect(scrubText('CM1 4XX')).toBe('[POSTCODE]');
    expect(scrubText('89/12345X')).toBe('[PNC-ID]');
    expect(scrubText('a@example.com')).toBe('[EMAIL]');
    expect(scrubText('CM1 4XX 07700900123')).toBe('[POSTCODE] [PHONE]');
  });

  it('works inside Unicode text: emoji, accents, RTL scripts', () => {
    expect(scrubText('📞07700 900123📞')).toBe('📞[PHONE]📞');
    expect(scrubText('👩‍👧 moved to CM1 4XX 🏠')).toBe('👩‍👧 moved to [POSTCODE] 🏠');
    expect(scrubText('Zoë’s number is 07700 900123 — café')).toBe('Zoë’s number is [PHONE] — café');
    // Arabic text with an embedded NHS number and postcode, with and without spaces.
    expect(scrubText('رقم 9434765919 العنوان CM1 4XX')).toBe('رقم [NHS-NUMBER] العنوان [POSTCODE]');
    expect(scrubText('العنوانCM1 4XX')).toBe('العنوان[POSTCODE]');
    expect(scrubText('адрес:SW1A 2AA')).toBe('адрес:[POSTCODE]');
    expect(scrubText('שלום 07700900123 שלום')).toBe('שלום [PHONE] שלום');
  });

  it('leaves text without identifiers unchanged', () => {
    const text = 'Victim disclosed controlling behaviour; no injuries seen. Zoë — très bien 👍';
    expect(scrubText(text)).toBe(text);
    expect(scrubText('')).toBe('');
  });

  it('no valid NHS number survives, whatever surrounds it (property)', () => {
    const validNhs = fc.constantFrom('9434765919', '943 476 5919', '4010232137', '485 777 3457');
    const filler = fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => s.replace(/[0-9]/g, ''));
    fc.assert(
      fc.property(filler, validNhs, filler, (a, nhs, b) => {
        const out = scrubText(`${a}${nhs}${b}`);
        expect(out.replace(/ /g, '')).not.toContain(nhs.replace(/ /g, ''));
      }),
      { numRuns: 500 },
    );
  });

  it('stays fast on long hostile input (no catastrophic backtracking)', () => {
    const hostile = `${'a.'.repeat(20_000)}${'0 '.repeat(20_000)}${'A1'.repeat(20_000)}`;
    const out = scrubText(hostile);
    expect(out.length).toBeGreaterThan(0);
  });
});

describe('scrub operator', () => {
  it('applies to strings and drops other types', () => {
    expect(valueOf('scrub', 'ring 07700 900123')).toBe('ring [PHONE]');
    for (const v of [9434765919, null, { text: '07700900123' }, ['07700900123']]) {
      expect(reasonOf('scrub', v)).toBe('OPERATOR_NOT_APPLICABLE');
    }
    const op = compileOperator('scrub');
    expect(op).toMatchObject({ name: 'scrub', transforms: true, generalises: false });
    expect(op.accepts('string')).toBe(true);
    expect(op.accepts('object')).toBe(false);
  });
});
