/** The CSV parser: RFC 4180 quoting, embedded newlines, CRLF, BOM; errors name the line, never the content. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCsv, parseCsvObjects, toCsv } from '../sources/csv-parse.js';

describe('parseCsv', () => {
  it('reads plain, quoted and empty fields, LF and CRLF, with or without a final line break', () => {
    expect(parseCsv('a,b,c\n1,,3')).toEqual([['a', 'b', 'c'], ['1', '', '3']]);
    expect(parseCsv('a,b\r\n1,2\r\n')).toEqual([['a', 'b'], ['1', '2']]);
    expect(parseCsv('"x,y","say ""hi""",""\n')).toEqual([['x,y', 'say "hi"', '']]);
  });

  it('keeps newlines (LF and CRLF) inside quoted fields', () => {
    expect(parseCsv('id,note\n1,"line one\nline two"\n2,"a\r\nb"\n')).toEqual([['id', 'note'], ['1', 'line one\nline two'], ['2', 'a\r\nb']]);
  });

  it('drops a byte-order mark', () => {
    expect(parseCsv('\uFEFFa,b\n1,2')).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('refuses a stray quote, text after a closing quote and an unclosed quote, naming the line only', () => {
    expect(() => parseCsv('a,b\n1,x"y\n')).toThrow(/line 2: a quote inside an unquoted field/);
    expect(() => parseCsv('a\n"ok"x\n')).toThrow(/line 2: text after a closing quote/);
    expect(() => parseCsv('a\n"secret name\n')).toThrow(expect.objectContaining({ code: 'AGENCY_DATA_INVALID', message: expect.not.stringContaining('secret') }));
  });

  it('objects by header; a record with the wrong number of fields is refused', () => {
    expect(parseCsvObjects('id,name\n1,"Ann, B"\n').records).toEqual([{ id: '1', name: 'Ann, B' }]);
    expect(() => parseCsvObjects('id,name\n1\n')).toThrow(/record 1: 1 fields, the header has 2/);
    expect(() => parseCsvObjects('id,id\n1,2\n')).toThrow(/twice/);
  });

  it('reads back whatever toCsv writes (property)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', 'é', '1') });
    fc.assert(fc.property(fc.array(fc.array(field, { minLength: 3, maxLength: 3 }), { maxLength: 8 }), (rows) => {
      const header = ['c1', 'c2', 'c3'];
      const text = toCsv(header, rows.map((r) => ({ c1: r[0], c2: r[1], c3: r[2] })));
      const back = parseCsvObjects(text).records.map((o) => [o.c1, o.c2, o.c3]);
      // A record of three empty fields is written as ",," and read back as such.
      expect(back).toEqual(rows);
    }));
  });
});
