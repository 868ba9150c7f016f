/**
 * npm run policy:preview -- <agreement.yaml|json> <sample-response.json> [options]
 *
 *   --subject-facts <file>  JSON: one SubjectFacts for every subject, or { <subjectId>: SubjectFacts }.
 *                           Default: guessed from the subject id (victim / perp / child), printed.
 *   --from <agencyId>       the responding party (default: respondingOrg, else the party whose
 *                           payload the sample carries)
 *   --purpose <PURPOSE>     default MARAC_RESEARCH
 *   --now <ISO date-time>   default: the sample's completedAt, else now
 *   --views                 also print each recipient's released view (JSON)
 *
 * Prints, per subject, what every party of the agreement would receive from the sample, side by
 * side: `keep`, the operator that transformed a field, or `✗ REASON` when it was withheld; then
 * the parties the agreement refuses, with the reason. Exit 1 when the sample cannot be previewed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fieldCatalog } from '../gateway/src/schema/catalog.js';
import {
  compileAgreement, loadGuardrails, parseAgreementText, type Agreement, type Explanation, type SubjectFacts,
} from '../gateway/src/policy/index.js';
import { previewAgreement, type PreviewResult } from '../gateway/src/policy/lifecycle/preview.js';

const GUARDRAILS = fileURLToPath(new URL('../policies/guardrails.yaml', import.meta.url));
/** Preview only: pseudonyms in a preview are not the production ones. */
const PREVIEW_KEY = Buffer.alloc(32, 0x5a);

export interface PreviewCliOptions {
  agreementText: string;
  sample: Record<string, unknown>;
  subjectFacts?: unknown;
  from?: string;
  purpose?: string;
  now?: Date;
}

