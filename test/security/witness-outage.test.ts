/**
 * The witness is another organisation's service: while it is unreachable the gateway keeps
 * answering (2xx), says so on /readyz and in its metrics, and when the witness returns it catches
 * up on its own (the next checkpoint goes with a proof from the witness's last size).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WitnessReport } from '../../gateway/src/audit/witnessing.js';
import type { TestGateway } from '../helpers/gateway.js';
import { openCase } from '../integration/scenarios/world.js';
import {
  addEvents, cutAndResign, exportText, makeLogKey, removeDir, startTestWitness, startWitnessedGateway, until, verify, type TestWitness,
} from './witness-helpers.js';

const run = promisify(execFile);

describe('witness outage and catch-up', { timeout: 180_000 }, () => {
  const logKey = makeLogKey();
  let w: TestWitness;
  let t: TestGateway;

  const readyz = async () => {
    const r = await fetch(`${t.gateway.opsUrl}/readyz`);
    return { status: r.status, body: (await r.json()) as { status: string; witness: WitnessReport } };
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`${t.gateway.opsUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  beforeAll(async () => {
    w = await startTestWitness(logKey.verifierKey);
    // Background rounds on: the maintenance job signs and sends checkpoints by itself.
    t = await startWitnessedGateway(logKey, w);
  });
  afterAll(async () => {
    await t?.stop();
    await w?.stop().catch(() => {});
    removeDir(w.dir);
  });

  it('witnessed in the background while the witness is up', async () => {
    await addEvents(t, 3);
    const report = await until('witnessed', async () => {
      const r = await t.gateway.witness.report();
      return r.witnessedSize > 0 && r.witnessedSize === r.latestSize && r;
    });
    expect(report.status).toBe('ok');
    const rz = await readyz();
    expect(rz.status).toBe(200);
    expect(rz.body.witness).toMatchObject({ status: 'ok', unwitnessedEvents: 0 });
    expect(await metric('marac_audit_witness_up{witness="witness.test.example/w1"}')).toBe(1);
    expect(await metric('marac_audit_unwitnessed_events')).toBe(0);
  });

  it('while the witness is down: answers stay 2xx, /readyz stays ready and says the witness is down, metrics say so', async () => {
    await w.stop();
    // Real work through the agency API writes audit events and gets 2xx.
    for (let i = 0; i < 3; i++) await openCase(t);
    expect((await t.as('essex-police').get('/v1/inbox?wait=0')).status).toBe(200);
    const rz = await until('readyz reports the witness down', async () => {
      const r = await readyz();
      return r.body.witness?.witnesses?.[0]?.state === 'unreachable' && r;
    });
    expect(rz.status).toBe(200);
    expect(rz.body.status).toBe('ready');
    expect(rz.body.witness).toMatchObject({ status: 'degraded', witnesses: [{ state: 'unreachable', code: 'WITNESS_UNREACHABLE' }] });
    expect(rz.body.witness.unwitnessedEvents).toBeGreaterThan(0);
    expect(await metric('marac_audit_witness_up{witness="witness.test.example/w1"}')).toBe(0);
    expect(await metric('marac_audit_unwitnessed_events')).toBeGreaterThan(0);
    expect(await metric('marac_audit_unwitnessed_seconds')).toBeGreaterThanOrEqual(0);
    // Still answering after several failed rounds.
    expect((await openCase(t)).caseId).toMatch(/^case_/);
  });

  it('when the witness returns the gateway catches up by itself, in one consistent step', async () => {
    const before = (await w.latest().catch(() => null)) ?? null;
    await w.restart();
    const report = await until('caught up', async () => {
      const r = await t.gateway.witness.report();
      return r.status === 'ok' && r.witnessedSize === r.latestSize && r;
    }, 30_000);
    expect(report.unwitnessedEvents).toBe(0);
    const after = await w.latest();
    expect(after.treeSize).toBe(report.witnessedSize);
    if (before) expect(after.treeSize).toBeGreaterThan(before.treeSize);
    expect(await metric('marac_audit_witness_up{witness="witness.test.example/w1"}')).toBe(1);
    expect((await readyz()).body.witness.status).toBe('ok');
    const r = await verify(await exportText(t), logKey.publicPem, { witnessKeys: [w.witness.key.verifierKey], trustedCheckpoints: [after] });
    expect(r).toMatchObject({ ok: true });
  });

  it('npm run audit:verify requires a witness: OK with the witness checkpoint, FAIL on a cut export, usage error without a witness key', async () => {
    const dir = w.dir;
    const file = (name: string, text: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    await t.gateway.witness.submit();
    const full = await exportText(t);
    const witnessed = await w.latest();
    const size = witnessed.treeSize;
    const good = file('good.ndjson', full);
    const cut = file('cut.ndjson', await cutAndResign(full, size - 4, logKey));
    const key = file('gateway.pem', logKey.publicPem);
    const cp = file('witnessed.txt', witnessed.note);
    const wkey = w.witness.key.verifierKey;
    const cli = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', ...args], { cwd: path.resolve(import.meta.dirname, '../..'), env: { ...process.env, AUDIT_WITNESS_KEYS: '' } })
        .then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }))
        .catch((e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));

    const ok = await cli(good, '--key', key, '--witness-key', wkey, '--checkpoint', cp);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^OK \d+ events\n$/);
    expect(ok.stderr).toContain(`witnessed up to ${size}`);
    expect(await cli(cut, '--key', key, '--witness-key', wkey, '--checkpoint', cp)).toMatchObject({ code: 1, stdout: expect.stringMatching(/^FAIL seq=\d+ TRUNCATED/) });
    // The same cut export passes when the verifier is told to do without a witness, and says so.
    const unwitnessed = await cli(cut, '--key', key, '--no-witness');
    expect(unwitnessed.code).toBe(0);
    expect(unwitnessed.stderr).toContain('UNWITNESSED');
    // No witness key and no --no-witness: a usage error, not an OK.
    expect((await cli(good, '--key', key)).code).toBe(2);
    // The witness key from the environment works like --witness-key.
    const viaEnv = await run(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', cut, '--key', key, '--checkpoint', cp], {
      cwd: path.resolve(import.meta.dirname, '../..'), env: { ...process.env, AUDIT_WITNESS_KEYS: wkey },
    }).catch((e: { code: number; stdout: string }) => e);
    expect(viaEnv).toMatchObject({ code: 1, stdout: expect.stringContaining('TRUNCATED') });
    // A log key given as a witness key is refused (exit 2), never trusted as a witness.
    expect((await cli(good, '--key', key, '--witness-key', logKey.verifierKey, '--checkpoint', cp)).code).toBe(2);
  });
});
