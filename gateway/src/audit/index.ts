/** The audit module's public surface. */
export type * from './types.js';
export { createAuditLog, AuditUnavailable, type AuditHealth, type AuditLogHandle, type AuditLogOptions } from './log.js';
export { createCheckpointer, generateSigningKey, type Checkpointer, type CheckpointerOptions, type PublishedKey } from './checkpoint.js';
export {
  createSubjectTokens, tokensForSubject, tokenForQuery, TOKEN_SYSTEMS, type SubjectTokens, type TokenSubject, type TokenSystem,
} from './subject-tokens.js';
export { canonicalize, canonicalBytes } from './jcs.js';
export { prepareEvent, sequenceEvent, eventHash, toAuditActor, GENESIS_HASH } from './event.js';
export { detectPersonalData, scanForPersonalData } from './pii-guard.js';
export * from './errors.js';
export { leakNeedles, findLeaks, findLeaksInText, type PersonalValues } from './leak-scan.js';
export { queryEvents, normaliseFilters, type AuditFilters, type QueryPage } from './query.js';
export { exportEvents, type ExportFormat, type ExportOptions } from './export.js';
export { inclusionProof, consistencyProof, type InclusionProof, type ConsistencyProof } from './proofs.js';
export { createExportVerifier, verifyExport, type VerifyOptions, type VerifyResult, type VerifyReason } from './verify.js';
export { verifyExportFile } from './verify-file.js';
