import type { DisplayGroup, DisplayRow } from '../ui/view-model/released-view.js';
import type { PackView } from '../ui/view-model/pack-view.js';
import { docDate, docDateTime } from './format.js';
import { CONFIDENTIALITY_STATEMENT, MARKING, type Block, type DocumentModel, type FieldRow } from './model.js';

/**
 * The research pack as a document for one recipient: built from the pack view that recipient's
 * released pack gives (view-model/pack-view.ts), so it holds exactly what the page would show it.
 * Compact, after the SafeLives research form: status first, then each agency's latest answer
 * with its fields by label, then earlier rounds in an annex, newest first.
 */

type Section = PackView['latest'][number];
type Round = NonNullable<Section['round']>;

export interface PackDocumentOptions {
  recipient: { agencyId: string; name: string };
  producedAt: Date;
}

function roundText(r: Round | undefined): string {
  if (!r) return '';
  const what = r.identityOnly ? 'identity check only' : r.domains.toLowerCase();
  return `Round ${r.number}: asked ${docDate(r.askedAt)}, answers due ${docDateTime(r.deadline)}. ${r.purpose}; ${what}; last ${r.lookbackMonths} months.`;
}

function valueText(row: DisplayRow): string {
  const v = row.value;
  const text = v.kind === 'text' ? v.text : v.kind === 'list' ? (v.items.length ? v.items.join('\n') : 'None') : '';
  const notes = [...(row.opinion ? ['opinion'] : []), ...row.ops];
  return notes.length ? `${text} (${notes.join('; ')})` : text;
}

function groupBlocks(groups: DisplayGroup[], emptyText: string): Block[] {
  if (groups.length === 0) return [{ kind: 'paragraph', text: emptyText, emphasis: 'italic' }];
  const out: Block[] = [];
  // The groups' fields in one table, each group under a heading row; lists of records after it.
  const rows: FieldRow[] = [];
  for (const g of groups) {
    if (g.rows.length) rows.push({ label: g.heading, value: '', heading: true }, ...g.rows.map((r): FieldRow => ({ label: r.label, value: valueText(r) })));
  }
  if (rows.length) out.push({ kind: 'fields', rows });
  for (const g of groups) {
    for (const t of g.tables) {
      if (t.value.kind !== 'table') continue;
      const notes = [...(t.opinion ? ['opinion'] : []), ...t.ops];
      const title = t.label === g.heading || g.heading === 'Summary' ? t.label : `${g.heading}: ${t.label.charAt(0).toLowerCase()}${t.label.slice(1)}`;
      out.push({ kind: 'paragraph', text: `${title}${notes.length ? ` (${notes.join('; ')})` : ''}`, emphasis: 'bold' });
      if (t.value.rows.length === 0) out.push({ kind: 'paragraph', text: 'None' });
      else out.push({ kind: 'table', columns: t.value.columns.map((c) => c.label + (c.opinion ? ' (opinion)' : '')), rows: t.value.rows });
    }
  }
  return out;
}

function sectionBlocks(s: Section, recipient: string, level: 3 | 4): Block[] {
  const sub = (level + 1) as 4;
  const out: Block[] = [
    { kind: 'heading', level, text: s.agencyType && s.agencyType !== s.agencyName ? `${s.agencyName} (${s.agencyType})` : s.agencyName },
    {
      kind: 'paragraph',
      emphasis: 'small',
      text: [
        `${s.tag.text}${s.late ? ', late' : ''}${s.answeredAt ? `, answered ${docDateTime(s.answeredAt)}` : ''}.`,
        roundText(s.round),
        s.agreement ? `Released under agreement ${s.agreement}.` : '',
      ].filter(Boolean).join(' '),
    },
  ];
  if (!s.released) {
    out.push({ kind: 'paragraph', text: s.declineReason ? `The agency declined: ${s.declineReason}.` : `${s.notReleased?.text ?? 'Not released'}.` });
    return out;
  }
  for (const w of s.warnings) out.push({ kind: 'paragraph', text: `Warning: ${w}`, emphasis: 'bold' });
  for (const subject of s.subjects) {
    out.push({ kind: 'heading', level: sub, text: subject.heading });
    out.push(...groupBlocks(subject.groups, 'Nothing was released about this person.'));
    if (subject.withheld.length) {
      out.push({ kind: 'paragraph', text: `Not shown to ${recipient}`, emphasis: 'bold' });
      out.push({ kind: 'list', items: subject.withheld.map((w) => `${w.label}: ${w.reasonText}${w.byAgency ? ' (withheld by the agency)' : ''}`) });
    }
  }
  if (s.envelope.length) {
    out.push({ kind: 'heading', level: sub, text: 'The agency’s assessment' });
    out.push(...groupBlocks(s.envelope, 'Nothing released.'));
  }
  return out;
}

/** Whether two answers of one agency released the same thing, to the letter. */
function sameContent(a: Section, b: Section): boolean {
  const content = (s: Section) => JSON.stringify({
    released: s.released, notReleased: s.notReleased, declineReason: s.declineReason, envelope: s.envelope,
    subjects: s.subjects.map((x) => ({ heading: x.heading, groups: x.groups, withheld: x.withheld })),
  });
  return content(a) === content(b);
}

