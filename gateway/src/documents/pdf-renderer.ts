import PDFDocument from 'pdfkit';
import type { Block, DocumentModel, FieldRow } from './model.js';

/**
 * A document model as PDF (pdfkit), the same layout as the Word copy: A4, the marking and the
 * recipient at the top of every page, "page x of y" at the bottom, the confidentiality
 * statement boxed on the first page, fields as two-column tables that break between rows.
 *
 * The standard Helvetica needs no font file, so text is kept to what its encoding (WinAnsi)
 * can show: accented letters it lacks lose the accent, anything else becomes "?" (decision 0019).
 */

const MARGIN = 56; // 2 cm
const TOP = 76; // room for the page header
const BOTTOM = 64; // room for the footer
const LINE = '#b1b4b6';
const GREY = '#f3f2f1';
const PAD = 3;
const SIZE = { body: 9.5, small: 8, h1: 16, h2: 13, h3: 11, h4: 10 } as const;

/** Characters WinAnsi has beyond Latin-1. */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
/** Letters that do not decompose to a base letter plus an accent. */
const FALLBACK: Record<string, string> = { 'Ł': 'L', 'ł': 'l', 'Đ': 'D', 'đ': 'd', 'ı': 'i', 'Ħ': 'H', 'ħ': 'h', 'Ŧ': 'T', 'ŧ': 't', '‐': '-', '‑': '-', '−': '-', ' ': ' ' };

export function winAnsi(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\n' || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(ch)) {
      out += ch;
      continue;
    }
    if (FALLBACK[ch]) {
      out += FALLBACK[ch];
      continue;
    }
    const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    out += base && [...base].every((c) => c.charCodeAt(0) < 0x7f) ? base : '?';
  }
  return out;
}

type Doc = PDFKit.PDFDocument;

interface Ctx {
  doc: Doc;
  width: number;
}

function bottomLimit(doc: Doc): number {
  return doc.page.height - BOTTOM;
}

function ensureRoom(ctx: Ctx, height: number): void {
  if (ctx.doc.y + height > bottomLimit(ctx.doc)) ctx.doc.addPage();
}

function font(doc: Doc, bold: boolean, size: number): Doc {
  return doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(size);
}

function heading(ctx: Ctx, text: string, size: number): void {
  const { doc } = ctx;
  font(doc, true, size);
  const h = doc.heightOfString(winAnsi(text), { width: ctx.width });
  // Keep a heading with at least a few lines of what follows it.
  ensureRoom(ctx, h + size * 3 + 30);
  doc.moveDown(0.4);
  doc.text(winAnsi(text), MARGIN, doc.y, { width: ctx.width });
  doc.moveDown(0.25);
}

function paragraph(ctx: Ctx, text: string, emphasis?: 'bold' | 'italic' | 'small'): void {
  const { doc } = ctx;
  if (emphasis === 'italic') doc.font('Helvetica-Oblique').fontSize(SIZE.body);
  else font(doc, emphasis === 'bold', emphasis === 'small' ? SIZE.small : SIZE.body);
  ensureRoom(ctx, doc.currentLineHeight(true) * 2);
  doc.text(winAnsi(text), MARGIN, doc.y, { width: ctx.width });
  doc.moveDown(0.3);
}

/** One table row: cells wrap, the row moves to a new page whole (a row taller than a page flows). */
function row(ctx: Ctx, cells: string[], widths: number[], shade: boolean[], bold: boolean[]): void {
  const { doc } = ctx;
  const heights = cells.map((c, i) => font(doc, bold[i]!, SIZE.body).heightOfString(winAnsi(c), { width: widths[i]! - 2 * PAD }));
  const h = Math.max(...heights, doc.currentLineHeight(true)) + 2 * PAD;
  const usable = bottomLimit(doc) - TOP;
  if (h > usable) {
    // Too tall for any page: the row as label then flowing text.
    for (let i = 0; i < cells.length; i++) {
      font(doc, bold[i]!, SIZE.body).text(winAnsi(cells[i]!), MARGIN, doc.y, { width: ctx.width });
    }
    doc.moveDown(0.3);
    return;
  }
  if (doc.y + h > bottomLimit(doc)) doc.addPage();
  const y = doc.y;
  let x = MARGIN;
  cells.forEach((c, i) => {
    const w = widths[i]!;
    if (shade[i]) doc.save().rect(x, y, w, h).fill(GREY).restore();
    doc.save().lineWidth(0.5).strokeColor(LINE).rect(x, y, w, h).stroke().restore();
    doc.fillColor('#0b0c0c');
    font(doc, bold[i]!, SIZE.body).text(winAnsi(c), x + PAD, y + PAD, { width: w - 2 * PAD });
    x += w;
  });
  doc.x = MARGIN;
  doc.y = y + h;
}

function fields(ctx: Ctx, rows: FieldRow[]): void {
  const label = Math.round(ctx.width * 0.32);
  for (const r of rows) {
    if (r.heading) row(ctx, [r.label], [ctx.width], [true], [true]);
    else row(ctx, [r.label, r.value], [label, ctx.width - label], [false, false], [true, false]);
  }
  ctx.doc.moveDown(0.5);
}

