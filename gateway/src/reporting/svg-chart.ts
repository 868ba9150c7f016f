/**
 * Charts drawn on the server as SVG, accessible without script: role="img", a <title> and a
 * <desc> that say what the chart shows in words (the page puts the same figures in a table beside
 * it). Every text is escaped; the output is a string the page template marks safe. Pure.
 */

export interface Series {
  name: string;
  values: number[];
  /** One of the two palette colours (GOV.UK blue, orange), chosen by position. */
}

export interface ChartInput {
  /** Unique within the page: the ids of the title and description derive from it. */
  id: string;
  title: string;
  desc: string;
  labels: string[];
  series: Series[];
  /** Appended to values drawn on the bars, e.g. "%" or " h". */
  unit?: string;
}

const COLOURS = ['#1d70b8', '#d4351c'];
const TEXT = '#0b0c0c';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function head(c: ChartInput, width: number, height: number): string {
  const id = escapeXml(c.id);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" font-family="Arial, Helvetica, sans-serif">`
    + `<title id="${id}-title">${escapeXml(c.title)}</title><desc id="${id}-desc">${escapeXml(c.desc)}</desc>`;
}

function legend(c: ChartInput, y: number): string {
  if (c.series.length < 2) return '';
  return c.series.map((s, i) => `<rect x="${10 + i * 200}" y="${y}" width="14" height="14" fill="${COLOURS[i % 2]}"/>`
    + `<text x="${30 + i * 200}" y="${y + 12}" font-size="14" fill="${TEXT}">${escapeXml(s.name)}</text>`).join('');
}

/** Vertical columns, one group per label (months along the bottom). */
export function columnChart(c: ChartInput): string {
  const width = 640;
  const plotTop = c.series.length > 1 ? 40 : 20;
  const plotHeight = 200;
  const height = plotTop + plotHeight + 50;
  const max = Math.max(1, ...c.series.flatMap((s) => s.values));
  const groupWidth = (width - 20) / Math.max(1, c.labels.length);
  const barWidth = Math.max(4, (groupWidth - 8) / c.series.length);
  const base = plotTop + plotHeight;
  let out = head(c, width, height) + legend(c, 8);
  out += `<line x1="10" y1="${base}" x2="${width - 10}" y2="${base}" stroke="${TEXT}" stroke-width="1"/>`;
  c.labels.forEach((label, i) => {
    const x0 = 10 + i * groupWidth + 4;
    c.series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      const h = Math.round((v / max) * (plotHeight - 20));
      const x = x0 + k * barWidth;
      out += `<rect x="${x.toFixed(1)}" y="${base - h}" width="${(barWidth - 2).toFixed(1)}" height="${h}" fill="${COLOURS[k % 2]}"/>`;
      out += `<text x="${(x + (barWidth - 2) / 2).toFixed(1)}" y="${base - h - 4}" font-size="12" text-anchor="middle" fill="${TEXT}">${fmt(v)}${escapeXml(c.unit ?? '')}</text>`;
    });
    out += `<text x="${(x0 + (groupWidth - 8) / 2).toFixed(1)}" y="${base + 18}" font-size="12" text-anchor="middle" fill="${TEXT}">${escapeXml(label)}</text>`;
  });
  return `${out}</svg>`;
}

/** Horizontal bars, one group per label (agencies down the side). */
export function barChart(c: ChartInput): string {
  const width = 640;
  const labelWidth = 230;
  const top = c.series.length > 1 ? 34 : 6;
  const rowHeight = 14 + 16 * c.series.length;
  const height = top + Math.max(1, c.labels.length) * rowHeight + 10;
  const max = Math.max(1, ...c.series.flatMap((s) => s.values));
  const plot = width - labelWidth - 60;
  let out = head(c, width, height) + legend(c, 8);
  c.labels.forEach((label, i) => {
    const y0 = top + i * rowHeight;
    out += `<text x="${labelWidth - 8}" y="${y0 + 14 + 8 * (c.series.length - 1)}" font-size="13" text-anchor="end" fill="${TEXT}">${escapeXml(label.length > 34 ? `${label.slice(0, 33)}…` : label)}</text>`;
    c.series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      const w = Math.round((v / max) * plot);
      const y = y0 + 4 + k * 16;
      out += `<rect x="${labelWidth}" y="${y}" width="${w}" height="14" fill="${COLOURS[k % 2]}"/>`;
      out += `<text x="${labelWidth + w + 4}" y="${y + 12}" font-size="12" fill="${TEXT}">${fmt(v)}${escapeXml(c.unit ?? '')}</text>`;
    });
  });
  return `${out}</svg>`;
}
