/**
 * `npm run demo`: against a running `npm start`, the demo coordinator opens a sample case and asks
 * every partner agency for research; the demo adapters answer; then the research pack is printed
 * as the coordinator sees it, and as the police see it.
 *
 *   npm run demo [-- --gateway https://localhost:8443 --pki .data/pki]
 */
import https from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { generatePopulation } from '../adapters/sdk/synthetic/population.js';
import { caseBody, pickRichHousehold } from '../adapters/sdk/synthetic/cases.js';
import { describeCode, domainsText, operatorLabel, pathLabel } from '../gateway/src/ui/labels.js';
import { createGatewayClient } from '../adapters/sdk/client.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const gateway = arg('gateway', 'https://localhost:8443');
const pkiDir = arg('pki', '.data/pki');
const ca = readFileSync(path.join(pkiDir, 'ca-cert.pem'), 'utf8');

function client(agency: string) {
  const dir = path.join(pkiDir, 'agencies', agency);
  const agent = new https.Agent({ ca, cert: readFileSync(path.join(dir, 'cert.pem')), key: readFileSync(path.join(dir, 'key.pem')), keepAlive: true });
  const call = (method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = https.request(new URL(p, gateway), { method, agent, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  return { get: (p: string) => call('GET', p), post: (p: string, b: unknown) => call('POST', p, b), put: (p: string, b: unknown) => call('PUT', p, b), close: () => agent.destroy() };
}

const PARTIES = ['essex-police', 'mse-hospitals', 'essex-gp-federation', 'eput-mental-health', 'chelmsford-housing',
  'essex-childrens-services', 'essex-adult-social-care', 'kss-probation', 'safe-steps-idva', 'recovery-ltd'];

/** Research fields released in a subject's view (beyond the match and the person's details). */
function researchFields(view: Record<string, unknown>): string[] {
  return Object.keys(view).filter((k) => !['subjectId', 'match', 'knownToAgency', 'currentInvolvement', 'subject'].includes(k));
}

/** The pack by request round, the latest round first, fields by label (as the case page shows it). */
function printPack(title: string, pack: any): { withResearch: number } {
  console.log(`\n=== ${title} (viewer: ${pack.viewer}) ===`);
  let withResearch = 0;
  const rounds: any[] = [...(pack.rounds ?? [])].reverse();
  for (const round of rounds) {
    const n = pack.rounds.indexOf(round) + 1;
    console.log(`\n--- Round ${n}: asked ${round.askedAt}, due ${round.deadline}; ${domainsText(round.requestedDomains)} ---`);
    for (const s of pack.sections.filter((x: any) => x.requestId === round.requestId)) {
      const rel = s.release.released ? `released under ${s.release.agreementId} v${s.release.version}` : `nothing released: ${describeCode(s.release.reason)}`;
      console.log(`\n● ${s.agencyId} — ${s.state}${s.late ? ' (late)' : ''} — ${rel}`);
      let research = false;
      for (const subj of s.subjects ?? []) {
        const fields = researchFields(subj.view);
        if (fields.length) research = true;
        console.log(`  ${subj.role}: ${subj.view.match?.status ?? 'no match shown'}${fields.length ? `; research: ${fields.join(', ')}` : ''}`);
        console.log(`    ${JSON.stringify(subj.view)}`);
        for (const t of subj.transformed) console.log(`    changed: ${pathLabel(t.path)} (${operatorLabel(t.op)})`);
        for (const w of subj.withheld.slice(0, 12)) console.log(`    withheld: ${pathLabel(w.path)}: ${describeCode(w.reason)} (by the ${w.by})`);
        if (subj.withheld.length > 12) console.log(`    … and ${subj.withheld.length - 12} more withheld`);
      }
      if (research) withResearch++;
    }
  }
  for (const r of pack.refused) console.log(`\n✗ ${r.agencyId} was not asked: ${describeCode(r.reason)}`);
  return { withResearch };
}

async function main(): Promise<void> {
  const coordinator = client('essex-marat');
  // A household from the adapters' synthetic data, so every agency finds real (fictional) records.
  const pop = generatePopulation();
  const truths: Record<string, any> = {};
  for (const name of ['police', 'nhs', 'housing', 'social-care', 'probation', 'idva']) {
    const f = path.resolve('adapters', name, 'data', 'truth.json');
    if (existsSync(f)) truths[name] = JSON.parse(readFileSync(f, 'utf8'));
  }
  const meeting = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
  const body = caseBody(pop, pickRichHousehold(pop, truths), { maracArea: 'essex', meetingDate: meeting, maxChildren: 2 });
  const created = await coordinator.post('/v1/cases', body);
  if (created.status !== 201) throw new Error(`opening the case failed: ${created.status} ${JSON.stringify(created.body)}`);
  console.log(`Opened case ${created.body.caseId} (criteria: ${created.body.riskBasis.criteria.join(', ')})`);
  // No requestedDomains: every domain the agreements allow (an empty list would be an identity check only).
  const req = await coordinator.post(`/v1/cases/${created.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: PARTIES });
  if (req.status !== 201) throw new Error(`research request failed: ${req.status} ${JSON.stringify(req.body)}`);
  console.log(`Asked ${req.body.messages.length} agencies; refused: ${req.body.refused.map((r: any) => `${r.recipient} (${r.reason})`).join(', ') || 'none'}`);
  const until = Date.now() + 60_000;
  for (;;) {
    const s = await coordinator.get(`/v1/research-requests/${req.body.requestId}`);
    const open = s.body.messages.filter((m: any) => !['responded', 'declined', 'failed', 'overdue'].includes(m.state));
    process.stdout.write(`\r${s.body.messages.length - open.length}/${s.body.messages.length} answered   `);
    if (open.length === 0) break;
    if (Date.now() > until) {
      console.log(`\nStill waiting on: ${open.map((m: any) => m.recipient).join(', ')} (are the demo adapters running?)`);
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const { withResearch } = printPack('Research pack for the MARAC coordinator', (await coordinator.get(`/v1/cases/${created.body.caseId}/research`)).body);
  console.log(`\n${withResearch} agenc${withResearch === 1 ? 'y' : 'ies'} released research to the coordinator.`);
  const police = client('essex-police');
  printPack('Research pack as the police see it', (await police.get(`/v1/cases/${created.body.caseId}/research`)).body);
  await meetingWithMinutes(coordinator, created.body.caseId, meeting);
  coordinator.close();
  police.close();
}

const plusDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const must = (what: string, r: { status: number; body: any }, ok = [200, 201]) => {
  if (!ok.includes(r.status)) throw new Error(`${what} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

/**
 * The meeting: the case on an agenda, its minutes (the victim's voice first) and an action plan
 * with an owner and a due date for each action; the police's adapter marks its action done
 * through the SDK, and the coordinator's action plan shows it.
 */
async function meetingWithMinutes(coordinator: ReturnType<typeof client>, caseId: string, day: string): Promise<void> {
  const m = must('scheduling the meeting', await coordinator.post('/v1/meetings', { startsAt: `${day}T10:00:00+00:00`, chair: 'Chair of the Essex MARAC', venue: 'Chelmsford Civic Centre' }));
  const meetingId = m.id as string;
  must('listing the case', await coordinator.post(`/v1/meetings/${meetingId}/agenda`, { caseId }));
  const minutes = must('recording the minutes', await coordinator.put(`/v1/meetings/${meetingId}/cases/${caseId}/minutes`, {
    version: 0,
    minutes: {
      victimVoice: 'Through the IDVA: she wants to stay in her home with the children, and for him to have no contact.',
      risks: 'Escalating abuse since separation; threats to kill; strangulation disclosed.',
      informationShared: [{ agencyId: 'essex-police' }, { agencyId: 'chelmsford-housing' }, { agencyId: 'safe-steps-idva' }],
      decisions: 'Sanctuary scheme at the address; police marker; IDVA support at the next hearing.',
      crimesDisclosed: 'Criminal damage to the front door, not reported at the time.',
      notShared: [{ what: 'Mental health records', why: 'The trust sent apologies; it will send them before the review.' }],
    },
  }));
  const actions = [
    { description: 'Put a marker on the address for an urgent response', ownerAgencyId: 'essex-police', dueOn: plusDays(day, 2) },
    { description: 'Fit a sanctuary scheme at the address', ownerAgencyId: 'chelmsford-housing', dueOn: plusDays(day, 14) },
    { description: 'Tell the survivor the outcome of the MARAC and the actions agreed', ownerAgencyId: 'safe-steps-idva', dueOn: plusDays(day, 3), kind: 'SURVIVOR_FEEDBACK' },
  ];
  for (const a of actions) must('adding an action', await coordinator.post(`/v1/cases/${caseId}/actions`, { ...a, meetingId }));

  // The police's adapter, through the SDK: its open actions (as released to it), one marked done.
  const dir = path.join(pkiDir, 'agencies', 'essex-police');
  const sdk = createGatewayClient({ baseUrl: gateway, caPem: ca, certPem: readFileSync(path.join(dir, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(dir, 'key.pem'), 'utf8') });
  try {
    const mine = (await sdk.listActions()).filter((a) => a.caseId === caseId);
    for (const a of mine) await sdk.updateAction(a.id, { status: 'DONE', note: 'Marker placed on the address.' });
    console.log(`
The police adapter listed ${mine.length} open action(s) of this case and marked them done.`);
  } finally {
    sdk.close();
  }

  const agenda = must('reading the meeting', await coordinator.get(`/v1/meetings/${meetingId}`));
  const plan = must('reading the action plan', await coordinator.get(`/v1/cases/${caseId}/actions`)).actions as any[];
  console.log(`
=== The MARAC meeting on ${day} (${meetingId}) ===`);
  for (const item of agenda.items ?? []) console.log(`  ${item.position}. case ${item.caseId} at ${item.slotStartsAt ?? ''} (${item.slotMinutes} min)`);
  console.log(`Minutes of case ${caseId}: version ${minutes.version}, parts: victim's voice, risks, information shared (${minutes.minutes.informationShared.length} agencies), decisions, crimes disclosed, not shared (${minutes.minutes.notShared.length})`);
  console.log('Action plan:');
  for (const a of plan) console.log(`  - [${a.status}] ${a.description} — ${a.ownerAgencyId}, due ${a.dueOn}${a.kind === 'SURVIVOR_FEEDBACK' ? ' (telling the survivor the outcome)' : ''}`);
  console.log(`
In the browser: /meetings/${meetingId}/cases/${caseId}/minutes (sign in as coordinator@essex-marat).`);
}

main().catch((err) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  console.error('Is the gateway running (npm start)?');
  process.exit(1);
});
