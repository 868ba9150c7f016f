/**
 * The neutral document model (docs/decisions/0019): what a Word or PDF document says, built once
 * from a released view and handed to both renderers, so the .docx and the .pdf cannot disagree.
 * Plain data: no Express, no database, no renderer.
 */

export const MARKING = 'OFFICIAL-SENSITIVE';

/** After SafeLives' MARAC templates: said on the first page of every document. */
export const CONFIDENTIALITY_STATEMENT =
  'This document is confidential. It was produced for the agency named above, from what the '
  + 'information sharing agreement releases to it, for the purposes of the MARAC only. Do not copy, '
  + 'forward or disclose it, in whole or in part, outside that agency without the agreement of the '
  + 'MARAC coordinator. Information in it must not be used for any other purpose, and must not be '
  + 'disclosed to the victim or the perpetrator without the agreement of the agency that provided it. '
  + 'Store it securely and destroy it when it is no longer needed.';

export interface FieldRow {
  label: string;
  value: string;
  /** A sub-heading row across both columns (the label is its text). */
  heading?: boolean;
}

export type Block =
  | { kind: 'heading'; level: 2 | 3 | 4; text: string }
  | { kind: 'paragraph'; text: string; emphasis?: 'bold' | 'italic' | 'small' }
  /** A two-column key-value table: label, value. */
  | { kind: 'fields'; rows: FieldRow[] }
  /** A table with a header row; `widths` are relative column widths (default equal). */
  | { kind: 'table'; columns: string[]; rows: string[][]; widths?: number[] }
  | { kind: 'list'; items: string[] };

export interface DocumentModel {
  /** The document's title (first page heading, the file's metadata). Never personal data. */
  title: string;
  /** Who the document was produced for: the header of every page. */
  recipient: { agencyId: string; name: string };
  marking: typeof MARKING;
  confidentiality: string;
  /** Facts shown under the title: case, meeting, produced at. */
  summary: FieldRow[];
  body: Block[];
  /** Earlier rounds and other material that would crowd the body, after it under its own title. */
  annex?: { title: string; blocks: Block[] };
}

export type DocumentFormat = 'docx' | 'pdf';
export const DOCUMENT_FORMATS: readonly DocumentFormat[] = ['docx', 'pdf'];

export const CONTENT_TYPES: Record<DocumentFormat, string> = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pdf: 'application/pdf',
};

/** Every text a document model holds, in reading order (for tests and for the digest). */
export function modelText(m: DocumentModel): string[] {
  const out: string[] = [m.title, m.marking, m.recipient.name, m.confidentiality];
  for (const r of m.summary) out.push(r.label, r.value);
  const blocks = [...m.body, ...(m.annex ? [{ kind: 'heading' as const, level: 2 as const, text: m.annex.title }, ...m.annex.blocks] : [])];
  for (const b of blocks) {
    if (b.kind === 'heading' || b.kind === 'paragraph') out.push(b.text);
    else if (b.kind === 'fields') for (const r of b.rows) out.push(r.label, r.value);
    else if (b.kind === 'table') out.push(...b.columns, ...b.rows.flat());
    else out.push(...b.items);
  }
  return out;
}
