/**
 * The location-in-free-text matcher (issue 12, class 1), one `it` per class of variant. A
 * placeholder in the output means the matcher found the location; the assertions also check what
 * must stay (the town, ordinary numbers), so over-redaction that blanks prose is caught too.
 */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_LEXICON, LOCATION_PLACEHOLDER as L, compileLexicon, scrubLocationText, type LocationSource,
} from '../../../gateway/src/policy/location-text/index.js';
import { tokenize } from '../../../gateway/src/policy/location-text/normalise.js';

const known = (sources: LocationSource[]) => {
  const lex = compileLexicon(sources);
  return (text: string, addressShapes = false) => scrubLocationText(text, lex, { addressShapes }).text;
};
const shapesOnly = (text: string) => scrubLocationText(text, EMPTY_LEXICON, { addressShapes: true }).text;

const birch: LocationSource = {
  addressLines: ['Flat 6, 30A Birch Walk', 'Harlow', 'Essex'],
  postcode: 'CM19 4QD',
  uprn: '100012345678',
  phones: ['07700 900123'],
  emails: ['Jane.Sampleton@example.org'],
};

describe('location in free text: the case-aware net', () => {
  const scrub = known([birch]);

  it('replaces the house number with the street name in every number form', () => {
    for (const t of [
      'Flat 6, 30A Birch Walk', '6/30A Birch Wk.', 'Flat 6 30A Birch Walk', 'f6 30a birch walk', '30A Birch Walk',
      'no. 30A Birch Walk', '30A, Birch Walk', '30a Birch Walk', '30 A Birch Walk', 'No.30a Birch Walk', '#30A Birch Walk',
      '30 Birch Walk', '30A Birch', '30 birch', 'Flat 6 - 30A Birch Walk', '030A Birch Walk',
    ]) {
      // A full stop after an abbreviation may end the sentence too: it stays.
      expect(scrub(`Seen at ${t} on Monday.`), t).toBe(`Seen at ${L}${t.endsWith('.') ? '.' : ''} on Monday.`);
    }
  });

  it('matches street types abbreviated both ways, with or without a full stop', () => {
    const cases: [string, string[]][] = [
      ['12 Quarry Road', ['12 Quarry Rd', '12 Quarry Rd.', '12 QUARRY ROAD']],
      ['12 Quarry Rd', ['12 Quarry Road', '12 quarry road.']],
      ['4 Acacia Avenue', ['4 Acacia Ave', '4 Acacia Av.', '4 acacia avenue']],
      ['7 Heron Close', ['7 Heron Cl', '7 Heron Cl.']],
      ['7 Heron Terrace', ['7 Heron Terr', '7 Heron Ter.', '7 Heron Tce']],
      ['7 Heron Gardens', ['7 Heron Gdns', '7 Heron Gdns.']],
      ['7 Heron Crescent', ['7 Heron Cres.', '7 Heron Cres']],
      ['7 Heron Cotts', ['7 Heron Cottages']],
      ['7 Heron Bldgs', ['7 Heron Buildings']],
      ['7 Heron Parade', ['7 Heron Pde']],
      ['3 St Johns Street', ["3 Saint John's St.", '3 St. Johns Str', "3 ST JOHN'S STREET"]],
    ];
    for (const [line, variants] of cases) {
      const s = known([{ addressLines: [line, 'Harlow'] }]);
      for (const v of variants) expect(s(`went to ${v} again`), `${line} / ${v}`).toBe(`went to ${L}${v.endsWith('.') ? '.' : ''} again`);
    }
  });

  it('ignores case, whitespace of every kind, punctuation and line breaks between words', () => {
    for (const t of [
      '30A\u00A0Birch\u00A0Walk', '30A\tBirch\tWalk', '30A\nBirch\nWalk', '30A\r\nBIRCH\r\nwalk', '30a  birch   WALK',
      '30A,\nBirch Walk', '30A Birch-Walk', '30A\u2009Birch\u3000Walk', '(30A) Birch Walk',
    ]) {
      const out = scrub(`lives at ${t}. Harlow`);
      expect(out, JSON.stringify(t)).toContain(L);
      expect(out).not.toMatch(/birch/i);
      expect(out).toContain('Harlow');
    }
  });

  it("replaces the subject's street name with its type on its own, not a one-word name alone", () => {
    expect(scrub('She walks her dog along Birch Walk every day')).toBe(`She walks her dog along ${L} every day`);
    expect(scrub('along birch wk. and back')).toBe(`along ${L}. and back`);
    expect(scrub('a birch tree fell; birch bark')).toBe('a birch tree fell; birch bark');
    const oldMill = known([{ addressLines: ['5 Old Mill Lane'] }]);
    expect(oldMill('near Old Mill Ln')).toBe(`near ${L}`);
    expect(oldMill('near the old mill')).toBe(`near the ${L}`); // a two-word name is specific enough
  });

  it('replaces house and refuge name lines, but not the town or the county', () => {
    const s = known([{ addressLines: ['Haven House', 'Flat 2', 'Rose Cottage', '14 Mill Lane', 'Harlow', 'Essex'] }]);
    expect(s('stayed at haven house in Harlow, Essex')).toBe(`stayed at ${L} in Harlow, Essex`);
    expect(s('moved to ROSE  COTTAGE')).toBe(`moved to ${L}`);
    expect(s('Harlow police attended; Essex CC informed')).toBe('Harlow police attended; Essex CC informed');
    const named = known([{ addressLines: ['Greenacres', 'Harlow'] }]);
    expect(named('she is at Greenacres now')).toBe(`she is at ${L} now`);
    expect(named('Harlow')).toBe('Harlow');
  });

  it('reads addresses in one line with the postcode, over several lines, or with the number on its own line', () => {
    const oneLine = known([{ addressLines: ['9 Quarry Row, Harlow CM19 4QD'] }]);
    expect(oneLine('Officers attended the refuge at 9 Quarry Row, Harlow CM19 4QD'))
      .toBe(`Officers attended the refuge at ${L}, Harlow ${L}`);
    expect(oneLine('cm194qd')).toBe(L);
    const numberAlone = known([{ addressLines: ['30', 'Birch Walk', 'Harlow'] }]);
    expect(numberAlone('at 30 Birch on Friday')).toBe(`at ${L} on Friday`);
    const noComma = known([{ addressLines: ['Flat 6 Rose Court 30 Birch Walk Harlow Green'] }]);
    expect(noComma('at 30 Birch Walk today')).toBe(`at ${L} today`);
    expect(noComma('at Rose Court today')).toBe(`at ${L} today`);
  });

  it('replaces the postcode in any spacing and case, and its sector; its district only for the shape net', () => {
    for (const t of ['CM19 4QD', 'cm19 4qd', 'CM194QD', 'CM19  4QD', 'Cm19\u00A04qD', 'CM19\n4QD', 'C M 1 9 4 Q D', 'cm19-4qd']) {
      expect(scrub(`postcode ${t}; Harlow`), JSON.stringify(t)).toBe(`postcode ${L}; Harlow`);
    }
    expect(scrub('somewhere in CM19 4 area')).toBe(`somewhere in ${L} area`);
    expect(scrub('somewhere in CM19, Harlow')).toBe('somewhere in CM19, Harlow');
    expect(scrub('somewhere in CM19, Harlow', true)).toBe(`somewhere in ${L}, Harlow`);
    expect(scrub('somewhere in CM20, Harlow', true)).toBe('somewhere in CM20, Harlow');
  });

  it('replaces phone numbers in any UK formatting', () => {
    for (const t of [
      '07700 900123', '07700900123', '07700-900-123', '077 0090 0123', '+44 7700 900123', '+44 (0)7700 900123', '+447700900123',
      '0044 7700 900123', '(07700) 900123', '07700.900.123', '+44 (0) 770-090-0123', 'tel.07700900123',
    ]) {
      const out = scrub(`call ${t} after 6pm`);
      expect(out, t).toBe(`call ${t.startsWith('tel.') ? 'tel.' : ''}${L} after 6pm`);
    }
    const landline = known([{ phones: ['+44 (0)1245 123456'] }]);
    expect(landline('ring 01245 123456 or (01245) 123 456')).toBe(`ring ${L} or ${L}`);
  });

  it('replaces UPRNs grouped or with leading zeros; a short UPRN only after the word UPRN', () => {
    for (const t of ['100012345678', '1000 1234 5678', '0100012345678', '1000-1234-5678', 'UPRN:100012345678']) {
      expect(scrub(`property ${t} flagged`), t).not.toMatch(/1000.?1234.?5678/);
    }
    const short = known([{ uprn: '4321' }]);
    expect(short('UPRN 4321 flagged; 4321 calls')).toBe(`${L} flagged; 4321 calls`);
  });

  it('replaces e-mail addresses whatever their case, also written with (at)', () => {
    for (const t of ['jane.sampleton@example.org', 'JANE.SAMPLETON@EXAMPLE.ORG', 'Jane.Sampleton (at) example.org', 'jane.sampleton@example .org']) {
      expect(scrub(`mail ${t} only`), t).toBe(`mail ${L} only`);
    }
  });

  it('replaces other locating phrases (safe times, refuge names) and any address or postcode inside them', () => {
    const s = known([{ other: ['Tuesdays 10:00-12:00', 'Haven House Refuge', 'refuge at 9 Quarry Row, CM19 4QD', 'ok'] }]);
    expect(s('safe to call TUESDAYS 10.00 - 12.00 only')).toBe(`safe to call ${L} only`);
    expect(s('placed in the haven house refuge')).toBe(`placed in the ${L}`);
    expect(s('9 Quarry Rd')).toBe(L);
    expect(s('cm19 4qd')).toBe(L);
    expect(s('ok, that is fine')).toBe('ok, that is fine'); // too short to be a location on its own
  });

  it('resists evasions: zero-width characters, soft hyphens, accents, homoglyphs, fullwidth digits', () => {
    for (const t of [
      '30A Bir\u200Bch Walk', '30A Bir\u00ADch Walk', '30A Bírch Wálk', '30A B\u0456rch Walk', '30A \u0412irch W\u0430lk',
      '\uFF13\uFF10A Birch Walk', '30A Birch\u2060Walk', '30A BirchWalk', '30a birchwk',
    ]) {
      const out = scrub(`at ${t}!`);
      expect(out, JSON.stringify(t)).toBe(`at ${L}!`);
    }
    expect(scrub('call \uFF10\uFF17\uFF17\uFF10\uFF10 \uFF19\uFF10\uFF10\uFF11\uFF12\uFF13')).toBe(`call ${L}`);
  });

  it("replaces every subject's locations", () => {
    const s = known([birch, { addressLines: ['12 Kingfisher Close', 'Basildon'], postcode: 'SS14 1AB', phones: ['01268 555666'] }]);
    expect(s('V at 30A Birch Walk; P at 12 Kingfisher Cl, Basildon SS14 1AB (01268 555666)'))
      .toBe(`V at ${L}; P at ${L}, Basildon ${L} (${L})`);
  });

  it('merges neighbouring matches into one placeholder, keeping brackets paired', () => {
    expect(scrub('at 30A Birch Walk, CM19 4QD.')).toBe(`at ${L}.`);
    expect(scrub('phone (07700) 900123 only')).toBe(`phone ${L} only`);
    expect(scrub('(30A Birch Walk) and (tel 07700 900123)')).toBe(`(${L}) and (tel ${L})`);
    expect(scrub('30A Birch Walk\nHarlow\nCM19 4QD')).toBe(`${L}\nHarlow\n${L}`);
  });

  it('leaves text without the case locations exactly as it was', () => {
    for (const t of [
      '', 'Officers attended after a call from a neighbour; victim shaken, suspect gone.',
      '3 incidents in 12 months, 14 days later, DASH 16 of 24; crime 42/100012/26 on 12/03/2026 at 14:30.',
      'Harlow  \u00A0 Essex\n\n\tnothing else', 'Call 07700 900124 (another number). Walk to the birch trees.',
      'Unicode: адрес, عنوان, 住所, émigré, naïve café',
    ]) {
      const r = scrubLocationText(t, compileLexicon([birch]), { addressShapes: false });
      expect(r).toEqual({ text: t, removed: false });
    }
  });

  it('reports whether something was removed', () => {
    expect(scrubLocationText('at 30A Birch Walk', compileLexicon([birch]), { addressShapes: false }).removed).toBe(true);
    expect(scrubLocationText('nothing here', compileLexicon([birch]), { addressShapes: true }).removed).toBe(false);
  });

  it('an empty lexicon is EMPTY_LEXICON and, without the shape net, changes nothing', () => {
    expect(compileLexicon([]).empty).toBe(true);
    expect(compileLexicon([{ addressLines: [], phones: [] }])).toBe(EMPTY_LEXICON);
    expect(compileLexicon([birch]).empty).toBe(false);
    for (const lex of [EMPTY_LEXICON, undefined]) {
      expect(scrubLocationText('12 Acacia Avenue, CM1 4XX', lex, { addressShapes: false })).toEqual({ text: '12 Acacia Avenue, CM1 4XX', removed: false });
    }
  });
});

