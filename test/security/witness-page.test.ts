/**
 * The auditor's checkpoint page and the audit API with a witness: "Verify now" requires a
 * witnessed checkpoint fetched from the witness itself, and fails once the gateway's database has
 * been cut back behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteCosignatures } from '../../gateway/src/audit/cosignature.js';
import { startWebWorld, type LoggedIn, type WebWorld } from '../integration/web/world.js';
import { addEvents, makeLogKey, removeDir, rollBackDatabase, startTestWitness, type TestWitness } from './witness-helpers.js';

describe('the auditor’s checkpoint page with a witness', { timeout: 180_000 }, () => {
  const logKey = makeLogKey();
  let witness: TestWitness;
  let w: WebWorld;
  let auditor: LoggedIn;

  beforeAll(async () => {
    witness = await startTestWitness(logKey.verifierKey);
    w = await startWebWorld({
      queue: 'postgres',
      workers: false,
      env: { AUDIT_SIGNING_KEY_PEM: logKey.pem, AUDIT_WITNESS_URLS: witness.url, AUDIT_WITNESS_KEYS: witness.witness.key.verifierKey, AUDIT_WITNESS_TIMEOUT_MS: '1000' },
    });
    auditor = await w.login('auditor');
  });
  afterAll(async () => {
    await w?.close();
    await witness?.stop().catch(() => {});
    removeDir(witness.dir);
  });

  it('shows the witness status and the witnessed checkpoint, and "Verify now" checks against the witness', async () => {
    const size = await addEvents(w.t, 5);
    await w.t.gateway.witness.submit();
    const page = await (await w.page('/audit/checkpoint', auditor)).text();
    expect(page).toContain('data-witness-status="ok"');
    expect(page).toContain(witness.witness.key.verifierKey);
    const verified = await (await w.form('/audit/verify', auditor, {})).text();
    expect(verified).toContain('The audit log verifies');
    expect(verified).toContain('fetched from the witness itself');
    expect(Number(/data-witnessed="(\d+)"/.exec(verified)?.[1])).toBeGreaterThanOrEqual(size);
  });

  it('the API serves the witnessed checkpoint with its cosignature; bad parameters are 400 with a stable code', async () => {
    const get = (q: string) => fetch(`${w.base}/v1/audit/checkpoints/latest${q}`, { headers: { cookie: auditor.cookie, accept: 'application/json' } });
    const r = await get('?witnessed=true');
    expect(r.status).toBe(200);
    const cp = (await r.json()) as { treeSize: number; note: string };
    expect(noteCosignatures(cp.note, [witness.witness.key])).toHaveLength(1);
    for (const q of ['?witnessed=maybe', '?witnessed=1', '?witnessed=true&witnessed=true']) {
      const bad = await get(q);
      expect(bad.status, q).toBe(400);
      expect(await bad.json(), q).toMatchObject({ code: 'AUDIT_QUERY_INVALID' });
    }
    expect(await (await get('?other=1')).json()).toMatchObject({ code: 'AUDIT_QUERY_INVALID', reason: 'UNKNOWN_PARAMETER' });
  });

  it('with the witness unreachable, "Verify now" uses the witnessed checkpoint the gateway holds and says so', async () => {
    await witness.stop();
    const verified = await (await w.form('/audit/verify', auditor, {})).text();
    expect(verified).toContain('The audit log verifies');
    expect(verified).toContain('could not be reached');
    expect(verified).not.toContain('fetched from the witness itself');
    await witness.restart();
  });

  it('after the database is cut back, "Verify now" fails; the page says the witness refuses', async () => {
    // The witness first cosigns the log as it stands (events were written while it was away): cut
    // back below what it signed, the log is behind the witness, whatever the background rounds did.
    const size = await addEvents(w.t, 1, 'before-rollback');
    const [caughtUp] = await w.t.gateway.witness.submit();
    expect(caughtUp).toMatchObject({ state: 'ok', witnessSize: size });
    await rollBackDatabase(w.t, size - 3);
    await addEvents(w.t, 1, 'after-rollback');
    const [st] = await w.t.gateway.witness.submit();
    expect(st).toMatchObject({ state: 'refused', code: 'WITNESS_AHEAD_OF_LOG' });
    const verified = await (await w.form('/audit/verify', auditor, {})).text();
    expect(verified).toContain('The audit log does not verify');
    expect(verified).toContain('TRUNCATED');
    expect(verified).toContain('WITNESS_AHEAD_OF_LOG');
    expect(verified).not.toContain('data-witness-status="ok"');
  });
});
