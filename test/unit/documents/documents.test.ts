/**
 * The Word and PDF documents from one model (gateway/src/documents): the marking and the
 * recipient on every page, the confidentiality statement, the pack's latest answers first and
 * earlier rounds in an annex, and each agency's minutes holding only what its release holds.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderDocx } from '../../../gateway/src/documents/docx-renderer.js';
import { minutesDocument } from '../../../gateway/src/documents/minutes-document.js';
import { CONFIDENTIALITY_STATEMENT, modelText } from '../../../gateway/src/documents/model.js';
import { packDocument } from '../../../gateway/src/documents/pack-document.js';
import { renderPdf, winAnsi } from '../../../gateway/src/documents/pdf-renderer.js';
import { releaseMinutes } from '../../../gateway/src/meetings/release.js';
import type { CaseAction, MinutesDocument } from '../../../gateway/src/meetings/types.js';
import { fieldCatalog } from '../../../gateway/src/schema/catalog.js';
import { packView } from '../../../gateway/src/ui/view-model/pack-view.js';
import { docxText, pdfText } from '../../helpers/documents.js';
import { decideFor, engineRedact, now, partyOf, subject } from '../meetings/release-helpers.js';
import { agencyName, ninePackTwoRounds } from './pack-fixture.js';

const catalog = fieldCatalog();
const producedAt = new Date('2026-12-10T10:30:00Z');
const coordinator = { agencyId: 'essex-marat', name: 'Essex MARAT coordinator' };

function ninePackDocument(differ: 'police' | 'all' = 'police') {
  const view = packView(ninePackTwoRounds(differ), { catalog, agencyName, now });
  return packDocument(view, { recipient: coordinator, producedAt });
}

describe('research pack document (9 agencies, two rounds)', () => {
  it('puts the latest answers in the body and the earlier round in Annex A', () => {
    const m = ninePackDocument();
    const bodyHeadings = m.body.filter((b) => b.kind === 'heading' && b.level === 3).map((b) => (b as { text: string }).text);
    expect(bodyHeadings).toHaveLength(9);
    expect(bodyHeadings[0]).toContain('Essex Police');
    expect(m.annex?.title).toBe('Annex A: earlier rounds');
    expect(modelText(m).join('\n')).toContain('Round 1, asked 10 November 2026 (9 agencies)');
    // Fields by label, not by path.
    const text = modelText(m).join('\n');
    expect(text).toContain('Incidents (12 months)');
    expect(text).not.toContain('incidentCount12m');
  });

  it('as .docx: a zip whose document, headers and footers carry the marking, the recipient, page x of y and the statement', async () => {
    const buf = await renderDocx(ninePackDocument(), { now: producedAt });
    expect(buf.subarray(0, 2).toString('latin1')).toBe('PK');
    const d = docxText(buf);
    expect(d.headers.join('\n')).toContain('OFFICIAL-SENSITIVE');
    expect(d.headers.join('\n')).toContain('Produced for Essex MARAT coordinator only');
    expect(d.footers.join('\n')).toContain('Page');
    expect(d.files.some((f) => f.startsWith('word/footer'))).toBe(true);
    const xml = (await import('../../helpers/documents.js')).unzip(buf).get(d.files.find((f) => f.startsWith('word/footer'))!)!.toString();
    expect(xml).toContain('PAGE');
    expect(xml).toContain('NUMPAGES');
    expect(d.body).toContain('MARAC research pack');
    expect(d.body).toContain('Confidentiality statement');
    expect(d.body).toContain(CONFIDENTIALITY_STATEMENT.slice(0, 60));
    expect(d.body).toContain('Research from each agency');
    expect(d.body).toContain('Annex A: earlier rounds');
    expect(d.body.indexOf('Research from each agency')).toBeLessThan(d.body.indexOf('Annex A: earlier rounds'));
  });

  it('as PDF: parses, every page marked with the recipient and "page x of y", a sensible number of pages', async () => {
    const m = ninePackDocument();
    const buf = await renderPdf(m, { now: producedAt, compress: false });
    const p = pdfText(buf);
    expect(p.pages).toBeGreaterThan(1);
    for (let i = 1; i <= p.pages; i++) expect(p.text).toContain(`Page ${i} of ${p.pages}`);
    expect(p.lines.filter((l) => l === 'OFFICIAL-SENSITIVE')).toHaveLength(p.pages);
    expect(p.text).toContain('Confidentiality statement');
    expect(p.text).toContain('Annex A: earlier rounds');
    // The compressed file the routes send reads the same.
    const compressed = pdfText(await renderPdf(m, { now: producedAt }));
    expect(compressed.pages).toBe(p.pages);
    expect(compressed.text).toContain('Annex A: earlier rounds');
    mkdirSync('test-results/documents', { recursive: true });
    writeFileSync('test-results/documents/pack-9-agencies-2-rounds.pdf', buf);
    writeFileSync('test-results/documents/pack-9-agencies-2-rounds.docx', await renderDocx(m));
    const worst = pdfText(await renderPdf(ninePackDocument('all'), { compress: false }));
    writeFileSync('test-results/documents/pack-9-agencies-2-rounds-all-differ.pdf', await renderPdf(ninePackDocument('all')));
    console.log(`pack of 9 agencies and 2 rounds: ${p.pages} PDF pages (one agency's answer changed between rounds); ${worst.pages} when every answer changed`);
    expect(p.pages).toBeLessThan(worst.pages);
    expect(worst.pages).toBeLessThanOrEqual(30);
    // Repeated answers are said once.
    expect(p.text).toContain('The same as its latest answer (round 2) above.');
  });

  it('PDF text outside WinAnsi is kept readable', () => {
    expect(winAnsi('Zoë Łukasz — “x” ✓')).toBe('Zoë Lukasz — “x” ?');
  });
});

describe('minutes document per agency', () => {
  const subjects = [subject('sub_victim', 'VICTIM'), subject('sub_perp', 'PERPETRATOR')];
  const minutes: MinutesDocument = {
    victimVoice: 'She wants the locks changed before he is released.',
    risks: 'Escalating threats by text message.',
    decisions: 'Police to flag the address; housing to expedite the transfer.',
    crimesDisclosed: 'Breach of a non-molestation order.',
    notShared: [{ what: 'The refuge phone number', why: 'Safety: only IDVA holds it' }],
  };
  const action = (id: string, owner: string, description: string, over: Partial<CaseAction> = {}): CaseAction => ({
    id, caseId: 'cas_1', meetingId: 'mtg_1', kind: 'ACTION', ownerAgencyId: owner, dueOn: '2026-12-20', status: 'OPEN', description, updates: [], ...over,
  });
  const actions = [
    action('act_1', 'essex-police', 'Place a marker on the address.'),
    action('act_2', 'chelmsford-housing', 'Expedite the management transfer.', { status: 'NOT_POSSIBLE_CHANGE' }),
    action('act_3', 'safe-steps-idva', 'Tell the survivor the outcome.', { kind: 'SURVIVOR_FEEDBACK' }),
  ];
  const meeting = { id: 'mtg_1', maracArea: 'Essex', startsAt: '2026-12-16T10:00:00.000Z', chair: 'DI Example' };

  function docFor(t: 'POLICE' | 'HOUSING') {
    const to = partyOf(t);
    const r = releaseMinutes({ decision: decideFor(to), redact: engineRedact, now, recipientAgencyId: to.agencyId, subjects, caseId: 'cas_1', meetingId: 'mtg_1', minutes, actions });
    return minutesDocument({ meeting, released: r.released, recipient: { agencyId: to.agencyId, name: agencyName(to.agencyId) }, agencyName, producedAt });
  }

  it('housing’s copy has no victim’s voice (withheld, said so); police’s has it', async () => {
    const housing = docxText(await renderDocx(docFor('HOUSING')));
    const police = docxText(await renderDocx(docFor('POLICE')));
    for (const d of [housing, police]) {
      expect(d.all).toContain('OFFICIAL-SENSITIVE');
      expect(d.body).toContain('Action plan');
      expect(d.body).toContain('Decisions');
      expect(d.body).toContain('Police to flag the address');
    }
    expect(police.body).toContain('She wants the locks changed');
    expect(police.body).toContain('Breach of a non-molestation order');
    expect(housing.body).not.toContain('She wants the locks changed');
    expect(housing.body).not.toContain('Breach of a non-molestation order');
    expect(housing.body).not.toContain('Place a marker');
    expect(housing.body).toContain('Expedite the management transfer');
    expect(housing.body).toContain('Not shown to Chelmsford City Council Housing');
    expect(housing.body).toContain('Victim’s voice (presented by the IDVA): Not released by the agreement');
    expect(housing.body).toContain('Not done: circumstances changed');
    expect(housing.headers.join()).toContain('Produced for Chelmsford City Council Housing only');
    expect(police.headers.join()).toContain('Produced for Essex Police only');
  });

  it('the PDF says the same as the .docx', async () => {
    const m = docFor('HOUSING');
    const p = pdfText(await renderPdf(m, { compress: false }));
    expect(p.text).toContain('Expedite the management');
    expect(p.text).not.toContain('She wants the locks');
    expect(p.text).toContain('Page 1 of');
    expect(p.text).toContain('Feedback to the survivor');
  });
});
