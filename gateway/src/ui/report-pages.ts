import type { Response } from 'express';
import type { Gateway } from '../app.js';
import { personOf } from '../identity/people-auth.js';
import type { PersonPrincipal } from '../identity/principal.js';
import { ReportFormatInvalid } from '../reporting/errors.js';
import { MEASURES, regionalCsv, regionalExport, repeatRate, returnCsv, returnXlsx } from '../reporting/formats.js';
import { agencyTypeLabel } from '../reporting/present.js';
import { previousQuarter, quarterAt, quarterLabel, recentQuarters } from '../reporting/quarter.js';
import { barChart, columnChart } from '../reporting/svg-chart.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';

/**
 * Coordinator pages for the SafeLives data return (a quarter's figures, downloads as CSV, .xlsx
 * and the regional export) and the steering group's dashboard (charts drawn on the server as SVG,
 * each with its figures in a table beside it; no script). The reporting services read and audit.
 */

export interface ReportPagesDeps {
  g: Pick<Gateway, 'reports' | 'registry'>;
  render: PageRenderer;
  now: () => Date;
}

const COORDINATOR = ['coordinator'] as const;
const DOWNLOADS = {
  csv: { type: 'text/csv; charset=utf-8', ext: 'csv', text: 'CSV' },
  xlsx: { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', ext: 'xlsx', text: 'Excel (.xlsx)' },
  'regional-json': { type: 'application/json; charset=utf-8', ext: 'json', text: 'Regional export (JSON)' },
  'regional-csv': { type: 'text/csv; charset=utf-8', ext: 'csv', text: 'Regional export (CSV)' },
} as const;
type Download = keyof typeof DOWNLOADS;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function me(res: Response): PersonPrincipal {
  return personOf(res)!;
}

function monthShort(ym: string): string {
  const [y, m] = ym.split('-').map(Number) as [number, number];
  return `${MONTHS[m - 1]} ${String(y).slice(2)}`;
}
function monthLong(ym: string): string {
  const [y, m] = ym.split('-').map(Number) as [number, number];
  return `${MONTHS_LONG[m - 1]} ${y}`;
}

export function reportPages(pages: PageRouter, deps: ReportPagesDeps): void {
  const { g, render, now } = deps;

  async function agencyNames(): Promise<(id: string) => string> {
    const names = new Map((await g.registry.listAgencies()).map((a) => [a.id, a.name]));
    return (id) => names.get(id) ?? id;
  }

  pages.get('/reports', COORDINATOR, (_req, res) => {
    render.page(res, 'reports/index.njk', { title: 'Reports', lastQuarter: previousQuarter(quarterAt(now())).id });
  });

  pages.get('/reports/data-return', COORDINATOR, async (req, res) => {
    // Default: the last complete quarter (what is returned to SafeLives).
    const quarterText = req.query.quarter === undefined ? previousQuarter(quarterAt(now())).id : req.query.quarter;
    const ret = await g.reports.dataReturn.produce(me(res), quarterText, 'html');
    const quarters = recentQuarters(now(), 8);
    if (!quarters.some((q) => q.id === ret.quarter.id)) quarters.push(ret.quarter);
    render.page(res, 'reports/data-return.njk', {
      title: 'MARAC data return',
      ret,
      quarterName: quarterLabel(ret.quarter),
      rate: repeatRate(ret),
      quarters: quarters.map((q) => ({ value: q.id, text: `${q.id} (${quarterLabel(q)})`, selected: q.id === ret.quarter.id })),
      measures: MEASURES.map((m) => ({ label: m.label, value: ret[m.key] })),
      byAgency: ret.byReferringAgencyType.map((b) => ({ label: agencyTypeLabel(b.agencyType), cases: b.cases })),
      downloads: Object.entries(DOWNLOADS).map(([format, d]) => ({ href: `/reports/data-return/download?quarter=${ret.quarter.id}&format=${format}`, text: d.text })),
    });
  });

  pages.get('/reports/data-return/download', COORDINATOR, async (req, res) => {
    const format = req.query.format;
    if (typeof format !== 'string' || !(format in DOWNLOADS)) {
      throw new ReportFormatInvalid('Choose a download format', { problems: [{ path: 'query:format', code: 'enum', message: Object.keys(DOWNLOADS).join(', ') }] });
    }
    const f = format as Download;
    const ret = await g.reports.dataReturn.produce(me(res), req.query.quarter, f);
    const name = `marac-data-return-${ret.maracArea}-${ret.quarter.id}${f.startsWith('regional') ? '-regional' : ''}.${DOWNLOADS[f].ext}`.replace(/[^A-Za-z0-9._-]/g, '_');
    const body = f === 'csv' ? returnCsv(ret, agencyTypeLabel)
      : f === 'xlsx' ? returnXlsx(ret, agencyTypeLabel)
        : f === 'regional-csv' ? regionalCsv(regionalExport(ret, now()))
          : `${JSON.stringify(regionalExport(ret, now()), null, 2)}\n`;
    res.status(200).type(DOWNLOADS[f].type).set('content-disposition', `attachment; filename="${name}"`).send(body);
  });

  pages.get('/reports/dashboard', COORDINATOR, async (_req, res) => {
    const d = await g.reports.dashboard.read(me(res));
    const names = await agencyNames();
    const agencies = d.agencies.map((a) => ({ ...a, name: names(a.agencyId) }));
    const answered = agencies.filter((a) => a.medianHours !== null);
    const busiest = d.months.reduce((b, m) => (m.cases > b.cases ? m : b), d.months[0]!);
    const first = monthLong(d.months[0]!.month);
    const last = monthLong(d.months[11]!.month);
    const charts = {
      cases: columnChart({
        id: 'chart-cases', title: `Cases discussed per month, ${first} to ${last}`,
        desc: `${d.totals.cases} cases discussed in 12 months; the most in ${monthLong(busiest.month)} (${busiest.cases}). The table below gives each month.`,
        labels: d.months.map((m) => monthShort(m.month)),
        series: [{ name: 'Cases discussed', values: d.months.map((m) => m.cases) }, { name: 'Repeat cases', values: d.months.map((m) => m.repeats) }],
      }),
      repeat: columnChart({
        id: 'chart-repeat', title: `Repeat rate per month, ${first} to ${last}`,
        desc: `Repeat cases as a share of the cases discussed each month; ${d.totals.repeatRate ?? 0}% over the 12 months. The table below gives each month.`,
        labels: d.months.map((m) => monthShort(m.month)),
        series: [{ name: 'Repeat rate', values: d.months.map((m) => m.repeatRate ?? 0) }], unit: '%',
      }),
      turnaround: barChart({
        id: 'chart-turnaround', title: 'Median research turnaround per agency, in hours',
        desc: answered.length === 0 ? 'No research was answered in the last 12 months.'
          : `Median hours from a research request reaching each agency to its answer, for ${answered.length} agencies. The table below gives each agency.`,
        labels: answered.map((a) => a.name),
        series: [{ name: 'Median hours', values: answered.map((a) => a.medianHours ?? 0) }], unit: ' h',
      }),
      overdue: barChart({
        id: 'chart-overdue', title: 'Overdue research answers and overdue actions per agency, today',
        desc: `Research answers past their deadline: ${agencies.reduce((s, a) => s + a.overdueAnswers, 0)}; open actions past their due date: ${agencies.reduce((s, a) => s + a.overdueActions, 0)}. The table below gives each agency.`,
        labels: agencies.map((a) => a.name),
        series: [{ name: 'Overdue answers', values: agencies.map((a) => a.overdueAnswers) }, { name: 'Overdue actions', values: agencies.map((a) => a.overdueActions) }],
      }),
    };
    render.page(res, 'reports/dashboard.njk', {
      title: 'Steering group dashboard',
      d,
      agencies,
      answered,
      months: d.months.map((m) => ({ ...m, label: monthLong(m.month) })),
      charts,
    });
  });
}
