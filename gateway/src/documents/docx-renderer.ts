import {
  AlignmentType, BorderStyle, Document, Footer, Header, HeadingLevel, Packer, PageNumber, Paragraph, ShadingType, Table, TableCell,
  TableRow, TextRun, WidthType, type ParagraphChild,
} from 'docx';
import type { Block, DocumentModel, FieldRow } from './model.js';

/**
 * A document model as Word (.docx), laid out like the SafeLives templates: A4, Arial, the
 * marking and the recipient in every page's header, "page x of y" in every footer, the
 * confidentiality statement boxed on the first page, fields as two-column tables.
 */

const CONTENT_WIDTH = 11906 - 2 * 1134; // A4 width less 2 cm margins, in twentieths of a point
const GREY = 'F3F2F1';
const BORDER = { style: BorderStyle.SINGLE, size: 4, color: 'B1B4B6' } as const;
const BORDERS = { top: BORDER, bottom: BORDER, left: BORDER, right: BORDER, insideHorizontal: BORDER, insideVertical: BORDER };

/** Text with line breaks as runs (Word ignores "\n" in a run). */
function runs(text: string, opts: { bold?: boolean; italics?: boolean; size?: number } = {}): TextRun[] {
  return text.split('\n').map((line, i) => new TextRun({ text: line, ...(i > 0 ? { break: 1 } : {}), ...opts }));
}

function cell(text: string, widthTwips: number, opts: { header?: boolean; label?: boolean } = {}): TableCell {
  return new TableCell({
    width: { size: widthTwips, type: WidthType.DXA },
    margins: { top: 40, bottom: 40, left: 80, right: 80 },
    ...(opts.header ? { shading: { type: ShadingType.CLEAR, color: 'auto', fill: GREY } } : {}),
    children: [new Paragraph({ spacing: { before: 0, after: 0 }, children: runs(text, { bold: opts.header || opts.label }) })],
  });
}

function fieldsTable(rows: FieldRow[]): Table {
  const label = Math.round(CONTENT_WIDTH * 0.32);
  return new Table({
    width: { size: CONTENT_WIDTH, type: WidthType.DXA },
    columnWidths: [label, CONTENT_WIDTH - label],
    borders: BORDERS,
    rows: rows.map((r) => new TableRow({
      cantSplit: true,
      children: r.heading
        ? [new TableCell({
          columnSpan: 2,
          width: { size: CONTENT_WIDTH, type: WidthType.DXA },
          margins: { top: 40, bottom: 40, left: 80, right: 80 },
          shading: { type: ShadingType.CLEAR, color: 'auto', fill: GREY },
          children: [new Paragraph({ keepNext: true, spacing: { before: 0, after: 0 }, children: runs(r.label, { bold: true }) })],
        })]
        : [cell(r.label, label, { label: true }), cell(r.value, CONTENT_WIDTH - label)],
    })),
  });
}

function dataTable(columns: string[], rows: string[][], widths?: number[]): Table {
  const weights = widths && widths.length === columns.length ? widths : columns.map(() => 1);
  const total = weights.reduce((a, b) => a + b, 0);
  const twips = weights.map((w) => Math.floor((CONTENT_WIDTH * w) / total));
  return new Table({
    width: { size: CONTENT_WIDTH, type: WidthType.DXA },
    columnWidths: twips,
    borders: BORDERS,
    rows: [
      new TableRow({ tableHeader: true, children: columns.map((c, i) => cell(c, twips[i]!, { header: true })) }),
      ...rows.map((r) => new TableRow({ children: columns.map((_, i) => cell(r[i] ?? '', twips[i]!)) })),
    ],
  });
}

const HEADINGS = { 2: HeadingLevel.HEADING_2, 3: HeadingLevel.HEADING_3, 4: HeadingLevel.HEADING_4 } as const;

function blocks(list: Block[]): (Paragraph | Table)[] {
  const out: (Paragraph | Table)[] = [];
  for (const b of list) {
    switch (b.kind) {
      case 'heading':
        out.push(new Paragraph({ heading: HEADINGS[b.level], keepNext: true, children: runs(b.text) }));
        break;
      case 'paragraph':
        out.push(new Paragraph({
          spacing: { after: 80 },
          children: runs(b.text, { ...(b.emphasis === 'bold' ? { bold: true } : {}), ...(b.emphasis === 'italic' ? { italics: true } : {}), ...(b.emphasis === 'small' ? { size: 16 } : {}) }),
        }));
        break;
      case 'fields':
        if (b.rows.length) out.push(fieldsTable(b.rows), new Paragraph({ spacing: { after: 60 }, children: [] }));
        break;
      case 'table':
        out.push(dataTable(b.columns, b.rows, b.widths), new Paragraph({ spacing: { after: 60 }, children: [] }));
        break;
      case 'list':
        for (const item of b.items) out.push(new Paragraph({ bullet: { level: 0 }, spacing: { after: 20 }, children: runs(item) }));
        break;
    }
  }
  return out;
}

