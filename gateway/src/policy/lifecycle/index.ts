/**
 * Agreement lifecycle: the store-backed service IG officers and the exchange use.
 *
 *   const agreements = createAgreementService({ pool, audit, catalog, guardrails, now });
 *   await agreements.seedFromDirectory('policies');             // embedded default
 *   const compiled = await agreements.activeCompiled();         // per message (status re-read)
 */
export {
  createAgreementService, digestOf,
  type AgreementService, type AgreementServiceOptions, type AgreementListing, type SavedDraft, type ValidationResult, type SeedResult,
} from './service.js';
export { diffAgreements, type AgreementDiff, type DiffEntry, type ReleaseChange } from './diff.js';
export { previewAgreement, type PreviewInput, type PreviewResult, type PreviewRecipient, type PreviewSubject } from './preview.js';
export { actorId } from './actor.js';
export { readAgreementText } from './codec.js';
export * from './errors.js';
export type { VersionRecord, VersionSummary, VersionStatus } from '../store/agreement-repo.js';
