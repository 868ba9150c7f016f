/**
 * The location-in-free-text matcher against the evasions a tester (or a hurried author) uses,
 * one `it` per class (decision 0010, "Classes closed in the second review"). Each class is checked
 * with the case-aware net alone (the case's own refuge) and with the address-shape net alone
 * (an address the case never held), and with what must stay.
 */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_LEXICON, LOCATION_PLACEHOLDER as L, compileLexicon, scrubLocationText, type LocationSource,
} from '../../../gateway/src/policy/location-text/index.js';

const refuge: LocationSource = {
  addressLines: ['Larkspur House', '30 Birch Walk', 'Chelmsford'], postcode: 'CM1 1AB', uprn: '100090001234',
  phones: ['07700 900456'], emails: ['jane.s@example.org'],
};
const lex = compileLexicon([refuge]);
const known = (text: string) => scrubLocationText(text, lex, { addressShapes: false }).text;
const shapes = (text: string) => scrubLocationText(text, EMPTY_LEXICON, { addressShapes: true }).text;
const both = (text: string) => scrubLocationText(text, lex, { addressShapes: true }).text;

/** Nothing of the street (its name) survives, and something was replaced. */
function gone(out: string, ...words: string[]): void {
  expect(out).toContain(L);
  for (const w of words) expect(out.toLowerCase(), out).not.toContain(w.toLowerCase());
}

