import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { DataReturn } from '../../../gateway/src/reporting/data-return.js';
import { csvField, regionalCsv, regionalExport, REGIONAL_COLUMNS, returnCsv, returnXlsx, toCsv } from '../../../gateway/src/reporting/formats.js';
import { parseQuarter } from '../../../gateway/src/reporting/quarter.js';
import { columnName, writeXlsx } from '../../../gateway/src/reporting/xlsx.js';
import { agencyTypeLabel } from '../../../gateway/src/reporting/present.js';

/** Reads the cells of an .xlsx sheet back: ref → text or number (inline strings and values only). */
function readSheet(xlsx: Buffer, n = 1): Record<string, string | number> {
  const files = unzipSync(new Uint8Array(xlsx));
  const xml = strFromU8(files[`xl/worksheets/sheet${n}.xml`]!);
  const cells: Record<string, string | number> = {};
  for (const m of xml.matchAll(/<c r="([A-Z]+\d+)"([^>]*)>(.*?)<\/c>/g)) {
    const [, ref, attrs, inner] = m as unknown as [string, string, string, string];
    if (attrs.includes('t="inlineStr"')) {
      cells[ref] = /<t[^>]*>([\s\S]*?)<\/t>/.exec(inner)![1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    } else cells[ref] = Number(/<v>(.*?)<\/v>/.exec(inner)![1]);
  }
  return cells;
}

const RET: DataReturn = {
  coordinatorAgencyId: 'essex-marat', maracArea: 'essex', quarter: parseQuarter('2026-Q3'),
  casesDiscussed: 40, repeatCases: 12, childrenInHouseholds: 51, victimsAged16To17: 3, victimsBme: 6, victimsLgbt: 0,
  victimsDisabled: 5, victimsMale: 4,
  byReferringAgencyType: [{ agencyType: 'POLICE', cases: 25 }, { agencyType: 'IDVA', cases: 9 }, { agencyType: 'HOUSING', cases: 2 }, { agencyType: 'NONE', cases: 4 }],
};

describe('CSV', () => {
  it('quotes what must be quoted and neutralises formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@SUM')).toBe("'@SUM");
    expect(csvField(-3)).toBe('-3');
    expect(csvField(null)).toBe('');
    expect(toCsv([['a', 1], ['b', null]])).toBe('a,1\r\nb,\r\n');
  });

  it('writes the coordinator return with exact counts', () => {
    const lines = returnCsv(RET, agencyTypeLabel).trimEnd().split('\r\n');
    expect(lines[0]).toBe('MARAC area,Quarter,Measure,Number');
    expect(lines[1]).toBe('essex,2026-Q3,Cases discussed,40');
    expect(lines).toContain('essex,2026-Q3,Victims aged 16 or 17,3');
    expect(lines).toContain('essex,2026-Q3,Cases referred by: Police,25');
    expect(lines).toContain('essex,2026-Q3,Cases referred by: No referral recorded (opened by the coordinator),4');
    expect(lines).toHaveLength(1 + 8 + 4);
  });
});

