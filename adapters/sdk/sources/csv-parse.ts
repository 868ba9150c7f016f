/**
 * A small, strict CSV parser (RFC 4180): fields separated by commas, records by CRLF or LF, fields
 * in double quotes may hold commas, newlines and doubled quotes (`""`). A leading byte-order mark is
 * dropped; a final line break does not make an empty record. A quote inside an unquoted field, text
 * after a closing quote, or an unterminated quote is an error naming the line (never the content).
 */
import { AgencyDataInvalid } from '../errors.js';

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false; // inside quotes
  let wasQuoted = false; // the current field was quoted (and closed)
  let line = 1;
  let fieldStarted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endField = () => {
    row.push(field);
    field = '';
    wasQuoted = false;
    fieldStarted = false;
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          wasQuoted = true;
        }
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === ',') {
      endField();
      continue;
    }
    if (ch === '\r' && text[i + 1] === '\n') continue;
    if (ch === '\n' || ch === '\r') {
      endRow();
      line++;
      continue;
    }
    if (wasQuoted) throw new AgencyDataInvalid(`CSV line ${line}: text after a closing quote`);
    if (ch === '"') {
      if (fieldStarted) throw new AgencyDataInvalid(`CSV line ${line}: a quote inside an unquoted field`);
      quoted = true;
      fieldStarted = true;
      continue;
    }
    fieldStarted = true;
    field += ch;
  }
  if (quoted) throw new AgencyDataInvalid(`CSV line ${line}: a quoted field is not closed`);
  if (fieldStarted || wasQuoted || row.length) endRow();
  return rows;
}

/** Records as objects keyed by the header row; a record with a different number of fields is an error. */
export function parseCsvObjects(text: string): { header: string[]; records: Record<string, string>[] } {
  const rows = parseCsv(text);
  const header = (rows.shift() ?? []).map((h) => h.trim());
  if (!header.length || header.some((h) => !h)) throw new AgencyDataInvalid('CSV header row missing or has an empty column name');
  if (new Set(header).size !== header.length) throw new AgencyDataInvalid('CSV header row names a column twice');
  const records = rows.map((r, n) => {
    if (r.length === 1 && r[0] === '') return null; // a blank line
    if (r.length !== header.length) throw new AgencyDataInvalid(`CSV record ${n + 1}: ${r.length} fields, the header has ${header.length}`);
    return Object.fromEntries(header.map((h, j) => [h, r[j]!]));
  }).filter((r): r is Record<string, string> => r !== null);
  return { header, records };
}

/** One CSV field, quoted when it must be (for writers: tests, exports). */
export function csvField(v: string | null | undefined): string {
  const s = v ?? '';
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly Record<string, string | null | undefined>[]): string {
  return [header.map(csvField).join(','), ...rows.map((r) => header.map((h) => csvField(r[h])).join(','))].join('\r\n') + '\r\n';
}