function statusTable(rows: { agencyName: string; tag: { text: string }; late: boolean; answeredAt: string | null; countdown?: { text: string } | undefined; declineReason?: string | undefined }[]): Block {
  return {
    kind: 'table',
    columns: ['Agency', 'Status', 'Answered'],
    widths: [4, 4, 3],
    rows: rows.map((s) => [
      s.agencyName,
      [s.tag.text, s.late ? 'late' : '', s.countdown?.text ?? '', s.declineReason ?? ''].filter(Boolean).join('; '),
      s.answeredAt ? docDateTime(s.answeredAt) : 'Not yet',
    ]),
  };
}

export function packDocument(pack: PackView, opts: PackDocumentOptions): DocumentModel {
  const recipient = opts.recipient.name;
  const body: Block[] = [];
  const latestRound = pack.rounds[0];

  if (pack.about) {
    body.push({ kind: 'heading', level: 2, text: 'Who the case is about' });
    body.push({ kind: 'fields', rows: pack.about.summary.map((r: { key: { text: string }; value: { text: string } }) => ({ label: r.key.text, value: r.value.text })) });
    for (const p of pack.about.people) {
      body.push({ kind: 'heading', level: 3, text: `${p.role}: ${p.name}` });
      body.push({ kind: 'fields', rows: p.rows.map((r: { key: { text: string }; value: { text: string } }) => ({ label: r.key.text, value: r.value.text })) });
    }
  }

  body.push({ kind: 'heading', level: 2, text: 'Research status by agency' });
  if (pack.latest.length === 0) body.push({ kind: 'paragraph', text: 'No research requests have been sent for this case yet.' });
  else body.push(statusTable(pack.latest.map((s) => ({ ...s, countdown: undefined, declineReason: s.declineReason }))));
  if (pack.refused.length) {
    body.push({ kind: 'paragraph', text: 'Not asked, because no agreement allows it', emphasis: 'bold' });
    body.push({ kind: 'list', items: pack.refused.map((r) => `${r.agencyName}${r.round ? ` (round ${r.round})` : ''}: ${r.reasonText}`) });
  }

  body.push({ kind: 'heading', level: 2, text: 'Research from each agency' });
  if (pack.latest.length === 0) body.push({ kind: 'paragraph', text: 'Nothing yet.' });
  else {
    body.push({
      kind: 'paragraph',
      text: `The latest answer from each agency${pack.earlier.length ? '; earlier rounds are in Annex A' : ''}.`,
    });
  }
  for (const s of pack.latest) body.push(...sectionBlocks(s, recipient, 3));

  let annex: DocumentModel['annex'];
  if (pack.earlier.length) {
    const blocks: Block[] = [{ kind: 'paragraph', text: 'What each agency answered in earlier rounds, newest first, besides its latest answer above.' }];
    for (const e of pack.earlier) {
      blocks.push({ kind: 'heading', level: 2, text: `Round ${e.round.number}, asked ${docDate(e.round.askedAt)} (${e.sections.length} ${e.sections.length === 1 ? 'agency' : 'agencies'})` });
      blocks.push({ kind: 'paragraph', text: roundText(e.round), emphasis: 'small' });
      const status = pack.rounds.find((r) => r.number === e.round.number)?.status ?? [];
      if (status.length) blocks.push(statusTable(status));
      for (const s of e.sections) {
        const latest = pack.latest.find((l) => l.agencyId === s.agencyId);
        if (latest?.round && latest.released && sameContent({ ...s, round: undefined }, latest)) {
          // An answer repeated word for word is said once: in the body, with its latest round.
          blocks.push({ kind: 'heading', level: 3, text: s.agencyType && s.agencyType !== s.agencyName ? `${s.agencyName} (${s.agencyType})` : s.agencyName });
          blocks.push({ kind: 'paragraph', text: `${s.tag.text}${s.answeredAt ? `, answered ${docDateTime(s.answeredAt)}` : ''}. The same as its latest answer (round ${latest.round.number}) above.` });
          continue;
        }
        blocks.push(...sectionBlocks({ ...s, round: undefined } as Section, recipient, 3));
      }
    }
    annex = { title: 'Annex A: earlier rounds', blocks };
  }

  return {
    title: 'MARAC research pack',
    recipient: opts.recipient,
    marking: MARKING,
    confidentiality: CONFIDENTIALITY_STATEMENT,
    summary: [
      { label: 'Case reference', value: pack.caseId },
      { label: 'MARAC area', value: pack.maracArea },
      { label: 'Meeting', value: docDate(pack.meetingDate) },
      { label: 'Referral criteria', value: pack.criteria.join(', ') || 'None recorded' },
      ...(latestRound ? [{ label: 'Research rounds', value: `${pack.rounds.length}; the latest asked ${docDate(latestRound.askedAt)}` }] : []),
      { label: 'Prepared', value: docDateTime(pack.generatedAt) },
      { label: 'Produced', value: `${docDateTime(opts.producedAt)}, for ${recipient}` },
    ],
    body,
    ...(annex ? { annex } : {}),
  };
}
