/**
 * Shared pieces of the benchmark harness: the result type every area module returns, statistics,
 * the machine description, the area registry with its prefix filter, and the generated table in
 * docs/BENCHMARKS.md (parse, merge, render). Everything here is pure except `machineInfo()`.
 */
import os from 'node:os';

/**
 * One figure. `ratio` is always value / baseline from the same run, so a reader can compare runs
 * made on different machines. `target` is optional text such as "ratio ≥ 0.35" or "≤ 2000 ms".
 */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  note?: string;
  target?: string;
}

/** What an area module (`scripts/bench/<area>.ts`) exports. Modules may ignore the options. */
export type AreaRun = (opts?: { prefix?: string }) => Promise<BenchResult[]>;

// ---------------------------------------------------------------------------------------------
// Statistics

/** Nearest-rank percentile (p in 0..100) of the values; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  if (p === 0) return sorted[0]!;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** The middle value (mean of the two middle values for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0]! : Number.NaN,
    mean: mean(sorted),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/** value / baseline, rounded; NaN when the baseline is not a positive finite number. */
export function ratioOf(value: number, baseline: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline <= 0) return Number.NaN;
  return round(value / baseline, 3);
}

/** Rounds to `digits` decimals (keeps JSON lines short without losing meaningful precision). */
export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The JSON line printed for a figure: exactly the five fields the issue asks for, in order. */
export function jsonLine(r: BenchResult): string {
  return JSON.stringify({ name: r.name, value: r.value, unit: r.unit, baseline: r.baseline, ratio: r.ratio });
}

// ---------------------------------------------------------------------------------------------
// Machine

