/**
 * Compiled plans, cached by agreement id + version + document digest. A version's document never
 * changes once it leaves draft (and a draft's digest changes with every edit), so an entry is never
 * stale. The STATUS is not cached here: callers read it from the database on every message and
 * get a status copy of the cached plan (`withStatus`, no recompilation).
 */
import { compileAgreement, withStatus, type Agreement, type AgreementStatus, type CompiledAgreement, type FieldCatalog, type Guardrails } from '../index.js';

const MAX_ENTRIES = 128;

export interface CompiledCache {
  get(id: string, version: number, digest: string, status: AgreementStatus, load: () => Promise<Record<string, unknown> | undefined>): Promise<CompiledAgreement | undefined>;
  size(): number;
}

export function createCompiledCache(opts: { catalog: FieldCatalog; guardrails: Guardrails }): CompiledCache {
  const entries = new Map<string, { base: CompiledAgreement; byStatus: Map<AgreementStatus, CompiledAgreement> }>();
  return {
    async get(id, version, digest, status, load) {
      const key = `${id}@${version}#${digest}`;
      let entry = entries.get(key);
      if (entry) {
        // Refresh recency: Map iteration order is insertion order, so the oldest is evicted first.
        entries.delete(key);
        entries.set(key, entry);
      } else {
        const doc = await load();
        if (!doc) return undefined;
        const base = compileAgreement(doc as unknown as Agreement, { catalog: opts.catalog, guardrails: opts.guardrails, status: 'active', version });
        entry = { base, byStatus: new Map([['active', base]]) };
        entries.set(key, entry);
        if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
      }
      let copy = entry.byStatus.get(status);
      if (!copy) {
        copy = withStatus(entry.base, status);
        entry.byStatus.set(status, copy);
      }
      return copy;
    },
    size: () => entries.size,
  };
}
