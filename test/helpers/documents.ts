/**
 * Reading the documents the gateway produces, without another dependency: a .docx is a zip (the
 * central directory read by hand, entries inflated with node's zlib), a PDF's streams are
 * inflated and the text of its TJ/Tj operators read back (pdfkit's standard fonts: WinAnsi).
 */
import { inflateRawSync, inflateSync } from 'node:zlib';

export function unzip(buf: Buffer): Map<string, Buffer> {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const entries = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let n = 0; n < entries; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataAt, dataAt + size);
    out.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

const XML_ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };

/** The text of a part: each paragraph a line, runs joined. */
function xmlText(xml: string): string {
  return xml
    .replace(/<w:tab\/>/g, '\t')
    .replace(/<w:br\/>/g, '\n')
    .replace(/<\/w:p>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(lt|gt|amp|quot|apos);/g, (e) => XML_ENTITIES[e]!);
}

export interface DocxContents {
  body: string;
  headers: string[];
  footers: string[];
  /** Body, headers and footers. */
  all: string;
  files: string[];
}

export function docxText(buf: Buffer): DocxContents {
  const files = unzip(buf);
  const body = xmlText(files.get('word/document.xml')?.toString('utf8') ?? '');
  const part = (re: RegExp) => [...files.keys()].filter((k) => re.test(k)).map((k) => xmlText(files.get(k)!.toString('utf8')));
  const headers = part(/^word\/header\d*\.xml$/);
  const footers = part(/^word\/footer\d*\.xml$/);
  return { body, headers, footers, all: [...headers, body, ...footers].join('\n'), files: [...files.keys()] };
}

const WIN_ANSI_HIGH: Record<number, string> = {
  0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡', 0x88: 'ˆ', 0x89: '‰', 0x8a: 'Š', 0x8b: '‹', 0x8c: 'Œ',
  0x8e: 'Ž', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•', 0x96: '–', 0x97: '—', 0x98: '˜', 0x99: '™', 0x9a: 'š', 0x9b: '›',
  0x9c: 'œ', 0x9e: 'ž', 0x9f: 'Ÿ',
};

function decodeBytes(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) s += WIN_ANSI_HIGH[b] ?? String.fromCharCode(b);
  return s;
}

function pdfString(token: string): string {
  if (token.startsWith('<')) return decodeBytes(Buffer.from(token.slice(1, -1).replace(/\s+/g, ''), 'hex'));
  // (literal) with escapes
  const inner = token.slice(1, -1).replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_m, e: string) => {
    const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '(': '(', ')': ')', '\\': '\\' };
    return map[e] ?? String.fromCharCode(parseInt(e, 8));
  });
  return decodeBytes(Buffer.from(inner, 'latin1'));
}

/** Every stream of the file, inflated when it is FlateDecode. */
function streams(buf: Buffer): string[] {
  const out: string[] = [];
  const text = buf.toString('latin1');
  const re = /<<((?:(?!>>\s*stream)[\s\S])*)>>\s*stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const start = m.index + m[0].length;
    const lengthMatch = /\/Length (\d+)/.exec(m[1]!);
    const end = lengthMatch ? start + Number(lengthMatch[1]) : text.indexOf('endstream', start);
    const raw = buf.subarray(start, end);
    try {
      out.push((/\/FlateDecode/.test(m[1]!) ? inflateSync(raw) : raw).toString('latin1'));
    } catch {
      // not a content stream we can read (fonts, images)
    }
    re.lastIndex = end;
  }
  return out;
}

export interface PdfContents {
  pages: number;
  /** One line per text operator, in the order written (header and footer after each page's body). */
  lines: string[];
  text: string;
}

export function pdfText(buf: Buffer): PdfContents {
  if (buf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error('not a PDF');
  const src = buf.toString('latin1');
  const pages = (src.match(/\/Type \/Page(?!s)\b/g) ?? []).length;
  const lines: string[] = [];
  for (const s of streams(buf)) {
    const ops = /\[((?:<[0-9a-fA-F\s]*>|\((?:\\.|[^\\)])*\)|[-\d.\s])*)\]\s*TJ|(<[0-9a-fA-F\s]*>|\((?:\\.|[^\\)])*\))\s*Tj/g;
    let m: RegExpExecArray | null;
    while ((m = ops.exec(s))) {
      if (m[2]) lines.push(pdfString(m[2]));
      else lines.push([...m[1]!.matchAll(/<[0-9a-fA-F\s]*>|\((?:\\.|[^\\)])*\)/g)].map((t) => pdfString(t[0])).join(''));
    }
  }
  return { pages, lines, text: lines.join('\n') };
}