function table(ctx: Ctx, columns: string[], rows: string[][], weights?: number[]): void {
  const w = weights && weights.length === columns.length ? weights : columns.map(() => 1);
  const total = w.reduce((a, b) => a + b, 0);
  const widths = w.map((x) => (ctx.width * x) / total);
  const head = () => row(ctx, columns, widths, columns.map(() => true), columns.map(() => true));
  ensureRoom(ctx, 40);
  head();
  for (const r of rows) {
    // A row that moves to a new page gets the column headings again above it.
    const cells = columns.map((_, i) => r[i] ?? '');
    const heights = cells.map((c, i) => font(ctx.doc, false, SIZE.body).heightOfString(winAnsi(c), { width: widths[i]! - 2 * PAD }));
    if (ctx.doc.y + Math.max(...heights) + 2 * PAD > bottomLimit(ctx.doc)) {
      ctx.doc.addPage();
      head();
    }
    row(ctx, cells, widths, cells.map(() => false), cells.map(() => false));
  }
  ctx.doc.moveDown(0.5);
}

function list(ctx: Ctx, items: string[]): void {
  const { doc } = ctx;
  font(doc, false, SIZE.body);
  for (const item of items) {
    ensureRoom(ctx, doc.currentLineHeight(true));
    doc.text(`•  ${winAnsi(item)}`, MARGIN + 8, doc.y, { width: ctx.width - 8 });
  }
  doc.moveDown(0.3);
}

function blocks(ctx: Ctx, list_: Block[]): void {
  const sizes = { 2: SIZE.h2, 3: SIZE.h3, 4: SIZE.h4 } as const;
  for (const b of list_) {
    if (b.kind === 'heading') heading(ctx, b.text, sizes[b.level]);
    else if (b.kind === 'paragraph') paragraph(ctx, b.text, b.emphasis);
    else if (b.kind === 'fields') { if (b.rows.length) fields(ctx, b.rows); }
    else if (b.kind === 'table') table(ctx, b.columns, b.rows, b.widths);
    else list(ctx, b.items);
  }
}

function confidentiality(ctx: Ctx, text: string): void {
  const { doc } = ctx;
  const inner = ctx.width - 16;
  const titleH = font(doc, true, SIZE.body).heightOfString('Confidentiality statement', { width: inner });
  const bodyH = font(doc, false, SIZE.body).heightOfString(winAnsi(text), { width: inner });
  const h = titleH + bodyH + 20;
  const y = doc.y;
  doc.save().lineWidth(2).strokeColor('#0b0c0c').rect(MARGIN, y, ctx.width, h).stroke().restore();
  font(doc, true, SIZE.body).text('Confidentiality statement', MARGIN + 8, y + 8, { width: inner });
  doc.moveDown(0.2);
  font(doc, false, SIZE.body).text(winAnsi(text), MARGIN + 8, doc.y, { width: inner });
  doc.x = MARGIN;
  doc.y = y + h + 10;
}

/** The header and footer of every page, written once the page count is known. */
function decorate(doc: Doc, m: DocumentModel): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const saved = { ...doc.page.margins };
    doc.page.margins = { top: 0, bottom: 0, left: 0, right: 0 };
    const width = doc.page.width - 2 * MARGIN;
    doc.fillColor('#0b0c0c');
    font(doc, true, 10).text(m.marking, MARGIN, 24, { width, align: 'center', lineBreak: false });
    font(doc, false, SIZE.small).text(winAnsi(`Produced for ${m.recipient.name} only`), MARGIN, 38, { width, align: 'center', lineBreak: false });
    doc.save().lineWidth(0.5).strokeColor(LINE).moveTo(MARGIN, 52).lineTo(doc.page.width - MARGIN, 52).stroke().restore();
    const fy = doc.page.height - BOTTOM + 20;
    doc.save().lineWidth(0.5).strokeColor(LINE).moveTo(MARGIN, fy - 6).lineTo(doc.page.width - MARGIN, fy - 6).stroke().restore();
    font(doc, false, SIZE.small).text(winAnsi(`${m.marking} · ${m.recipient.name} · Page ${i - range.start + 1} of ${range.count}`), MARGIN, fy, { width, align: 'center', lineBreak: false });
    doc.page.margins = saved;
  }
}

export interface PdfOptions {
  now?: Date;
  /** Uncompressed content streams (tests read the text). */
  compress?: boolean;
}

export function renderPdf(m: DocumentModel, opts: PdfOptions = {}): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: TOP, bottom: BOTTOM, left: MARGIN, right: MARGIN },
    bufferPages: true,
    compress: opts.compress ?? true,
    info: {
      Title: winAnsi(m.title),
      Subject: winAnsi(`${m.marking}: produced for ${m.recipient.name}`),
      Creator: 'MARAC gateway',
      Producer: 'MARAC gateway',
      ...(opts.now ? { CreationDate: opts.now } : {}),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const ctx: Ctx = { doc, width: doc.page.width - 2 * MARGIN };
  doc.fillColor('#0b0c0c');
  font(doc, true, SIZE.h1).text(winAnsi(m.title), MARGIN, doc.y, { width: ctx.width });
  doc.moveDown(0.3);
  font(doc, true, SIZE.body).text(winAnsi(`${m.marking}. Produced for ${m.recipient.name}.`), { width: ctx.width });
  doc.moveDown(0.5);
  confidentiality(ctx, m.confidentiality);
  if (m.summary.length) fields(ctx, m.summary);
  blocks(ctx, m.body);
  if (m.annex) {
    doc.addPage();
    font(doc, true, SIZE.h1).text(winAnsi(m.annex.title), MARGIN, doc.y, { width: ctx.width });
    doc.moveDown(0.3);
    blocks(ctx, m.annex.blocks);
  }
  decorate(doc, m);
  doc.end();
  return done;
}