describe('location in free text: the address-shape net (no case knowledge)', () => {
  it('replaces a house or flat number with a street name and type', () => {
    for (const t of [
      '12 Acacia Avenue', 'Flat 3, 4 Mill Ln', '3/4 Mill Lane', '12a Acacia Ave.', 'No. 7 Station Rd', '221B Baker Street',
      '12 The Green', '5 St Johns Wood Road', '1-3 Market Sq', 'Flat 6, Birch Walk', '14 HERON\nCLOSE', '9 Quarry Row',
    ]) {
      expect(shapesOnly(`seen at ${t} yesterday`), JSON.stringify(t)).toBe(`seen at ${L}${t.endsWith('.') ? '.' : ''} yesterday`);
    }
  });

  it('replaces "refuge" or "safe house" with a name or place', () => {
    const cases: [string, string][] = [
      ['she is at the Harlow refuge now', `she is at the ${L} now`],
      ['moved to a refuge in Basildon last week', `moved to a ${L} last week`],
      ['Haven House refuge staff called', `${L} staff called`],
      ["Harlow Women's Refuge", L],
      ['a safe house called Rose Cottage.', `a ${L}.`],
      ['placed in the Essex safe house', `placed in the ${L}`],
      ['the refuge at 9 Quarry Row', `the ${L}`],
      ['refuge known as The Willows', L],
    ];
    for (const [t, want] of cases) expect(shapesOnly(t), t).toBe(want);
  });

  it('keeps a refuge or safe house named by neither name nor place', () => {
    for (const t of ['she moved to a refuge yesterday', 'refuge space was offered', 'in refuge for 3 weeks', 'a safe house is needed']) {
      expect(shapesOnly(t), t).toBe(t);
    }
  });

  it('replaces UK postcodes in any spacing and case, not strings of the wrong format', () => {
    for (const t of ['CM1 4XX', 'cm14xx', 'SW1A 1AA', 'sw1a1aa', 'E1  6AN', 'M1\n1AE', 'GIR 0AA']) {
      expect(shapesOnly(`at ${t}.`), JSON.stringify(t)).toBe(`at ${L}.`);
    }
    for (const t of ['QV1 1AA', 'BF1 1AA', 'A4 paper', 'M25 motorway']) expect(shapesOnly(`at ${t}.`)).toBe(`at ${t}.`);
    // An inward letter Royal Mail never uses is a mistyped postcode; its outward code and sector still locate.
    expect(shapesOnly('at CM1 4CX.')).toBe(`at ${L}.`);
  });

  it('replaces UK phone numbers and UPRN-like numbers', () => {
    for (const t of ['07700 900123', '+44 (0)1245 123456', '020 7946 0018', '0044 7700 900123', '100012345678', '1000 1234 5678', '123456789']) {
      expect(shapesOnly(`ref ${t} noted`), t).toBe(`ref ${L} noted`);
    }
  });

  it('leaves counts, durations, dates, scores and references alone', () => {
    for (const t of [
      '3 incidents on the road', '12 months', '2 of them close by',
      'DASH 16 of 24 questions', 'on 12/03/2026 at 14:30', 'crime ref 42/100012/26', '3 children live there',
      'seen 4 times in the park', 'aged 30 she lives in the town', '12345678',
    ]) {
      expect(shapesOnly(t), t).toBe(t);
    }
  });

  it('a street whose name is also a counting word is still a street (found by the property test: "274 Times Street")', () => {
    for (const t of ['274 Times Street', '12 Mile End Road', '3 Days Lane', '7 miles rd', '274 Times Walk', '9 Point Close', '40 Hour Way, Harlow']) {
      expect(shapesOnly(`seen at ${t} today`), t).not.toContain(t.split(',')[0]);
    }
    // The same counting words before an everyday type read as a street too, in any case ("274 times
    // walk" is a street written in lower case): a phrase like "5 minutes walk" is the cost (decision 0010).
    for (const t of ['274 times walk', '14 days walk', '5 minutes drive from school', '10 minutes walk away']) {
      expect(shapesOnly(t), t).toContain(L);
      expect(shapesOnly(t), t).not.toMatch(/walk|drive/);
    }
  });

  it('runs only when asked', () => {
    const t = 'at 12 Acacia Avenue, CM1 4XX, the Harlow refuge';
    expect(scrubLocationText(t, EMPTY_LEXICON, { addressShapes: false }).text).toBe(t);
    expect(scrubLocationText(t, EMPTY_LEXICON, { addressShapes: true }).text).toBe(`at ${L}, the ${L}`);
  });
});