describe('location in free text: second review of evasions', () => {
  it('house numbers written as words', () => {
    for (const t of ['fourteen Acacia Road', 'number twelve Acacia Avenue', 'Twenty-Two Acacia Avenue', 'twenty two acacia avenue',
      'one hundred and five Acacia Avenue', 'a hundred Acacia Ave', 'No. Seven Acacia Avenue', 'Flat three, nine Acacia Avenue']) {
      gone(shapes(`she is at ${t} now`), 'acacia', 'avenue', 'road');
    }
    for (const t of ['thirty Birch Walk', 'Thirty, Birch Walk', 'thirty birch', 'THIRTY BIRCH']) gone(known(`at ${t} today`), 'birch', 'thirty');
    // Number words in prose stay.
    for (const t of ['One of the children was present.', 'He has two children and one dog.', 'Sentenced to twelve weeks.', 'No one was home.']) {
      expect(shapes(t), t).toBe(t);
    }
  });

  it('misspelt street types: letters swapped, doubled or left out, one changed in a capitalised word', () => {
    for (const t of ['12 Acacia Raod', '12 Acacia Rd.', '12 Acacia Stret', '12 Acacia Steet', '12 Acacia Avnue', '12 Acacia Lnae',
      '12 Acacia Closse', '12 acacia raod', '12 Acacia Terace', '12 Acacia Cresent', '12 Acacia Crescant', '12 Acacia Gardnes']) {
      gone(shapes(`at ${t} on Monday`), 'acacia');
    }
    for (const t of ['Birch Wlak', 'Birch Wakl', 'Birch Walkk', '30 Birch Wlak', 'BIRCH WLAK']) gone(known(`along ${t} daily`), 'birch');
    // Real words one slip away from a type stay.
    for (const t of ['3 boxes marked urgent', 'she filed 2 reports', 'took 2 pints']) expect(shapes(t), t).toBe(t);
  });

  it('counting words before a street type in lower case ("274 times walk") are a street', () => {
    for (const t of ['274 times walk', '12 days drive', '3 mile end', '7 hours way']) gone(shapes(`at ${t} yesterday`), t.split(' ')[1]!);
  });

  it('the house number after the street, and the street on its own written as a name', () => {
    for (const t of ['Acacia Avenue 12', 'Acacia Avenue, number 12', 'Acacia Avenue (no. 12a)', 'acacia ave 12', 'lives on Acacia Avenue',
      'Rose Cottage, Mill Lane', 'c/o Mrs Smith, Acacia Avenue', 'Kestrel House, 4 Mill Lane', 'Flat 3b, Kestrel House']) {
      gone(shapes(`${t}.`), t.includes('Kestrel') ? 'kestrel' : t.includes('Rose') ? 'mill' : 'acacia');
    }
    // A flat in a named building needs no street type.
    for (const t of ['Flat 2, The Willows', 'Apartment 4 Rosewood', 'Flat 12a Larch Court']) gone(shapes(`at ${t}.`), 'willows', 'rosewood', 'larch');
    for (const t of ['Flat 2. Police attended.', 'the flat 2 weeks ago', 'Flat 2 was searched']) expect(shapes(t), t).toBe(t);
    for (const t of ['Birch Walk, number 30', 'Birch Walk no. 30', 'Birch Walk (no 30)', 'Birch Walk 30']) {
      const out = known(`at ${t}.`);
      gone(out, 'birch');
      expect(out, t).not.toMatch(/30/);
    }
    // Institutions and counts after a street stay.
    for (const t of ['Hearing at Chelmsford Crown Court on 12 March.', 'Bail at Harlow Magistrates Court.', 'Action Point 3: housing to review.',
      'MARAC at County Hall', 'the dog walk 3 times a day', 'Family Court hearing next week', 'Refuge place arranged; Safe way home planned']) {
      expect(shapes(t), t).toBe(t);
    }
  });

  it('house and refuge names without their building word, and with a misspelt one', () => {
    for (const t of ['at Larkspur now', 'LARKSPUR', 'Larkspur Hse', 'Larkspur Ho.', 'larkspur houes']) gone(known(t), 'larkspur');
    // Everyday words are not taken alone: "Rose Cottage" keeps "rose".
    const rose = compileLexicon([{ addressLines: ['Rose Cottage', '1 Mill Lane', 'Harlow'] }]);
    expect(scrubLocationText('risk rose sharply', rose, { addressShapes: false }).text).toBe('risk rose sharply');
  });

  it('encodings: HTML entities, markup, percent-encoding, backslash escapes, double encodings', () => {
    for (const t of ['30&nbsp;Birch&nbsp;Walk', '30&#32;Birch&#x20;Walk', '30 <b>Birch</b> Walk', '30 Bir<i>ch</i> Walk', '30%20Birch%20Walk',
      '30+Birch+Walk', '30\\u0020Birch\\u0020Walk', '30\\nBirch\\nWalk', '30&amp;nbsp;Birch&amp;nbsp;Walk', '30%2520Birch%2520Walk',
      '30&#x0412;irch Walk', '30 B%D1%96rch Walk', '30_Birch_Walk', '30*Birch*Walk']) {
      const out = both(`seen at ${t} today`);
      gone(out, 'birch');
      expect(out.endsWith(' today'), out).toBe(true);
    }
    for (const t of ['12&nbsp;Acacia&nbsp;Avenue', '12%20Acacia%20Avenue', '12<br>Acacia<br/>Avenue', 'CM1&nbsp;4XX']) {
      expect(shapes(`at ${t}.`), t).toBe(`at ${L}.`);
    }
    // Text that only looks encoded stays as it was.
    for (const t of ['Tom & Jerry; 50% of calls', 'a<b and c>d', 'path C:\\new\\tmp']) expect(shapes(t), t).toBe(t);
  });

  it('invisible characters and look-alikes between and inside words', () => {
    for (const t of ['12\u200BAcacia Avenue', '12 Acacia\u200BAvenue', '12\u200B\u200B\u200B\u200B\u200B\u200BAcacia Avenue', '12 Acacia\u00ADAvenue',
      '12\u2060Acacia\u2060Avenue', '\uFF11\uFF12 Acacia Avenue', '12 \u0410cacia Avenue', '12\u00A0Acacia\u202FAvenue']) {
      gone(shapes(`at ${t}.`), 'acacia', 'cacia');
    }
  });

  it('letters outside the Basic Multilingual Plane, words spelt letter by letter, control characters between words', () => {
    for (const t of ['\u{1D7CF}\u{1D7D0} \u{1D400}\u{1D41C}\u{1D41A}\u{1D41C}\u{1D422}\u{1D41A} \u{1D400}\u{1D42F}\u{1D41E}\u{1D427}\u{1D42E}\u{1D41E}',
      '12 A c a c i a Avenue', '12 Acacia A v e n u e', '12 A.c.a.c.i.a A.v.e', '12\u0000Acacia\u0085Avenue', '12\u001BAcacia Avenue']) {
      expect(shapes(`at ${t} now`), JSON.stringify(t)).toBe(`at ${L} now`);
    }
    for (const t of ['30 B i r c h W a l k', '30 \u{1D401}\u{1D422}\u{1D42B}\u{1D41C}\u{1D421} Walk', '\u{1D4DB}arkspur']) gone(known(`at ${t} now`), 'birch', 'arkspur');
    // Initials and short letter runs stay.
    for (const t of ['M A R A C referral', 'seen by A B on Monday']) expect(shapes(t), t).toBe(t);
  });

  it('postcodes with look-alike characters or an inward letter Royal Mail never uses', () => {
    for (const t of ['CM1 IAB', 'CMl 1AB', 'CM1 1OA', 'CM1O 1AB', 'cm1 lab', 'CM1 IOA', '\u0421M1 1AB', 'CM1\u200B1AB']) {
      expect(shapes(`postcode ${t}; Harlow`), t).toBe(`postcode ${L}; Harlow`);
    }
    for (const t of ['at the pool 2pm', 'A4 paper', 'go lab', 'tool 1st']) expect(shapes(t), t).toBe(t);
    // The case's phone number with letters for digits.
    for (const t of ['07700 9OO456', '077OO 900456', '07700 9OO4S6'.replace('S', '5'), 'O77OO 9OO456']) expect(known(`call ${t}`), t).not.toMatch(/7700|456/i);
  });

  it('coordinates, grid references, what3words and PO boxes', () => {
    for (const t of ['51.7356, 0.4685', '51.7356,0.4685', '51.7356 N, 0.4685 E', '-0.4685 / 51.7356', 'lat 51.73 long 0.46',
      '51°44\'08.2"N 0°28\'06.6"E', 'TL 707 067', 'TL707067', 'TL 70708 06712', '///filled.count.soap', 'what3words: filled.count.soap',
      'filled.count.soap', 'PO Box 123', 'P.O. Box 42', 'Post Office Box 9']) {
      const out = shapes(`meet at ${t} tonight`);
      expect(out, t).toBe(`meet at ${L} tonight`);
    }
    for (const t of ['Temperature 38.5°C', 'version 1.2.3', 'see www.gov.uk today', 'mail marac.team@essex.gov.uk', 'e.g. the school', 'DASH 16.5 of 24']) {
      expect(shapes(t), t).toBe(t);
    }
  });

  it("the case's names one slip away (six letters or more), and its phone number read out", () => {
    const q = compileLexicon([{ addressLines: ['Larkspur House', '9 Quarry Row', 'Harlow'], phones: ['07700 900456'] }]);
    const s = (text: string) => scrubLocationText(text, q, { addressShapes: false }).text;
    for (const t of ['at Larkpsur now', 'at Larkspurr House', 'at Lakspur', 'at 9 Qaurry Row', 'Qurry Row', 'at 9 Quary']) {
      expect(s(t), t).toContain(L);
      expect(s(t), t).not.toMatch(/ark|qu?a?u?r/i);
    }
    for (const t of ['call zero seven seven zero zero nine zero zero four five six', 'call oh seven seven oh oh nine oh oh four five six']) {
      expect(s(t), t).toBe(`call ${L}`);
    }
    // Other words stay: "quarry" alone is a word, "query" two slips away.
    for (const t of ['the quarry was closed', 'a query about rows', 'oh no, two of them']) expect(s(t), t).toBe(t);
  });

  it('e-mail addresses written out with "at" and "dot"; the local part alone is often her name and stays', () => {
    const named = compileLexicon([{ emails: ['jane.sampleton@example.org'] }]);
    expect(scrubLocationText('Jane Sampleton reported it', named, { addressShapes: false }).text).toBe('Jane Sampleton reported it');
    for (const t of ['jane.s at example dot org', 'jane dot s at example dot org', 'jane.s (at) example.org', 'JANE.S AT EXAMPLE DOT ORG']) {
      expect(known(`write to ${t} only`), t).toBe(`write to ${L} only`);
    }
  });
});