function pageHeader(m: DocumentModel): Header {
  return new Header({
    children: [
      new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun({ text: m.marking, bold: true, size: 20 })] }),
      new Paragraph({
        alignment: AlignmentType.CENTER,
        border: { bottom: BORDER },
        children: [new TextRun({ text: `Produced for ${m.recipient.name} only`, size: 16 })],
      }),
    ],
  });
}

function pageFooter(m: DocumentModel): Footer {
  const pages: ParagraphChild[] = [
    new TextRun({ text: `${m.marking} · ${m.recipient.name} · Page `, size: 16 }),
    new TextRun({ children: [PageNumber.CURRENT], size: 16 }),
    new TextRun({ text: ' of ', size: 16 }),
    new TextRun({ children: [PageNumber.TOTAL_PAGES], size: 16 }),
  ];
  return new Footer({ children: [new Paragraph({ alignment: AlignmentType.CENTER, border: { top: BORDER }, children: pages })] });
}

function confidentialityBox(text: string): Table {
  return new Table({
    width: { size: CONTENT_WIDTH, type: WidthType.DXA },
    columnWidths: [CONTENT_WIDTH],
    borders: { top: { ...BORDER, size: 12, color: '0B0C0C' }, bottom: { ...BORDER, size: 12, color: '0B0C0C' }, left: { ...BORDER, size: 12, color: '0B0C0C' }, right: { ...BORDER, size: 12, color: '0B0C0C' } },
    rows: [new TableRow({
      children: [new TableCell({
        width: { size: CONTENT_WIDTH, type: WidthType.DXA },
        margins: { top: 80, bottom: 80, left: 120, right: 120 },
        children: [
          new Paragraph({ spacing: { after: 40 }, children: [new TextRun({ text: 'Confidentiality statement', bold: true })] }),
          new Paragraph({ children: runs(text) }),
        ],
      })],
    })],
  });
}

export async function renderDocx(m: DocumentModel, opts: { now?: Date } = {}): Promise<Buffer> {
  const first: (Paragraph | Table)[] = [
    new Paragraph({ heading: HeadingLevel.HEADING_1, children: runs(m.title) }),
    new Paragraph({ spacing: { after: 120 }, children: [new TextRun({ text: `${m.marking}. Produced for ${m.recipient.name}.`, bold: true })] }),
    confidentialityBox(m.confidentiality),
    new Paragraph({ spacing: { after: 60 }, children: [] }),
    ...(m.summary.length ? [fieldsTable(m.summary), new Paragraph({ spacing: { after: 60 }, children: [] })] : []),
  ];
  const annex = m.annex
    ? [new Paragraph({ heading: HeadingLevel.HEADING_1, pageBreakBefore: true, children: runs(m.annex.title) }), ...blocks(m.annex.blocks)]
    : [];
  const doc = new Document({
    creator: 'MARAC gateway',
    title: m.title,
    description: `${m.marking}: produced for ${m.recipient.name}`,
    ...(opts.now ? { created: opts.now, modified: opts.now } : {}),
    styles: {
      default: {
        document: { run: { font: 'Arial', size: 20 }, paragraph: { spacing: { after: 40 } } },
        heading1: { run: { font: 'Arial', size: 32, bold: true, color: '0B0C0C' }, paragraph: { spacing: { before: 120, after: 120 } } },
        heading2: { run: { font: 'Arial', size: 26, bold: true, color: '0B0C0C' }, paragraph: { spacing: { before: 240, after: 80 } } },
        heading3: { run: { font: 'Arial', size: 22, bold: true, color: '0B0C0C' }, paragraph: { spacing: { before: 160, after: 60 } } },
        heading4: { run: { font: 'Arial', size: 20, bold: true, color: '0B0C0C' }, paragraph: { spacing: { before: 100, after: 40 } } },
      },
    },
    sections: [{
      properties: {
        page: {
          size: { width: 11906, height: 16838 },
          margin: { top: 1134, bottom: 1134, left: 1134, right: 1134, header: 567, footer: 567 },
        },
      },
      headers: { default: pageHeader(m) },
      footers: { default: pageFooter(m) },
      children: [...first, ...blocks(m.body), ...annex],
    }],
  });
  return Packer.toBuffer(doc);
}
