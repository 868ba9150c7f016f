/**
 * Runs many small calls as one: calls made in the same turn of the event loop are gathered and
 * handed to `run` together when the loop next checks for I/O (setImmediate), so an idle gateway
 * adds no wait at all and a busy one sends one statement where it would have sent many.
 *
 * Why: on the answer path every statement costs the gateway a socket write that wakes
 * PostgreSQL (on two shared cores, often by taking the gateway's own core) and costs PostgreSQL a
 * bind, an execution and a commit. Answers arriving together share those.
 *
 * `run` gets the items in call order and must return one result per item, in the same order.
 * If it throws, every call of the batch rejects with that error (callers that can do better
 * alone, e.g. because one item's conflict failed the whole statement, retry on their own).
 */
export interface MicroBatcher<I, O> {
  call(item: I): Promise<O>;
  /** Items waiting for the next batch (for tests). */
  readonly waiting: number;
}

export interface MicroBatchOptions {
  /** Most items in one batch; more wait for the next (default 64). */
  maxBatch?: number;
}

export function createMicroBatcher<I, O>(run: (items: I[]) => Promise<O[]>, opts: MicroBatchOptions = {}): MicroBatcher<I, O> {
  const maxBatch = opts.maxBatch ?? 64;
  let queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(maxBatch);
      void runBatch(batch);
    }
  }

  async function runBatch(batch: typeof queue): Promise<void> {
    let results: O[];
    try {
      results = await run(batch.map((b) => b.item));
      if (results.length !== batch.length) throw new Error(`micro-batch: ${results.length} results for ${batch.length} items`);
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => b.resolve(results[i]!));
  }

  return {
    call(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    get waiting() {
      return queue.length;
    },
  };
}
