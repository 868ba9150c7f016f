import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalize, canonicalBytes, JcsError } from '../../../gateway/src/audit/jcs.js';

function fromHex(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('RFC 8785 canonical JSON', () => {
  it('matches the RFC §3.2.2 example (literals, numbers, string escapes)', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts member names by UTF-16 code units (RFC §3.2.3 example)', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",' +
        '"\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    );
    // Object.keys would reorder the integer-like "1"; read the member order off the text itself.
    const text = canonicalize(input);
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((k) => text.indexOf(`${JSON.stringify(k)}:`));
    expect(order.every((pos) => pos > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('gives UTF-8 bytes for non-ASCII member names', () => {
    const bytes = canonicalBytes({ '€': 1, '\r': 2 });
    expect(bytes.toString('hex')).toBe('7b225c72223a322c22e282ac223a317d');
  });

  // RFC 8785 Appendix B: IEEE 754 bit patterns and their expected serialisation.
  const numbers: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  it.each(numbers)('serialises IEEE 754 %s as %s', (hex, want) => {
    expect(canonicalize(fromHex(hex))).toBe(want);
  });

  it('rejects NaN and Infinity (RFC Appendix B error cases)', () => {
    expect(() => canonicalize(fromHex('7fffffffffffffff'))).toThrow(JcsError);
    expect(() => canonicalize(fromHex('7ff0000000000000'))).toThrow(JcsError);
    expect(() => canonicalize({ a: -Infinity })).toThrow(JcsError);
  });

  it('rejects what I-JSON forbids instead of coercing it', () => {
    expect(() => canonicalize({ s: 'a\ud800b' })).toThrow(JcsError);
    expect(() => canonicalize(['\udc00'])).toThrow(JcsError);
    expect(() => canonicalize([undefined])).toThrow(JcsError);
    expect(() => canonicalize({ n: 1n })).toThrow(JcsError);
    expect(() => canonicalize({ d: new Date(0) })).toThrow(JcsError);
    expect(() => canonicalize({ f: () => 1 })).toThrow(JcsError);
  });

  it('drops undefined members like JSON.stringify and keeps nested order canonical', () => {
    expect(canonicalize({ b: undefined, a: { z: 1, y: [2, { d: 1, c: 2 }] } })).toBe('{"a":{"y":[2,{"c":2,"d":1}],"z":1}}');
  });

  it('round-trips: parse(canonical) canonicalises to the same text (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const once = canonicalize(v);
        expect(canonicalize(JSON.parse(once))).toBe(once);
        expect(JSON.parse(once)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('sequenced events', () => {
  it('splices the hash member exactly where canonicalisation would put it', async () => {
    const { prepareEvent, sequenceEvent } = await import('../../../gateway/src/audit/event.js');
    const actor = { kind: 'system', component: 'x' } as const;
    const inputs = [
      { action: 'LOGIN', actor },
      { action: 'DELIVERED', actor, messageId: 'msg_1', detail: { messageId: 'nested', prevHash: 'x' } },
      { action: 'DELIVERED', actor, messageId: 'm', purpose: 'MARAC_RESEARCH', ruleIds: ['a'] },
      { action: 'VIEW_READ', actor, caseId: 'c', detail: { hash: 'h', z: 1 }, viewDigest: 'a'.repeat(64) },
    ] as const;
    for (const input of inputs) {
      const { event, canonical } = sequenceEvent(prepareEvent(input as never, new Date(0)), 7, 'f'.repeat(64));
      expect(canonical).toBe(canonicalize(event));
    }
  });
});
