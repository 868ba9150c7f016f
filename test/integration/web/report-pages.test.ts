/**
 * The coordinator's report pages over HTTP, signed in through OIDC: the data return for a quarter
 * (figures from the seeded year), its downloads (CSV, .xlsx read back cell by cell, the regional
 * export), a bad quarter or format refused with a stable code, the dashboard's accessible charts
 * with their tables, and every production audited for the person.
 */
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedReturnWorld } from '../reporting/seed.js';
import { startWebWorld, type LoggedIn, type WebWorld } from './world.js';

let w: WebWorld;
let coord: LoggedIn;

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', workers: false });
  await seedReturnWorld(w.t.gateway, w.t.db.pool, w.t.clock);
  coord = await w.login('coordinator@essex-marat');
});
afterAll(async () => {
  await w?.close();
});

/** The number in a GOV.UK table row whose header cell is `label`. */
function cell(html: string, label: string): string | undefined {
  const esc = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`<th[^>]*>\\s*${esc}\\s*</th>\\s*<td[^>]*>\\s*([^<]*?)\\s*</td>`).exec(html)?.[1];
}

function sheetCells(buf: Buffer): Record<string, string | number> {
  const xml = strFromU8(unzipSync(new Uint8Array(buf))['xl/worksheets/sheet1.xml']!);
  const out: Record<string, string | number> = {};
  for (const m of xml.matchAll(/<c r="([A-Z]+\d+)"([^>]*)>(.*?)<\/c>/g)) {
    out[m[1]!] = m[2]!.includes('inlineStr') ? /<t[^>]*>(.*?)<\/t>/.exec(m[3]!)![1]!.replace(/&amp;/g, '&') : Number(/<v>(.*?)<\/v>/.exec(m[3]!)![1]);
  }
  return out;
}

async function produced(): Promise<Record<string, unknown>[]> {
  await w.t.gateway.audit.flush();
  const r = await w.t.db.pool.query(`SELECT canonical::jsonb AS e FROM audit_events WHERE action = 'DATA_RETURN_PRODUCED' ORDER BY seq`);
  return r.rows.map((x) => ({ ...x.e.detail, actorKind: x.e.actor?.kind }));
}

describe('data return page', () => {
  it('shows the quarter chosen with the exact figures and a quarter picker', async () => {
    const res = await w.page('/reports/data-return?quarter=2026-Q3', coord);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('MARAC data return');
    expect(html).toContain('2026-Q3 (July to September 2026)');
    expect(cell(html, 'Cases discussed')).toBe('4');
    expect(cell(html, 'Repeat cases')).toBe('1');
    expect(cell(html, 'Children in the households')).toBe('4');
    expect(cell(html, 'Victims aged 16 or 17')).toBe('2');
    expect(cell(html, 'Victims from Black and minoritised communities')).toBe('1');
    expect(cell(html, 'LGBT+ victims')).toBe('1');
    expect(cell(html, 'Disabled victims')).toBe('1');
    expect(cell(html, 'Male victims')).toBe('2');
    expect(cell(html, 'Police')).toBe('1');
    expect(cell(html, 'IDVA service')).toBe('1');
    expect(cell(html, 'No referral recorded (opened by the coordinator)')).toBe('2');
    expect(html).toMatch(/<option value="2026-Q3" selected>/);
    expect(html).toContain('href="/reports/data-return/download?quarter=2026-Q3&amp;format=xlsx"');
    expect(html).not.toMatch(/case_[0-9a-f]{32}/);
  });

  it('refuses a quarter it cannot read: 400 with QUARTER_INVALID, as a page or as problem+json', async () => {
    const res = await w.page('/reports/data-return?quarter=2026-Q9', coord);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('QUARTER_INVALID');
    const json = await w.page('/reports/data-return?quarter=last', coord, { accept: 'application/json' });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { code: string }).code).toBe('QUARTER_INVALID');
  });

  it('is for coordinators only', async () => {
    const auditor = await w.login('auditor');
    expect((await w.page('/reports/data-return?quarter=2026-Q3', auditor)).status).toBe(403);
    expect((await w.page('/reports/dashboard', auditor)).status).toBe(403);
  });
});

