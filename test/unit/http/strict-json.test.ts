import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DuplicateJsonKey, findDuplicateKey, rejectDuplicateKeys } from '../../../gateway/src/http/strict-json.js';

const req = {} as never;
const res = {} as never;

describe('findDuplicateKey', () => {
  it.each([
    ['top level', '{"a":1,"a":2}'],
    ['nested object', '{"x":{"b":1,"c":2,"b":3}}'],
    ['in an array of objects', '{"list":[{"k":1},{"k":1,"j":2,"k":3}]}'],
    ['deep', '{"a":{"b":{"c":{"d":[[{"e":1,"e":1}]]}}}}'],
    ['escaped equal to plain', '{"a":1,"\\u0061":2}'],
    ['both escaped differently', '{"\\u0041b":1,"A\\u0062":2}'],
    ['escaped solidus', '{"a/b":1,"a\\/b":2}'],
    ['surrogate pair escapes', '{"\\ud83d\\ude00":1,"😀":2}'],
    ['after a nested container', '{"a":{"x":[1,2]},"b":[{"c":1}],"a":0}'],
    ['whitespace everywhere', ' { "a" : 1 ,\n\t"a"\r: 2 } '],
    ['root array of objects', '[{"a":1},{"b":1,"b":2}]'],
    ['prototype keys', '{"__proto__":{},"__proto__":{}}'],
    ['empty key', '{"":1,"":2}'],
    ['third key repeats the first', '{"a":1,"b":2,"c":3,"a":4}'],
  ])('finds a repeated key: %s', (_label, text) => {
    expect(findDuplicateKey(text)).not.toBeNull();
  });

  it.each([
    ['same key in sibling objects', '{"a":{"k":1},"b":{"k":1}}'],
    ['same key at different depths', '{"k":{"k":{"k":1}}}'],
    ['value equal to a key', '{"a":"a","b":"a"}'],
    ['keys differing only in case', '{"a":1,"A":2}'],
    ['quote escaped inside a key', '{"a\\"":1,"a":2}'],
    ['backslash run before a quote', '{"a\\\\":1,"a":2}'],
    ['strings that look like keys', '{"a":"\\",\\"a\\":1","b":["a","a"]}'],
    ['array of strings', '["a","a","a"]'],
    ['empty object and array', '{"a":{},"b":[],"c":[{}]}'],
  ])('accepts distinct keys: %s', (_label, text) => {
    expect(findDuplicateKey(text)).toBeNull();
  });

  it('points at the repeated key', () => {
    const text = '{"a":1,"b":{"c":1},"b":2}';
    expect(findDuplicateKey(text)).toBe(text.lastIndexOf('"b"'));
  });

  it('leaves malformed text to JSON.parse (no throw, no false duplicate)', () => {
    for (const t of ['', '{', '}', ']]]', '{"a":1', '{"a', '"\\', '{"a":1}}{"a":2}', '{"\\u00zz":1,"\\u00zz":2}', '[}{]', '\u0000{"a"']) {
      expect(() => findDuplicateKey(t)).not.toThrow();
    }
  });

  it('agrees with JSON.parse on random JSON: no duplicates in what JSON.stringify writes, one found when a key is repeated', () => {
    const objects = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 4 }), { minKeys: 1, maxKeys: 6 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
      expect(findDuplicateKey(JSON.stringify(v))).toBeNull();
      expect(findDuplicateKey(JSON.stringify(v, null, 2))).toBeNull();
    }), { numRuns: 500 });
    fc.assert(fc.property(objects, fc.nat(), fc.boolean(), fc.jsonValue({ maxDepth: 3 }), (o, pick, escape, wrapper) => {
      const keys = Object.keys(o);
      const k = keys[pick % keys.length]!;
      // Repeat key k, maybe written with every character \u-escaped, inside a random wrapper.
      const written = escape ? `"${[...k].map((ch) => [...ch].map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')).join('')}"` : JSON.stringify(k);
      const inner = `${JSON.stringify(o).slice(0, -1)},${written}:0}`;
      expect(findDuplicateKey(inner)).not.toBeNull();
      expect(findDuplicateKey(`{"w":${JSON.stringify(wrapper)},"x":[1,${inner}]}`)).not.toBeNull();
    }), { numRuns: 500 });
  });

  it('copes with hostile input in linear time: deep nesting, huge strings, backslash runs, many keys', () => {
    const depth = 200_000;
    const started = Date.now();
    expect(findDuplicateKey('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))).toBeNull();
    expect(findDuplicateKey('['.repeat(depth) + ']'.repeat(depth))).toBeNull();
    expect(findDuplicateKey(`{"a":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)},"a":1}`)).not.toBeNull();
    expect(findDuplicateKey(`{"s":"${'x'.repeat(5_000_000)}","s":1}`)).not.toBeNull();
    expect(findDuplicateKey(`{"s":"${'\\\\'.repeat(1_000_000)}","t":"${'\\"'.repeat(1_000_000)}"}`)).toBeNull();
    const many = Array.from({ length: 100_000 }, (_, i) => `"k${i}":${i}`);
    expect(findDuplicateKey(`{${many.join(',')}}`)).toBeNull();
    expect(findDuplicateKey(`{${many.join(',')},"k99999":0}`)).not.toBeNull();
    // Generous bound: quadratic behaviour on these inputs would take minutes.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('rejectDuplicateKeys (body-parser verify hook)', () => {
  const dup = '{"a":1,"a":2}';

  it('throws DUPLICATE_JSON_KEY (400) without echoing the key', () => {
    const call = () => rejectDuplicateKeys(req, res, Buffer.from('{"Jane Sampleton":1,"Jane Sampleton":2}'), 'utf-8');
    expect(call).toThrow(DuplicateJsonKey);
    try {
      call();
    } catch (e) {
      expect(e).toMatchObject({ code: 'DUPLICATE_JSON_KEY', status: 400 });
      expect(JSON.stringify((e as DuplicateJsonKey).problems)).not.toContain('Sampleton');
    }
  });

  it('checks UTF-16 bodies in either byte order, with or without a BOM', () => {
    const le = Buffer.from(dup, 'utf16le');
    const be = Buffer.from(le).swap16();
    for (const [buf, enc] of [[le, 'utf-16le'], [be, 'utf-16be'], [le, 'utf-16'], [be, 'utf-16'],
      [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), 'utf-16'], [Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'utf-16']] as const) {
      expect(() => rejectDuplicateKeys(req, res, buf, enc), enc).toThrow(DuplicateJsonKey);
    }
    expect(() => rejectDuplicateKeys(req, res, Buffer.from('{"a":1,"b":2}', 'utf16le'), 'utf-16')).not.toThrow();
  });

  it('refuses a charset it cannot check rather than letting it through', () => {
    expect(() => rejectDuplicateKeys(req, res, Buffer.from(dup), 'utf-32')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE' }));
    expect(() => rejectDuplicateKeys(req, res, Buffer.from(dup), 'utf-7')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE' }));
  });

  it('lets a body without repeated keys through, and invalid UTF-8 to the parser', () => {
    expect(() => rejectDuplicateKeys(req, res, Buffer.from('{"a":{"a":1}}'), 'utf-8')).not.toThrow();
    expect(() => rejectDuplicateKeys(req, res, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 'utf-8')).not.toThrow();
  });
});
