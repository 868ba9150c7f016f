import { decide, redact, type CompiledAgreement, type Decision } from '../policy/index.js';
import type { PolicyDecision, PolicyPort } from '../exchange/ports.js';
import type { Queryable } from '../store/db.js';

/** The slice of the agreement store the exchange's policy port needs. */
export interface CompiledAgreementSource {
  activeCompiled(q?: Queryable): Promise<CompiledAgreement[]>;
  /**
   * That version with its CURRENT status (suspension must reach pinned decisions): read through
   * `q`, or given as `current` when the caller read it in the same transaction.
   */
  compiledVersion(agreementId: string, version: number, q?: Queryable, current?: { status: string; docDigest: string }): Promise<CompiledAgreement | undefined | null>;
}

/**
 * Adapts the pure policy engine to the exchange: loads the candidate agreements (the pinned
 * version, or every active one), decides, and keeps the engine's plan opaque to the exchange.
 */
export function createPolicyPort(opts: { agreements: CompiledAgreementSource; hmacKey: Buffer }): PolicyPort {
  return {
    async decide(input, q) {
      const candidates = input.pinned
        ? [await opts.agreements.compiledVersion(input.pinned.agreementId, input.pinned.version, q, input.pinned.current)].filter((a): a is CompiledAgreement => !!a)
        : await opts.agreements.activeCompiled(q);
      const d: Decision = decide({ ...input, agreements: candidates });
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
    redact(decision, doc, facts, now) {
      return redact(decision.plan as Parameters<typeof redact>[0], doc, facts, { now, hmacKey: opts.hmacKey });
    },
    async retentionDays(agreementId, version, q) {
      const a = await opts.agreements.compiledVersion(agreementId, version, q);
      // Unknown version: keep the shortest sensible period rather than forever.
      return a?.retentionDays ?? 28;
    },
  };
}
