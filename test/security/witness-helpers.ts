/**
 * A witnessed world for the witness tests: a witness on a random loopback port with its own key
 * (made now) and its own state file, and a gateway whose checkpoints it cosigns.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompactRange } from '../../gateway/src/audit/merkle.js';
import { exportEvents } from '../../gateway/src/audit/export.js';
import { formatNoteBody, parseNote, signNote, verifierKey } from '../../gateway/src/audit/note.js';
import { verifyExport, type VerifyOptions, type VerifyResult } from '../../gateway/src/audit/verify.js';
import { withTx } from '../../gateway/src/store/db.js';
import { startWitnessServer, type WitnessServer } from '../../gateway/src/witness/server.js';
import { openFileStore, type WitnessStore } from '../../gateway/src/witness/store.js';
import { createWitness, type Witness } from '../../gateway/src/witness/witness.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.js';

export const ORIGIN = 'marac-gateway';
export const WITNESS_NAME = 'witness.test.example/w1';

export interface TestWitness {
  url: string;
  port: number;
  witness: Witness;
  store: WitnessStore;
  stop(): Promise<void>;
  /** Starts it again on the same port with the same key and state (a witness back from an outage). */
  restart(): Promise<void>;
  /** Its own latest cosigned checkpoint, as an auditor fetches it. */
  latest(): Promise<{ treeSize: number; rootHash: string; note: string }>;
  dir: string;
}

export function makeLogKey(): { pem: string; publicPem: string; verifierKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = createPublicKey(privateKey);
  return { pem, publicPem: pub.export({ type: 'spki', format: 'pem' }).toString(), verifierKey: verifierKey('gateway-1', pub) };
}

export async function startTestWitness(logVerifierKey: string, key: KeyObject = generateKeyPairSync('ed25519').privateKey): Promise<TestWitness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'witness-'));
  let server: WitnessServer | null = null;
  let store: WitnessStore = openFileStore(path.join(dir, 'state.json'));
  let witness: Witness;
  const make = async (port: number) => {
    witness = createWitness({ name: WITNESS_NAME, privateKey: key, logs: [{ origin: ORIGIN, keys: [logVerifierKey] }], store });
    server = await startWitnessServer(witness, { port });
  };
  await make(0);
  const port = Number(new URL(server!.url).port);
  const tw: TestWitness = {
    url: server!.url,
    port,
    get witness() {
      return witness;
    },
    get store() {
      return store;
    },
    dir,
    async stop() {
      if (server) await server.close();
      server = null;
      store.close();
    },
    async restart() {
      store = openFileStore(path.join(dir, 'state.json'));
      await make(port);
    },
    async latest() {
      const text = await (await fetch(`${tw.url}/latest?origin=${ORIGIN}`)).text();
      const parsed = parseNote(text)!;
      return { treeSize: parsed.body.treeSize, rootHash: parsed.body.root.toString('base64'), note: text };
    },
  };
  return tw;
}

/** A gateway whose audit checkpoints go to `witness` (fast rounds and short backoff for tests). */
export function startWitnessedGateway(logKey: { pem: string }, witness: TestWitness, opts: TestGatewayOptions = {}): Promise<TestGateway> {
  return startTestGateway({
    ...opts,
    env: {
      AUDIT_SIGNING_KEY_PEM: logKey.pem,
      AUDIT_WITNESS_URLS: witness.url,
      AUDIT_WITNESS_KEYS: witness.witness.key.verifierKey,
      AUDIT_WITNESS_MAX_BACKOFF_MS: '300',
      AUDIT_WITNESS_TIMEOUT_MS: '1000',
      CHECKPOINT_INTERVAL_MS: '200',
      ...opts.env,
    },
  });
}

/** `n` audit events written as the gateway writes them, sequenced, then a checkpoint signed. */
export async function addEvents(t: TestGateway, n: number, tag = 'a'): Promise<number> {
  for (let i = 0; i < n; i++) {
    await withTx(t.gateway.pool, (tx) => t.gateway.audit.append(tx, {
      action: 'AUDIT_QUERIED', actor: { kind: 'system', component: `witness-test-${tag}` }, detail: { view: `run-${tag}`, i },
    }));
  }
  await t.gateway.audit.flush(t.gateway.pool);
  await t.gateway.checkpointer.tick();
  return (await t.gateway.checkpointer.latest())!.treeSize;
}

export async function exportText(t: TestGateway): Promise<string> {
  let out = '';
  for await (const chunk of exportEvents(t.gateway.pool, {}, 'ndjson', { origin: ORIGIN, checkpointer: t.gateway.checkpointer })) out += chunk;
  return out;
}

/**
 * The export cut back to its first `keep` events, with every checkpoint beyond them removed and
 * the header's promise rewritten: what a log cut back with its checkpoints exports.
 */
export function cutExport(text: string, keep: number): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const obj = JSON.parse(line) as { type?: string; treeSize?: number; seq?: number };
    if (obj.type === 'header') out.push(JSON.stringify({ ...obj, treeSize: keep }));
    else if (obj.type === 'checkpoint') {
      if (obj.treeSize! <= keep) out.push(line);
    } else if (obj.seq! <= keep) out.push(line);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The export cut back to `keep` events and given a checkpoint signed at the cut, as a gateway
 * whose database was cut back signs its head: self-consistent, signed by the real key.
 */
export async function cutAndResign(text: string, keep: number, logKey: { pem: string; publicPem: string }): Promise<string> {
  const cut = cutExport(text, keep);
  const r = await verify(cut, logKey.publicPem, { allowUncheckpointed: true });
  if (!r.ok || !r.rootHash) throw new Error(`cut export does not verify: ${JSON.stringify(r)}`);
  const ts = new Date().toISOString();
  const { note } = signNote(formatNoteBody({ origin: ORIGIN, treeSize: keep, root: Buffer.from(r.rootHash, 'base64'), time: ts }), 'gateway-1', createPrivateKey(logKey.pem));
  return `${cut}${JSON.stringify({ type: 'checkpoint', treeSize: keep, rootHash: r.rootHash, ts, keyId: 'gateway-1', note })}\n`;
}

export function verify(text: string, publicPem: string, extra: Partial<VerifyOptions> = {}): Promise<VerifyResult> {
  return verifyExport([text], { publicKeys: [publicPem], origin: ORIGIN, ...extra });
}

/**
 * Cuts the gateway's database back to its first `n` events, as a restore from an old backup or an
 * operator with the owner's rights would (triggers off: superuser). The gateway keeps running.
 */
export async function rollBackDatabase(t: TestGateway, n: number): Promise<void> {
  const c = await t.db.pool.connect();
  try {
    await c.query('BEGIN');
    await c.query("SET LOCAL session_replication_role = 'replica'");
    const leaves = await c.query<{ leaf_hash: Buffer; hash: string }>('SELECT leaf_hash, hash FROM audit_events WHERE seq <= $1 ORDER BY seq', [n]);
    const range = CompactRange.empty();
    for (const r of leaves.rows) range.append(r.leaf_hash);
    await c.query('DELETE FROM audit_cosignatures WHERE tree_size > $1', [n]);
    await c.query('DELETE FROM audit_checkpoints WHERE tree_size > $1', [n]);
    await c.query('DELETE FROM audit_events WHERE seq > $1', [n]);
    await c.query('DELETE FROM audit_tree_nodes WHERE (idx + 1) * (1::bigint << level) > $1', [n]);
    await c.query('UPDATE audit_head SET tree_size = $1, head_hash = $2, border = $3 WHERE id = 1', [n, leaves.rows.at(-1)!.hash, range.state()]);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  } finally {
    c.release();
  }
}

export async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
