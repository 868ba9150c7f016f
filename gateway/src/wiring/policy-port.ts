import { decide, redact, type CompiledAgreement, type Decision } from '../policy/index.js';
import type { PinnedCurrent, PolicyDecision, PolicyPort } from '../exchange/ports.js';
import type { Queryable } from '../store/db.js';

/** The slice of the agreement store the exchange's policy port needs. */
export interface CompiledAgreementSource {
  activeCompiled(q?: Queryable): Promise<CompiledAgreement[]>;
  /**
   * That version with its CURRENT status (suspension must reach pinned decisions): read through
   * `q`, or given as `current` when the caller read it in the same transaction.
   */
  compiledVersion(agreementId: string, version: number, q?: Queryable, current?: PinnedCurrent): Promise<CompiledAgreement | undefined | null>;
  /** Kill switch: every agreement's version in force (any status) and the parties removed from each. */
  releaseState(q?: Queryable): Promise<{ inForce: CompiledAgreement[]; removed: Map<string, Set<string>> }>;
  /** Kill switch: the pinned version, the agreement's version in force and its removed parties. */
  pinnedRelease(agreementId: string, version: number, q?: Queryable, current?: PinnedCurrent): Promise<{
    pinned?: CompiledAgreement; inForce?: CompiledAgreement; removed: Set<string>;
  }>;
}

/**
 * Adapts the pure policy engine to the exchange: loads the candidate agreements (the pinned
 * version, or every active one), decides, and keeps the engine's plan opaque to the exchange.
 */
export function createPolicyPort(opts: { agreements: CompiledAgreementSource; hmacKey: Buffer }): PolicyPort {
  return {
    async decide(input, q) {
      // Every decision sees the agreement as a whole now: its version in force (a suspended or
      // expired one stops pinned versions too) and the parties an IG officer removed.
      let candidates: CompiledAgreement[];
      const inForce = new Map<string, CompiledAgreement>();
      let removedParties: Map<string, Set<string>>;
      if (input.pinned) {
        const r = await opts.agreements.pinnedRelease(input.pinned.agreementId, input.pinned.version, q, input.pinned.current);
        candidates = r.pinned ? [r.pinned] : [];
        if (r.inForce) inForce.set(r.inForce.id, r.inForce);
        removedParties = new Map([[input.pinned.agreementId, r.removed]]);
      } else {
        const r = await opts.agreements.releaseState(q);
        candidates = r.inForce;
        for (const a of r.inForce) inForce.set(a.id, a);
        removedParties = r.removed;
      }
      const d: Decision = decide({ ...input, agreements: candidates, inForce, removedParties });
      if (d.effect === 'DENY') {
        return {
          effect: 'DENY',
          reason: d.reason,
          ...(d.agreementId ? { agreementId: d.agreementId } : {}),
          ...(d.version !== undefined ? { version: d.version } : {}),
          ...(d.detail ? { detail: d.detail } : {}),
        } satisfies PolicyDecision;
      }
      const chosen = candidates.find((a) => a.id === d.agreementId && a.version === d.version);
      return {
        effect: 'PERMIT',
        ...(chosen ? { retentionDays: chosen.retentionDays } : {}),
        criteriaMet: [...d.criteriaMet],
        agreementId: d.agreementId,
        version: d.version,
        flowIds: d.flowIds,
        ...(d.warnings?.length ? { warnings: [...d.warnings] } : {}),
        plan: d.plan,
      };
    },
    redact(decision, doc, facts, now, locations) {
      return redact(decision.plan as Parameters<typeof redact>[0], doc, facts, { now, hmacKey: opts.hmacKey, ...(locations ? { locations } : {}) });
    },
    async retentionDays(agreementId, version, q) {
      const a = await opts.agreements.compiledVersion(agreementId, version, q);
      // Unknown version: keep the shortest sensible period rather than forever.
      return a?.retentionDays ?? 28;
    },
  };
}