export interface MachineInfo {
  cpus: number;
  model: string;
  memoryGb: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started: a busy machine explains a bad figure. */
  loadAvg1: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: (cpus[0]?.model ?? 'unknown cpu').replace(/\s+/g, ' ').trim(),
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.platform()}-${os.arch()}`,
    loadAvg1: round(os.loadavg()[0] ?? 0, 2),
  };
}

/** Short description for the table's machine column (with the load average the run started at). */
export function machineLabel(m: MachineInfo): string {
  return `${m.cpus}× ${m.model}, ${m.memoryGb} GB, Node ${m.node.replace(/^v/, '')}, ${m.platform}, load ${m.loadAvg1}`;
}

// ---------------------------------------------------------------------------------------------
// Areas and the prefix filter

/**
 * The area modules, in the order they run, with the prefixes of the figure names each produces.
 * A module is imported only when one of its prefixes can match the requested prefix, so
 * `npm run bench -- policy.` never starts a gateway.
 */
export const AREAS: readonly { module: string; figures: readonly string[] }[] = [
  { module: 'exchange', figures: ['exchange.ingest', 'exchange.turnaround'] },
  { module: 'load-at-80', figures: ['exchange.p99_ms_at_load', 'gateway.rss_mb_at_load'] },
  { module: 'policy', figures: ['policy.'] },
  { module: 'audit', figures: ['audit.'] },
  { module: 'adapters', figures: ['adapters.', 'adapter.'] },
  { module: 'cases', figures: ['cases.'] },
  { module: 'meetings', figures: ['meetings.'] },
  { module: 'scale', figures: ['scale.'] },
];

/** Can a figure whose name starts with `figurePrefix` have a name starting with `prefix`? */
export function prefixesOverlap(figurePrefix: string, prefix: string): boolean {
  return figurePrefix.startsWith(prefix) || prefix.startsWith(figurePrefix);
}

/** The areas worth importing for a prefix (all of them for an empty prefix). */
export function areasFor(prefix: string, areas = AREAS): string[] {
  return areas.filter((a) => a.figures.some((f) => prefixesOverlap(f, prefix))).map((a) => a.module);
}

export function matchesPrefix(name: string, prefix: string): boolean {
  return name.startsWith(prefix);
}

// ---------------------------------------------------------------------------------------------
// The generated table in docs/BENCHMARKS.md

export const START_MARKER = '<!-- bench:start -->';
export const END_MARKER = '<!-- bench:end -->';

export const COLUMNS = ['figure', 'value', 'unit', 'baseline', 'ratio', 'target', 'command', 'date', 'machine', 'note'] as const;

/** One table row; every cell is kept as text so rows we did not run this time survive unchanged. */
export type TableRow = Record<(typeof COLUMNS)[number], string>;

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return String(round(x, digits));
}

export function toRow(r: BenchResult, ctx: { date: string; machine: string }): TableRow {
  return {
    figure: r.name,
    value: formatNumber(r.value),
    unit: r.unit,
    baseline: formatNumber(r.baseline),
    ratio: formatNumber(r.ratio),
    target: r.target ?? '',
    command: `npm run bench -- ${r.name}`,
    date: ctx.date,
    machine: ctx.machine,
    note: r.note ?? '',
  };
}

function escapeCell(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** The command cell is rendered as code; this strips that again when parsing. */
function unwrapCode(s: string): string {
  const m = /^`(.*)`$/.exec(s);
  return m ? m[1]! : s;
}

function splitRow(line: string): string[] {
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\' && body[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (ch === '|') {
      cells.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  cells.push(cur.trim());
  return cells;
}

export function renderTable(rows: readonly TableRow[]): string {
  const header = `| ${COLUMNS.join(' | ')} |`;
  const rule = `|${COLUMNS.map(() => '---').join('|')}|`;
  const lines = rows.map((r) => `| ${COLUMNS.map((c) => escapeCell(c === 'command' && r[c] ? `\`${r[c]}\`` : r[c])).join(' | ')} |`);
  return [header, rule, ...lines].join('\n');
}

/** Rows of the generated section; unknown or malformed lines are ignored (the section is ours). */
export function parseTable(section: string): TableRow[] {
  const lines = section.split(/\r?\n/).filter((l) => l.trim().startsWith('|'));
  if (lines.length < 2) return [];
  const header = splitRow(lines[0]!).map((h) => h.toLowerCase());
  const rows: TableRow[] = [];
  for (const line of lines.slice(1)) {
    const cells = splitRow(line);
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    const row = Object.fromEntries(COLUMNS.map((c) => [c, ''])) as TableRow;
    header.forEach((h, i) => {
      if ((COLUMNS as readonly string[]).includes(h)) row[h as keyof TableRow] = h === 'command' ? unwrapCode(cells[i] ?? '') : cells[i] ?? '';
    });
    if (row.figure) rows.push(row);
  }
  return rows;
}

/** Fresh rows replace existing rows of the same figure; the others stay. Sorted by figure name. */
export function mergeRows(existing: readonly TableRow[], fresh: readonly TableRow[]): TableRow[] {
  const byName = new Map<string, TableRow>();
  for (const r of existing) byName.set(r.figure, r);
  for (const r of fresh) byName.set(r.figure, r);
  return [...byName.values()].sort((a, b) => (a.figure < b.figure ? -1 : a.figure > b.figure ? 1 : 0));
}

/** The text between the markers, or undefined when the document has none. */
export function generatedSection(doc: string): string | undefined {
  const s = doc.indexOf(START_MARKER);
  const e = doc.indexOf(END_MARKER);
  if (s < 0 || e < 0 || e < s) return undefined;
  return doc.slice(s + START_MARKER.length, e);
}

/**
 * Replaces the generated section of the document with the merged table (appending the section
 * when the markers are missing). Text outside the markers is never touched.
 */
export function updateDocument(doc: string, fresh: readonly TableRow[]): string {
  const section = generatedSection(doc);
  const merged = mergeRows(section === undefined ? [] : parseTable(section), fresh);
  const block = `${START_MARKER}\n${renderTable(merged)}\n${END_MARKER}`;
  if (section === undefined) return `${doc.replace(/\s*$/, '')}\n\n${block}\n`;
  const s = doc.indexOf(START_MARKER);
  const e = doc.indexOf(END_MARKER) + END_MARKER.length;
  return doc.slice(0, s) + block + doc.slice(e);
}

// ---------------------------------------------------------------------------------------------
// Command line

export interface CliArgs {
  prefix: string;
  write: boolean;
}

/** `[--no-write] [prefix]`; anything else is an error (fail closed on unknown flags). */
export function parseArgs(argv: readonly string[]): CliArgs {
  let prefix = '';
  let write = true;
  for (const a of argv) {
    if (a === '--no-write') write = false;
    else if (a === '--') continue;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a} (usage: npm run bench -- [--no-write] [prefix])`);
    else if (prefix) throw new Error('only one prefix may be given');
    else prefix = a;
  }
  return { prefix, write };
}
