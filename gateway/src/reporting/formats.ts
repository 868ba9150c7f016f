/**
 * The data return as files: the coordinator's own table (CSV, .xlsx: exact counts) and the
 * regional export (JSON and CSV, format `marac-data-return/1`: fixed measures in a fixed order,
 * area and quarter on every row, small counts suppressed). Aggregate counts only: no case id, no
 * agency id, nothing about a person. Pure functions; decision 0020 documents the format.
 */
import type { DataReturn } from './data-return.js';
import { quarterLabel } from './quarter.js';
import { writeXlsx, type Cell } from './xlsx.js';

export const REGIONAL_FORMAT = 'marac-data-return/1';
/** Counts from 1 to SUPPRESS_BELOW - 1 are not published in the regional export. */
export const SUPPRESS_BELOW = 5;

/** The measures in their fixed order (the regional export's `measure` values). */
export const MEASURES = [
  { measure: 'cases_discussed', label: 'Cases discussed', key: 'casesDiscussed' },
  { measure: 'repeat_cases', label: 'Repeat cases', key: 'repeatCases' },
  { measure: 'children_in_households', label: 'Children in the households', key: 'childrenInHouseholds' },
  { measure: 'victims_aged_16_17', label: 'Victims aged 16 or 17', key: 'victimsAged16To17' },
  { measure: 'victims_bme', label: 'Victims from Black and minoritised communities', key: 'victimsBme' },
  { measure: 'victims_lgbt', label: 'LGBT+ victims', key: 'victimsLgbt' },
  { measure: 'victims_disabled', label: 'Disabled victims', key: 'victimsDisabled' },
  { measure: 'victims_male', label: 'Male victims', key: 'victimsMale' },
] as const;

/** The breakdown of cases by referring agency type: measure `cases_by_referring_agency_type`. */
export const BY_AGENCY_MEASURE = 'cases_by_referring_agency_type';

export type AgencyTypeLabel = (agencyType: string) => string;

/** One CSV field: quoted when it must be, and a leading = + - @ neutralised (spreadsheet formulas). */
export function csvField(v: Cell | boolean): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180: CRLF line ends, a header row first. */
export function toCsv(rows: readonly (readonly (Cell | boolean)[])[]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Repeat rate as a whole percentage of the cases discussed (null for no cases). */
export function repeatRate(r: Pick<DataReturn, 'casesDiscussed' | 'repeatCases'>): number | null {
  return r.casesDiscussed === 0 ? null : Math.round((100 * r.repeatCases) / r.casesDiscussed);
}

/** The coordinator's table: [label, count] rows, the breakdown by referring agency after. */
export function returnTable(r: DataReturn, label: AgencyTypeLabel): [string, number][] {
  return [
    ...MEASURES.map((m): [string, number] => [m.label, r[m.key]]),
    ...r.byReferringAgencyType.map((b): [string, number] => [`Cases referred by: ${label(b.agencyType)}`, b.cases]),
  ];
}

export function returnCsv(r: DataReturn, label: AgencyTypeLabel): string {
  return toCsv([
    ['MARAC area', 'Quarter', 'Measure', 'Number'],
    ...returnTable(r, label).map(([m, n]) => [r.maracArea, r.quarter.id, m, n]),
  ]);
}

export function returnXlsx(r: DataReturn, label: AgencyTypeLabel): Buffer {
  const rows: Cell[][] = [
    ['MARAC data return'],
    ['MARAC area', r.maracArea],
    ['Quarter', `${r.quarter.id} (${quarterLabel(r.quarter)})`],
    ['Period', `${r.quarter.firstDay} to ${r.quarter.lastDay}`],
    [],
    ['Measure', 'Number'],
    ...returnTable(r, label),
  ];
  return writeXlsx([{ name: 'Data return', rows, boldRows: [0, 5], widths: [58, 24] }]);
}

export interface RegionalRow {
  measure: string;
  /** The agency type for the breakdown; '' for a headline measure. */
  breakdown: string;
  /** null when suppressed. */
  value: number | null;
  suppressed: boolean;
}

export interface RegionalExport {
  format: typeof REGIONAL_FORMAT;
  maracArea: string;
  coordinatorAgencyId: string;
  quarter: string;
  periodStart: string;
  periodEnd: string;
  generatedAt: string;
  suppression: { below: number; rule: string };
  rows: RegionalRow[];
}

const SUPPRESSION_RULE = 'A count from 1 to 4 is withheld (value null, suppressed true); zero is shown. When exactly one agency type '
  + 'in the breakdown is withheld, the next smallest non-zero count of the breakdown is withheld too, so it cannot be found by subtraction from cases_discussed.';

const small = (n: number) => n > 0 && n < SUPPRESS_BELOW;

/**
 * The standard export a region combines across MARACs. Headline measures: primary suppression.
 * The breakdown by agency type adds up to cases_discussed, so a single withheld cell would be
 * recoverable: a second one is withheld (secondary suppression).
 */
export function regionalExport(r: DataReturn, generatedAt: Date): RegionalExport {
  const rows: RegionalRow[] = MEASURES.map((m) => {
    const v = r[m.key];
    return { measure: m.measure, breakdown: '', value: small(v) ? null : v, suppressed: small(v) };
  });
  const breakdown = r.byReferringAgencyType.map((b) => ({ measure: BY_AGENCY_MEASURE, breakdown: b.agencyType, value: b.cases as number | null, suppressed: small(b.cases) }));
  if (breakdown.filter((b) => b.suppressed).length === 1) {
    const next = breakdown.filter((b) => !b.suppressed && (b.value ?? 0) > 0).sort((a, b) => (a.value ?? 0) - (b.value ?? 0))[0];
    if (next) next.suppressed = true;
  }
  for (const b of breakdown) if (b.suppressed) b.value = null;
  return {
    format: REGIONAL_FORMAT,
    maracArea: r.maracArea,
    coordinatorAgencyId: r.coordinatorAgencyId,
    quarter: r.quarter.id,
    periodStart: r.quarter.firstDay,
    periodEnd: r.quarter.lastDay,
    generatedAt: generatedAt.toISOString(),
    suppression: { below: SUPPRESS_BELOW, rule: SUPPRESSION_RULE },
    rows: [...rows, ...breakdown],
  };
}

/** The regional columns, in this order, always. */
export const REGIONAL_COLUMNS = ['format', 'marac_area', 'coordinator_agency_id', 'quarter', 'period_start', 'period_end', 'measure', 'breakdown', 'value', 'suppressed'] as const;

export function regionalCsv(x: RegionalExport): string {
  return toCsv([
    [...REGIONAL_COLUMNS],
    ...x.rows.map((row) => [x.format, x.maracArea, x.coordinatorAgencyId, x.quarter, x.periodStart, x.periodEnd, row.measure, row.breakdown, row.value, row.suppressed]),
  ]);
}