describe('downloads', () => {
  it('CSV with the same figures', async () => {
    const res = await w.page('/reports/data-return/download?quarter=2026-Q3&format=csv', coord);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="marac-data-return-essex-2026-Q3.csv"');
    const lines = (await res.text()).split('\r\n');
    expect(lines[1]).toBe('essex,2026-Q3,Cases discussed,4');
    expect(lines).toContain('essex,2026-Q3,Male victims,2');
  });

  it('.xlsx that reads back cell by cell', async () => {
    const res = await w.page('/reports/data-return/download?quarter=2026-Q3&format=xlsx', coord);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const cells = sheetCells(Buffer.from(await res.arrayBuffer()));
    expect(cells.B2).toBe('essex');
    expect([cells.A7, cells.B7]).toEqual(['Cases discussed', 4]);
    expect([cells.A8, cells.B8]).toEqual(['Repeat cases', 1]);
    expect([cells.A9, cells.B9]).toEqual(['Children in the households', 4]);
    expect([cells.A10, cells.B10]).toEqual(['Victims aged 16 or 17', 2]);
    expect([cells.A14, cells.B14]).toEqual(['Male victims', 2]);
    expect([cells.A17, cells.B17]).toEqual(['Cases referred by: No referral recorded (opened by the coordinator)', 2]);
  });

  it('the regional export, counts only, small ones withheld', async () => {
    const res = await w.page('/reports/data-return/download?quarter=2026-Q3&format=regional-json', coord);
    expect(res.status).toBe(200);
    const x = (await res.json()) as { rows: { suppressed: boolean }[] };
    expect(x).toMatchObject({ format: 'marac-data-return/1', quarter: '2026-Q3', maracArea: 'essex' });
    expect(x.rows.every((r: { suppressed: boolean }) => r.suppressed)).toBe(true);
  });

  it('refuses an unknown format with REPORT_FORMAT_INVALID, audits nothing', async () => {
    const before = (await produced()).length;
    const res = await w.page('/reports/data-return/download?quarter=2026-Q3&format=docx', coord, { accept: 'application/json' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("REPORT_FORMAT_INVALID");
    expect((await produced()).length).toBe(before);
  });
});

describe('dashboard', () => {
  it('draws four accessible charts, each followed by its figures in a table', async () => {
    const res = await w.page('/reports/dashboard', coord);
    expect(res.status).toBe(200);
    const html = await res.text();
    const svgs = [...html.matchAll(/<svg [^>]*role="img" aria-labelledby="([^" ]+) ([^"]+)"/g)];
    expect(svgs).toHaveLength(4);
    for (const [, title, desc] of svgs) {
      expect(html).toContain(`<title id="${title}">`);
      expect(html).toContain(`<desc id="${desc}">`);
    }
    expect(html).not.toContain('<script src="/assets/app.js"'.replace('app.js', 'charts.js'));
    // Months of 2026 (the clock is real: December 2026): June E; July D, A, B; August A, C (a repeat); October E.
    expect(html).toMatch(/<th[^>]*>\s*July 2026\s*<\/th>\s*<td[^>]*>\s*3\s*<\/td>\s*<td[^>]*>\s*0\s*<\/td>/);
    expect(html).toMatch(/<th[^>]*>\s*August 2026\s*<\/th>\s*<td[^>]*>\s*2\s*<\/td>\s*<td[^>]*>\s*1\s*<\/td>\s*<td[^>]*>\s*50%\s*<\/td>/);
    expect(html).toMatch(/<th[^>]*>\s*12 months\s*<\/th>\s*<td[^>]*>\s*7\s*<\/td>/);
    expect(html).toContain('Overdue research answers and overdue actions per agency, today');
    // Research: the police answered in 30 hours; housing is overdue and owns an overdue action.
    expect(html).toMatch(/<th[^>]*>\s*Essex Police\s*<\/th>\s*<td[^>]*>\s*1\s*<\/td>\s*<td[^>]*>\s*30 h\s*<\/td>/);
    expect(html).toMatch(/<th[^>]*>\s*Chelmsford City Council Housing\s*<\/th>\s*<td[^>]*>\s*1\s*<\/td>\s*<td[^>]*>\s*1\s*<\/td>\s*<td[^>]*>\s*1\s*<\/td>/);
    expect(html).toMatch(/<th[^>]*>\s*Essex Police\s*<\/th>\s*<td[^>]*>\s*0\s*<\/td>\s*<td[^>]*>\s*1\s*<\/td>\s*<td[^>]*>\s*0\s*<\/td>/);
  });

  it('audits each production with its format', async () => {
    const formats = (await produced()).map((e) => e.format);
    expect(formats).toEqual(expect.arrayContaining(['html', 'csv', 'xlsx', 'regional-json', 'dashboard']));
    expect((await produced()).every((e) => e.actorKind === 'person')).toBe(true);
  });
});