/** Facts guessed from subject ids such as subj_victim / subj_perp / subj_child. */
export function guessFacts(subjectId: string): SubjectFacts {
  const id = subjectId.toLowerCase();
  if (/perp/.test(id)) return { role: 'PERPETRATOR', art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_UNSAFE', isAdult: true };
  if (/child/.test(id)) return { role: 'CHILD', art9Conditions: ['DPA_SCH1_P18'], art10Conditions: ['DPA_SCH1_P10'], careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_OTHER', isAdult: false };
  return { role: 'VICTIM', art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_UNSAFE', isAdult: true };
}

export function runPreview(o: PreviewCliOptions): PreviewResult {
  const guardrails = loadGuardrails(readFileSync(GUARDRAILS, 'utf8'));
  const catalog = fieldCatalog();
  const doc = parseAgreementText(o.agreementText) as Agreement;
  const compiled = compileAgreement(doc, { catalog, guardrails, status: 'active' });
  const results = Array.isArray(o.sample.subjectResults) ? (o.sample.subjectResults as Record<string, unknown>[]) : [];
  let from = o.from;
  if (from === undefined && !o.sample.respondingOrg) {
    // The party whose payload key the sample carries.
    const keys = new Set(results.flatMap((r) => Object.keys(r)));
    from = doc.parties.find((p) => {
      const k = catalog.payloadKeyFor(p.type);
      return k !== undefined && keys.has(k);
    })?.agency;
  }
  const subjectFacts = o.subjectFacts
    ?? Object.fromEntries(results.map((r) => [String(r.subjectId), guessFacts(String(r.subjectId))]));
  const completedAt = typeof o.sample.completedAt === 'string' ? new Date(o.sample.completedAt) : undefined;
  return previewAgreement(compiled, {
    sampleResponse: o.sample,
    subjectFacts,
    ...(from !== undefined ? { provider: from } : {}),
    ...(o.purpose !== undefined ? { purpose: o.purpose } : {}),
  }, { now: o.now ?? completedAt ?? new Date(), hmacKey: PREVIEW_KEY });
}

/** One cell per (path, recipient): keep / operator / ✗ reason. */
function cells(e: Explanation): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of e.released) m.set(r.path, 'keep');
  for (const t of e.transformed) m.set(t.path, t.op);
  for (const w of e.withheld) m.set(w.path, `✗ ${w.reason}`);
  return m;
}

export function renderPreview(p: PreviewResult, opts: { views?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`Agreement ${p.agreementId} v${p.version}, purpose ${p.purpose}, at ${p.at}`);
  out.push(`Provider: ${p.provider.agencyId} (${p.provider.agencyType})`);
  const permitted = p.recipients.filter((r) => r.decision === 'PERMIT');
  const subjects = permitted[0]?.decision === 'PERMIT' ? permitted[0].subjects.map((s) => s.subjectId) : [];
  const sections: { title: string; pick: (r: (typeof permitted)[number]) => Explanation | undefined }[] = subjects.map((id) => ({
    title: `Subject ${id}`,
    pick: (r) => (r.decision === 'PERMIT' ? r.subjects.find((s) => s.subjectId === id)?.explanation : undefined),
  }));
  if (permitted.some((r) => r.decision === 'PERMIT' && r.envelope)) {
    sections.push({ title: 'Envelope (agency summary, proposed actions)', pick: (r) => (r.decision === 'PERMIT' ? r.envelope?.explanation : undefined) });
  }
  for (const s of sections) {
    const cols = permitted.map((r) => ({ name: r.agencyId, cells: cells(s.pick(r) ?? emptyExplanation) }));
    const paths = [...new Set(cols.flatMap((c) => [...c.cells.keys()]))].sort();
    const role = permitted[0]?.decision === 'PERMIT' ? permitted[0].subjects.find((x) => `Subject ${x.subjectId}` === s.title)?.role : undefined;
    out.push('', `${s.title}${role ? ` (${role})` : ''}`);
    const w0 = Math.max(4, ...paths.map((x) => x.length));
    const widths = cols.map((c) => Math.min(30, Math.max(c.name.length, ...[...c.cells.values()].map((v) => v.length))));
    out.push([pad('path', w0), ...cols.map((c, i) => pad(c.name, widths[i]!))].join(' | '));
    out.push([ '-'.repeat(w0), ...widths.map((w) => '-'.repeat(w))].join('-|-'));
    for (const path of paths) {
      out.push([pad(path, w0), ...cols.map((c, i) => pad(c.cells.get(path) ?? '', widths[i]!))].join(' | '));
    }
  }
  const denied = p.recipients.filter((r) => r.decision === 'DENY');
  if (denied.length > 0) {
    out.push('', 'Refused:');
    for (const r of denied) if (r.decision === 'DENY') out.push(`  ${r.agencyId} (${r.agencyType}): ${r.reason}${r.detail ? ` — ${r.detail}` : ''}`);
  }
  if (opts.views) {
    for (const r of permitted) {
      if (r.decision !== 'PERMIT') continue;
      out.push('', `View for ${r.agencyId} (${r.agencyType}) by ${r.flowIds.join(', ')}:`);
      out.push(JSON.stringify({ subjectResults: r.subjects.map((s) => s.view), ...(r.envelope ? r.envelope.view : {}) }, null, 2));
    }
  }
  return `${out.join('\n')}\n`;
}

const emptyExplanation: Explanation = { agreementId: '', version: 0, released: [], transformed: [], withheld: [], ruleIds: [] };

function pad(s: string, w: number): string {
  const t = s.length > w ? `${s.slice(0, w - 1)}…` : s;
  return t + ' '.repeat(Math.max(0, w - t.length));
}

function main(argv: string[]): number {
  const args: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--views') flags.views = true;
    else if (a.startsWith('--')) flags[a.slice(2)] = argv[++i] ?? '';
    else args.push(a);
  }
  if (args.length !== 2) {
    process.stderr.write('usage: npm run policy:preview -- <agreement.yaml|json> <sample-response.json> [--subject-facts file] [--from agencyId] [--purpose P] [--now ISO] [--views]\n');
    return 2;
  }
  try {
    const result = runPreview({
      agreementText: readFileSync(args[0]!, 'utf8'),
      sample: JSON.parse(readFileSync(args[1]!, 'utf8')) as Record<string, unknown>,
      ...(typeof flags['subject-facts'] === 'string' ? { subjectFacts: JSON.parse(readFileSync(flags['subject-facts'], 'utf8')) } : {}),
      ...(typeof flags.from === 'string' ? { from: flags.from } : {}),
      ...(typeof flags.purpose === 'string' ? { purpose: flags.purpose } : {}),
      ...(typeof flags.now === 'string' ? { now: new Date(flags.now) } : {}),
    });
    if (!flags['subject-facts']) process.stderr.write('(no --subject-facts: roles and Art 9 conditions guessed from the subject ids)\n');
    process.stdout.write(renderPreview(result, { views: flags.views === true }));
    return 0;
  } catch (e) {
    const err = e as Error & { problems?: { path: string; code: string; message: string }[] };
    process.stderr.write(`${err.message}\n`);
    for (const p of err.problems ?? []) process.stderr.write(`  ${p.path}  ${p.code}  ${p.message}\n`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