describe('location in free text: hostile input', () => {
  const lex = compileLexicon([birch, { addressLines: ['1 Road Road', 'Harlow'], other: ['refuge'] }]);
  const hostile = [
    '1'.repeat(4000), '1 '.repeat(2000), '1 1 1 1 road road '.repeat(222), 'a'.repeat(4000), 'refuge '.repeat(570),
    '12 '.repeat(1300) + 'Birch Walk', '\u200B'.repeat(4000), '+44 (0)'.repeat(570), 'Flat 6, '.repeat(500),
    'CM19 4QD '.repeat(444), 'A1 1AA'.repeat(666), '\uFF13\u0663\uD835\uDFD9 \uFF32\uFF4F\uFF41\uFF44 '.repeat(400),
    'B'.repeat(1999) + ' ' + '9'.repeat(2000), '1a'.repeat(2000), 'safe house '.repeat(360), '0'.repeat(3999) + 'x',
    '((((((((('.repeat(440), '1-'.repeat(2000),
  ];
  /** Against the decoder, the number words and the other shapes. */
  const encodedHostile = [
    '&amp;'.repeat(800), '&#'.repeat(2000), '%25'.repeat(1333), '\\u'.repeat(1333), '<b'.repeat(2000), '<b>'.repeat(1333),
    'one hundred and '.repeat(250), 'twenty '.repeat(570), '1.'.repeat(2000), '51.1234, '.repeat(440), 'a.b.'.repeat(1000),
    'abc.'.repeat(1000), 'TL 123 '.repeat(570), 'CMl 1'.repeat(800), '°'.repeat(4000), 'Acacia Avenue '.repeat(285),
    'Raod '.repeat(800), 'lat long '.repeat(440), '12 '.repeat(666) + 'number '.repeat(300), 'a '.repeat(2000), 'a.'.repeat(1999) + 'walk',
    '\uD835\uDC00'.repeat(2000), '\u0000'.repeat(4000),
  ];

  // Cost is compared with scrubbing ordinary prose of the same length on the same machine at the
  // same moment, not with a wall-clock budget: the suite runs with both cores busy. A backtracking
  // or quadratic path costs hundreds of times the reference on these inputs; linear work a few.
  const prose = (n: number) => 'Officers attended 12 March after a call; the victim, Jane, was seen at home. '.repeat(Math.ceil(n / 76)).slice(0, n);
  const cost = (text: string, addressShapes: boolean, reps: number) => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) scrubLocationText(text, lex, { addressShapes });
    return performance.now() - t0;
  };

  it('completes 4,000-character hostile inputs in time linear in their length and never grows them unboundedly', () => {
    for (const addressShapes of [false, true]) {
      cost(prose(4000), addressShapes, 5); // warm-up
      const reference = Math.max(cost(prose(4000), addressShapes, 20), 1);
      for (const h of [...hostile, ...encodedHostile]) {
        const r = scrubLocationText(h, lex, { addressShapes });
        expect(r.text.length).toBeLessThanOrEqual(h.length * 2 + L.length);
        expect(cost(h, addressShapes, 20) / reference, JSON.stringify(h.slice(0, 16))).toBeLessThan(40);
      }
    }
  });

  it('removes the location from inside hostile noise', () => {
    const noise = '1 1 road road '.repeat(50);
    const out = scrubLocationText(`${noise} 30A Birch Walk ${noise}`, lex, { addressShapes: false }).text;
    expect(out).not.toMatch(/birch/i);
  });

  it('scrubs ten thousand typical 500-character texts at a small multiple of the cost of tokenising them', () => {
    const text = ('Fictional incident 1: officers attended after a call from a neighbour; victim shaken, suspect gone. '
      + 'Call 07700 900124. The victim said the suspect had been drinking since the afternoon and became abusive. '
      + 'Risk remains high; safety planning discussed with the IDVA; referral to MARAC made on 12 March. ').repeat(2).slice(0, 500);
    // Against tokenising the same text alone (the least any scan must do), measured alongside.
    const batch = (f: () => void) => { const t0 = performance.now(); for (let i = 0; i < 10_000; i++) f(); return performance.now() - t0; };
    batch(() => tokenize(text));
    const reference = Math.max(batch(() => tokenize(text)), 1);
    const scrub = batch(() => scrubLocationText(text, lex, { addressShapes: true }));
    expect(scrub / reference).toBeLessThan(12);
  });
});
