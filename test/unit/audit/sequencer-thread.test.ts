import { afterEach, describe, expect, it } from 'vitest';
import { createSequencerThread, type SequencerThread } from '../../../gateway/src/audit/sequencer-thread.js';
import { GENESIS_HASH, prepareEvent } from '../../../gateway/src/audit/event.js';
import { sequenceRows, type HeadState } from '../../../gateway/src/audit/sequencer.js';

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({
  id: String(from + i),
  body: JSON.stringify(prepareEvent({
    action: 'VIEW_READ', actor: { kind: 'system', component: 'test' }, caseId: `case_${i % 3}`, messageId: `msg_${from + i}`,
    agencyIds: ['essex-police', 'essex-marat'], fieldsReleased: [`subj_${i}/police.markers`],
  }, new Date(Date.UTC(2026, 10, 22, 0, 0, i)))),
}));

describe('sequencer thread', () => {
  let thread: SequencerThread | undefined;
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
  });

  it('computes on the worker exactly what the main thread computes, batch after batch', async () => {
    thread = createSequencerThread();
    let head: HeadState = { treeSize: 0, headHash: GENESIS_HASH, border: [] };
    for (const [from, n] of [[1, 1], [2, 16], [18, 37]] as const) {
      const batch = rows(from, n);
      const got = await thread.sequence(head, batch);
      const want = sequenceRows(head, batch);
      expect(got).toEqual(want);
      expect(got.border.every((b) => Buffer.isBuffer(b))).toBe(true);
      head = { treeSize: got.seq, headHash: got.headHash, border: got.border };
    }
    expect(thread.counts()).toEqual({ inThread: 3, onMainThread: 0 });
  });

  it('passes a corrupt pending event on as AUDIT_STATE_CORRUPT, never as a result', async () => {
    thread = createSequencerThread();
    const head: HeadState = { treeSize: 0, headHash: GENESIS_HASH, border: [] };
    await expect(thread.sequence(head, [{ id: '1', body: '{not json' }])).rejects.toMatchObject({ code: 'AUDIT_STATE_CORRUPT' });
    await expect(thread.sequence({ treeSize: 5, headHash: GENESIS_HASH, border: [] }, rows(6, 1))).rejects.toMatchObject({ code: 'AUDIT_STATE_CORRUPT' });
  });

  it('a worker that dies is replaced by the main thread for the batch, with the same result', async () => {
    thread = createSequencerThread();
    const head: HeadState = { treeSize: 0, headHash: GENESIS_HASH, border: [] };
    await thread.sequence(head, rows(1, 2));
    // Kill the worker from outside, as a crash would.
    const pending = thread.sequence(head, rows(1, 4));
    await (thread as unknown as { close(): Promise<void> }).close();
    const after = await pending;
    expect(after).toEqual(sequenceRows(head, rows(1, 4)));
    expect(thread.counts().onMainThread).toBe(1);
  });
});