describe('regional export', () => {
  it('has fixed columns, area and quarter on every row, and no case ids', () => {
    const x = regionalExport(RET, new Date('2026-10-02T09:00:00Z'));
    const lines = regionalCsv(x).trimEnd().split('\r\n');
    expect(lines[0]).toBe(REGIONAL_COLUMNS.join(','));
    expect(lines[0]).toBe('format,marac_area,coordinator_agency_id,quarter,period_start,period_end,measure,breakdown,value,suppressed');
    expect(lines[1]).toBe('marac-data-return/1,essex,essex-marat,2026-Q3,2026-07-01,2026-09-30,cases_discussed,,40,false');
    expect(lines.map((l) => l.split(',')[6])).toEqual(['measure', 'cases_discussed', 'repeat_cases', 'children_in_households', 'victims_aged_16_17',
      'victims_bme', 'victims_lgbt', 'victims_disabled', 'victims_male', ...Array(4).fill('cases_by_referring_agency_type')]);
    expect(JSON.stringify(x)).not.toMatch(/case_/);
  });

  it('withholds counts from 1 to 4, shows zero, and withholds a second breakdown cell when one would be recoverable', () => {
    const x = regionalExport(RET, new Date());
    const by = (m: string, b = '') => x.rows.find((r) => r.measure === m && r.breakdown === b)!;
    expect(by('victims_aged_16_17')).toEqual({ measure: 'victims_aged_16_17', breakdown: '', value: null, suppressed: true });
    expect(by('victims_male')).toMatchObject({ value: null, suppressed: true });
    expect(by('victims_disabled')).toMatchObject({ value: 5, suppressed: false });
    expect(by('victims_lgbt')).toMatchObject({ value: 0, suppressed: false });
    // HOUSING (2) and NONE (4) are both small: two withheld already, nothing more.
    expect(by('cases_by_referring_agency_type', 'HOUSING')).toMatchObject({ value: null, suppressed: true });
    expect(by('cases_by_referring_agency_type', 'NONE')).toMatchObject({ value: null, suppressed: true });
    expect(by('cases_by_referring_agency_type', 'IDVA')).toMatchObject({ value: 9, suppressed: false });

    const one = regionalExport({ ...RET, byReferringAgencyType: [{ agencyType: 'POLICE', cases: 30 }, { agencyType: 'IDVA', cases: 7 }, { agencyType: 'HOUSING', cases: 3 }] }, new Date());
    const b = (t: string) => one.rows.find((r) => r.breakdown === t)!;
    expect(b('HOUSING').suppressed).toBe(true);
    // The next smallest is withheld too, so HOUSING is not 40 - 30 - 7.
    expect(b('IDVA')).toMatchObject({ value: null, suppressed: true });
    expect(b('POLICE')).toMatchObject({ value: 30, suppressed: false });
    const csv = regionalCsv(one);
    expect(csv).toContain('cases_by_referring_agency_type,HOUSING,,true');
  });
});

describe('xlsx', () => {
  it('names columns like a spreadsheet', () => {
    expect([0, 1, 25, 26, 27, 51, 52, 701, 702].map(columnName)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'AZ', 'BA', 'ZZ', 'AAA']);
  });

  it('writes a package a spreadsheet opens: the parts, the sheet, numbers as numbers', () => {
    const x = returnXlsx(RET, agencyTypeLabel);
    const files = unzipSync(new Uint8Array(x));
    expect(Object.keys(files).sort()).toEqual(['[Content_Types].xml', '_rels/.rels', 'xl/_rels/workbook.xml.rels', 'xl/styles.xml', 'xl/workbook.xml', 'xl/worksheets/sheet1.xml']);
    expect(strFromU8(files['xl/workbook.xml']!)).toContain('<sheet name="Data return" sheetId="1" r:id="rId1"/>');
    const cells = readSheet(x);
    expect(cells.A1).toBe('MARAC data return');
    expect(cells.B2).toBe('essex');
    expect(cells.B3).toBe('2026-Q3 (July to September 2026)');
    expect(cells.A6).toBe('Measure');
    expect(cells.A7).toBe('Cases discussed');
    expect(cells.B7).toBe(40);
    expect(cells.A10).toBe('Victims aged 16 or 17');
    expect(cells.B10).toBe(3);
    expect(cells.A15).toBe('Cases referred by: Police');
    expect(cells.B15).toBe(25);
  });

  it('escapes text and drops characters XML cannot hold', () => {
    const x = writeXlsx([{ name: 'S', rows: [['<b>&"x"', 'a\u0001b', 1.5, null, '']] }]);
    const cells = readSheet(x);
    expect(cells).toEqual({ A1: '<b>&"x"', B1: 'ab', C1: 1.5 });
  });

  it('refuses a sheet name Excel refuses', () => {
    expect(() => writeXlsx([{ name: 'a/b', rows: [] }])).toThrow(/sheet name/);
    expect(() => writeXlsx([])).toThrow();
  });
});
